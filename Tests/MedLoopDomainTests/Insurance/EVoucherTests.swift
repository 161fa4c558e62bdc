import Crypto
import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// One character of a voucher code changed: in which part (1 region, 2 person, 3 nonce, 4 expiry),
/// at which offset within it, to what, and what verifying it must say.
struct VoucherTampering: Sendable, CustomTestStringConvertible {
    var rule: String
    var part: Int
    var offset: Int
    var replacement: Character
    var expected: String

    var testDescription: String { rule }
}

/// The code with the character at `offset` of dot-separated part `part` replaced.
private func tampered(_ code: String, part: Int, offset: Int, with replacement: Character) -> String {
    var parts = code.split(separator: ".", omittingEmptySubsequences: false).map { Array($0) }
    parts[part][offset] = replacement
    return parts.map { String($0) }.joined(separator: ".")
}

@Suite("E-vouchers: a short-lived code signed by the region's insurer, verified before a settlement")
struct EVoucherTests {
    static let region = try! RegionCode("330800")
    static let person = UUID(uuidString: "8d2c6f4e-1a3b-4c5d-9e6f-7a8b9c0d1e2f")!
    static let nonce = UUID(uuidString: "0f1e2d3c-4b5a-4968-8776-655443322110")!
    /// 2026-03-02 10:20 Asia/Shanghai; the voucher expires 5 minutes (300 000 ms) later.
    static let issuedMillis: Int64 = 1_772_418_000_000
    static let expiresMillis: Int64 = 1_772_418_300_000

    static var voucher: EVoucher {
        EVoucher(region: region, insuredPersonId: person, nonce: nonce, issuedAt: Date(epochMillis: issuedMillis))
    }

    static func at(_ millis: Int64) -> Date { Date(epochMillis: millis) }

    // MARK: Verification

    @Test("a voucher signed with the insurer's key verifies with its public key and gives back region, person, nonce and expiry")
    func signedVoucherVerifies() throws {
        let key = P256.Signing.PrivateKey()
        let code = try Self.voucher.code(signedWith: key)
        let verified = try EVoucher.verify(code, publicKey: key.publicKey, now: Self.at(Self.issuedMillis + 1000))
        #expect(verified.region == Self.region)
        #expect(verified.insuredPersonId == Self.person)
        #expect(verified.nonce == Self.nonce)
        #expect(verified.expiresAt.epochMillis == Self.expiresMillis)
        #expect(verified == Self.voucher)
    }

    @Test("a voucher code is MLV1, region, person, nonce, expiry in milliseconds and a 64-byte signature in base64url")
    func codeText() throws {
        let code = try Self.voucher.code(signedWith: P256.Signing.PrivateKey())
        #expect(code.hasPrefix("MLV1.330800.8d2c6f4e-1a3b-4c5d-9e6f-7a8b9c0d1e2f.0f1e2d3c-4b5a-4968-8776-655443322110.1772418300000."))
        let parts = code.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 6)
        #expect(Base64URL.decode(String(parts[5]))?.count == 64)
    }

    @Test("a voucher lives 5 minutes: it verifies until one millisecond before its expiry and is a 422 voucher_expired from then on",
          arguments: [
              (Int64(0), "ok"),
              (299_999, "ok"),
              (300_000, "422 voucher_expired"),
              (300_001, "422 voucher_expired"),
              (86_400_000, "422 voucher_expired"),
          ])
    func lifetime(_ millisAfterIssue: Int64, _ expected: String) throws {
        let key = P256.Signing.PrivateKey()
        let code = try Self.voucher.code(signedWith: key)
        #expect(outcome { () throws(DomainError) in
            try EVoucher.verify(code, publicKey: key.publicKey, now: Self.at(Self.issuedMillis + millisAfterIssue))
        } == expected)
    }

    @Test("a voucher signed by another key is a 422 voucher_forged, even when expired")
    func otherKey() throws {
        let code = try Self.voucher.code(signedWith: P256.Signing.PrivateKey())
        let insurer = P256.Signing.PrivateKey().publicKey
        #expect(outcome { () throws(DomainError) in try EVoucher.verify(code, publicKey: insurer, now: Self.at(Self.issuedMillis)) }
            == "422 voucher_forged")
        #expect(outcome { () throws(DomainError) in
            try EVoucher.verify(code, publicKey: insurer, now: Self.at(Self.expiresMillis + 1))
        } == "422 voucher_forged")
    }

    static let tamperings: [VoucherTampering] = [
        VoucherTampering(rule: "region 330800 → 330801 (a valid region): forged", part: 1, offset: 5, replacement: "1",
                         expected: "422 voucher_forged"),
        VoucherTampering(rule: "region 330800 → 930800 (no such province): format", part: 1, offset: 0, replacement: "9",
                         expected: "400 voucher/format"),
        VoucherTampering(rule: "region 330800 → 33x800: format", part: 1, offset: 2, replacement: "x", expected: "400 voucher/format"),
        VoucherTampering(rule: "person 8d2c… → 9d2c… (another person): forged", part: 2, offset: 0, replacement: "9",
                         expected: "422 voucher_forged"),
        VoucherTampering(rule: "person 8d2c… → 8e2c…: forged", part: 2, offset: 1, replacement: "e", expected: "422 voucher_forged"),
        VoucherTampering(rule: "person 8d2c… → 8g2c… (not hex): format", part: 2, offset: 1, replacement: "g",
                         expected: "400 voucher/format"),
        VoucherTampering(rule: "person with its first hyphen turned into a digit: format", part: 2, offset: 8, replacement: "0",
                         expected: "400 voucher/format"),
        VoucherTampering(rule: "nonce …2110 → …2111 (another nonce): forged", part: 3, offset: 35, replacement: "1",
                         expected: "422 voucher_forged"),
        VoucherTampering(rule: "nonce 0f1e… → zf1e…: format", part: 3, offset: 0, replacement: "z", expected: "400 voucher/format"),
        VoucherTampering(rule: "expiry one millisecond later: forged", part: 4, offset: 12, replacement: "1",
                         expected: "422 voucher_forged"),
        VoucherTampering(rule: "expiry centuries later (first digit 1 → 9): forged", part: 4, offset: 0, replacement: "9",
                         expected: "422 voucher_forged"),
        VoucherTampering(rule: "expiry with a sign in it: format (the expiry is digits only)", part: 4, offset: 0, replacement: "+",
                         expected: "400 voucher/format"),
        VoucherTampering(rule: "expiry with a letter in it: format", part: 4, offset: 5, replacement: "a", expected: "400 voucher/format"),
        VoucherTampering(rule: "expiry with a dot in it (seven parts): format", part: 4, offset: 3, replacement: ".",
                         expected: "400 voucher/format"),
    ]

    @Test("a code with one character changed in its region, person, nonce or expiry is forged when it still reads, a format error when not",
          arguments: tamperings)
    func tampering(_ example: VoucherTampering) throws {
        let key = P256.Signing.PrivateKey()
        let code = tampered(try Self.voucher.code(signedWith: key), part: example.part, offset: example.offset, with: example.replacement)
        #expect(outcome { () throws(DomainError) in
            try EVoucher.verify(code, publicKey: key.publicKey, now: Self.at(Self.issuedMillis))
        } == example.expected, "\(code)")
    }

    /// What may replace a character: digits, hex and other letters in both cases, and separators.
    static let replacements = Array("0123456789abcdefABCDEFgxzGXZ-+._ /=")

    @Test("""
        for any single character changed to another in the region, person, nonce or expiry part, verification fails: \
        422 voucher_forged or 400 voucher/format (a hex letter changed only in case is the same identifier)
        """)
    func anyTamperingFails() async throws {
        let key = P256.Signing.PrivateKey()
        let code = try Self.voucher.code(signedWith: key)
        let publicKey = key.publicKey
        let lengths = code.split(separator: ".", omittingEmptySubsequences: false).map(\.count)
        let tamperings = zip(Gen.int(in: 1...4), Gen.int(in: 0...35), Gen.int(in: 0...(Self.replacements.count - 1)))
        await propertyCheck(count: 300, input: tamperings) { part, position, choice in
            let offset = position % lengths[part]
            let original = Array(code.split(separator: ".", omittingEmptySubsequences: false)[part])[offset]
            let replacement = Self.replacements[choice]
            guard replacement.lowercased() != original.lowercased() else { return }
            let changed = tampered(code, part: part, offset: offset, with: replacement)
            let result = outcome { () throws(DomainError) in try EVoucher.verify(changed, publicKey: publicKey, now: Self.at(Self.issuedMillis)) }
            #expect(result == "422 voucher_forged" || result == "400 voucher/format", "\(changed): \(result)")
        }
    }

    @Test("a person or nonce written in upper case reads as the same voucher: the signature covers the identifiers, not their spelling")
    func upperCaseIdentifiers() throws {
        let key = P256.Signing.PrivateKey()
        let code = try Self.voucher.code(signedWith: key)
        var parts = code.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        parts[2] = parts[2].uppercased()
        parts[3] = parts[3].uppercased()
        let verified = try EVoucher.verify(parts.joined(separator: "."), publicKey: key.publicKey, now: Self.at(Self.issuedMillis))
        #expect(verified == Self.voucher)
    }

    @Test("text that is not a voucher code is a 400 on voucher with code format", arguments: [
        "",
        "hello",
        "MLV1",
        "MLV1.330800",
        "MLV2.330800.8d2c6f4e-1a3b-4c5d-9e6f-7a8b9c0d1e2f.0f1e2d3c-4b5a-4968-8776-655443322110.1772418300000.AAAA",
        "MLV1.330800.8d2c6f4e-1a3b-4c5d-9e6f-7a8b9c0d1e2f.0f1e2d3c-4b5a-4968-8776-655443322110.1772418300000",
        "MLV1.330800.8d2c6f4e-1a3b-4c5d-9e6f-7a8b9c0d1e2f.0f1e2d3c-4b5a-4968-8776-655443322110.1772418300000.AAAA.AAAA",
        "MLV1.33080.8d2c6f4e-1a3b-4c5d-9e6f-7a8b9c0d1e2f.0f1e2d3c-4b5a-4968-8776-655443322110.1772418300000.AAAA",
        "MLV1.330800.person.0f1e2d3c-4b5a-4968-8776-655443322110.1772418300000.AAAA",
        "MLV1.330800.8d2c6f4e-1a3b-4c5d-9e6f-7a8b9c0d1e2f.0f1e2d3c-4b5a-4968-8776-655443322110.soon.AAAA",
        "MLV1.330800.8d2c6f4e-1a3b-4c5d-9e6f-7a8b9c0d1e2f.0f1e2d3c-4b5a-4968-8776-655443322110.1772418300000.AA+/AA==",
        "MLV1..8d2c6f4e-1a3b-4c5d-9e6f-7a8b9c0d1e2f.0f1e2d3c-4b5a-4968-8776-655443322110.1772418300000.AAAA",
    ])
    func garbage(_ text: String) {
        let publicKey = P256.Signing.PrivateKey().publicKey
        #expect(fieldIssues { () throws(DomainError) in try EVoucher.verify(text, publicKey: publicKey, now: Self.at(Self.issuedMillis)) }
            == ["voucher/format"])
        #expect(fieldIssues { () throws(DomainError) in try EVoucher.region(of: text) } == ["voucher/format"])
    }

    @Test("a well-formed code with a signature of the wrong length is forged, not malformed")
    func shortSignature() {
        let code = "MLV1.330800.8d2c6f4e-1a3b-4c5d-9e6f-7a8b9c0d1e2f.0f1e2d3c-4b5a-4968-8776-655443322110.1772418300000.AAAA"
        #expect(outcome { () throws(DomainError) in
            try EVoucher.verify(code, publicKey: P256.Signing.PrivateKey().publicKey, now: Self.at(Self.issuedMillis))
        } == "422 voucher_forged")
    }

    @Test("the region of a code is read without trusting it: a forged or expired code still names its region")
    func regionOfCode() throws {
        let code = try Self.voucher.code(signedWith: P256.Signing.PrivateKey())
        #expect(try EVoucher.region(of: code) == Self.region)
        #expect(try EVoucher.region(of: "  \(code)\n") == Self.region, "surrounding blanks are ignored")
        let unsigned = "MLV1.110101.8d2c6f4e-1a3b-4c5d-9e6f-7a8b9c0d1e2f.0f1e2d3c-4b5a-4968-8776-655443322110.1.AAAA"
        #expect(try EVoucher.region(of: unsigned) == RegionCode("110101"))
    }

    @Suite("Base64URL: base64 with the URL-safe alphabet and no padding (RFC 4648 §5)")
    struct Base64URLTests {
        @Test("bytes encode with - and _ for + and /, and without padding", arguments: [
            ([UInt8](), ""),
            ([0x61], "YQ"),
            ([0x61, 0x62], "YWI"),
            ([0x61, 0x62, 0x63], "YWJj"),
            ([0xFB, 0xFF], "-_8"),
            ([0xFF, 0xFF, 0xFE], "___-"),
        ])
        func encode(_ bytes: [UInt8], _ text: String) {
            #expect(Base64URL.encode(Data(bytes)) == text)
            #expect(Base64URL.decode(text) == Data(bytes))
        }

        @Test("text with +, /, = or any other character outside the URL-safe alphabet does not decode", arguments: [
            "+/8", "-_8=", "YQ==", "YWI=", "ab+c", "ab/c", "YW Jj", "YWJj\n", "YWJj.", "é",
        ])
        func rejects(_ text: String) {
            #expect(Base64URL.decode(text) == nil)
        }

        @Test("a length that no bytes encode to does not decode", arguments: ["Y", "YWJjZ"])
        func impossibleLength(_ text: String) {
            #expect(Base64URL.decode(text) == nil)
        }

        @Test("for any bytes, decoding the encoding gives them back, and the encoding uses only letters, digits, - and _")
        func roundTrip() async {
            await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...100)) { bytes in
                let text = Base64URL.encode(Data(bytes))
                #expect(Base64URL.decode(text) == Data(bytes))
                #expect(text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }, "\(text)")
                #expect(text.count == (bytes.count * 4 + 2) / 3)
            }
        }
    }
}
