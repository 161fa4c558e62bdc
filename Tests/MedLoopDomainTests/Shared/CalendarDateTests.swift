import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

struct CalendarDateTests {
    @Test("a real day written YYYY-MM-DD parses to its year, month and day and prints back the same",
          arguments: ["2026-03-02", "2024-02-29", "2000-02-29", "1949-12-31", "0001-01-01", "9999-12-31", "2026-04-30"])
    func parsesValid(text: String) throws {
        let date = try #require(CalendarDate(iso: text))
        let parts = text.split(separator: "-").compactMap { Int($0) }
        #expect([date.year, date.month, date.day] == parts)
        #expect(date.description == text)
    }

    @Test("text that is not a real day written YYYY-MM-DD does not parse",
          arguments: ["", "2026-3-02", "2026-03-2", "26-03-02", "20260302", "2026/03/02", "2026-03-02T00:00",
                      " 2026-03-02", "2026-13-01", "2026-00-10", "2026-03-00", "2026-04-31", "0000-01-01",
                      "2023-02-29", "1900-02-29", "2100-02-29", "2026-02-30", "+026-03-02", "2026--3-02", "２０２６-03-02"])
    func refusesInvalid(text: String) {
        #expect(CalendarDate(iso: text) == nil)
    }

    @Test("29 February exists in leap years only: every fourth year, except centuries not divisible by 400",
          arguments: [1600, 1900, 2000, 2023, 2024, 2100, 2400])
    func leapDay(year: Int) {
        let isLeap = year % 400 == 0 || (year % 4 == 0 && year % 100 != 0)
        #expect((CalendarDate(year: year, month: 2, day: 29) != nil) == isLeap)
        #expect(CalendarDate(year: year, month: 2, day: 28) != nil)
        #expect(CalendarDate(year: year, month: 2, day: 30) == nil)
    }

    @Test("dates order by year, then month, then day")
    func ordering() throws {
        let dates = try ["2026-03-02", "2025-12-31", "2026-02-28", "2026-03-01", "1999-07-15"].map(day)
        let sorted = dates.sorted().map(\.description)
        #expect(sorted == ["1999-07-15", "2025-12-31", "2026-02-28", "2026-03-01", "2026-03-02"])
    }

    @Test("whole years count up on the anniversary, not the day before")
    func years() throws {
        let birth = try day("1990-05-10")
        let dayBefore = try day("2026-05-09")
        let anniversary = try day("2026-05-10")
        let sameDay = try day("1990-05-10")
        let laterSameYear = try day("1990-12-31")
        #expect(birth.years(until: dayBefore) == 35)
        #expect(birth.years(until: anniversary) == 36)
        #expect(birth.years(until: sameDay) == 0)
        #expect(birth.years(until: laterSameYear) == 0)
    }

    @Test("a leap-day birth date completes a year on 1 March of a common year and on 29 February of a leap year")
    func yearsFromLeapDay() throws {
        let birth = try day("2000-02-29")
        let feb28 = try day("2018-02-28")
        let march1 = try day("2018-03-01")
        let leapFeb28 = try day("2020-02-28")
        let leapFeb29 = try day("2020-02-29")
        #expect(birth.years(until: feb28) == 17)
        #expect(birth.years(until: march1) == 18)
        #expect(birth.years(until: leapFeb28) == 19)
        #expect(birth.years(until: leapFeb29) == 20)
    }

    @Test("an instant at 2026-03-01T16:30:00Z falls on 2026-03-02 in Shanghai")
    func shanghaiAfterMidnight() {
        // 1_772_382_600 s after the epoch is 2026-03-01T16:30:00Z, 00:30 the next day at UTC+8.
        let instant = Date(timeIntervalSince1970: 1_772_382_600)
        #expect(CalendarDate.shanghai(instant) == CalendarDate(year: 2026, month: 3, day: 2))
    }

    @Test("the Shanghai day changes at 16:00 UTC")
    func shanghaiMidnight() {
        // 2026-03-01T16:00:00Z is midnight in Shanghai; one second earlier is still 1 March.
        let midnight = Date(timeIntervalSince1970: 1_772_380_800)
        #expect(CalendarDate.shanghai(midnight) == CalendarDate(year: 2026, month: 3, day: 2))
        #expect(CalendarDate.shanghai(midnight.addingTimeInterval(-1)) == CalendarDate(year: 2026, month: 3, day: 1))
        // New Year's Eve in UTC is already New Year's Day in Shanghai.
        let newYear = Date(timeIntervalSince1970: 1_767_196_800) // 2025-12-31T16:00:00Z
        #expect(CalendarDate.shanghai(newYear) == CalendarDate(year: 2026, month: 1, day: 1))
    }

    @Test("a count of days from 1970-01-01 names the day it reaches, across leap days and centuries",
          arguments: [(0, "1970-01-01"), (-1, "1969-12-31"), (59, "1970-03-01"), (10_956, "1999-12-31"),
                      (11_016, "2000-02-29"), (11_017, "2000-03-01"), (19_782, "2024-02-29"), (20_513, "2026-03-01"),
                      (-25_509, "1900-02-28"), (-25_508, "1900-03-01"), (2_932_896, "9999-12-31"), (-719_162, "0001-01-01")])
    func daysSince1970(days: Int, text: String) {
        #expect(CalendarDate(daysSince1970: days).description == text)
    }

    @Test("the Shanghai day of any instant is the day Foundation's calendar gives at UTC+8")
    func shanghaiMatchesCalendar() async {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        // 1900 to 2200, to the millisecond.
        await propertyCheck(input: Gen.int64(in: -2_208_988_800_000...7_258_118_400_000)) { millis in
            let instant = Date(epochMillis: millis)
            let parts = calendar.dateComponents([.year, .month, .day], from: instant)
            #expect(CalendarDate.shanghai(instant) == CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!))
        }
    }

    @Test("a date travels through JSON as YYYY-MM-DD and back unchanged")
    func codableRoundTrip() throws {
        let dates = try ["2024-02-29", "0001-01-01", "2026-03-02"].map(day)
        let data = try JSONEncoder().encode(dates)
        #expect(String(decoding: data, as: UTF8.self) == #"["2024-02-29","0001-01-01","2026-03-02"]"#)
        let decoded = try JSONDecoder().decode([CalendarDate].self, from: data)
        #expect(decoded == dates)
    }

    @Test("JSON that is not a real YYYY-MM-DD day does not decode", arguments: [#"["2023-02-29"]"#, #"["2026-3-2"]"#, "[20260302]"])
    func codableRefusesInvalid(json: String) {
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode([CalendarDate].self, from: Data(json.utf8))
        }
    }
}
