import Crypto
import Foundation

/// Encrypts personal identifiers at rest (national ID, phone, address) and computes the keyed hash
/// that lets MedLoop find a row by such an identifier without decrypting anything.
///
/// Both keys are derived from one 256-bit data key (`MEDLOOP_DATA_KEY`) with HKDF, so a stolen
/// hash column cannot be brute-forced without the key, and the two uses never share a key.
public struct FieldCipher: Sendable {
    // Kept as bytes: SymmetricKey is not Sendable in every swift-crypto version.
    private let encryptionKeyBytes: Data
    private let lookupKeyBytes: Data
    private var encryptionKey: SymmetricKey { SymmetricKey(data: encryptionKeyBytes) }
    private var lookupKey: SymmetricKey { SymmetricKey(data: lookupKeyBytes) }
    private static let version = "v1"

    /// `dataKey` must be 32 bytes.
    public init(dataKey: Data) throws {
        guard dataKey.count == 32 else { throw FieldCipherError.badKeyLength(dataKey.count) }
        let master = SymmetricKey(data: dataKey)
        func derive(_ purpose: String) -> Data {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Data(purpose.utf8), outputByteCount: 32)
                .withUnsafeBytes { Data($0) }
        }
        encryptionKeyBytes = derive("medloop field encryption")
        lookupKeyBytes = derive("medloop field lookup")
    }

    /// `v1:` + base64 of nonce, ciphertext and tag (AES-256-GCM). `field` is bound as associated
    /// data, so a value moved to another column no longer decrypts.
    public func seal(_ plaintext: String, field: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: encryptionKey, authenticating: Data(field.utf8))
        guard let combined = box.combined else { throw FieldCipherError.sealFailed }
        return "\(FieldCipher.version):\(combined.base64EncodedString())"
    }

    /// The plaintext of a value sealed by `seal(_:field:)` for the same field.
    public func open(_ sealed: String, field: String) throws -> String {
        guard sealed.hasPrefix("\(FieldCipher.version):"),
              let combined = Data(base64Encoded: String(sealed.dropFirst(FieldCipher.version.count + 1))) else {
            throw FieldCipherError.malformed
        }
        let box = try AES.GCM.SealedBox(combined: combined)
        let plain = try AES.GCM.open(box, using: encryptionKey, authenticating: Data(field.utf8))
        guard let text = String(data: plain, encoding: .utf8) else { throw FieldCipherError.malformed }
        return text
    }

    /// A file's bytes sealed with AES-256-GCM (nonce, ciphertext and tag), bound to `name` (its
    /// folder and file name) so that a file copied under another name no longer opens.
    public func seal(bytes: Data, name: String) throws -> Data {
        let box = try AES.GCM.seal(bytes, using: encryptionKey, authenticating: Data("file:\(name)".utf8))
        guard let combined = box.combined else { throw FieldCipherError.sealFailed }
        return combined
    }

    /// The bytes of a file sealed by `seal(bytes:name:)` under the same name.
    public func open(bytes sealed: Data, name: String) throws -> Data {
        do {
            return try AES.GCM.open(try AES.GCM.SealedBox(combined: sealed), using: encryptionKey,
                                    authenticating: Data("file:\(name)".utf8))
        } catch {
            throw FieldCipherError.malformed
        }
    }

    /// HMAC-SHA256 (hex) of a normalised value, namespaced by field: equal values give equal hashes.
    public func lookupHash(_ value: String, field: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(field):\(value)".utf8), using: lookupKey)
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// A fresh random 256-bit key, base64-encoded (what `MEDLOOP_DATA_KEY` holds).
    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }

    /// Reads a base64 key as `MEDLOOP_DATA_KEY` gives it.
    public static func decodeKey(_ text: String) throws -> Data {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw FieldCipherError.badKeyText
        }
        return data
    }

    /// Loads the demo key from `file`, creating it (mode 0600) with a fresh key when missing.
    public static func loadOrCreateKey(at file: URL) throws -> Data {
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            return try decodeKey(text)
        }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let text = generateKey()
        try Data((text + "\n").utf8).write(to: file, options: .withoutOverwriting)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        return try decodeKey(text)
    }
}

public enum FieldCipherError: Error, CustomStringConvertible {
    case badKeyLength(Int)
    case badKeyText
    case sealFailed
    case malformed

    public var description: String {
        switch self {
        case .badKeyLength(let count): return "the data key must be 32 bytes, not \(count)"
        case .badKeyText: return "MEDLOOP_DATA_KEY must be 32 bytes in base64 (44 characters)"
        case .sealFailed: return "encryption failed"
        case .malformed: return "an encrypted value is malformed or was sealed with another key"
        }
    }
}
