import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// One event applied to a prescription in one state, and what must come of it: the state after,
/// or `nil` for a refusal.
struct PrescriptionMove: Sendable, CustomTestStringConvertible {
    var from: PrescriptionState
    var event: PrescriptionEvent
    var to: PrescriptionState?

    var testDescription: String { "\(from) + \(event) → \(to.map(\.rawValue) ?? "refused")" }
}

/// Every state against every event, written out.
private let everyPrescriptionMove: [PrescriptionMove] = [
    PrescriptionMove(from: .draft, event: .sign, to: .signed),
    PrescriptionMove(from: .draft, event: .approve, to: nil),
    PrescriptionMove(from: .draft, event: .reject, to: nil),
    PrescriptionMove(from: .draft, event: .void, to: .voided),
    PrescriptionMove(from: .draft, event: .dispense, to: nil),
    PrescriptionMove(from: .draft, event: .expire, to: nil),

    PrescriptionMove(from: .signed, event: .sign, to: nil),
    PrescriptionMove(from: .signed, event: .approve, to: .approved),
    PrescriptionMove(from: .signed, event: .reject, to: .rejected),
    PrescriptionMove(from: .signed, event: .void, to: .voided),
    PrescriptionMove(from: .signed, event: .dispense, to: nil),
    PrescriptionMove(from: .signed, event: .expire, to: .expired),

    PrescriptionMove(from: .approved, event: .sign, to: nil),
    PrescriptionMove(from: .approved, event: .approve, to: nil),
    PrescriptionMove(from: .approved, event: .reject, to: nil),
    PrescriptionMove(from: .approved, event: .void, to: .voided),
    PrescriptionMove(from: .approved, event: .dispense, to: .dispensed),
    PrescriptionMove(from: .approved, event: .expire, to: .expired),

    PrescriptionMove(from: .rejected, event: .sign, to: nil),
    PrescriptionMove(from: .rejected, event: .approve, to: nil),
    PrescriptionMove(from: .rejected, event: .reject, to: nil),
    PrescriptionMove(from: .rejected, event: .void, to: .voided),
    PrescriptionMove(from: .rejected, event: .dispense, to: nil),
    PrescriptionMove(from: .rejected, event: .expire, to: nil),

    PrescriptionMove(from: .dispensed, event: .sign, to: nil),
    PrescriptionMove(from: .dispensed, event: .approve, to: nil),
    PrescriptionMove(from: .dispensed, event: .reject, to: nil),
    PrescriptionMove(from: .dispensed, event: .void, to: nil),
    PrescriptionMove(from: .dispensed, event: .dispense, to: nil),
    PrescriptionMove(from: .dispensed, event: .expire, to: nil),

    PrescriptionMove(from: .voided, event: .sign, to: nil),
    PrescriptionMove(from: .voided, event: .approve, to: nil),
    PrescriptionMove(from: .voided, event: .reject, to: nil),
    PrescriptionMove(from: .voided, event: .void, to: nil),
    PrescriptionMove(from: .voided, event: .dispense, to: nil),
    PrescriptionMove(from: .voided, event: .expire, to: nil),

    PrescriptionMove(from: .expired, event: .sign, to: nil),
    PrescriptionMove(from: .expired, event: .approve, to: nil),
    PrescriptionMove(from: .expired, event: .reject, to: nil),
    PrescriptionMove(from: .expired, event: .void, to: nil),
    PrescriptionMove(from: .expired, event: .dispense, to: nil),
    PrescriptionMove(from: .expired, event: .expire, to: nil),
]

/// The legal moves alone, as (state, event) → state.
private let legalPrescriptionMoves: [String: PrescriptionState] = Dictionary(
    uniqueKeysWithValues: everyPrescriptionMove.compactMap { move in move.to.map { ("\(move.from)+\(move.event)", $0) } })

@Suite("Prescription states: one transition function says which moves are legal")
struct PrescriptionStateTests {
    @Test("each event on each prescription state gives the state written in the table, or a prescription_state conflict",
          arguments: everyPrescriptionMove)
    func move(_ move: PrescriptionMove) {
        let result = Result { () throws(DomainError) in try move.from.after(move.event) }
        switch (result, move.to) {
        case (.success(let state), let expected?):
            #expect(state == expected)
        case (.failure(let error), nil):
            guard case .conflict(let code, _) = error else { Issue.record("not a 409 conflict: \(error)"); return }
            #expect(code == "prescription_state")
        case (.success(let state), nil):
            Issue.record("\(move.from) + \(move.event) was allowed, to \(state)")
        case (.failure(let error), _?):
            Issue.record("\(move.from) + \(move.event) was refused: \(error)")
        }
    }

    @Test("the table covers every pair of state and event exactly once")
    func tableIsComplete() {
        let pairs = everyPrescriptionMove.map { "\($0.from)+\($0.event)" }
        #expect(pairs.count == PrescriptionState.allCases.count * PrescriptionEvent.allCases.count)
        #expect(Set(pairs).count == pairs.count)
    }

    @Test("for any state and event, after gives the table's state or throws a 409 prescription_state conflict; nothing leaves dispensed, voided or expired")
    func afterMatchesTheLegalTable() async {
        await propertyCheck(input: Gen<PrescriptionState>.case, Gen<PrescriptionEvent>.case) { state, event in
            let legal = legalPrescriptionMoves["\(state)+\(event)"]
            switch Result(catching: { () throws(DomainError) in try state.after(event) }) {
            case .success(let next):
                #expect(next == legal)
            case .failure(let error):
                #expect(legal == nil)
                #expect(error == .conflict(code: "prescription_state", message: error.conflictMessage))
            }
            if [.dispensed, .voided, .expired].contains(state) {
                #expect((try? state.after(event)) == nil)
            }
        }
    }

    @Test("the conflict code is the one the store reports when another request moved the row first")
    func conflictCode() {
        #expect(PrescriptionState.conflictCode == "prescription_state")
    }

    @Test("only an approved, dispensed or expired prescription is visible to the patient", arguments: PrescriptionState.allCases)
    func visibility(state: PrescriptionState) {
        #expect(state.isVisibleToPatient == [.approved, .dispensed, .expired].contains(state))
    }

    @Test("signing twice, reviewing a draft and voiding what was dispensed are refused")
    func namedRefusals() {
        #expect(issueCode { () throws(DomainError) in try PrescriptionState.signed.after(.sign) } == "prescription_state")
        #expect(issueCode { () throws(DomainError) in try PrescriptionState.draft.after(.approve) } == "prescription_state")
        #expect(issueCode { () throws(DomainError) in try PrescriptionState.draft.after(.reject) } == "prescription_state")
        #expect(issueCode { () throws(DomainError) in try PrescriptionState.dispensed.after(.void) } == "prescription_state")
        #expect(issueCode { () throws(DomainError) in try PrescriptionState.approved.after(.sign) } == "prescription_state")
    }

    @Test("a refused move says, in English, what the prescription is and what it cannot be",
          arguments: [(PrescriptionState.signed, PrescriptionEvent.sign, "A signed prescription cannot be signed."),
                      (.draft, .dispense, "A draft prescription cannot be dispensed."),
                      (.approved, .sign, "An approved prescription cannot be signed."),
                      (.expired, .dispense, "An expired prescription cannot be dispensed.")])
    func refusalMessage(state: PrescriptionState, event: PrescriptionEvent, message: String) {
        do {
            _ = try state.after(event)
            Issue.record("\(state) + \(event) was allowed")
        } catch {
            #expect(error == .conflict(code: "prescription_state", message: message))
        }
    }
}

private extension DomainError {
    /// The message of a conflict, to compare the rest of the error.
    var conflictMessage: String {
        if case .conflict(_, let message) = self { return message }
        return ""
    }
}
