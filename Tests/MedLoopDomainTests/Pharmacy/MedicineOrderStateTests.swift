import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A legal move of a medicine order: the state, the event, the state after.
struct MedicineOrderMove: Sendable, CustomTestStringConvertible {
    var from: MedicineOrderState
    var event: MedicineOrderEvent
    var to: MedicineOrderState

    var testDescription: String { "\(from) + \(event) → \(to)" }
}

/// What a medicine order in one state holds and fills.
struct MedicineOrderFlags: Sendable, CustomTestStringConvertible {
    var state: MedicineOrderState
    var holdsReservation: Bool
    var fillsPrescription: Bool

    var testDescription: String { "\(state): holds stock \(holdsReservation), fills prescription \(fillsPrescription)" }
}

/// A courier's report on a delivery and the status after it, or `nil` for a refusal.
struct DeliveryReport: Sendable, CustomTestStringConvertible {
    var from: DeliveryStatus
    var next: DeliveryStatus
    var to: DeliveryStatus?

    var testDescription: String { "\(from) → \(next): \(to.map(\.rawValue) ?? "refused")" }
}

/// Every legal move of a medicine order; every other pair of state and event is refused.
private let legalMedicineOrderMoves: [MedicineOrderMove] = [
    MedicineOrderMove(from: .reserved, event: .pay, to: .paid),
    MedicineOrderMove(from: .reserved, event: .expire, to: .expired),
    MedicineOrderMove(from: .reserved, event: .cancel, to: .cancelled),
    MedicineOrderMove(from: .paid, event: .refund, to: .refunded),
    MedicineOrderMove(from: .paid, event: .dispense, to: .dispensed),
    MedicineOrderMove(from: .dispensed, event: .deliver, to: .delivered),
    MedicineOrderMove(from: .delivered, event: .confirmReceipt, to: .received),
]

/// Moves that must be refused, each a mistake someone could make.
private let refusedMedicineOrderMoves: [(MedicineOrderState, MedicineOrderEvent)] = [
    (.paid, .pay),               // paying twice
    (.paid, .cancel),            // a paid order is refunded, not cancelled
    (.paid, .expire),            // a paid reservation does not expire
    (.reserved, .dispense),      // dispensing before payment
    (.reserved, .refund),        // refunding what was not paid
    (.dispensed, .refund),       // the medicine has left the shelf
    (.dispensed, .cancel),
    (.paid, .confirmReceipt),    // received before delivery
    (.expired, .pay),            // paying after the reservation expired
    (.cancelled, .pay),
    (.refunded, .dispense),
    (.received, .refund),
]

/// Whether each state holds a stock reservation and still fills its prescription.
private let medicineOrderFlags: [MedicineOrderFlags] = [
    MedicineOrderFlags(state: .reserved, holdsReservation: true, fillsPrescription: true),
    MedicineOrderFlags(state: .paid, holdsReservation: true, fillsPrescription: true),
    MedicineOrderFlags(state: .dispensed, holdsReservation: false, fillsPrescription: true),
    MedicineOrderFlags(state: .delivered, holdsReservation: false, fillsPrescription: true),
    MedicineOrderFlags(state: .received, holdsReservation: false, fillsPrescription: true),
    MedicineOrderFlags(state: .expired, holdsReservation: false, fillsPrescription: false),
    MedicineOrderFlags(state: .cancelled, holdsReservation: false, fillsPrescription: false),
    MedicineOrderFlags(state: .refunded, holdsReservation: false, fillsPrescription: false),
]

private let deliveryReports: [DeliveryReport] = [
    DeliveryReport(from: .assigned, next: .pickedUp, to: .pickedUp),
    DeliveryReport(from: .pickedUp, next: .inTransit, to: .inTransit),
    DeliveryReport(from: .inTransit, next: .delivered, to: .delivered),
    DeliveryReport(from: .assigned, next: .failed, to: .failed),
    DeliveryReport(from: .pickedUp, next: .failed, to: .failed),
    DeliveryReport(from: .inTransit, next: .failed, to: .failed),
    // A failed delivery is assigned again.
    DeliveryReport(from: .failed, next: .assigned, to: .assigned),
    // Delivered before picked up, or skipping a step.
    DeliveryReport(from: .assigned, next: .delivered, to: nil),
    DeliveryReport(from: .assigned, next: .inTransit, to: nil),
    DeliveryReport(from: .pickedUp, next: .delivered, to: nil),
    // Backwards, repeated, or after the end.
    DeliveryReport(from: .inTransit, next: .pickedUp, to: nil),
    DeliveryReport(from: .pickedUp, next: .assigned, to: nil),
    DeliveryReport(from: .assigned, next: .assigned, to: nil),
    DeliveryReport(from: .pickedUp, next: .pickedUp, to: nil),
    DeliveryReport(from: .failed, next: .failed, to: nil),
    DeliveryReport(from: .failed, next: .pickedUp, to: nil),
    DeliveryReport(from: .failed, next: .delivered, to: nil),
    DeliveryReport(from: .delivered, next: .failed, to: nil),
    DeliveryReport(from: .delivered, next: .assigned, to: nil),
    DeliveryReport(from: .delivered, next: .delivered, to: nil),
]

@Suite("Medicine orders: reserved, paid within 30 minutes, dispensed, delivered, received")
struct MedicineOrderStateTests {
    @Test("each legal event on a medicine order gives the state written in the table", arguments: legalMedicineOrderMoves)
    func legalMove(_ move: MedicineOrderMove) throws {
        #expect(try move.from.after(move.event) == move.to)
    }

    @Test("a move out of order is a 409 medicine_order_state conflict", arguments: refusedMedicineOrderMoves)
    func refusedMove(state: MedicineOrderState, event: MedicineOrderEvent) {
        do {
            let next = try state.after(event)
            Issue.record("\(state) + \(event) was allowed, to \(next)")
        } catch {
            #expect(error == .conflict(code: "medicine_order_state",
                                       message: "A \(state.rawValue) medicine order cannot take \(event.rawValue)."))
        }
    }

    @Test("for any state and event, after gives the table's state or throws a 409 medicine_order_state conflict")
    func afterMatchesTheTable() async {
        await propertyCheck(input: Gen<MedicineOrderState>.case, Gen<MedicineOrderEvent>.case) { state, event in
            let legal = legalMedicineOrderMoves.first { $0.from == state && $0.event == event }?.to
            switch Result(catching: { () throws(DomainError) in try state.after(event) }) {
            case .success(let next):
                #expect(next == legal, "\(state) + \(event)")
            case .failure(let error):
                #expect(legal == nil, "\(state) + \(event) was refused")
                guard case .conflict(let code, _) = error else { Issue.record("not a conflict: \(error)"); return }
                #expect(code == "medicine_order_state")
            }
        }
    }

    @Test("received, expired, cancelled and refunded orders take no event",
          arguments: [MedicineOrderState.received, .expired, .cancelled, .refunded])
    func terminal(state: MedicineOrderState) {
        for event in MedicineOrderEvent.allCases {
            #expect(issueCode { () throws(DomainError) in try state.after(event) } == "medicine_order_state")
        }
    }

    @Test("stock is held while reserved or paid; the prescription stays filled unless the order expired, was cancelled or refunded",
          arguments: medicineOrderFlags)
    func flags(_ example: MedicineOrderFlags) {
        #expect(example.state.holdsReservation == example.holdsReservation)
        #expect(example.state.fillsPrescription == example.fillsPrescription)
    }

    @Test("the flag tables cover every state, an unpaid reservation lasts 30 minutes, and the conflict code is medicine_order_state")
    func constants() {
        #expect(Set(medicineOrderFlags.map(\.state)) == Set(MedicineOrderState.allCases))
        #expect(MedicineOrderState.reservationLifetime == 1800)
        #expect(MedicineOrderState.conflictCode == "medicine_order_state")
    }
}

@Suite("Deliveries: the courier reports picked up, in transit, delivered, or failed")
struct DeliveryStatusTests {
    @Test("a report in order moves the delivery on; one out of order is a 409 delivery_state conflict", arguments: deliveryReports)
    func report(_ example: DeliveryReport) {
        let result = Result { () throws(DomainError) in try example.from.after(example.next) }
        switch (result, example.to) {
        case (.success(let status), let expected?):
            #expect(status == expected)
        case (.failure(let error), nil):
            guard case .conflict(let code, let message) = error else { Issue.record("not a conflict: \(error)"); return }
            #expect(code == "delivery_state")
            #expect(message == "A delivery that is \(example.from.rawValue) cannot become \(example.next.rawValue).")
        case (.success(let status), nil):
            Issue.record("\(example.from) → \(example.next) was allowed, to \(status)")
        case (.failure(let error), _?):
            Issue.record("\(example.from) → \(example.next) was refused: \(error)")
        }
    }

    @Test("for any two statuses, a report succeeds exactly on a legal step, and then gives the reported status")
    func onlyLegalSteps() async {
        let legal: Set<String> = ["assigned>pickedUp", "pickedUp>inTransit", "inTransit>delivered", "assigned>failed",
                                  "pickedUp>failed", "inTransit>failed", "failed>assigned"]
        await propertyCheck(input: Gen<DeliveryStatus>.case, Gen<DeliveryStatus>.case) { from, next in
            let result = try? from.after(next)
            #expect(result == (legal.contains("\(from)>\(next)") ? next : nil), "\(from) → \(next)")
            #expect(issueCode { () throws(DomainError) in try from.after(next) } == (result == nil ? "delivery_state" : nil))
        }
    }
}
