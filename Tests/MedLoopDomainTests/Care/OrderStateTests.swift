import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// One event applied to an order in one state, and what must come of it: the state after, or
/// `nil` for a refusal.
struct OrderMove: Sendable, CustomTestStringConvertible {
    var from: OrderState
    var event: OrderEvent
    var to: OrderState?

    var testDescription: String { "\(from) + \(event) → \(to.map(\.rawValue) ?? "refused")" }
}

/// Every state against every event, written out.
private let everyOrderMove: [OrderMove] = [
    OrderMove(from: .created, event: .pay, to: .paid),
    OrderMove(from: .created, event: .cancel, to: .cancelled),
    OrderMove(from: .created, event: .startService, to: nil),
    OrderMove(from: .created, event: .complete, to: nil),
    OrderMove(from: .created, event: .refund, to: nil),

    OrderMove(from: .paid, event: .pay, to: nil),
    OrderMove(from: .paid, event: .cancel, to: .refunded),
    OrderMove(from: .paid, event: .startService, to: .inService),
    OrderMove(from: .paid, event: .complete, to: nil),
    OrderMove(from: .paid, event: .refund, to: .refunded),

    OrderMove(from: .inService, event: .pay, to: nil),
    OrderMove(from: .inService, event: .cancel, to: nil),
    OrderMove(from: .inService, event: .startService, to: nil),
    OrderMove(from: .inService, event: .complete, to: .completed),
    OrderMove(from: .inService, event: .refund, to: .refunded),

    OrderMove(from: .completed, event: .pay, to: nil),
    OrderMove(from: .completed, event: .cancel, to: nil),
    OrderMove(from: .completed, event: .startService, to: nil),
    OrderMove(from: .completed, event: .complete, to: nil),
    OrderMove(from: .completed, event: .refund, to: nil),

    OrderMove(from: .cancelled, event: .pay, to: nil),
    OrderMove(from: .cancelled, event: .cancel, to: nil),
    OrderMove(from: .cancelled, event: .startService, to: nil),
    OrderMove(from: .cancelled, event: .complete, to: nil),
    OrderMove(from: .cancelled, event: .refund, to: nil),

    OrderMove(from: .refunded, event: .pay, to: nil),
    OrderMove(from: .refunded, event: .cancel, to: nil),
    OrderMove(from: .refunded, event: .startService, to: nil),
    OrderMove(from: .refunded, event: .complete, to: nil),
    OrderMove(from: .refunded, event: .refund, to: nil),
]

/// The legal moves alone, as (state, event) → state.
private let legalOrderMoves: [String: OrderState] = Dictionary(
    uniqueKeysWithValues: everyOrderMove.compactMap { move in move.to.map { ("\(move.from)+\(move.event)", $0) } })

@Suite("Order states: one transition function says which moves are legal")
struct OrderStateTests {
    @Test("each event on each order state gives the state written in the table, or an order_state conflict",
          arguments: everyOrderMove)
    func move(_ move: OrderMove) {
        let result = Result { () throws(DomainError) in try move.from.after(move.event) }
        switch (result, move.to) {
        case (.success(let state), let expected?):
            #expect(state == expected)
        case (.failure(let error), nil):
            #expect(code(of: error) == "order_state")
            guard case .conflict(_, let message) = error else { Issue.record("not a conflict: \(error)"); return }
            #expect(message.hasPrefix("An order that is "))
        case (.success(let state), nil):
            Issue.record("\(move.from) + \(move.event) was allowed, to \(state)")
        case (.failure(let error), _?):
            Issue.record("\(move.from) + \(move.event) was refused: \(error)")
        }
    }

    @Test("the table covers every pair of state and event exactly once")
    func tableIsComplete() {
        let pairs = everyOrderMove.map { "\($0.from)+\($0.event)" }
        #expect(pairs.count == OrderState.allCases.count * OrderEvent.allCases.count)
        #expect(Set(pairs).count == pairs.count)
    }

    @Test("for any state and event, after succeeds exactly when the pair is legal, and terminal states accept nothing")
    func afterMatchesTheLegalTable() async {
        await propertyCheck(input: Gen<OrderState>.case, Gen<OrderEvent>.case) { state, event in
            let legal = legalOrderMoves["\(state)+\(event)"]
            let result = try? state.after(event)
            #expect(result == legal)
            if [.completed, .cancelled, .refunded].contains(state) {
                #expect(result == nil)
                #expect(state.next.isEmpty)
            }
        }
    }

    @Test("the next states are exactly those one legal event reaches", arguments: OrderState.allCases)
    func nextIsDerived(state: OrderState) {
        let reachable = Set(everyOrderMove.filter { $0.from == state }.compactMap(\.to))
        #expect(state.next == reachable)
        for target in OrderState.allCases {
            #expect(state.canMove(to: target) == reachable.contains(target))
            #expect((issueCode { () throws(DomainError) in try state.checkMove(to: target) } == nil) == reachable.contains(target))
        }
    }

    @Test("a paid order not yet in service is cancelled with a refund; one in service cannot be cancelled")
    func cancelAfterPayment() throws {
        #expect(try OrderState.paid.after(.cancel) == .refunded)
        #expect(issueCode { () throws(DomainError) in try OrderState.inService.after(.cancel) } == "order_state")
    }

    @Test("a refused move says, in English, what the order is and what it cannot do")
    func refusalMessage() {
        do {
            _ = try OrderState.inService.after(.pay)
            Issue.record("paying an order in service was allowed")
        } catch {
            #expect(error == .conflict(code: "order_state", message: "An order that is in service cannot be paid."))
        }
    }
}
