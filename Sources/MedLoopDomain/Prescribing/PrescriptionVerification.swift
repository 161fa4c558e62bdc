import Foundation

/// A signed prescription as exported for anyone to verify (`GET /prescriptions/{id}/verification`,
/// `medloop verify-prescription FILE`): the canonical document the doctor signed, the pharmacist's
/// review document, and every signature with its public key.
public struct SignedPrescription: Sendable, Hashable, Codable {
    public let prescriptionId: UUID
    public let format: String
    public let document: String
    public let documentHash: String
    public let reviewDocument: String?
    public let signatures: [DocumentSignature]

    public init(prescriptionId: UUID, document: String, reviewDocument: String?, signatures: [DocumentSignature]) {
        self.prescriptionId = prescriptionId
        format = PrescriptionDocument.currentFormat
        self.document = document
        documentHash = Hashing.sha256Hex(document)
        self.reviewDocument = reviewDocument
        self.signatures = signatures
    }

    /// Everything wrong with it, in English; empty when it verifies: the document matches its hash
    /// and is the prescription named, the doctor named in it signed exactly it, and a review, if
    /// any, is of this document's hash and signed by the pharmacist named in it. With
    /// `registeredKeys` (each signer's public key as MedLoop registered it), a signature made with
    /// any other key is a problem too: a file alone proves only that its keys signed it.
    public func problems(registeredKeys: [UUID: String]? = nil) -> [String] {
        var problems: [String] = []
        if let registeredKeys {
            for signature in signatures where registeredKeys[signature.accountId] != signature.publicKey {
                problems.append("the \(signature.role)'s key is not the one registered for that account")
            }
        }
        if Hashing.sha256Hex(document) != documentHash { problems.append("the document does not match its hash") }
        guard let prescription = try? JSONDecoder().decode(PrescriptionDocument.self, from: Data(document.utf8)) else {
            return problems + ["the document is not a MedLoop prescription"]
        }
        if prescription.prescriptionId != prescriptionId { problems.append("the document is of another prescription") }
        if let doctor = signatures.first(where: { $0.role == "doctor" }) {
            if doctor.accountId != prescription.doctorAccountId { problems.append("the doctor's signature is not the prescriber's") }
            if let fault = DocumentSigning.fault(of: doctor, over: document) { problems.append("doctor: \(fault)") }
        } else {
            problems.append("the doctor's signature is missing")
        }
        guard let reviewDocument else { return problems }
        guard let review = try? JSONDecoder().decode(ReviewDocument.self, from: Data(reviewDocument.utf8)) else {
            return problems + ["the review is not a MedLoop review"]
        }
        if review.prescriptionHash != documentHash { problems.append("the review is of another document") }
        if let pharmacist = signatures.first(where: { $0.role == "pharmacist" }) {
            if pharmacist.accountId != review.pharmacistAccountId { problems.append("the pharmacist's signature is not the reviewer's") }
            if let fault = DocumentSigning.fault(of: pharmacist, over: reviewDocument) { problems.append("pharmacist: \(fault)") }
        } else {
            problems.append("the pharmacist's signature is missing")
        }
        return problems
    }
}
