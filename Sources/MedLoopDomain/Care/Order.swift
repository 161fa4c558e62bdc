import Foundation

/// What can happen to an order: the events that move it from one state to the next.
public enum OrderEvent: String, Sendable, CaseIterable {
    /// The patient pays the price (into escrow).
    case pay
    /// The patient or the platform calls the order off before the service starts.
    case cancel
    /// The doctor starts the service (accepts the consultation).
    case startService
    /// The service is delivered.
    case complete
    /// The fee goes back to the patient.
    case refund
}

/// The life of an order for a service (care issue, orders and payment):
/// created → paid → in service → completed, or cancelled (before payment) / refunded (after).
public enum OrderState: String, Codable, Sendable, CaseIterable {
    case created, paid, inService, completed, cancelled, refunded

    /// The state an order is in after `event`: the one place that says which moves are legal.
    ///
    /// created + pay → paid; created + cancel → cancelled; paid + cancel → refunded (a paid order
    /// not yet in service is cancelled with a refund); paid + startService → inService;
    /// inService + complete → completed; paid or inService + refund → refunded.
    ///
    /// - Throws: `DomainError.conflict` with code `order_state` for any other pair; completed,
    ///   cancelled and refunded orders accept no event.
    public func after(_ event: OrderEvent) throws(DomainError) -> OrderState {
        switch (self, event) {
        case (.created, .pay): return .paid
        case (.created, .cancel): return .cancelled
        case (.paid, .cancel): return .refunded
        case (.paid, .startService): return .inService
        case (.inService, .complete): return .completed
        case (.paid, .refund), (.inService, .refund): return .refunded
        default:
            throw .conflict(code: "order_state", message: "An order that is \(phrase) cannot \(event.verbPhrase).")
        }
    }

    /// The states an order may move to from this one: exactly those one legal event reaches.
    public var next: Set<OrderState> {
        Set(OrderEvent.allCases.compactMap { try? after($0) })
    }

    /// Whether some legal event moves an order from this state to `state`.
    public func canMove(to state: OrderState) -> Bool { next.contains(state) }

    /// Checks a move, naming the conflict when no legal event makes it (409, code `order_state`).
    public func checkMove(to state: OrderState) throws(DomainError) {
        guard canMove(to: state) else {
            throw .conflict(code: "order_state", message: "An order that is \(phrase) cannot become \(state.phrase).")
        }
    }

    /// The state in words, for messages.
    private var phrase: String {
        switch self {
        case .inService: return "in service"
        case .created, .paid, .completed, .cancelled, .refunded: return rawValue
        }
    }
}

extension OrderEvent {
    /// What the event does, after "cannot", for messages.
    fileprivate var verbPhrase: String {
        switch self {
        case .pay: return "be paid"
        case .cancel: return "be cancelled"
        case .startService: return "start service"
        case .complete: return "be completed"
        case .refund: return "be refunded"
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
