import Crypto
import Foundation

/// The electronic insurance voucher (DOMAIN.md, "Insurance"): a short-lived code the insurer's side
/// issues for one insured person, signed with the insurer's P-256 key, valid for 5 minutes and
/// usable once. Its text is `MLV1.<region>.<person>.<nonce>.<expires-ms>.<signature>`, the
/// signature (base64url, raw r‖s) over everything before the last dot.
public struct EVoucher: Sendable, Hashable {
    public static let lifetime: TimeInterval = 300
    static let prefix = "MLV1"

    public var region: RegionCode
    public var insuredPersonId: UUID
    /// Unique per voucher: what makes it single use.
    public var nonce: UUID
    public var expiresAt: Date

    public init(region: RegionCode, insuredPersonId: UUID, nonce: UUID, issuedAt: Date) {
        self.region = region
        self.insuredPersonId = insuredPersonId
        self.nonce = nonce
        expiresAt = Date(epochMillis: issuedAt.epochMillis + Int64(Self.lifetime * 1000))
    }

    private init(region: RegionCode, insuredPersonId: UUID, nonce: UUID, expiresAt: Date) {
        self.region = region
        self.insuredPersonId = insuredPersonId
        self.nonce = nonce
        self.expiresAt = expiresAt
    }

    var signedText: String {
        "\(Self.prefix).\(region.value).\(insuredPersonId.text).\(nonce.text).\(expiresAt.epochMillis)"
    }

    /// The voucher's code, signed with the insurer's key.
    public func code(signedWith key: P256.Signing.PrivateKey) throws -> String {
        let signature = try key.signature(for: Data(signedText.utf8))
        return signedText + "." + Base64URL.encode(signature.rawRepresentation)
    }

    /// Reads a presented code without trusting it: the region whose key must have signed it.
    ///
    /// - Throws: 400 on `voucher` (`format`) when the text is not a voucher code.
    public static func region(of code: String) throws(DomainError) -> RegionCode {
        try parse(code).voucher.region
    }

    /// Verifies a presented code: signed by `publicKey` (the region's insurer key) and not expired
    /// at `now`. Whether it was used before and whether its person is active is the registry's
    /// to say.
    ///
    /// - Throws: 400 `voucher` / `format`; 422 `voucher_forged` for a signature that does not hold,
    ///   422 `voucher_expired` after its 5 minutes.
    public static func verify(_ code: String, publicKey: P256.Signing.PublicKey, now: Date) throws(DomainError) -> EVoucher {
        let (voucher, signature) = try parse(code)
        guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature),
              publicKey.isValidSignature(ecdsa, for: Data(voucher.signedText.utf8)) else {
            throw .refused(code: "voucher_forged", message: "The e-voucher was not issued by the region's insurer.")
        }
        guard now.epochMillis < voucher.expiresAt.epochMillis else {
            throw .refused(code: "voucher_expired", message: "The e-voucher has expired. Ask for a new one.")
        }
        return voucher
    }

    private static func parse(_ code: String) throws(DomainError) -> (voucher: EVoucher, signature: Data) {
        let parts = code.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == prefix, let region = try? RegionCode(String(parts[1])),
              isUUIDText(parts[2]), isUUIDText(parts[3]),
              let person = UUID(uuidString: String(parts[2])), let nonce = UUID(uuidString: String(parts[3])),
              parts[4].allSatisfy(\.isASCIIDigit), let millis = Int64(parts[4]), let signature = Base64URL.decode(String(parts[5])) else {
            throw .invalidField("voucher", code: "format", "This is not an e-voucher code.")
        }
        return (EVoucher(region: region, insuredPersonId: person, nonce: nonce, expiresAt: Date(epochMillis: millis)), signature)
    }

    /// Whether `text` is a UUID as written: 36 characters, hex digits with hyphens after the 8th,
    /// 12th, 16th and 20th (Foundation's own parser lets some other characters through).
    private static func isUUIDText(_ text: Substring) -> Bool {
        let characters = Array(text)
        guard characters.count == 36 else { return false }
        return characters.enumerated().allSatisfy { index, character in
            [8, 13, 18, 23].contains(index) ? character == "-" : character.isHexDigit
        }
    }
}
