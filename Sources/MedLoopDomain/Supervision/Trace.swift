import Foundation

/// The whole chain of one prescription, from the consultation to the settlement, as a regulator
/// traces it (issue 20, part 5): what happened at each step, with the prescription's trail and the
/// audit chain around it checked. A value: the store assembles it, the API and the printable page
/// show it, `steps()` says which of the steps its state calls for are there.
public struct PrescriptionTrace: Sendable, Equatable, Codable {
    /// The consultation the prescription was written in.
    public struct Consultation: Sendable, Equatable, Codable {
        public var id: UUID
        public var service: String
        public var state: String
        public var queuedAt: Date
        public var acceptedAt: Date?
        public var completedAt: Date?
        /// How many messages the patient and the doctor exchanged (their text is not in a trace).
        public var messageCount: Int
        public var diagnosis: String?

        public init(id: UUID, service: String, state: String, queuedAt: Date, acceptedAt: Date?, completedAt: Date?,
                    messageCount: Int, diagnosis: String?) {
            self.id = id
            self.service = service
            self.state = state
            self.queuedAt = queuedAt
            self.acceptedAt = acceptedAt
            self.completedAt = completedAt
            self.messageCount = messageCount
            self.diagnosis = diagnosis
        }
    }

    /// One line of the prescription.
    public struct Item: Sendable, Equatable, Codable {
        public var drugId: UUID
        /// The drug's generic name in Chinese and in English, as the catalogue gives them.
        public var nameZh: String?
        public var nameEn: String?
        public var quantity: Int
        public var days: Int

        public init(drugId: UUID, nameZh: String? = nil, nameEn: String? = nil, quantity: Int, days: Int) {
            self.drugId = drugId
            self.nameZh = nameZh
            self.nameEn = nameEn
            self.quantity = quantity
            self.days = days
        }
    }

    /// The prescription as written and signed, with the clinical findings and the doctor's overrides.
    public struct Prescription: Sendable, Equatable, Codable {
        public var id: UUID
        public var state: PrescriptionState
        public var patientId: UUID
        public var doctorAccountId: UUID
        public var institutionId: UUID
        public var region: String
        public var diagnosis: String
        public var createdAt: Date
        public var signedAt: Date?
        public var documentHash: String?
        public var items: [Item]
        public var findings: [Finding]
        public var overrides: [FindingOverride]
        /// What is wrong with the signatures (`SignedPrescription.problems`); empty when they verify,
        /// nil when the prescription was never signed.
        public var signatureProblems: [String]?

        public init(id: UUID, state: PrescriptionState, patientId: UUID, doctorAccountId: UUID, institutionId: UUID,
                    region: String, diagnosis: String, createdAt: Date, signedAt: Date?, documentHash: String?,
                    items: [Item], findings: [Finding], overrides: [FindingOverride], signatureProblems: [String]?) {
            self.id = id
            self.state = state
            self.patientId = patientId
            self.doctorAccountId = doctorAccountId
            self.institutionId = institutionId
            self.region = region
            self.diagnosis = diagnosis
            self.createdAt = createdAt
            self.signedAt = signedAt
            self.documentHash = documentHash
            self.items = items
            self.findings = findings
            self.overrides = overrides
            self.signatureProblems = signatureProblems
        }
    }

    /// The pharmacist's review.
    public struct Review: Sendable, Equatable, Codable {
        public var pharmacistAccountId: UUID
        /// `approved` or `rejected`.
        public var verdict: String
        public var rejectionReason: String?
        public var at: Date

        public init(pharmacistAccountId: UUID, verdict: String, rejectionReason: String?, at: Date) {
            self.pharmacistAccountId = pharmacistAccountId
            self.verdict = verdict
            self.rejectionReason = rejectionReason
            self.at = at
        }
    }

    /// A traceability code scanned when the drugs were handed out.
    public struct DispensedCode: Sendable, Equatable, Codable {
        public var code: String
        public var drugId: UUID
        public var at: Date

        public init(code: String, drugId: UUID, at: Date) {
            self.code = code
            self.drugId = drugId
            self.at = at
        }
    }

    /// A courier's or carrier's report on the way to the patient.
    public struct DeliveryStep: Sendable, Equatable, Codable {
        public var status: String
        public var at: Date

        public init(status: String, at: Date) {
            self.status = status
            self.at = at
        }
    }

    /// The medicine order that fills the prescription: pharmacy, reservation, payment, dispense,
    /// delivery and receipt.
    public struct Order: Sendable, Equatable, Codable {
        public var id: UUID
        public var pharmacyId: UUID
        public var mode: FulfilmentMode
        public var state: MedicineOrderState
        public var totalFen: Int64
        public var reservedAt: Date
        public var paidAt: Date?
        public var dispensedAt: Date?
        public var deliveredAt: Date?
        public var receivedAt: Date?
        public var codes: [DispensedCode]
        public var deliverySteps: [DeliveryStep]

        public init(id: UUID, pharmacyId: UUID, mode: FulfilmentMode, state: MedicineOrderState, totalFen: Int64,
                    reservedAt: Date, paidAt: Date?, dispensedAt: Date?, deliveredAt: Date?, receivedAt: Date?,
                    codes: [DispensedCode], deliverySteps: [DeliveryStep]) {
            self.id = id
            self.pharmacyId = pharmacyId
            self.mode = mode
            self.state = state
            self.totalFen = totalFen
            self.reservedAt = reservedAt
            self.paidAt = paidAt
            self.dispensedAt = dispensedAt
            self.deliveredAt = deliveredAt
            self.receivedAt = receivedAt
            self.codes = codes
            self.deliverySteps = deliverySteps
        }
    }

    /// The insurance settlement of the order's bill: what the fund, the personal account and the
    /// patient's own money paid.
    public struct Settlement: Sendable, Equatable, Codable {
        public var id: UUID
        public var region: String
        public var scheme: String
        public var totalFen: Int64
        public var fundFen: Int64
        public var personalAccountFen: Int64
        public var selfPayFen: Int64
        public var at: Date

        public init(id: UUID, region: String, scheme: String, totalFen: Int64, fundFen: Int64, personalAccountFen: Int64,
                    selfPayFen: Int64, at: Date) {
            self.id = id
            self.region = region
            self.scheme = scheme
            self.totalFen = totalFen
            self.fundFen = fundFen
            self.personalAccountFen = personalAccountFen
            self.selfPayFen = selfPayFen
            self.at = at
        }
    }

    /// One entry of the prescription's trail in the audit log, checked in place.
    public struct TrailStep: Sendable, Equatable, Codable {
        public var sequence: Int64
        public var at: Date
        public var event: String
        public var actorAccountId: UUID?
        public var actorRole: Role?
        public var hash: String
        public var verifies: Bool

        public init(sequence: Int64, at: Date, event: String, actorAccountId: UUID?, actorRole: Role?, hash: String, verifies: Bool) {
            self.sequence = sequence
            self.at = at
            self.event = event
            self.actorAccountId = actorAccountId
            self.actorRole = actorRole
            self.hash = hash
            self.verifies = verifies
        }
    }

    public var consultation: Consultation
    public var prescription: Prescription
    public var review: Review?
    public var order: Order?
    /// Nil for a bill paid without insurance.
    public var settlement: Settlement?
    public var trail: [TrailStep]
    /// The first audit-log position that breaks the hash chain between the trail's first and last
    /// entries, or nil when that stretch of the log is whole.
    public var auditChainBreak: Int64?

    public init(consultation: Consultation, prescription: Prescription, review: Review?, order: Order?,
                settlement: Settlement?, trail: [TrailStep], auditChainBreak: Int64?) {
        self.consultation = consultation
        self.prescription = prescription
        self.review = review
        self.order = order
        self.settlement = settlement
        self.trail = trail
        self.auditChainBreak = auditChainBreak
    }

    /// Whether the record can be trusted: every trail entry holds in place, the audit log between
    /// them is unbroken, and the signatures (if signed) verify.
    public var verifies: Bool {
        !trail.isEmpty && trail.allSatisfy(\.verifies) && auditChainBreak == nil
            && (prescription.signatureProblems?.isEmpty ?? true)
    }
}

/// A step of the chain a trace shows, in the order they happen.
public enum TraceStep: String, Sendable, Codable, CaseIterable {
    case consultation, diagnosis, prescription, signature, review, reservation, payment, settlement, dispense, delivery, receipt
}

/// Whether a step the prescription's state calls for is on record.
public enum TraceStepStatus: String, Sendable, Codable {
    /// Called for and recorded.
    case present
    /// Called for by the state, but nothing is recorded: a gap for the regulator to look into.
    case missing
    /// Not reached yet, or not part of this way of filling (a pickup has no delivery, a bill paid
    /// without insurance no settlement).
    case notApplicable
}

/// A step and its status.
public struct TraceStepCheck: Sendable, Equatable, Codable {
    public var step: TraceStep
    public var status: TraceStepStatus

    public init(step: TraceStep, status: TraceStepStatus) {
        self.step = step
        self.status = status
    }
}

extension PrescriptionTrace {
    /// Every step in order, each present, missing or not applicable for the prescription's and the
    /// order's states: a signed prescription must show its signature, a reviewed one its review, a
    /// paid order its payment (and a settlement when one was made), a dispensed one its codes, a
    /// delivered O2O/B2C order its delivery reports, a received one its receipt.
    public func steps() -> [TraceStepCheck] {
        let state = prescription.state
        let signed = state != .draft && !(state == .voided && prescription.signedAt == nil)
        let reviewed = [.approved, .rejected, .dispensed].contains(state)
        let orderState = order?.state
        let paidStates: Set<MedicineOrderState> = [.paid, .dispensed, .delivered, .received, .refunded]
        let dispensedStates: Set<MedicineOrderState> = [.dispensed, .delivered, .received]
        let deliveredStates: Set<MedicineOrderState> = [.delivered, .received]
        func check(_ step: TraceStep, expected: Bool, present: Bool) -> TraceStepCheck {
            TraceStepCheck(step: step, status: present ? .present : expected ? .missing : .notApplicable)
        }
        let paid = orderState.map(paidStates.contains) ?? false
        let dispensed = orderState.map(dispensedStates.contains) ?? (state == .dispensed)
        let delivered = orderState.map(deliveredStates.contains) ?? false
        let carried = order.map { $0.mode != .pickup } ?? false
        return [
            check(.consultation, expected: true, present: true),
            check(.diagnosis, expected: true, present: !prescription.diagnosis.isEmpty),
            check(.prescription, expected: true, present: !prescription.items.isEmpty),
            check(.signature, expected: signed, present: signed && prescription.signedAt != nil
                  && prescription.documentHash != nil && prescription.signatureProblems != nil),
            check(.review, expected: reviewed, present: review != nil),
            check(.reservation, expected: state == .dispensed, present: order != nil),
            check(.payment, expected: paid || dispensed, present: order?.paidAt != nil),
            // Only an insured bill is settled: without a settlement row, the bill was self-paid.
            check(.settlement, expected: false, present: settlement != nil),
            check(.dispense, expected: dispensed, present: order.map { $0.dispensedAt != nil && !$0.codes.isEmpty } ?? false),
            check(.delivery, expected: delivered && carried,
                  present: carried && (order?.deliveredAt != nil || order?.deliverySteps.contains { $0.status == "delivered" } == true)),
            check(.receipt, expected: orderState == .received, present: order?.receivedAt != nil),
        ]
    }

    /// Whether every step the state calls for is on record.
    public var isComplete: Bool { !steps().contains { $0.status == .missing } }
}
