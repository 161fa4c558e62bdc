import Foundation

/// The life of an order for a service (care issue, orders and payment):
/// created → paid → in service → completed, or cancelled (before payment) / refunded (after).
public enum OrderState: String, Codable, Sendable, CaseIterable {
    case created, paid, inService, completed, cancelled, refunded

    /// The states an order may move to from this one.
    public var next: Set<OrderState> {
        switch self {
        case .created: return [.paid, .cancelled]
        case .paid: return [.inService, .refunded]
        case .inService: return [.completed, .refunded]
        case .completed, .cancelled, .refunded: return []
        }
    }

    public func canMove(to state: OrderState) -> Bool { next.contains(state) }

    /// Checks a move, naming the conflict when it is not allowed (409).
    public func checkMove(to state: OrderState) throws(DomainError) {
        guard canMove(to: state) else {
            throw .conflict(code: "order_state", message: "An order that is \(rawValue) cannot become \(state.rawValue).")
        }
    }
}

/// An order as stored.
public struct Order: Sendable, Equatable {
    public var id: UUID
    /// The account that ordered and pays (a guardian for a child).
    public var accountId: UUID
    /// The person who receives care.
    public var patientId: UUID
    public var doctorId: UUID
    public var service: ServiceKind
    public var priceFen: Int64
    public var state: OrderState
    /// The prior in-person diagnosis this follow-up rests on (none for an in-person appointment).
    public var encounterId: UUID?
    public var guardianPresent: Bool
    public var createdAt: Date
    public var paidAt: Date?
    /// For voice and video: the price of a minute and the minutes prepaid (`priceFen` is their product).
    public var unitPriceFen: Int64?
    public var prepaidMinutes: Int?

    public init(id: UUID, accountId: UUID, patientId: UUID, doctorId: UUID, service: ServiceKind, priceFen: Int64,
                state: OrderState, encounterId: UUID?, guardianPresent: Bool, createdAt: Date, paidAt: Date?,
                unitPriceFen: Int64? = nil, prepaidMinutes: Int? = nil) {
        self.id = id
        self.accountId = accountId
        self.patientId = patientId
        self.doctorId = doctorId
        self.service = service
        self.priceFen = priceFen
        self.state = state
        self.encounterId = encounterId
        self.guardianPresent = guardianPresent
        self.createdAt = createdAt
        self.paidAt = paidAt
        self.unitPriceFen = unitPriceFen
        self.prepaidMinutes = prepaidMinutes
    }
}
