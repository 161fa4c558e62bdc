import Foundation

/// The period a usage figure covers: whole Asia/Shanghai days, `from` through `to` (issue 20, part 7).
public struct AnalyticsPeriod: Sendable, Hashable {
    public let from: CalendarDate
    public let to: CalendarDate

    /// Longest period one request may cover: two years of days.
    public static let maximumDays = 731
    /// The years a period's dates may name (so that a period stretched from either end stays a
    /// real date).
    public static let years = 2000...2100

    /// - Throws: 400 on `from` (`after_to`) when it is after `to`, and on `to` (`too_long`) past
    ///   `maximumDays`.
    public init(from: CalendarDate, to: CalendarDate) throws(DomainError) {
        guard from <= to else { throw .invalidField("from", code: "after_to", "The period starts after it ends.") }
        guard ShanghaiDay.number(of: to) - ShanghaiDay.number(of: from) < Self.maximumDays else {
            throw .invalidField("to", code: "too_long", "A period covers at most \(Self.maximumDays) days.")
        }
        self.from = from
        self.to = to
    }

    /// Days in the period a request gets when it names at most one end.
    public static let defaultDays = 30

    /// The period a request asks for: `defaultDays` ending `today` when it names neither end,
    /// `defaultDays` from `from` or to `to` when it names one.
    ///
    /// - Throws: 400 on the end (`from`, `to`) whose year lies outside `years` (`range`), then as
    ///   `init(from:to:)`.
    public static func requested(from: CalendarDate?, to: CalendarDate?, today: CalendarDate) throws(DomainError) -> AnalyticsPeriod {
        for (field, date) in [("from", from), ("to", to)] {
            if let date, !years.contains(date.year) {
                throw .invalidField(field, code: "range", "A date lies between \(years.lowerBound) and \(years.upperBound).")
            }
        }
        let span = Int64(defaultDays - 1)
        let last = to ?? from.map { ShanghaiDay.date(ofNumber: ShanghaiDay.number(of: $0) + span) } ?? today
        let first = from ?? ShanghaiDay.date(ofNumber: ShanghaiDay.number(of: last) - span)
        return try AnalyticsPeriod(from: first, to: last)
    }

    /// The first instant of the period, in epoch milliseconds.
    public var startMillis: Int64 { ShanghaiDay.startMillis(of: from) }
    /// The first instant after the period, in epoch milliseconds.
    public var endMillis: Int64 { ShanghaiDay.startMillis(of: to) + ShanghaiDay.millisPerDay }
    /// Every day of the period, in order.
    public var days: [CalendarDate] {
        (ShanghaiDay.number(of: from)...ShanghaiDay.number(of: to)).map(ShanghaiDay.date(ofNumber:))
    }
}

/// Asia/Shanghai days as numbers (days since 1970-01-01), the arithmetic the analytics queries use:
/// China keeps UTC+8 all year, so a day starts at 16:00 UTC of the day before.
public enum ShanghaiDay {
    public static let offsetMillis: Int64 = 8 * 3_600_000
    public static let millisPerDay: Int64 = 86_400_000

    /// Days since 1970-01-01 of a calendar date (proleptic Gregorian; H. Hinnant's `days_from_civil`).
    public static func number(of date: CalendarDate) -> Int64 {
        let year = Int64(date.month <= 2 ? date.year - 1 : date.year)
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let month = Int64(date.month)
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + Int64(date.day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The calendar date of a day number (`civil_from_days`).
    public static func date(ofNumber number: Int64) -> CalendarDate {
        let z = number + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // Every day number names a real date.
        return CalendarDate(year: Int(year), month: Int(month), day: Int(day))!
    }

    /// The first instant of `date` in Asia/Shanghai, in epoch milliseconds.
    public static func startMillis(of date: CalendarDate) -> Int64 { number(of: date) * millisPerDay - offsetMillis }

    /// The hour of day (0...23) of an instant in Asia/Shanghai.
    public static func hour(ofMillis millis: Int64) -> Int {
        Int(((millis + offsetMillis) % millisPerDay + millisPerDay) % millisPerDay / 3_600_000)
    }

    /// The ISO weekday (1 = Monday ... 7 = Sunday) of a day number: 1970-01-01 was a Thursday.
    public static func isoWeekday(ofNumber number: Int64) -> Int { Int(((number + 3) % 7 + 7) % 7) + 1 }
}

/// Five-number summary and mean of a distribution.
///
/// Quartiles use linear interpolation between closest ranks (Hyndman and Fan's type 7, the default
/// of R, NumPy and Excel's QUARTILE.INC): for n values sorted ascending, the p-quantile lies at
/// position h = (n − 1)·p (from 0), between the values at ⌊h⌋ and ⌈h⌉.
public struct Distribution: Sendable, Hashable {
    public var count: Int
    public var mean: Double
    public var minimum: Double
    public var firstQuartile: Double
    public var median: Double
    public var thirdQuartile: Double
    public var maximum: Double

    /// The summary of a histogram (each value with how often it occurs; counts ≤ 0 are ignored);
    /// `nil` when it holds no value.
    public init?(histogram: [(value: Int64, count: Int)]) {
        let sorted = histogram.filter { $0.count > 0 }.sorted { $0.value < $1.value }
        let total = sorted.reduce(0) { $0 + $1.count }
        guard total > 0 else { return nil }
        count = total
        // Summed in Double: exact for any realistic total, never overflows.
        mean = sorted.reduce(0.0) { $0 + Double($1.value) * Double($1.count) } / Double(total)
        minimum = Double(sorted[0].value)
        maximum = Double(sorted[sorted.count - 1].value)
        firstQuartile = Self.quantile(0.25, sorted: sorted, total: total)
        median = Self.quantile(0.5, sorted: sorted, total: total)
        thirdQuartile = Self.quantile(0.75, sorted: sorted, total: total)
    }

    /// The summary of plain values.
    public init?(values: [Int64]) {
        self.init(histogram: values.map { (value: $0, count: 1) })
    }

    /// The `p`-quantile (0...1) of a histogram, type 7; `nil` when it holds no value.
    public static func quantile(_ p: Double, of histogram: [(value: Int64, count: Int)]) -> Double? {
        let sorted = histogram.filter { $0.count > 0 }.sorted { $0.value < $1.value }
        let total = sorted.reduce(0) { $0 + $1.count }
        guard total > 0 else { return nil }
        return quantile(min(1, max(0, p)), sorted: sorted, total: total)
    }

    private static func quantile(_ p: Double, sorted: [(value: Int64, count: Int)], total: Int) -> Double {
        let position = Double(total - 1) * p
        let lower = Int(position.rounded(.down))
        let fraction = position - Double(lower)
        let low = Double(value(at: lower, sorted: sorted))
        guard fraction > 0 else { return low }
        let high = Double(value(at: lower + 1, sorted: sorted))
        return low + fraction * (high - low)
    }

    /// The value at 0-based rank `rank` of the expanded, sorted histogram.
    private static func value(at rank: Int, sorted: [(value: Int64, count: Int)]) -> Int64 {
        var seen = 0
        for entry in sorted {
            seen += entry.count
            if rank < seen { return entry.value }
        }
        return sorted[sorted.count - 1].value
    }
}

/// The price summary of one service kind, in whole fen (each figure rounded half away from zero,
/// which keeps min ≤ q1 ≤ median ≤ q3 ≤ max).
public struct PriceSummary: Sendable, Hashable, Codable {
    public var kind: String
    public var count: Int
    public var meanFen: Int64
    public var minFen: Int64
    public var q1Fen: Int64
    public var medianFen: Int64
    public var q3Fen: Int64
    public var maxFen: Int64

    public init(kind: String, distribution: Distribution) {
        func fen(_ value: Double) -> Int64 { Int64(value.rounded(.toNearestOrAwayFromZero)) }
        self.kind = kind
        count = distribution.count
        meanFen = fen(distribution.mean)
        minFen = fen(distribution.minimum)
        q1Fen = fen(distribution.firstQuartile)
        medianFen = fen(distribution.median)
        q3Fen = fen(distribution.thirdQuartile)
        maxFen = fen(distribution.maximum)
    }
}

/// How many patients came back to the same doctor within a period: the over-use by repeat
/// follow-ups DOMAIN.md names as a risk.
public struct RepeatVisits: Sendable, Hashable, Codable {
    /// Patients with at least one consultation in the period.
    public var patients: Int
    /// Of those, patients with more than one consultation with the same doctor.
    public var repeatPatients: Int

    public init(patients: Int, repeatPatients: Int) {
        self.patients = max(0, patients)
        self.repeatPatients = min(max(0, repeatPatients), max(0, patients))
    }

    /// `repeatPatients / patients`, in 0...1; 0 without patients.
    public var rate: Double { patients == 0 ? 0 : Double(repeatPatients) / Double(patients) }
}

/// Minutes from a prescription's signature to its pharmacist's review.
public struct ReviewTurnaround: Sendable, Hashable {
    public var reviewed: Int
    public var meanMinutes: Double
    public var medianMinutes: Double
    public var p90Minutes: Double

    /// Bands the chart shows, in minutes: [0, 5), [5, 15), ... and 120 or more.
    public static let bands: [Int64] = [0, 5, 15, 30, 60, 120]

    /// From a histogram of whole minutes; `nil` when nothing was reviewed.
    public init?(minutes histogram: [(value: Int64, count: Int)]) {
        guard let distribution = Distribution(histogram: histogram),
              let p90 = Distribution.quantile(0.9, of: histogram) else { return nil }
        reviewed = distribution.count
        meanMinutes = distribution.mean
        medianMinutes = distribution.median
        p90Minutes = p90
    }

    /// How many reviews fall in each band of `bands`.
    public static func banded(_ histogram: [(value: Int64, count: Int)]) -> [Int] {
        var counts = Array(repeating: 0, count: bands.count)
        for entry in histogram where entry.count > 0 {
            let band = bands.lastIndex { entry.value >= $0 } ?? 0
            counts[band] += entry.count
        }
        return counts
    }
}
