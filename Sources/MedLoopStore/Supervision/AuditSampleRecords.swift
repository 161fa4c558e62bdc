import Foundation
import MedLoopDomain

/// A drawn audit sample: what was asked, over how many prescriptions, by whom.
public struct AuditSample: Sendable, Hashable {
    public var id: UUID
    public var seed: Int64
    public var from: Date
    public var to: Date
    public var doctorAccountId: UUID?
    public var department: String?
    public var drugClass: String?
    /// The region the population was limited to (a regulator's); `""` for the whole platform.
    public var regionPrefix: String
    public var size: Int
    /// How many prescriptions matched when it was drawn.
    public var population: Int
    public var drawnBy: UUID
    public var createdAt: Date
}

/// One sampled prescription, its assigned pharmacist and, once judged, the verdict.
public struct AuditSampleItem: Sendable, Hashable {
    public var sampleId: UUID
    public var position: Int
    public var prescriptionId: UUID
    public var doctorAccountId: UUID
    public var pharmacistAccountId: UUID
    public var assignedAt: Date
    public var verdict: AuditVerdict?
    public var category: RejectionReason?
    public var notes: String?
    public var judgedAt: Date?
}

/// What a pharmacist sees of a prescription assigned to them: enough to re-evaluate it.
public struct AuditedPrescription: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        public var drugId: UUID
        public var genericNameZh: String
        public var genericNameEn: String
        public var atc: String
        public var dose: Double
        public var doseUnit: String
        public var timesPerDay: Int
        public var route: String
        public var days: Int
        public var quantity: Int
    }
    public var item: AuditSampleItem
    public var patientId: UUID
    public var diagnosis: String
    public var state: PrescriptionState
    public var signedAt: Date?
    public var notes: String?
    public var lines: [Line]
}
