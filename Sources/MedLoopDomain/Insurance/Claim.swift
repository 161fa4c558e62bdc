import Foundation

/// How a patient who paid in full asks to be reimbursed (DOMAIN.md, "Insurance": deferred settlement).
public enum ClaimMode: String, Sendable, Codable, CaseIterable {
    /// The invoice is sent to the insurer by post.
    case mailIn
    /// The patient brings it to the insurer's counter by appointment.
    case appointment
    /// Filed online and reimbursed later, without a visit.
    case deferred
}

/// The insurer's decision on a claim.
public enum ClaimDecision: String, Sendable, Codable, CaseIterable {
    /// Reimburse the engine's figures.
    case approve
    /// Reimburse less than the engine's figures, for a stated reason.
    case adjust
    /// Reimburse nothing, for a stated reason.
    case reject
}

/// A claim's life: filed → approved or adjusted (paid to the wallet at once) or rejected.
public enum ClaimState: String, Sendable, Codable, CaseIterable, StateMachine {
    case filed, approved, adjusted, rejected

    public func after(_ decision: ClaimDecision) throws(DomainError) -> ClaimState {
        switch (self, decision) {
        case (.filed, .approve): return .approved
        case (.filed, .adjust): return .adjusted
        case (.filed, .reject): return .rejected
        default: throw .conflict(code: Self.conflictCode, message: "A claim that is \(rawValue) has been decided already.")
        }
    }

    public static var conflictCode: String { "claim_state" }
}

/// The rules of deferred reimbursement (the issue, item 5).
public enum ClaimRule {
    /// Checks that an order's bill may be claimed: it was paid in full, not settled directly.
    ///
    /// - Throws: 409 `settled_directly` when the fund took part at payment; 409 `not_paid` when the
    ///   order holds no payment to reimburse.
    public static func checkClaimable(settledDirectly: Bool, isPaid: Bool) throws(DomainError) {
        guard !settledDirectly else {
            throw .conflict(code: "settled_directly", message: "This order was settled with the insurance fund at payment.")
        }
        guard isPaid else { throw .conflict(code: "not_paid", message: "Only a paid order can be claimed.") }
    }

    /// Checks a review: an adjustment names an amount from 0 up to the engine's fund share and a
    /// reason; a rejection names a reason; an approval takes the engine's figures as they are.
    ///
    /// - Throws: 400 on `approvedFen` (`required`, `range`, `not_allowed` with an approval) and
    ///   `reason` (`required`).
    public static func checkReview(_ decision: ClaimDecision, approvedFen: Int64?, reason: String?,
                                   engineFundFen: Int64) throws(DomainError) {
        var validator = FieldValidator()
        let hasReason = !(reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        switch decision {
        case .approve:
            if approvedFen != nil {
                validator.add("approvedFen", code: "not_allowed", "An approval pays the engine's figures; adjust to pay another amount.")
            }
        case .adjust:
            if let approvedFen {
                if !(0...max(0, engineFundFen)).contains(approvedFen) || approvedFen == engineFundFen {
                    validator.add("approvedFen", code: "range", "An adjustment pays less than the engine's \(engineFundFen) fen.")
                }
            } else {
                validator.add("approvedFen", code: "required", "An adjustment names the amount to pay.")
            }
            if !hasReason { validator.add("reason", code: "required", "An adjustment gives its reason.") }
        case .reject:
            if !hasReason { validator.add("reason", code: "required", "A rejection gives its reason.") }
        }
        try validator.finish()
    }
}

extension Settlement {
    /// The same settlement with the fund paying `fundFen` (less than the rule gave, by an
    /// insurer's adjustment): the difference is left to the patient as wholly self-paid, so every
    /// identity of INSURANCE.md still holds.
    public func adjusted(toFundFen fundFen: Int64) -> Settlement {
        var adjusted = self
        let cut = max(0, self.fundFen - max(0, fundFen))
        adjusted.fundFen -= cut
        adjusted.fullOwnPayFen += cut
        adjusted.selfShareFen += cut
        adjusted.cashFen += cut
        adjusted.yearToDateAfter.fundPaidFen -= cut
        return adjusted
    }
}

/// An electronic invoice for a bill paid in full (the issue, item 5): numbered, with its lines,
/// signed by the institution that charged it.
public struct InvoiceDocument: Sendable, Hashable, Codable {
    public struct Line: Sendable, Hashable, Codable {
        public var description: String
        public var quantity: Int
        public var amountFen: Int64

        public init(description: String, quantity: Int, amountFen: Int64) {
            self.description = description
            self.quantity = quantity
            self.amountFen = amountFen
        }
    }

    public var number: String
    public var institutionId: UUID
    public var institutionName: String
    public var payer: String
    public var orderId: UUID?
    public var medicineOrderId: UUID?
    public var lines: [Line]
    public var totalFen: Int64
    public var issuedAt: String

    public init(number: String, institutionId: UUID, institutionName: String, payer: String, orderId: UUID?, medicineOrderId: UUID?,
                lines: [Line], issuedAt: String) {
        self.number = number
        self.institutionId = institutionId
        self.institutionName = institutionName
        self.payer = payer
        self.orderId = orderId
        self.medicineOrderId = medicineOrderId
        self.lines = lines
        totalFen = lines.reduce(0) { $0 + $1.amountFen }
        self.issuedAt = issuedAt
    }

    /// The bytes the signature covers.
    public var canonical: String { CanonicalJSON.text(of: self) }

    /// An invoice number: the day and the invoice's own identifier, unique without a counter.
    public static func number(day: CalendarDate, id: UUID) -> String {
        "ML" + day.description.replacingOccurrences(of: "-", with: "") + String(id.text.replacingOccurrences(of: "-", with: "").suffix(12)).uppercased()
    }
}

extension OrderState {
    /// Whether the patient's payment for the order stands (paid and not refunded): what a claim reimburses.
    public var holdsPayment: Bool { self == .paid || self == .inService || self == .completed }
}

extension MedicineOrderState {
    /// Whether the patient's payment for the medicine order stands (paid and not refunded).
    public var holdsPayment: Bool { [.paid, .dispensed, .delivered, .received].contains(self) }
}
