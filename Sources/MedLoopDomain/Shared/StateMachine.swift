/// A life cycle whose legal moves are stated once, in its `after(_:)`: the store asks it for the
/// next state and applies exactly that move with a conditional update, so a move the domain does
/// not allow is never written and two racers cannot both win (STYLE.md, "Domain rules").
public protocol StateMachine: RawRepresentable<String>, Sendable, Equatable {
    associatedtype Event: Sendable
    /// The state after `event`, or the 409 conflict that says the move is not allowed.
    func after(_ event: Event) throws(DomainError) -> Self
    /// The conflict code when another request moved the row first (`order_state`).
    static var conflictCode: String { get }
}

extension OrderState: StateMachine {
    public static var conflictCode: String { "order_state" }
}

extension ConsultationState: StateMachine {
    public static var conflictCode: String { "consultation_state" }
}
