import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// An attempt at a delivery and the state after it, or the refusal code.
struct OutboxAttempt: Sendable, CustomTestStringConvertible {
    var from: OutboxDeliveryState
    var event: OutboxDeliveryState.Event
    var to: OutboxDeliveryState?

    var testDescription: String { "\(from) + \(event) → \(to.map(\.rawValue) ?? "409 delivery_state")" }
}

@Suite("Outbox deliveries: taken once, or given up after five refusals")
struct OutboxDeliveryStateTests {
    static let attempts: [OutboxAttempt] = [
        OutboxAttempt(from: .pending, event: .taken, to: .delivered),
        OutboxAttempt(from: .pending, event: .refused(attempt: 1), to: .pending),
        OutboxAttempt(from: .pending, event: .refused(attempt: 4), to: .pending),
        // The fifth refusal gives it up.
        OutboxAttempt(from: .pending, event: .refused(attempt: 5), to: .failed),
        // A channel that takes it at the fifth attempt still delivers it.
        OutboxAttempt(from: .pending, event: .taken, to: .delivered),
        // Recorded already: a racing server's second outcome is refused.
        OutboxAttempt(from: .delivered, event: .taken, to: nil),
        OutboxAttempt(from: .delivered, event: .refused(attempt: 2), to: nil),
        OutboxAttempt(from: .failed, event: .taken, to: nil),
        OutboxAttempt(from: .failed, event: .refused(attempt: 6), to: nil),
    ]

    @Test("each attempt's outcome moves the delivery as the outbox allows", arguments: Self.attempts)
    func attempt(_ example: OutboxAttempt) {
        if let to = example.to {
            #expect((try? example.from.after(example.event)) == to)
        } else {
            #expect(issueCode { () throws(DomainError) in try example.from.after(example.event) } == "delivery_state")
        }
    }

    @Test("for any run of refusals and at most one take, a delivery ends delivered exactly when taken within five attempts")
    func runs() async {
        await propertyCheck(input: Gen.int(in: 1...8), Gen.bool) { refusals, takenAfter in
            var state = OutboxDeliveryState.pending
            var attempt = 0
            while state == .pending, attempt < refusals {
                attempt += 1
                state = (try? state.after(.refused(attempt: attempt))) ?? state
            }
            if takenAfter, state == .pending { state = (try? state.after(.taken)) ?? state }
            let expected: OutboxDeliveryState = refusals >= OutboxDeliveryState.maximumAttempts ? .failed
                : (takenAfter ? .delivered : .pending)
            #expect(state == expected)
            #expect(attempt == min(refusals, OutboxDeliveryState.maximumAttempts))
        }
    }
}
