import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// One event applied to a consultation in one state, and what must come of it: the state after,
/// or the message of the refusal.
struct ConsultationMove: Sendable, CustomTestStringConvertible {
    var from: ConsultationState
    var event: ConsultationEvent
    var to: ConsultationState?
    var refusal: String?

    static func allowed(_ from: ConsultationState, _ event: ConsultationEvent, to: ConsultationState) -> ConsultationMove {
        ConsultationMove(from: from, event: event, to: to, refusal: nil)
    }

    static func refused(_ from: ConsultationState, _ event: ConsultationEvent, _ message: String) -> ConsultationMove {
        ConsultationMove(from: from, event: event, to: nil, refusal: message)
    }

    var testDescription: String { "\(from) + \(event) → \(to.map(\.rawValue) ?? "refused")" }
}

private let notWaitingToAccept = "Only a waiting consultation can be accepted."
private let notActiveToComplete = "Only an active consultation can be completed."
private let notWaitingToRefund = "Only a waiting consultation can be refunded."
private let notOpenToHandBack = "Only an open consultation can be handed back."

/// Every state against every event, written out.
private let everyConsultationMove: [ConsultationMove] = [
    .allowed(.waiting, .accept, to: .active),
    .refused(.waiting, .complete, notActiveToComplete),
    .allowed(.waiting, .refund, to: .refunded),
    .allowed(.waiting, .handBack, to: .refunded),

    .refused(.active, .accept, notWaitingToAccept),
    .allowed(.active, .complete, to: .completed),
    .refused(.active, .refund, notWaitingToRefund),
    .allowed(.active, .handBack, to: .refunded),

    .refused(.completed, .accept, notWaitingToAccept),
    .refused(.completed, .complete, notActiveToComplete),
    .refused(.completed, .refund, notWaitingToRefund),
    .refused(.completed, .handBack, notOpenToHandBack),

    .refused(.refunded, .accept, notWaitingToAccept),
    .refused(.refunded, .complete, notActiveToComplete),
    .refused(.refunded, .refund, notWaitingToRefund),
    .refused(.refunded, .handBack, notOpenToHandBack),
]

/// The legal moves alone, as (state, event) → state.
private let legalConsultationMoves: [String: ConsultationState] = Dictionary(
    uniqueKeysWithValues: everyConsultationMove.compactMap { move in move.to.map { ("\(move.from)+\(move.event)", $0) } })

@Suite("Consultation states: one transition function says which moves are legal")
struct ConsultationStateTests {
    @Test("each event on each consultation state gives the state written in the table, or a consultation_state conflict saying why",
          arguments: everyConsultationMove)
    func move(_ move: ConsultationMove) {
        let result = Result { () throws(DomainError) in try move.from.after(move.event) }
        switch result {
        case .success(let state):
            #expect(state == move.to, "\(move.from) + \(move.event) was allowed, to \(state)")
        case .failure(let error):
            #expect(error == .conflict(code: "consultation_state", message: move.refusal ?? "(allowed)"))
        }
    }

    @Test("the table covers every pair of state and event exactly once")
    func tableIsComplete() {
        let pairs = everyConsultationMove.map { "\($0.from)+\($0.event)" }
        #expect(pairs.count == ConsultationState.allCases.count * ConsultationEvent.allCases.count)
        #expect(Set(pairs).count == pairs.count)
    }

    @Test("for any state and event, after succeeds exactly when the pair is legal, and terminal states accept nothing")
    func afterMatchesTheLegalTable() async {
        await propertyCheck(input: Gen<ConsultationState>.case, Gen<ConsultationEvent>.case) { state, event in
            let result = try? state.after(event)
            #expect(result == legalConsultationMoves["\(state)+\(event)"])
            if state == .completed || state == .refunded {
                #expect(result == nil)
                #expect(state.next.isEmpty)
            }
        }
    }

    @Test("the next states are exactly those one legal event reaches", arguments: ConsultationState.allCases)
    func nextIsDerived(state: ConsultationState) {
        let reachable = Set(everyConsultationMove.filter { $0.from == state }.compactMap(\.to))
        #expect(state.next == reachable)
    }
}
