import Foundation

/// RFC 3339 text for instants (API.md, shape): written in China Standard Time with its offset,
/// read with any offset.
public enum Timestamp {
    /// `2026-03-02T12:30:00+08:00` (milliseconds are added when present).
    public static func format(_ instant: Date) -> String {
        let (days, millisOfDay) = shanghaiMillis(instant).dividedRoundingDown(by: 86_400_000)
        let seconds = Int(millisOfDay / 1000)
        let millis = Int(millisOfDay % 1000)
        var text = CalendarDate(daysSince1970: days).description + "T" + String(zeroPadded: seconds / 3600, width: 2)
            + ":" + String(zeroPadded: seconds / 60 % 60, width: 2) + ":" + String(zeroPadded: seconds % 60, width: 2)
        if millis > 0 { text += "." + String(zeroPadded: millis, width: 3) }
        return text + "+08:00"
    }

    /// Milliseconds from 1970-01-01T00:00 in China Standard Time (UTC+8) to `instant`, truncated:
    /// never rounded up into the next second. An instant within a microsecond below a whole
    /// millisecond counts as that millisecond, because a whole millisecond read from the database
    /// (`Date(epochMillis:)`) is often a hair below it in a `Double`.
    static func shanghaiMillis(_ instant: Date) -> Int64 {
        Int64((instant.timeIntervalSince1970 * 1000 + 0.001).rounded(.down)) + 8 * 3_600_000
    }

    /// Parses RFC 3339 with `Z` or a numeric offset, with or without fractional seconds.
    public static func parse(_ text: String) -> Date? {
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let whole = Date.ISO8601FormatStyle()
        return (try? whole.parse(text)) ?? (try? fractional.parse(text))
    }
}

extension Date {
    /// Milliseconds since 1970 UTC: how every instant is stored, the same on both engines.
    public var epochMillis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    public init(epochMillis: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(epochMillis) / 1000)
    }
}
