import Foundation

/// A day on the calendar (`YYYY-MM-DD`), without a time or zone. Birth dates, diagnosis dates,
/// and the Asia/Shanghai days that clearing, quotas and caps are counted in.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Fails unless the three numbers name a real day of the Gregorian calendar.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...CalendarDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public var description: String {
        String(zeroPadded: year, width: 4) + "-" + String(zeroPadded: month, width: 2) + "-" + String(zeroPadded: day, width: 2)
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Whole years from this date to `date` (an age when this is a birth date).
    public func years(until date: CalendarDate) -> Int {
        var years = date.year - year
        if (date.month, date.day) < (month, day) { years -= 1 }
        return years
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The Asia/Shanghai calendar day that `instant` falls on (China has one zone, UTC+8, no DST).
    public static func shanghai(_ instant: Date) -> CalendarDate {
        CalendarDate(daysSince1970: Timestamp.shanghaiMillis(instant).dividedRoundingDown(by: 86_400_000).quotient)
    }

    /// The day `days` after 1970-01-01 (before it when negative), on the proleptic Gregorian
    /// calendar. Arithmetic on 400-year eras of 146,097 days, each counted from 1 March so that a
    /// leap day ends its year: `Calendar` took a time zone and a component set on every call, and
    /// every instant the API writes and every Shanghai day a rule counts goes through here.
    init(daysSince1970 days: Int) {
        let shifted = days + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
    }
}

extension String {
    /// The decimal digits of `value` (not negative), with zeros in front up to `width` of them.
    init(zeroPadded value: Int, width: Int) {
        let digits = String(value)
        self = digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension Int64 {
    /// The quotient rounded towards minus infinity and the remainder that goes with it (never
    /// negative for a positive divisor): an instant before 1970 falls on the day before, not after.
    func dividedRoundingDown(by divisor: Int64) -> (quotient: Int, remainder: Int64) {
        var quotient = self / divisor
        var remainder = self % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (Int(quotient), remainder)
    }
}

extension CalendarDate: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CalendarDate(iso: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected a date as YYYY-MM-DD"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
