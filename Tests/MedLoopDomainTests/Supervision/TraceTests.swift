import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A trace built step by step, as far as a prescription's life went.
enum TraceFixture {
    static let t0 = Date(timeIntervalSince1970: 1_780_000_000)
    static let drug = UUID(uuidString: "00000000-0000-7000-8000-000000000001")!

    /// How far the life went.
    enum Stage: Int, CaseIterable { case drafted, signed, approved, reserved, paid, dispensed, delivered, received }

    static func trace(_ stage: Stage, mode: FulfilmentMode = .o2o, insured: Bool = true) -> PrescriptionTrace {
        func at(_ minutes: Double) -> Date { t0.addingTimeInterval(minutes * 60) }
        let state: PrescriptionState = switch stage {
        case .drafted: .draft
        case .signed: .signed
        case .approved, .reserved, .paid: .approved
        case .dispensed, .delivered, .received: .dispensed
        }
        let prescription = PrescriptionTrace.Prescription(
            id: UUID(), state: state, patientId: UUID(), doctorAccountId: UUID(), institutionId: UUID(), region: "330800",
            diagnosis: "J45.9", createdAt: at(10), signedAt: stage.rawValue >= Stage.signed.rawValue ? at(11) : nil,
            documentHash: stage.rawValue >= Stage.signed.rawValue ? String(repeating: "a", count: 64) : nil,
            items: [.init(drugId: drug, quantity: 1, days: 7)], findings: [], overrides: [],
            signatureProblems: stage.rawValue >= Stage.signed.rawValue ? [] : nil)
        let review = stage.rawValue >= Stage.approved.rawValue
            ? PrescriptionTrace.Review(pharmacistAccountId: UUID(), verdict: "approved", rejectionReason: nil, at: at(20)) : nil
        var order: PrescriptionTrace.Order?
        if stage.rawValue >= Stage.reserved.rawValue {
            let orderState: MedicineOrderState = switch stage {
            case .paid: .paid
            case .dispensed: .dispensed
            case .delivered: .delivered
            case .received: .received
            default: .reserved
            }
            let carried = mode != .pickup
            order = PrescriptionTrace.Order(
                id: UUID(), pharmacyId: UUID(), mode: mode, state: orderState, totalFen: 3000, reservedAt: at(30),
                paidAt: stage.rawValue >= Stage.paid.rawValue ? at(31) : nil,
                dispensedAt: stage.rawValue >= Stage.dispensed.rawValue ? at(40) : nil,
                deliveredAt: stage.rawValue >= Stage.delivered.rawValue ? at(70) : nil,
                receivedAt: stage.rawValue >= Stage.received.rawValue ? at(80) : nil,
                codes: stage.rawValue >= Stage.dispensed.rawValue ? [.init(code: "81001710000000000001", drugId: drug, at: at(40))] : [],
                deliverySteps: carried && stage.rawValue >= Stage.delivered.rawValue
                    ? ["pickedUp", "inTransit", "delivered"].enumerated().map { .init(status: $1, at: at(50 + Double($0) * 10)) } : [])
        }
        let settlement = insured && stage.rawValue >= Stage.paid.rawValue
            ? PrescriptionTrace.Settlement(id: UUID(), region: "330800", scheme: "employee", totalFen: 3000, fundFen: 2100,
                                           personalAccountFen: 900, selfPayFen: 0, at: at(31)) : nil
        var trail: [PrescriptionTrace.TrailStep] = []
        for index in 0...stage.rawValue {
            let sequence = Int64(100 + index * 3)
            let event = String(describing: Stage(rawValue: index)!)
            trail.append(PrescriptionTrace.TrailStep(sequence: sequence, at: at(Double(10 + index)), event: event, actorAccountId: UUID(),
                                                     actorRole: .doctor, hash: String(repeating: "b", count: 64), verifies: true))
        }
        return PrescriptionTrace(
            consultation: .init(id: UUID(), service: "textPackage", state: "active", queuedAt: at(0), acceptedAt: at(1),
                                completedAt: nil, messageCount: 4, diagnosis: nil),
            prescription: prescription, review: review, order: order, settlement: settlement, trail: trail, auditChainBreak: nil)
    }
}

/// A stage and the status of each step, written out.
struct StepCase: Sendable, CustomTestStringConvertible {
    var stage: TraceFixture.Stage
    var mode: FulfilmentMode
    var insured: Bool
    /// consultation, diagnosis, prescription, signature, review, reservation, payment, settlement,
    /// dispense, delivery, receipt: p = present, m = missing, - = not applicable.
    var statuses: String

    var testDescription: String { "\(stage) \(mode) \(insured ? "insured" : "self-paid") → \(statuses)" }
}

@Suite("Traces: which steps of a prescription's chain its state calls for, and whether it verifies")
struct TraceTests {
    static let cases: [StepCase] = [
        StepCase(stage: .drafted, mode: .o2o, insured: true, statuses: "ppp--------"),
        StepCase(stage: .signed, mode: .o2o, insured: true, statuses: "pppp-------"),
        StepCase(stage: .approved, mode: .o2o, insured: true, statuses: "ppppp------"),
        StepCase(stage: .reserved, mode: .o2o, insured: true, statuses: "pppppp-----"),
        StepCase(stage: .paid, mode: .o2o, insured: true, statuses: "pppppppp---"),
        StepCase(stage: .paid, mode: .o2o, insured: false, statuses: "ppppppp----"),
        StepCase(stage: .dispensed, mode: .o2o, insured: true, statuses: "ppppppppp--"),
        StepCase(stage: .delivered, mode: .o2o, insured: true, statuses: "pppppppppp-"),
        StepCase(stage: .received, mode: .o2o, insured: true, statuses: "ppppppppppp"),
        StepCase(stage: .received, mode: .b2c, insured: false, statuses: "ppppppp-ppp"),
        StepCase(stage: .received, mode: .pickup, insured: true, statuses: "ppppppppp-p"),
    ]

    static func letters(_ checks: [TraceStepCheck]) -> String {
        String(checks.map { check in
            switch check.status {
            case .present: "p"
            case .missing: "m"
            case .notApplicable: "-"
            }
        })
    }

    @Test("each stage of a prescription's life calls for exactly the steps it reached, and a whole trace has them all",
          arguments: cases)
    func stepsByStage(_ row: StepCase) {
        let steps = TraceFixture.trace(row.stage, mode: row.mode, insured: row.insured).steps()
        #expect(steps.map(\.step) == TraceStep.allCases)
        #expect(Self.letters(steps) == row.statuses)
        #expect(TraceFixture.trace(row.stage, mode: row.mode, insured: row.insured).isComplete)
    }

    @Test("a dispensed order without traceability codes, a received order without delivery reports and an approved prescription without its review are missing steps")
    func gapsAreMissing() {
        var noCodes = TraceFixture.trace(.dispensed)
        noCodes.order?.codes = []
        #expect(Self.letters(noCodes.steps()) == "ppppppppm--")
        #expect(!noCodes.isComplete)

        var noDelivery = TraceFixture.trace(.received)
        noDelivery.order?.deliverySteps = []
        noDelivery.order?.deliveredAt = nil
        #expect(noDelivery.steps().first { $0.step == .delivery }?.status == .missing)

        var noReview = TraceFixture.trace(.approved)
        noReview.review = nil
        #expect(noReview.steps().first { $0.step == .review }?.status == .missing)

        var noReceipt = TraceFixture.trace(.received)
        noReceipt.order?.receivedAt = nil
        #expect(noReceipt.steps().first { $0.step == .receipt }?.status == .missing)
    }

    @Test("a trace verifies only when every trail entry holds, the audit chain between them is whole and the signatures check")
    func verification() {
        let whole = TraceFixture.trace(.received)
        #expect(whole.verifies)
        var edited = whole
        edited.trail[2].verifies = false
        #expect(!edited.verifies)
        var broken = whole
        broken.auditChainBreak = 105
        #expect(!broken.verifies)
        var forged = whole
        forged.prescription.signatureProblems = ["doctor: the signature does not match the document"]
        #expect(!forged.verifies)
        var empty = whole
        empty.trail = []
        #expect(!empty.verifies)
    }

    @Test("whatever the stage, mode and insurance, a trace built as far as it went misses no step and lists every step once")
    func neverMissingWhenWhole() async {
        await propertyCheck(input: Gen.int(in: 0...7), Gen.int(in: 0...2), Gen.bool) { stage, mode, insured in
            let modes: [FulfilmentMode] = [.o2o, .b2c, .pickup]
            let trace = TraceFixture.trace(TraceFixture.Stage(rawValue: stage)!, mode: modes[mode], insured: insured)
            #expect(trace.isComplete)
            #expect(Set(trace.steps().map(\.step)).count == TraceStep.allCases.count)
        }
    }
}
