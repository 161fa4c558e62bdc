import Foundation

/// RFC 3339 text for instants (API.md, shape): written in China Standard Time with its offset,
/// read with any offset.
public enum Timestamp {
    private static let shanghai: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        return calendar
    }()

    /// `2026-03-02T12:30:00+08:00` (milliseconds are added when present).
    public static func format(_ instant: Date) -> String {
        let parts = shanghai.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: instant)
        // Truncated, never rounded: rounding up to 1000 would need a carry into the seconds.
        let millis = (parts.nanosecond ?? 0) / 1_000_000
        var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year!, parts.month!, parts.day!,
                          parts.hour!, parts.minute!, parts.second!)
        if millis > 0 { text += String(format: ".%03d", millis) }
        return text + "+08:00"
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
