import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// An order out for delivery, and whether it is late at the time given.
struct LatenessCase: Sendable, CustomTestStringConvertible {
    var state: MedicineOrderState
    var mode: FulfilmentMode
    /// Minutes before `now` it was dispensed; `nil` when it never was.
    var dispensedMinutesAgo: Double?
    var isLate: Bool

    var testDescription: String {
        "\(state.rawValue) \(mode.rawValue) dispensed \(dispensedMinutesAgo.map { "\($0) min ago" } ?? "never") → \(isLate ? "late" : "on time")"
    }
}

@Suite("Supervision dashboard: lateness, the settlement day, the review wait, fund figures, region ranges, refresh pacing")
struct DashboardTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)

    static let lateness: [LatenessCase] = [
        // O2O: within the hour
        LatenessCase(state: .dispensed, mode: .o2o, dispensedMinutesAgo: 59, isLate: false),
        LatenessCase(state: .dispensed, mode: .o2o, dispensedMinutesAgo: 60, isLate: false),
        LatenessCase(state: .dispensed, mode: .o2o, dispensedMinutesAgo: 60.02, isLate: true),
        LatenessCase(state: .dispensed, mode: .o2o, dispensedMinutesAgo: 180, isLate: true),
        // B2C: within 72 hours = 4320 minutes
        LatenessCase(state: .dispensed, mode: .b2c, dispensedMinutesAgo: 180, isLate: false),
        LatenessCase(state: .dispensed, mode: .b2c, dispensedMinutesAgo: 4320, isLate: false),
        LatenessCase(state: .dispensed, mode: .b2c, dispensedMinutesAgo: 4321, isLate: true),
        // pickup waits at the counter
        LatenessCase(state: .dispensed, mode: .pickup, dispensedMinutesAgo: 100_000, isLate: false),
        // delivered, received or not yet dispensed: not out for delivery
        LatenessCase(state: .delivered, mode: .o2o, dispensedMinutesAgo: 180, isLate: false),
        LatenessCase(state: .received, mode: .b2c, dispensedMinutesAgo: 10_000, isLate: false),
        LatenessCase(state: .paid, mode: .o2o, dispensedMinutesAgo: nil, isLate: false),
        LatenessCase(state: .dispensed, mode: .o2o, dispensedMinutesAgo: nil, isLate: false),
    ]

    @Test("a dispensed order is late once past its promise: O2O an hour, B2C three days, pickup never", arguments: lateness)
    func lateDeliveries(_ example: LatenessCase) {
        let dispensed = example.dispensedMinutesAgo.map { Self.now.addingTimeInterval(-$0 * 60) }
        #expect(DeliveryPromise.isLate(state: example.state, mode: example.mode, dispensedAt: dispensed, now: Self.now) == example.isLate)
    }

    @Test("the store's cut-off agrees with the rule: dispensed before it is late, at or after it on time")
    func cutOffAgreesWithRule() async {
        await propertyCheck(input: Gen.int(in: 0...(5 * 24 * 3600)), Gen.int(in: 0...FulfilmentMode.allCases.count - 1)) { ago, index in
            let mode = FulfilmentMode.allCases[index]
            let dispensed = Self.now.addingTimeInterval(-Double(ago))
            let byCutOff = DeliveryPromise.lateIfDispensedBefore(mode: mode, now: Self.now).map { dispensed < $0 } ?? false
            #expect(byCutOff == DeliveryPromise.isLate(state: .dispensed, mode: mode, dispensedAt: dispensed, now: Self.now))
        }
    }

    @Test("settlements count on the Asia/Shanghai day: 15:59:59 UTC is still that day, 16:00 UTC the next",
          arguments: [
              ("2026-12-01T15:59:59Z", "2026-12-01"),
              ("2026-12-01T16:00:00Z", "2026-12-02"),
              ("2026-12-01T00:00:00Z", "2026-12-01"),
              ("2026-11-30T16:00:00Z", "2026-12-01"),
              ("2026-12-31T16:00:00Z", "2027-01-01"),
          ])
    func settlementDay(_ instant: String, _ day: String) throws {
        let date = try #require(ISO8601DateFormatter().date(from: instant))
        #expect(DashboardFigures.settlementDay(at: date).description == day)
    }

    @Test("the oldest review wait is whole seconds since the signature, never negative, none without a prescription",
          arguments: [
              (Optional(0.0), Optional(0)),
              (Optional(59.9), Optional(59)),
              (Optional(3600.0), Optional(3600)),
              (Optional(-5.0), Optional(0)),
              (nil, nil),
          ] as [(Double?, Int?)])
    func reviewWait(_ secondsAgo: Double?, _ expected: Int?) {
        let signed = secondsAgo.map { Self.now.addingTimeInterval(-$0) }
        #expect(DashboardFigures.waitSeconds(since: signed, now: Self.now) == expected)
    }

    @Test("a day's fund figures count settlements and reversals apart and net the amounts")
    func fundFigures() {
        let groups = [
            FundFigures.Group(scheme: .resident, kind: .settlement, count: 2, fundFen: 3000, personalAccountFen: 0),
            FundFigures.Group(scheme: .employee, kind: .settlement, count: 3, fundFen: 9000, personalAccountFen: 1200),
            FundFigures.Group(scheme: .employee, kind: .reversal, count: 1, fundFen: 2500, personalAccountFen: 400),
        ]
        #expect(FundFigures.combine(groups) == [
            FundFigures(scheme: .employee, settled: 3, reversed: 1, fundFen: 6500, personalAccountFen: 800),
            FundFigures(scheme: .resident, settled: 2, reversed: 0, fundFen: 3000, personalAccountFen: 0),
        ])
        #expect(FundFigures.combine([]) == [])
    }

    @Test("a region prefix stands for the closed range of codes it starts",
          arguments: [("33", "330000", "339999"), ("3308", "330800", "330899"), ("330802", "330802", "330802")])
    func regionRange(_ prefix: String, _ lowest: String, _ highest: String) throws {
        let range = try RegionCodeRange(prefix: prefix)
        #expect(range.lowest == lowest && range.highest == highest)
        #expect(range.contains(lowest) && range.contains(highest))
    }

    @Test("a region range holds exactly the codes with its prefix")
    func regionRangeMatchesPrefix() async {
        await propertyCheck(input: Gen.int(in: 0...999_999), Gen.int(in: 2...6)) { number, length in
            let code = String(format: "%06d", number)
            let prefix = "3308".padding(toLength: length, withPad: "0", startingAt: 0)
            guard let range = try? RegionCodeRange(prefix: prefix) else { Issue.record("a valid prefix was refused"); return }
            #expect(range.contains(code) == code.hasPrefix(prefix))
        }
    }

    @Test("a region filter of one digit, seven digits or letters is refused", arguments: ["3", "3308021", "33ab", ""])
    func badRegionRange(_ prefix: String) {
        #expect(throws: DomainError.self) { try RegionCodeRange(prefix: prefix) }
    }

    @Test("a region's stream is told of changes in its region only; the whole platform's of every change, located or not")
    func changeVisibility() throws {
        let quzhou = MonitorChange(kind: "insurance.settled", subjectType: "settlement", at: Self.now, region: try RegionCode("330802"))
        let unnamed = MonitorChange(kind: "consultation.queued", subjectType: "consultation", at: Self.now, region: nil)
        #expect(quzhou.isVisible(toPrefix: "3308"))
        #expect(quzhou.isVisible(toPrefix: nil))
        #expect(!quzhou.isVisible(toPrefix: "4401"))
        #expect(!unnamed.isVisible(toPrefix: "4401"))
        #expect(!unnamed.isVisible(toPrefix: "3308"))
        #expect(unnamed.isVisible(toPrefix: nil))
    }

    @Test("a settlement event's change carries its region and nothing of the subject")
    func changeFromEvent() throws {
        let event = DomainEvent.settlement(.insuranceSettled, UUID(), region: try RegionCode("330802"), institution: UUID(), fundFen: 1200,
                                           at: Self.now)
        #expect(MonitorChange(event) == MonitorChange(kind: "insurance.settled", subjectType: "settlement", at: Self.now,
                                                      region: try RegionCode("330802")))
        let queued = try DomainEvent.consultation(.consultationQueued, UUID(), payload: StateChange(state: "waiting"), at: Self.now)
        #expect(MonitorChange(queued).region == nil)
    }

    @Test("chat messages, read receipts, calls and profile edits do not move the figures; queue, review, delivery and money do",
          arguments: [
              ("consultation.message.sent", "consultation", false),
              ("consultation.messages.read", "consultation", false),
              ("consultation.call.started", "consultation", false),
              ("doctor.changed", "doctor", false),
              ("consultation.queued", "consultation", true),
              ("order.paid", "order", true),
              ("prescription.signed", "prescription", true),
              ("medicine_order.dispensed", "medicine_order", true),
              ("insurance.settled", "settlement", true),
          ])
    func movesFigures(_ kind: String, _ subject: String, _ moves: Bool) {
        #expect(MonitorChange(kind: kind, subjectType: subject, at: Self.now, region: nil).movesFigures == moves)
    }

    @Test("figures are sent at once after a quiet spell, then at most once per gap however many changes arrive")
    func refreshPacing() {
        let t0 = Self.now
        var schedule = FigureRefreshSchedule(minimumGap: 0.25, lastSent: t0.addingTimeInterval(-10))
        // quiet for 10 s: the first change sends at once
        #expect(schedule.changeArrived(at: t0) == t0)
        // a second change before that send is folded into it
        #expect(schedule.changeArrived(at: t0.addingTimeInterval(0.01)) == nil)
        schedule.sent(at: t0.addingTimeInterval(0.02))
        // 0.1 s after the send: wait until 0.25 s after it
        #expect(schedule.changeArrived(at: t0.addingTimeInterval(0.12)) == t0.addingTimeInterval(0.27))
        #expect(schedule.changeArrived(at: t0.addingTimeInterval(0.2)) == nil)
        schedule.sent(at: t0.addingTimeInterval(0.27))
        // 1 s later: at once again
        #expect(schedule.changeArrived(at: t0.addingTimeInterval(1.27)) == t0.addingTimeInterval(1.27))
    }

    @Test("however changes arrive, two sends are never closer than the gap and no change waits longer than the gap")
    func refreshPacingProperty() async {
        await propertyCheck(input: Gen.int(in: 0...2000).array(of: 1...40)) { steps in
            var schedule = FigureRefreshSchedule(minimumGap: 0.25)
            var now = Self.now
            var lastSent: Date?
            for step in steps {
                now = now.addingTimeInterval(Double(step) / 1000)
                if let planned = schedule.planned, planned <= now {
                    if let lastSent { #expect(planned.timeIntervalSince(lastSent) >= 0.25 - 1e-9) }
                    schedule.sent(at: planned)
                    lastSent = planned
                }
                let when = schedule.changeArrived(at: now) ?? schedule.planned
                guard let when else { Issue.record("a change left no send planned"); return }
                #expect(when.timeIntervalSince(now) <= 0.25 + 1e-9)
            }
        }
    }
}
