import Foundation

/// The live figures of the supervision dashboard for one region (or the whole platform), at one
/// instant (issue 20, part 2). Counts only: no patient, doctor or pharmacy is named.
public struct DashboardFigures: Sendable, Equatable, Codable {
    /// The region the figures cover; `nil` for the whole platform.
    public var region: RegionCode?
    public var at: Date
    /// Paid consultations in a doctor's queue, not yet accepted.
    public var consultationsWaiting: Int
    /// Accepted consultations not yet completed.
    public var consultationsOpen: Int
    /// Signed prescriptions waiting for a pharmacist's review.
    public var prescriptionsAwaitingReview: Int
    /// How long the longest-waiting of them has waited, in whole seconds; `nil` when none waits.
    public var oldestReviewWaitSeconds: Int?
    /// The Asia/Shanghai day the settlement figures are of.
    public var settlementDay: CalendarDate
    /// Settlements of that day per insurance scheme (the fund that pays), schemes in name order.
    public var settlements: [FundFigures]
    /// Medicine orders out for delivery past their promised time (`DeliveryPromise`).
    public var deliveriesLate: Int
    /// Fraud and abuse alerts open or under investigation.
    public var alertsOpen: Int

    public init(region: RegionCode?, at: Date, consultationsWaiting: Int, consultationsOpen: Int, prescriptionsAwaitingReview: Int,
                oldestReviewWaitSeconds: Int?, settlementDay: CalendarDate, settlements: [FundFigures], deliveriesLate: Int,
                alertsOpen: Int) {
        self.region = region
        self.at = at
        self.consultationsWaiting = consultationsWaiting
        self.consultationsOpen = consultationsOpen
        self.prescriptionsAwaitingReview = prescriptionsAwaitingReview
        self.oldestReviewWaitSeconds = oldestReviewWaitSeconds
        self.settlementDay = settlementDay
        self.settlements = settlements
        self.deliveriesLate = deliveriesLate
        self.alertsOpen = alertsOpen
    }

    /// The day whose settlements the dashboard shows at `now`: the Asia/Shanghai day, as clearing
    /// counts it (a settlement at 23:59 Beijing time belongs to that day, one at 00:00 to the next).
    public static func settlementDay(at now: Date) -> CalendarDate { CalendarDate.shanghai(now) }

    /// How long a prescription signed at `signedAt` has waited at `now`, in whole seconds (a clock
    /// a little behind another server's never makes a wait negative); `nil` when nothing waits.
    public static func waitSeconds(since signedAt: Date?, now: Date) -> Int? {
        guard let signedAt else { return nil }
        let seconds = now.timeIntervalSince(signedAt)
        return seconds <= 0 ? 0 : Int(seconds.rounded(.down))
    }
}

/// One fund's settlements of a day: the bills settled and reversed under a scheme and what the
/// fund paid, net of reversals.
public struct FundFigures: Sendable, Equatable, Codable {
    public var scheme: InsuranceScheme
    public var settled: Int
    public var reversed: Int
    /// What the pooled fund paid, less what reversals gave back.
    public var fundFen: Int64
    /// What employees' personal accounts paid, less reversals.
    public var personalAccountFen: Int64

    public init(scheme: InsuranceScheme, settled: Int, reversed: Int, fundFen: Int64, personalAccountFen: Int64) {
        self.scheme = scheme
        self.settled = settled
        self.reversed = reversed
        self.fundFen = fundFen
        self.personalAccountFen = personalAccountFen
    }

    /// One group of a day's settlement rows as the store sums them: rows of one scheme and kind.
    public struct Group: Sendable, Equatable {
        public var scheme: InsuranceScheme
        public var kind: SettlementKind
        public var count: Int
        public var fundFen: Int64
        public var personalAccountFen: Int64

        public init(scheme: InsuranceScheme, kind: SettlementKind, count: Int, fundFen: Int64, personalAccountFen: Int64) {
            self.scheme = scheme
            self.kind = kind
            self.count = count
            self.fundFen = fundFen
            self.personalAccountFen = personalAccountFen
        }
    }

    /// The figures per scheme from the summed groups: a reversal row repeats the amounts of the
    /// settlement it undoes, so it counts against them. Schemes without rows are left out.
    public static func combine(_ groups: [Group]) -> [FundFigures] {
        var byScheme: [InsuranceScheme: FundFigures] = [:]
        for group in groups {
            var figures = byScheme[group.scheme] ?? FundFigures(scheme: group.scheme, settled: 0, reversed: 0, fundFen: 0,
                                                                  personalAccountFen: 0)
            switch group.kind {
            case .settlement:
                figures.settled += group.count
                figures.fundFen += group.fundFen
                figures.personalAccountFen += group.personalAccountFen
            case .reversal:
                figures.reversed += group.count
                figures.fundFen -= group.fundFen
                figures.personalAccountFen -= group.personalAccountFen
            }
            byScheme[group.scheme] = figures
        }
        return byScheme.values.sorted { $0.scheme.rawValue < $1.scheme.rawValue }
    }
}

/// When a medicine order should reach the patient once dispensed, and so when it is late
/// (DOMAIN.md: O2O delivers within the hour; a carrier ships within three days). A pickup order
/// waits at the counter and is never late for delivery.
public enum DeliveryPromise {
    /// How long after dispensing an O2O courier has to deliver.
    public static let o2oWindow: TimeInterval = 60 * 60
    /// How long after dispensing a carrier has to deliver.
    public static let b2cWindow: TimeInterval = 72 * 60 * 60

    /// The time by which an order handed over to delivery at `dispensedAt` is promised; `nil` for
    /// a pickup order.
    public static func promisedBy(mode: FulfilmentMode, dispensedAt: Date) -> Date? {
        switch mode {
        case .o2o: return dispensedAt.addingTimeInterval(o2oWindow)
        case .b2c: return dispensedAt.addingTimeInterval(b2cWindow)
        case .pickup: return nil
        }
    }

    /// Whether an order is late at `now`: dispensed (out for delivery, not yet delivered) and past
    /// its promised time. The promised instant itself is still on time.
    public static func isLate(state: MedicineOrderState, mode: FulfilmentMode, dispensedAt: Date?, now: Date) -> Bool {
        guard state == .dispensed, let dispensedAt, let promised = promisedBy(mode: mode, dispensedAt: dispensedAt) else { return false }
        return now > promised
    }

    /// The dispense time before which an order of `mode` still out for delivery is late at `now`
    /// (what the store compares `dispensed_at` with); `nil` for a mode that is never late.
    public static func lateIfDispensedBefore(mode: FulfilmentMode, now: Date) -> Date? {
        switch mode {
        case .o2o: return now.addingTimeInterval(-o2oWindow)
        case .b2c: return now.addingTimeInterval(-b2cWindow)
        case .pickup: return nil
        }
    }
}

/// The region codes a region prefix stands for, as a closed range of 6-digit codes: a filter
/// that walks an index on both databases (a `LIKE` on PostgreSQL with a language collation would not).
public struct RegionCodeRange: Sendable, Equatable {
    public let lowest: String
    public let highest: String

    /// The codes starting with `prefix` (2 to 6 digits).
    ///
    /// - Throws: 400 on `region` for anything else.
    public init(prefix: String) throws(DomainError) {
        let checked = try RegionCode.checkPrefix(prefix)
        let padding = 6 - checked.count
        lowest = checked + String(repeating: "0", count: padding)
        highest = checked + String(repeating: "9", count: padding)
    }

    public func contains(_ code: String) -> Bool { code.count == 6 && lowest <= code && code <= highest }
}

/// What a dashboard stream is told of one domain event: its kind, what it is about and when, and
/// the region when the event names one. Never the subject's id, nor anything personal.
public struct MonitorChange: Sendable, Equatable, Codable {
    public var kind: String
    public var subjectType: String
    public var at: Date
    public var region: RegionCode?

    public init(kind: String, subjectType: String, at: Date, region: RegionCode?) {
        self.kind = kind
        self.subjectType = subjectType
        self.at = at
        self.region = region
    }

    /// The change an event makes known: the region read from its payload when it carries one.
    public init(_ event: DomainEvent) {
        struct Located: Decodable { var region: String? }
        let region = (try? event.decodePayload(as: Located.self))?.region.flatMap { try? RegionCode($0) }
        self.init(kind: event.kind.rawValue, subjectType: event.subjectType, at: event.occurredAt, region: region)
    }

    /// Whether a stream of `scope` (a region prefix; `nil` for the whole platform) is told of this
    /// change: the whole platform's of every change, a region's only of changes located in it
    /// (one of no known region could be anyone's).
    public func isVisible(toPrefix scope: String?) -> Bool {
        guard let scope else { return true }
        return region?.value.hasPrefix(scope) ?? false
    }

    /// Subjects whose events can move a dashboard figure; chat messages, read receipts, calls and
    /// profile edits cannot.
    static let countedSubjects: Set<String> = ["consultation", "order", "prescription", "medicine_order", "settlement", "alert"]
    static let uncountedKinds: Set<EventKind> = [.messageSent, .messagesRead, .callStarted, .callEnded]

    /// Whether the figures may differ after this change, so a stream sends them again.
    public var movesFigures: Bool {
        MonitorChange.countedSubjects.contains(subjectType) && !MonitorChange.uncountedKinds.contains(EventKind(rawValue: kind))
    }
}

/// When a dashboard stream sends fresh figures: on a change that moves them, but at most once per
/// `minimumGap`, so a burst of events costs one computation (changes in the gap are folded into
/// the next send). Pure bookkeeping: the stream passes the instants.
public struct FigureRefreshSchedule: Sendable, Equatable {
    public let minimumGap: TimeInterval
    public private(set) var lastSent: Date?
    /// The instant a send is already planned for, if one is.
    public private(set) var planned: Date?

    public init(minimumGap: TimeInterval, lastSent: Date? = nil) {
        self.minimumGap = minimumGap
        self.lastSent = lastSent
    }

    /// A change arrived at `now`: the instant to send figures at, or `nil` when a send planned
    /// before will already include it.
    public mutating func changeArrived(at now: Date) -> Date? {
        guard planned == nil else { return nil }
        let earliest = lastSent.map { $0.addingTimeInterval(minimumGap) } ?? now
        let when = max(now, earliest)
        planned = when
        return when
    }

    /// Figures were sent at `now`.
    public mutating func sent(at now: Date) {
        lastSent = now
        planned = nil
    }
}
