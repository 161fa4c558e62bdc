import Crypto
import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A fixed identifier ending in `n` (`00000000-0000-0000-0000-00000000000n`).
private func anId(_ n: Int) -> UUID {
    UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, UInt8(n)))
}

/// Dr Li's prescription of amlodipine/valsartan, 1 tablet once a day for 7 days, issued on
/// 2026-03-02 at 10:00 in China and valid that day, optionally with an override and a long reason.
private func aDocument(overrides: [PrescriptionDocument.Override] = [], dose: Double = 1, longReason: String? = nil,
                       notes: String? = nil, replaces: UUID? = nil) throws -> PrescriptionDocument {
    let shelf = try Shelf()
    let input = PrescriptionItemInput(drugId: shelf.amlodipineValsartan.id, dose: dose, doseUnit: .tablet, timesPerDay: 1, days: 7)
    let items = try PrescriptionRules.items([input], catalogue: shelf.catalogue)
    let issuedAt = try #require(Timestamp.parse("2026-03-02T10:00:00+08:00"))
    return PrescriptionDocument(prescriptionId: anId(1), consultationId: anId(2), institutionId: anId(3), doctorAccountId: anId(4),
                                doctorName: "李医生", patientId: anId(5), patientAgeYears: 58, diagnosis: try ICD10Code("I10"),
                                items: items, longPrescriptionReason: longReason, notes: notes, overrides: overrides,
                                issuedAt: issuedAt, validUntil: try PrescriptionRules.validUntil(issuedAt: issuedAt, validDays: 1),
                                replaces: replaces)
}

/// The tiny prescription signed by its doctor (account 4) and approved by its pharmacist (account 6),
/// as exported for verification.
private func aSignedPrescription() throws -> SignedPrescription {
    let document = try aDocument().canonical
    let doctor = try DocumentSigning.sign(document, role: "doctor", accountId: anId(4), key: P256.Signing.PrivateKey(),
                                          at: Date(timeIntervalSince1970: 1_772_416_805))
    let review = ReviewDocument(prescriptionId: anId(1), prescriptionHash: Hashing.sha256Hex(document), approved: true, reason: nil,
                                pharmacistAccountId: anId(6), reviewedAt: Date(timeIntervalSince1970: 1_772_418_600)).canonical
    let pharmacist = try DocumentSigning.sign(review, role: "pharmacist", accountId: anId(6), key: P256.Signing.PrivateKey(),
                                              at: Date(timeIntervalSince1970: 1_772_418_600))
    return SignedPrescription(prescriptionId: anId(1), document: document, reviewDocument: review, signatures: [doctor, pharmacist])
}

/// `text` with its character at `position` replaced by another.
private func changing(_ text: String, at position: Int) -> String {
    var characters = Array(text)
    characters[position] = characters[position] == "0" ? "1" : "0"
    return String(characters)
}

/// Whether `json` has a space, tab or line break outside its strings.
private func hasWhitespaceOutsideStrings(_ json: String) -> Bool {
    var inString = false, escaped = false
    for character in json {
        if inString {
            if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
        } else if character == "\"" {
            inString = true
        } else if character.isWhitespace {
            return true
        }
    }
    return false
}

@Suite("Prescription documents: the canonical text a doctor signs, and verifying its signature")
struct PrescriptionDocumentTests {
    @Test("the canonical text of a prescription has its keys sorted, no whitespace, slashes unescaped and absent fields left out")
    func canonicalText() throws {
        let document = try aDocument()
        let drugId = Drug.id(productCode: "9000004").uuidString
        #expect(document.canonical == """
            {"consultationId":"00000000-0000-0000-0000-000000000002","diagnosis":"I10",\
            "doctorAccountId":"00000000-0000-0000-0000-000000000004","doctorName":"李医生","format":"medloop-prescription/1",\
            "institutionId":"00000000-0000-0000-0000-000000000003","issuedAt":"2026-03-02T10:00:00+08:00",\
            "items":[{"days":7,"dose":1,"doseUnit":"tablet","drugId":"\(drugId)","genericNameEn":"amlodipine/valsartan",\
            "genericNameZh":"氨氯地平/缬沙坦","packageSize":7,"packageUnit":"tablet","productCode":"9000004","quantity":1,\
            "route":"oral","strength":"5 mg","timesPerDay":1}],"overrides":[],"patientAgeYears":58,\
            "patientId":"00000000-0000-0000-0000-000000000005","prescriptionId":"00000000-0000-0000-0000-000000000001",\
            "validUntil":"2026-03-03T00:00:00+08:00"}
            """)
        #expect(!hasWhitespaceOutsideStrings(document.canonical))
    }

    @Test("a product's identifier is derived from its product code, the same on every machine")
    func drugIdIsStable() {
        #expect(Drug.id(productCode: "9000004") == UUID.named("drug:9000004"))
        #expect(Drug.id(productCode: "9000004") != Drug.id(productCode: "9000005"))
    }

    @Test("numbers are written in their shortest form, and an override, a long reason, notes and the replaced prescription are written")
    func canonicalOptionalParts() throws {
        let shelf = try Shelf()
        let override = PrescriptionDocument.Override(rule: .interaction, drugIds: [shelf.simvastatin.id, shelf.clarithromycin.id],
                                                     severity: .contraindicated, reason: "已停用 / stopped")
        let document = try aDocument(overrides: [override], dose: 0.5, longReason: "稳定期高血压", notes: "饭后 \"after meals\"",
                                     replaces: anId(9))
        let text = document.canonical
        #expect(text.contains(#""dose":0.5,"#))
        #expect(text.contains(#""overrides":[{"drugIds":[""# + shelf.simvastatin.id.uuidString + #"",""#
            + shelf.clarithromycin.id.uuidString + #""],"reason":"已停用 / stopped","rule":"interaction","severity":"contraindicated"}]"#))
        #expect(text.contains(#""longPrescriptionReason":"稳定期高血压","notes":"饭后 \"after meals\"","overrides""#))
        #expect(text.contains(#""replaces":"00000000-0000-0000-0000-000000000009","validUntil""#))
        #expect(!hasWhitespaceOutsideStrings(text))
        #expect(try JSONDecoder().decode(PrescriptionDocument.self, from: Data(text.utf8)) == document)
    }

    @Test("a pharmacist's review is bound to the prescription's hash, in the same canonical form")
    func reviewText() throws {
        let reviewedAt = try #require(Timestamp.parse("2026-03-02T11:30:00+08:00"))
        let approved = ReviewDocument(prescriptionId: anId(1), prescriptionHash: Hashing.sha256Hex("abc"), approved: true, reason: nil,
                                      pharmacistAccountId: anId(6), reviewedAt: reviewedAt)
        #expect(approved.canonical == """
            {"decision":"approved","format":"medloop-review/1","pharmacistAccountId":"00000000-0000-0000-0000-000000000006",\
            "prescriptionHash":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",\
            "prescriptionId":"00000000-0000-0000-0000-000000000001","reviewedAt":"2026-03-02T11:30:00+08:00"}
            """)
        let rejected = ReviewDocument(prescriptionId: anId(1), prescriptionHash: Hashing.sha256Hex("abc"), approved: false,
                                      reason: .dose, pharmacistAccountId: anId(6), reviewedAt: reviewedAt)
        #expect(rejected.canonical.hasPrefix(#"{"decision":"rejected","#))
        #expect(rejected.canonical.contains(#""reason":"dose","reviewedAt""#))
    }

    @Test("a document signed with a doctor's key verifies, and its hash is the SHA-256 of the canonical text")
    func signAndVerify() throws {
        let key = P256.Signing.PrivateKey()
        let canonical = try aDocument().canonical
        let at = try #require(Timestamp.parse("2026-03-02T10:00:05+08:00"))
        let signature = try DocumentSigning.sign(canonical, role: "doctor", accountId: anId(4), key: key, at: at)
        #expect(DocumentSigning.fault(of: signature, over: canonical) == nil)
        #expect(signature.hash == Hashing.sha256Hex(canonical))
        #expect(signature.publicKey == key.publicKey.pemRepresentation)
        #expect(signature.signedAt == "2026-03-02T10:00:05+08:00")
        #expect(signature.role == "doctor" && signature.accountId == anId(4))
    }

    @Test("changing any one character of the signed text fails verification, even with the hash recomputed over the change")
    func anyChangeFails() async throws {
        let key = P256.Signing.PrivateKey()
        let canonical = try aDocument().canonical
        let signature = try DocumentSigning.sign(canonical, role: "doctor", accountId: anId(4), key: key, at: Date(timeIntervalSince1970: 0))
        await propertyCheck(input: Gen.int(in: 0..<canonical.count)) { position in
            let changed = changing(canonical, at: position)
            #expect(changed != canonical)
            #expect(DocumentSigning.fault(of: signature, over: changed) == "the document does not match its hash")
            let rehashed = DocumentSignature(role: signature.role, accountId: signature.accountId, hash: Hashing.sha256Hex(changed),
                                             signature: signature.signature, publicKey: signature.publicKey,
                                             signedAt: signature.signedAt)
            #expect(DocumentSigning.fault(of: rehashed, over: changed) == "the signature does not match the document")
        }
    }

    @Test("a signature checked against another key's public key fails")
    func anotherKeyFails() throws {
        let canonical = try aDocument().canonical
        let signature = try DocumentSigning.sign(canonical, role: "doctor", accountId: anId(4), key: P256.Signing.PrivateKey(),
                                                 at: Date(timeIntervalSince1970: 0))
        let impostor = DocumentSignature(role: signature.role, accountId: signature.accountId, hash: signature.hash,
                                         signature: signature.signature,
                                         publicKey: P256.Signing.PrivateKey().publicKey.pemRepresentation,
                                         signedAt: signature.signedAt)
        #expect(DocumentSigning.fault(of: impostor, over: canonical) == "the signature does not match the document")
    }

    @Test("a garbage public key or signature is reported as a fault, not a crash",
          arguments: [("not a key", nil, "the public key is not a P-256 key"),
                      ("", nil, "the public key is not a P-256 key"),
                      ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", nil, "the public key is not a P-256 key"),
                      (nil, "not base64!", "the signature is not an ECDSA signature"),
                      (nil, "", "the signature is not an ECDSA signature"),
                      (nil, "AAAA", "the signature is not an ECDSA signature"),
                      (nil, Data(repeating: 0x30, count: 72).base64EncodedString(), "the signature is not an ECDSA signature")]
              as [(String?, String?, String)])
    func garbage(publicKey: String?, signatureText: String?, fault: String) throws {
        let key = P256.Signing.PrivateKey()
        let canonical = try aDocument().canonical
        let signature = try DocumentSigning.sign(canonical, role: "doctor", accountId: anId(4), key: key, at: Date(timeIntervalSince1970: 0))
        let spoiled = DocumentSignature(role: signature.role, accountId: signature.accountId, hash: signature.hash,
                                        signature: signatureText ?? signature.signature, publicKey: publicKey ?? signature.publicKey,
                                        signedAt: signature.signedAt)
        #expect(DocumentSigning.fault(of: spoiled, over: canonical) == fault)
    }

    // MARK: The exported, signed prescription

    @Test("a prescription signed by its doctor and reviewed by its pharmacist verifies with no problem")
    func signedPrescriptionVerifies() throws {
        let signed = try aSignedPrescription()
        #expect(signed.problems() == [])
        #expect(signed.documentHash == Hashing.sha256Hex(signed.document))
        #expect(signed.format == PrescriptionDocument.currentFormat)
    }

    @Test("an altered document, another prescriber, a review of another document or a missing signature is each a problem")
    func signedPrescriptionProblems() throws {
        let good = try aSignedPrescription()
        let doctor = try #require(good.signatures.first { $0.role == "doctor" })
        let pharmacist = try #require(good.signatures.first { $0.role == "pharmacist" })

        let altered = SignedPrescription(prescriptionId: good.prescriptionId, document: good.document.replacingOccurrences(of: "李医生", with: "王医生"),
                                         reviewDocument: good.reviewDocument, signatures: good.signatures)
        #expect(altered.problems() == ["doctor: the document does not match its hash", "the review is of another document"])

        let impostorKey = P256.Signing.PrivateKey()
        let impostor = try DocumentSigning.sign(good.document, role: "doctor", accountId: anId(7), key: impostorKey, at: Date(timeIntervalSince1970: 0))
        let otherPrescriber = SignedPrescription(prescriptionId: good.prescriptionId, document: good.document,
                                                 reviewDocument: good.reviewDocument, signatures: [impostor, pharmacist])
        #expect(otherPrescriber.problems() == ["the doctor's signature is not the prescriber's"])

        let unsigned = SignedPrescription(prescriptionId: good.prescriptionId, document: good.document, reviewDocument: nil, signatures: [])
        #expect(unsigned.problems() == ["the doctor's signature is missing"])
        let unreviewed = SignedPrescription(prescriptionId: good.prescriptionId, document: good.document,
                                            reviewDocument: good.reviewDocument, signatures: [doctor])
        #expect(unreviewed.problems() == ["the pharmacist's signature is missing"])

        let otherReview = ReviewDocument(prescriptionId: anId(1), prescriptionHash: Hashing.sha256Hex("another document"), approved: true,
                                         reason: nil, pharmacistAccountId: anId(6), reviewedAt: Date(timeIntervalSince1970: 0)).canonical
        let misbound = SignedPrescription(prescriptionId: good.prescriptionId, document: good.document, reviewDocument: otherReview,
                                          signatures: [doctor, pharmacist])
        #expect(misbound.problems().contains("the review is of another document"))

        let elsewhere = SignedPrescription(prescriptionId: anId(8), document: good.document, reviewDocument: good.reviewDocument,
                                           signatures: good.signatures)
        #expect(elsewhere.problems() == ["the document is of another prescription"])
        let garbage = SignedPrescription(prescriptionId: good.prescriptionId, document: "{}", reviewDocument: nil, signatures: [doctor])
        #expect(garbage.problems() == ["the document is not a MedLoop prescription"])
    }

    @Test("a key of another curve is not taken for a P-256 key")
    func otherCurve() throws {
        let canonical = try aDocument().canonical
        let signature = try DocumentSigning.sign(canonical, role: "pharmacist", accountId: anId(6), key: P256.Signing.PrivateKey(),
                                                 at: Date(timeIntervalSince1970: 0))
        let p384 = DocumentSignature(role: signature.role, accountId: signature.accountId, hash: signature.hash,
                                     signature: signature.signature, publicKey: P384.Signing.PrivateKey().publicKey.pemRepresentation,
                                     signedAt: signature.signedAt)
        #expect(DocumentSigning.fault(of: p384, over: canonical) == "the public key is not a P-256 key")
    }
}
