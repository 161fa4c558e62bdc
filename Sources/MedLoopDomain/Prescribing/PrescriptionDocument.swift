import Crypto
import Foundation

/// What a doctor signs: the prescription frozen at signing, in its canonical JSON form.
///
/// The canonical form is the UTF-8 JSON of this value with keys sorted, no whitespace, slashes
/// not escaped, times in RFC 3339 at +08:00 with whole seconds, and numbers in their shortest
/// form (`10`, `2.5`). The hash is the SHA-256 of exactly those bytes, kept with the signature, so
/// a verifier needs the bytes, not this type.
public struct PrescriptionDocument: Sendable, Hashable, Codable {
    public struct Item: Sendable, Hashable, Codable {
        public let drugId: UUID
        public let productCode: String
        public let genericNameZh: String
        public let genericNameEn: String
        public let strength: String
        public let dose: Double
        public let doseUnit: DoseUnit
        public let timesPerDay: Int
        public let route: AdministrationRoute
        public let days: Int
        public let quantity: Int
        public let packageUnit: PackageUnit
        public let packageSize: Int

        public init(_ item: PrescriptionItem) {
            drugId = item.drug.id
            productCode = item.drug.productCode
            genericNameZh = item.drug.genericNameZh
            genericNameEn = item.drug.genericNameEn
            strength = item.drug.strength
            dose = item.dose
            doseUnit = item.doseUnit
            timesPerDay = item.timesPerDay
            route = item.route
            days = item.days
            quantity = item.quantity
            packageUnit = item.drug.packageUnit
            packageSize = item.drug.packageSize
        }
    }

    /// A finding the doctor signed over, and why.
    public struct Override: Sendable, Hashable, Codable {
        public let rule: FindingRule
        public let drugIds: [UUID]
        public let severity: FindingSeverity
        public let reason: String

        public init(rule: FindingRule, drugIds: [UUID], severity: FindingSeverity, reason: String) {
            self.rule = rule
            self.drugIds = drugIds
            self.severity = severity
            self.reason = reason
        }

        public init(_ finding: Finding, reason: String) {
            rule = finding.rule
            drugIds = finding.drugIds
            severity = finding.severity
            self.reason = reason
        }
    }

    public let format: String
    public let prescriptionId: UUID
    public let consultationId: UUID
    public let institutionId: UUID
    public let doctorAccountId: UUID
    public let doctorName: String
    public let patientId: UUID
    public let patientAgeYears: Int
    public let diagnosis: String
    public let items: [Item]
    public let longPrescriptionReason: String?
    public let notes: String?
    public let overrides: [Override]
    public let issuedAt: String
    public let validUntil: String
    /// The prescription this one corrects and voids, if any.
    public let replaces: UUID?

    public static let currentFormat = "medloop-prescription/1"

    public init(prescriptionId: UUID, consultationId: UUID, institutionId: UUID, doctorAccountId: UUID, doctorName: String,
                patientId: UUID, patientAgeYears: Int, diagnosis: ICD10Code, items: [PrescriptionItem],
                longPrescriptionReason: String?, notes: String?, overrides: [Override], issuedAt: Date, validUntil: Date,
                replaces: UUID?) {
        format = Self.currentFormat
        self.prescriptionId = prescriptionId
        self.consultationId = consultationId
        self.institutionId = institutionId
        self.doctorAccountId = doctorAccountId
        self.doctorName = doctorName
        self.patientId = patientId
        self.patientAgeYears = patientAgeYears
        self.diagnosis = diagnosis.value
        self.items = items.map(Item.init)
        self.longPrescriptionReason = longPrescriptionReason
        self.notes = notes
        self.overrides = overrides
        self.issuedAt = Timestamp.format(issuedAt)
        self.validUntil = Timestamp.format(validUntil)
        self.replaces = replaces
    }

    /// The canonical bytes, as text.
    public var canonical: String { CanonicalJSON.text(of: self) }
}

/// What a pharmacist signs: their decision on one signed prescription, bound to its hash.
public struct ReviewDocument: Sendable, Hashable, Codable {
    public let format: String
    public let prescriptionId: UUID
    public let prescriptionHash: String
    public let decision: String
    public let reason: RejectionReason?
    public let pharmacistAccountId: UUID
    public let reviewedAt: String

    public static let currentFormat = "medloop-review/1"

    public init(prescriptionId: UUID, prescriptionHash: String, approved: Bool, reason: RejectionReason?,
                pharmacistAccountId: UUID, reviewedAt: Date) {
        format = Self.currentFormat
        self.prescriptionId = prescriptionId
        self.prescriptionHash = prescriptionHash
        decision = approved ? "approved" : "rejected"
        self.reason = reason
        self.pharmacistAccountId = pharmacistAccountId
        self.reviewedAt = Timestamp.format(reviewedAt)
    }

    public var canonical: String { CanonicalJSON.text(of: self) }
}

/// The canonical JSON text of a value: keys sorted, no whitespace, slashes unescaped.
public enum CanonicalJSON {
    public static func text(of value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain values cannot fail: every field is a string, number, bool or array.
        guard let data = try? encoder.encode(value) else { preconditionFailure("a canonical document did not encode") }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A signature over a canonical document, with what a verifier needs.
public struct DocumentSignature: Sendable, Hashable, Codable {
    /// `doctor` or `pharmacist`.
    public let role: String
    public let accountId: UUID
    /// The SHA-256 of the signed bytes, lower-case hex.
    public let hash: String
    /// ECDSA P-256 with SHA-256, DER, base64.
    public let signature: String
    /// The signer's public key, PEM (SubjectPublicKeyInfo).
    public let publicKey: String
    public let signedAt: String

    public init(role: String, accountId: UUID, hash: String, signature: String, publicKey: String, signedAt: String) {
        self.role = role
        self.accountId = accountId
        self.hash = hash
        self.signature = signature
        self.publicKey = publicKey
        self.signedAt = signedAt
    }
}

/// Signing and verifying canonical documents with P-256 keys (a doctor's or pharmacist's).
public enum DocumentSigning {
    /// Signs `canonical` with `key`.
    public static func sign(_ canonical: String, role: String, accountId: UUID, key: P256.Signing.PrivateKey,
                            at instant: Date) throws -> DocumentSignature {
        let bytes = Data(canonical.utf8)
        let signature = try key.signature(for: bytes)
        return DocumentSignature(role: role, accountId: accountId, hash: Hashing.sha256Hex(canonical),
                                 signature: signature.derRepresentation.base64EncodedString(),
                                 publicKey: key.publicKey.pemRepresentation, signedAt: Timestamp.format(instant))
    }

    /// Why a signature does not hold, or nil when it does: the hash must be the SHA-256 of
    /// `canonical` and the signature valid for it under the public key.
    public static func fault(of signature: DocumentSignature, over canonical: String) -> String? {
        guard Hashing.sha256Hex(canonical) == signature.hash else { return "the document does not match its hash" }
        guard let key = try? P256.Signing.PublicKey(pemRepresentation: signature.publicKey) else {
            return "the public key is not a P-256 key"
        }
        guard let der = Data(base64Encoded: signature.signature),
              let ecdsa = try? P256.Signing.ECDSASignature(derRepresentation: der) else {
            return "the signature is not an ECDSA signature"
        }
        return key.isValidSignature(ecdsa, for: Data(canonical.utf8)) ? nil : "the signature does not match the document"
    }
}
