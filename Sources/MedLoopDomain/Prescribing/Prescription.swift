import Foundation

/// What happens to a prescription.
public enum PrescriptionEvent: String, Sendable, CaseIterable {
    /// The doctor signs the draft: it is frozen and waits for a pharmacist.
    case sign
    /// A pharmacist approves it: it takes effect.
    case approve
    /// A pharmacist rejects it: it goes back to the doctor with the reason.
    case reject
    /// The doctor withdraws it, or a correction replaces it.
    case void
    /// A pharmacy dispensed it: it is used.
    case dispense
    /// Its validity ran out before it was dispensed.
    case expire
}

/// The life of a prescription (DOMAIN.md, "Prescription rules"): drafted and checked, signed by the
/// doctor, reviewed by a pharmacist, then dispensed once; a correction is a new prescription that
/// voids the old one.
public enum PrescriptionState: String, Sendable, Codable, CaseIterable {
    case draft, signed, approved, rejected, dispensed, voided, expired

    /// The state after `event`.
    ///
    /// - Throws: 409 `prescription_state` when the move is not allowed (signing twice, reviewing
    ///   what is not signed, voiding what was dispensed).
    public func after(_ event: PrescriptionEvent) throws(DomainError) -> PrescriptionState {
        switch (self, event) {
        case (.draft, .sign): return .signed
        case (.signed, .approve): return .approved
        case (.signed, .reject): return .rejected
        case (.draft, .void), (.signed, .void), (.approved, .void), (.rejected, .void): return .voided
        case (.approved, .dispense): return .dispensed
        case (.signed, .expire), (.approved, .expire): return .expired
        default:
            let article = rawValue.first.map { "aeiou".contains($0) } == true ? "An" : "A"
            throw .conflict(code: Self.conflictCode, message: "\(article) \(rawValue) prescription cannot be \(event.pastTense).")
        }
    }

    /// Whether the patient may see it: only an approved prescription takes effect (and stays
    /// visible once used or expired).
    public var isVisibleToPatient: Bool { [.approved, .dispensed, .expired].contains(self) }
}

extension PrescriptionEvent {
    var pastTense: String {
        switch self {
        case .sign: return "signed"
        case .approve: return "approved"
        case .reject: return "rejected"
        case .void: return "voided"
        case .dispense: return "dispensed"
        case .expire: return "expired"
        }
    }
}

extension PrescriptionState: StateMachine {
    public static var conflictCode: String { "prescription_state" }
}

/// Why a pharmacist rejects a prescription (the prescription review standard's categories).
public enum RejectionReason: String, Sendable, Codable, CaseIterable {
    /// The prescriber may not prescribe this, or the form is incomplete.
    case legality
    /// The drug does not fit the diagnosis.
    case indication
    /// The dose, frequency or route is wrong.
    case dose
    /// Duplicate therapy, an interaction, a contraindication or an allergy.
    case safety
    /// The supply is too long or the quantity wrong.
    case supply
    case other
}

/// A finding the doctor signs over, and the reason they wrote.
public struct FindingOverride: Sendable, Hashable, Codable {
    public let rule: FindingRule
    public let drugIds: [UUID]
    public let reason: String

    public init(_ key: FindingKey, reason: String) {
        rule = key.rule
        drugIds = key.drugIds
        self.reason = reason
    }

    public var key: FindingKey { FindingKey(rule: rule, drugIds: drugIds) }
}

/// A prescription as stored: what the doctor wrote, what the checks found, and where it stands.
public struct Prescription: Sendable, Hashable {
    public var id: UUID
    public var consultationId: UUID
    public var patientId: UUID
    public var doctorAccountId: UUID
    /// The internet hospital or platform that issues it; its pharmacists review it.
    public var institutionId: UUID
    public var diagnosis: ICD10Code
    public var state: PrescriptionState
    public var items: [PrescriptionItem]
    public var longPrescription: LongPrescription?
    public var validDays: Int
    public var notes: String?
    public var findings: [Finding]
    public var overrides: [FindingOverride]
    public var createdAt: Date
    public var signedAt: Date?
    public var validUntil: Date?
    public var documentHash: String?
    public var reviewedAt: Date?
    public var reviewerAccountId: UUID?
    public var rejectionReason: RejectionReason?
    public var rejectionText: String?
    public var replacesId: UUID?

    public init(id: UUID, consultationId: UUID, patientId: UUID, doctorAccountId: UUID, institutionId: UUID,
                diagnosis: ICD10Code, state: PrescriptionState, items: [PrescriptionItem], longPrescription: LongPrescription?,
                validDays: Int, notes: String?, findings: [Finding], overrides: [FindingOverride], createdAt: Date,
                signedAt: Date? = nil, validUntil: Date? = nil, documentHash: String? = nil, reviewedAt: Date? = nil,
                reviewerAccountId: UUID? = nil, rejectionReason: RejectionReason? = nil, rejectionText: String? = nil,
                replacesId: UUID? = nil) {
        self.id = id
        self.consultationId = consultationId
        self.patientId = patientId
        self.doctorAccountId = doctorAccountId
        self.institutionId = institutionId
        self.diagnosis = diagnosis
        self.state = state
        self.items = items
        self.longPrescription = longPrescription
        self.validDays = validDays
        self.notes = notes
        self.findings = findings
        self.overrides = overrides
        self.createdAt = createdAt
        self.signedAt = signedAt
        self.validUntil = validUntil
        self.documentHash = documentHash
        self.reviewedAt = reviewedAt
        self.reviewerAccountId = reviewerAccountId
        self.rejectionReason = rejectionReason
        self.rejectionText = rejectionText
        self.replacesId = replacesId
    }

    /// The overrides as the signing check takes them.
    public var overrideReasons: [FindingKey: String] {
        Dictionary(overrides.map { ($0.key, $0.reason) }, uniquingKeysWith: { _, last in last })
    }
}
