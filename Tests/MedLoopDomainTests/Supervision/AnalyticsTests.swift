import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// Values and their quartiles worked out by hand (type 7: position (n − 1)·p between closest ranks).
struct QuartileCase: Sendable, CustomTestStringConvertible {
    var values: [Int64]
    var q1: Double
    var median: Double
    var q3: Double
    var mean: Double

    var testDescription: String { "\(values) → \(q1) / \(median) / \(q3), mean \(mean)" }
}

@Suite("Analytics: the period, quartiles, repeat visits and review turnaround")
struct AnalyticsTests {
    static let quartiles: [QuartileCase] = [
        // n = 4: positions 0.75, 1.5, 2.25
        QuartileCase(values: [1, 2, 3, 4], q1: 1.75, median: 2.5, q3: 3.25, mean: 2.5),
        // n = 6: positions 1.25, 2.5, 3.75 → 15 + 0.25·21, (36 + 39) / 2, 39 + 0.75·1
        QuartileCase(values: [7, 15, 36, 39, 40, 41], q1: 20.25, median: 37.5, q3: 39.75, mean: 178.0 / 6),
        // unsorted input, n = 5: positions 1, 2, 3 fall on values
        QuartileCase(values: [6510, 2603, 8967, 6500, 5000], q1: 5000, median: 6500, q3: 6510, mean: 29_580.0 / 5),
        // one value is every quartile
        QuartileCase(values: [832], q1: 832, median: 832, q3: 832, mean: 832),
    ]

    @Test("quartiles interpolate between the closest ranks", arguments: quartiles)
    func quartilesByHand(_ example: QuartileCase) throws {
        let summary = try #require(Distribution(values: example.values))
        #expect(summary.count == example.values.count)
        #expect(abs(summary.firstQuartile - example.q1) < 1e-9)
        #expect(abs(summary.median - example.median) < 1e-9)
        #expect(abs(summary.thirdQuartile - example.q3) < 1e-9)
        #expect(abs(summary.mean - example.mean) < 1e-9)
        #expect(summary.minimum == Double(example.values.min()!) && summary.maximum == Double(example.values.max()!))
    }

    @Test("a histogram has the quartiles of its values written out")
    func histogramMatchesValues() throws {
        let histogram: [(value: Int64, count: Int)] = [(6500, 3), (2603, 1), (8967, 2), (0, 0)]
        let fromHistogram = try #require(Distribution(histogram: histogram))
        let fromValues = try #require(Distribution(values: [6500, 6500, 6500, 2603, 8967, 8967]))
        #expect(fromHistogram == fromValues)
        #expect(Distribution(histogram: []) == nil)
        #expect(Distribution(histogram: [(100, 0)]) == nil)
    }

    @Test("quartiles are ordered and the mean lies between the least and the greatest value, for any values")
    func quartilesOrdered() async {
        await propertyCheck(input: Gen.int64(in: 0...10_000_000).array(of: 1...60)) { values in
            guard let summary = Distribution(values: values) else { Issue.record("values gave no summary"); return }
            #expect(summary.minimum <= summary.firstQuartile && summary.firstQuartile <= summary.median)
            #expect(summary.median <= summary.thirdQuartile && summary.thirdQuartile <= summary.maximum)
            #expect(summary.minimum <= summary.mean + 1e-6 && summary.mean <= summary.maximum + 1e-6)
            let prices = PriceSummary(kind: "textPackage", distribution: summary)
            #expect(prices.minFen <= prices.q1Fen && prices.q1Fen <= prices.medianFen && prices.medianFen <= prices.q3Fen)
            #expect(prices.q3Fen <= prices.maxFen && prices.minFen <= prices.meanFen && prices.meanFen <= prices.maxFen)
        }
    }

    @Test("a histogram and the values it counts give the same summary, for any counts")
    func histogramProperty() async {
        await propertyCheck(input: Gen.int64(in: 0...500).array(of: 1...20), Gen.int(in: 1...5).array(of: 20)) { values, counts in
            let histogram = zip(values, counts).map { (value: $0, count: $1) }
            let expanded = histogram.flatMap { Array(repeating: $0.value, count: $0.count) }
            let a = Distribution(histogram: histogram), b = Distribution(values: expanded)
            #expect(a?.count == b?.count && a?.median == b?.median && a?.firstQuartile == b?.firstQuartile)
            #expect(a?.thirdQuartile == b?.thirdQuartile)
            #expect(abs((a?.mean ?? 0) - (b?.mean ?? 0)) < 1e-6)
        }
    }

    @Test("the repeat-visit rate is repeat patients over patients, 0 without patients")
    func repeatRate() {
        #expect(RepeatVisits(patients: 200, repeatPatients: 30).rate == 0.15)
        #expect(RepeatVisits(patients: 0, repeatPatients: 0).rate == 0)
        // More repeat patients than patients cannot be: capped.
        #expect(RepeatVisits(patients: 4, repeatPatients: 9).repeatPatients == 4)
    }

    @Test("review turnaround: minutes 1 to 10 have median 5.5 and 90th percentile 9.1")
    func turnaround() throws {
        let summary = try #require(ReviewTurnaround(minutes: (1...10).map { (value: Int64($0), count: 1) }))
        #expect(summary.reviewed == 10)
        #expect(abs(summary.medianMinutes - 5.5) < 1e-9)
        #expect(abs(summary.p90Minutes - 9.1) < 1e-9)
        #expect(ReviewTurnaround.banded([(0, 2), (4, 1), (5, 3), (59, 1), (60, 1), (500, 2)]) == [3, 3, 0, 1, 1, 2])
        #expect(ReviewTurnaround(minutes: []) == nil)
    }

    @Test("Shanghai days: 2020-01-01 begins at 16:00 UTC the day before, a Wednesday")
    func shanghaiDays() throws {
        let day = try #require(CalendarDate(year: 2020, month: 1, day: 1))
        #expect(ShanghaiDay.startMillis(of: day) == 1_577_808_000_000)
        #expect(ShanghaiDay.number(of: try #require(CalendarDate(year: 1970, month: 1, day: 1))) == 0)
        #expect(ShanghaiDay.isoWeekday(ofNumber: ShanghaiDay.number(of: day)) == 3)
        #expect(ShanghaiDay.hour(ofMillis: 1_577_808_000_000) == 0)
        #expect(ShanghaiDay.hour(ofMillis: 1_577_808_000_000 + 12 * 3_600_000 + 59 * 60_000) == 12)
    }

    @Test("a day number and its calendar date turn into each other, for any day")
    func dayRoundTrip() async {
        await propertyCheck(input: Gen.int64(in: -30_000...80_000)) { number in
            let date = ShanghaiDay.date(ofNumber: number)
            #expect(ShanghaiDay.number(of: date) == number)
            #expect(ShanghaiDay.startMillis(of: date) + ShanghaiDay.offsetMillis == number * ShanghaiDay.millisPerDay)
        }
    }

    static let requestedPeriods: [(from: String?, to: String?, first: String, last: String)] = [
        (nil, nil, "2026-11-03", "2026-12-02"),
        ("2026-11-01", nil, "2026-11-01", "2026-11-30"),
        (nil, "2026-06-30", "2026-06-01", "2026-06-30"),
        ("2026-06-01", "2026-06-07", "2026-06-01", "2026-06-07"),
    ]

    @Test("a request's period is 30 days ending today without dates, 30 days from or to the one date given, or the dates given",
          arguments: requestedPeriods)
    func requestedPeriod(_ example: (from: String?, to: String?, first: String, last: String)) throws {
        let today = try #require(CalendarDate(iso: "2026-12-02"))
        let period = try AnalyticsPeriod.requested(from: example.from.flatMap(CalendarDate.init(iso:)),
                                                   to: example.to.flatMap(CalendarDate.init(iso:)), today: today)
        #expect(period.from.description == example.first)
        #expect(period.to.description == example.last)
    }

    @Test("a requested date outside 2000 to 2100 is refused on its own field")
    func requestedPeriodRange() throws {
        let today = try #require(CalendarDate(iso: "2026-12-02"))
        for (field, from, to) in [("from", "9999-12-31", nil), ("to", nil, "0001-01-01"), ("from", "1999-12-31", "2000-01-05")] as [(String, String?, String?)] {
            do {
                _ = try AnalyticsPeriod.requested(from: from.flatMap(CalendarDate.init(iso:)), to: to.flatMap(CalendarDate.init(iso:)),
                                                  today: today)
                Issue.record("\(field) out of range was accepted")
            } catch {
                guard case .invalid(let issues) = error as? DomainError else { Issue.record("\(error)"); continue }
                #expect(issues.map(\.field) == [field] && issues.map(\.code) == ["range"])
            }
        }
    }

    @Test("a period that starts after it ends, or covers more than two years, is refused")
    func periods() throws {
        let first = try #require(CalendarDate(iso: "2026-11-01")), last = try #require(CalendarDate(iso: "2026-11-07"))
        let period = try AnalyticsPeriod(from: first, to: last)
        #expect(period.days.count == 7)
        #expect(period.endMillis - period.startMillis == 7 * ShanghaiDay.millisPerDay)
        #expect(throws: DomainError.self) { try AnalyticsPeriod(from: last, to: first) }
        #expect(throws: DomainError.self) { try AnalyticsPeriod(from: try #require(CalendarDate(iso: "2020-01-01")), to: last) }
    }

    @Test("a figure's CSV has a header row and quotes what must be quoted")
    func csv() throws {
        let period = try AnalyticsPeriod(from: try #require(CalendarDate(iso: "2026-11-01")), to: try #require(CalendarDate(iso: "2026-11-07")))
        let report = AnalyticsReport(.consultationsByKind, data: .counts([(key: "voicePerMinute", count: 2), (key: "textPackage", count: 9)]),
                                     period: period, language: .english)
        #expect(report.table.csv == "kind,count\r\ntextPackage,9\r\nvoicePerMinute,2\r\n")
        let table = AnalyticsTable(columns: ["name", "count"], rows: [[.text("a, \"b\""), .integer(1)]])
        #expect(table.csv == "name,count\r\n\"a, \"\"b\"\"\",1\r\n")
    }

    @Test("hours come out in order with the empty ones as 0; chiefs' mean hour is their hour total over their count")
    func shaping() throws {
        let period = try AnalyticsPeriod(from: try #require(CalendarDate(iso: "2026-11-01")), to: try #require(CalendarDate(iso: "2026-11-01")))
        let hours = AnalyticsReport(.consultationsByHour, data: .counts([(key: "12", count: 5), (key: "20", count: 7)]), period: period,
                                    language: .chinese)
        #expect(hours.table.rows.count == 24)
        #expect(hours.table.rows[12] == [.integer(12), .integer(5)])
        #expect(hours.table.rows[0] == [.integer(0), .integer(0)])
        let titles = AnalyticsReport(.consultationsByTitle, data: .titles([(title: "resident", count: 4, hourTotal: 52),
                                                                           (title: "chief", count: 2, hourTotal: 40)]),
                                     period: period, language: .chinese)
        #expect(titles.table.rows == [[.text("chief"), .integer(2), .decimal(20)], [.text("resident"), .integer(4), .decimal(13)]])
        #expect(titles.chart.series.first?.points.first?.label == "主任医师")
    }
}
