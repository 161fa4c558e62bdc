import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

struct TimestampTests {
    /// 2026-03-02T04:30:00Z, 12:30 in Shanghai.
    static let halfPastTwelve = Date(timeIntervalSince1970: 1_772_425_800)

    @Test("an instant is written in China Standard Time with a +08:00 offset")
    func formatsInShanghaiTime() {
        #expect(Timestamp.format(Self.halfPastTwelve) == "2026-03-02T12:30:00+08:00")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T08:00:00+08:00")
        // 2026-03-01T15:59:59Z is the last second of 1 March in Shanghai.
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_772_380_799)) == "2026-03-01T23:59:59+08:00")
    }

    @Test("milliseconds are written when present, and only then")
    func formatsMilliseconds() {
        #expect(Timestamp.format(Self.halfPastTwelve.addingTimeInterval(0.25)) == "2026-03-02T12:30:00.250+08:00")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_000_000_000.123)) == "2001-09-09T09:46:40.123+08:00")
        #expect(Timestamp.format(Self.halfPastTwelve.addingTimeInterval(0.0001)) == "2026-03-02T12:30:00+08:00")
    }

    @Test("the same instant is read from any offset, with or without fractional seconds",
          arguments: ["2026-03-02T04:30:00Z", "2026-03-02T12:30:00+08:00", "2026-03-02T04:30:00+00:00",
                      "2026-03-01T23:30:00-05:00", "2026-03-02T04:30:00.000Z", "2026-03-02T12:30:00.000+08:00"])
    func parsesOffsets(text: String) throws {
        let instant = try #require(Timestamp.parse(text))
        #expect(instant == Self.halfPastTwelve)
    }

    @Test("fractional seconds are read")
    func parsesFraction() throws {
        let quarter = try #require(Timestamp.parse("2026-03-02T12:30:00.250+08:00"))
        let half = try #require(Timestamp.parse("2026-03-02T04:30:00.5Z"))
        #expect(abs(quarter.timeIntervalSince(Self.halfPastTwelve) - 0.25) < 0.000_5)
        #expect(abs(half.timeIntervalSince(Self.halfPastTwelve) - 0.5) < 0.000_5)
    }

    @Test("text that is not an RFC 3339 instant with an offset is not read",
          arguments: ["", "yesterday", "2026-03-02", "2026-03-02T12:30:00", "2026-03-02 12:30:00+08:00", "12:30:00+08:00"])
    func refusesOtherText(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test("an instant written and read back is the same instant to the millisecond",
          arguments: [0, 1_000_000_000.123, 1_772_425_800, 1_772_425_800.25, 1_772_425_800.5, 1_772_380_799.999])
    func roundTrip(seconds: Double) throws {
        let instant = Date(timeIntervalSince1970: seconds)
        let text = Timestamp.format(instant)
        #expect(text.hasSuffix("+08:00"))
        let read = try #require(Timestamp.parse(text))
        #expect(abs(read.timeIntervalSince(instant)) < 0.000_5)
    }

    @Test("text written by format reads back to the same text, whatever offset it came in")
    func textRoundTrip() throws {
        for text in ["2026-03-02T12:30:00+08:00", "2026-03-02T12:30:00.250+08:00"] {
            let read = try #require(Timestamp.parse(text))
            #expect(Timestamp.format(read) == text)
        }
        let utc = try #require(Timestamp.parse("2026-03-02T04:30:00Z"))
        #expect(Timestamp.format(utc) == "2026-03-02T12:30:00+08:00")
    }

    @Test("an instant just before a whole second is written within a millisecond of itself")
    func nearlyWholeSecond() throws {
        // 12:30:00.9996 must not be written as 12:30:00 (a dropped carry) but as 12:30:00.999.
        let instant = Self.halfPastTwelve.addingTimeInterval(0.9996)
        let read = try #require(Timestamp.parse(Timestamp.format(instant)))
        #expect(abs(read.timeIntervalSince(instant)) < 0.001)
    }

    @Test("an instant stored to the millisecond is written as Foundation's calendar reads it at UTC+8")
    func formatMatchesCalendar() async {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        // 1900 to 2200; the milliseconds from the stored whole number, as the database gives them.
        await propertyCheck(input: Gen.int64(in: -2_208_988_800_000...7_258_118_400_000)) { millis in
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                                from: Date(timeIntervalSince1970: Double(millis.dividedRoundingDown(by: 1000).quotient)))
            let fraction = millis.dividedRoundingDown(by: 1000).remainder
            let expected = [String(zeroPadded: parts.year!, width: 4), "-", String(zeroPadded: parts.month!, width: 2), "-",
                            String(zeroPadded: parts.day!, width: 2), "T", String(zeroPadded: parts.hour!, width: 2), ":",
                            String(zeroPadded: parts.minute!, width: 2), ":", String(zeroPadded: parts.second!, width: 2),
                            fraction > 0 ? "." + String(zeroPadded: Int(fraction), width: 3) : "", "+08:00"].joined()
            #expect(Timestamp.format(Date(epochMillis: millis)) == expected)
        }
    }

    @Test("instants before 1970 are written on their own day and second",
          arguments: [(-1, "1970-01-01T07:59:59.999+08:00"), (-28_800_000, "1970-01-01T00:00:00+08:00"),
                      (-28_800_001, "1969-12-31T23:59:59.999+08:00"), (-2_208_988_800_000, "1900-01-01T08:00:00+08:00")])
    func beforeTheEpoch(millis: Int64, text: String) {
        #expect(Timestamp.format(Date(epochMillis: millis)) == text)
    }
}
