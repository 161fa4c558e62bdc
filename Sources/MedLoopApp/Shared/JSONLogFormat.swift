import Logging
import MedLoopDomain

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of one structured log line: a JSON object with `time`, `level`, `label`, `message`
/// and the metadata keys, keys in byte order, ending in a newline.
///
/// Written byte by byte, with no JSON serialiser and no date formatter, because it runs once per
/// request (issue 21). Guarantees: the output is valid JSON whose strings read back as exactly the
/// strings given (quote, backslash and control characters escaped, other UTF-8 passed through);
/// `time` is RFC 3339 UTC with milliseconds (`2026-12-02T13:05:01.123Z`); a metadata key named like
/// a fixed field loses to the fixed field; a metadata value is its `description`.
enum JSONLogFormat {
    /// The fixed fields, in byte order of their keys, which is the order they take in a line.
    private static let fixedKeys = ["label", "level", "message", "time"]

    /// Appends one line, newline included, to `buffer`; `overrides` wins over `metadata` for a key
    /// both have (an event's metadata over its logger's). The two are read in place, not merged
    /// into a third: this runs once per request.
    static func appendLine(to buffer: inout [UInt8], millisecondsSinceEpoch: Int64, level: String, label: String,
                           message: String, metadata: Logger.Metadata, overriddenBy overrides: Logger.Metadata = [:]) {
        var keys: [String] = []
        keys.reserveCapacity(metadata.count + overrides.count)
        for key in overrides.keys where !fixedKeys.contains(key) { keys.append(key) }
        for key in metadata.keys where overrides[key] == nil && !fixedKeys.contains(key) { keys.append(key) }
        keys.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }

        buffer.append(UInt8(ascii: "{"))
        var isFirst = true
        func appendField(_ key: String) {
            if !isFirst { buffer.append(UInt8(ascii: ",")) }
            isFirst = false
            appendString(key, to: &buffer)
            buffer.append(UInt8(ascii: ":"))
        }
        func appendMetadata(_ key: String) {
            appendField(key)
            appendString((overrides[key] ?? metadata[key])?.description ?? "", to: &buffer)
        }
        // Merge the sorted metadata keys with the sorted fixed keys.
        var next = keys.startIndex
        for fixed in fixedKeys {
            while next < keys.endIndex, keys[next].utf8.lexicographicallyPrecedes(fixed.utf8) {
                appendMetadata(keys[next])
                next += 1
            }
            appendField(fixed)
            switch fixed {
            case "label": appendString(label, to: &buffer)
            case "level": appendString(level, to: &buffer)
            case "message": appendString(message, to: &buffer)
            default:
                buffer.append(UInt8(ascii: "\""))
                appendTimestamp(millisecondsSinceEpoch: millisecondsSinceEpoch, to: &buffer)
                buffer.append(UInt8(ascii: "\""))
            }
        }
        while next < keys.endIndex {
            appendMetadata(keys[next])
            next += 1
        }
        buffer.append(UInt8(ascii: "}"))
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Appends `string` as a quoted JSON string.
    static func appendString(_ string: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        let copied: Void? = string.utf8.withContiguousStorageIfAvailable { bytes in
            // Copy each run of bytes that need no escape in one go.
            var runStart = bytes.startIndex
            for index in bytes.indices where needsEscape(bytes[index]) {
                buffer.append(contentsOf: bytes[runStart..<index])
                appendEscaped(bytes[index], to: &buffer)
                runStart = index + 1
            }
            buffer.append(contentsOf: bytes[runStart..<bytes.endIndex])
        }
        if copied == nil {
            for byte in string.utf8 {
                if needsEscape(byte) { appendEscaped(byte, to: &buffer) } else { buffer.append(byte) }
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func appendEscaped(_ byte: UInt8, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\n"): buffer.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): buffer.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): buffer.append(UInt8(ascii: "t"))
        case 0x00..<0x20:
            buffer.append(UInt8(ascii: "u"))
            buffer.append(UInt8(ascii: "0"))
            buffer.append(UInt8(ascii: "0"))
            buffer.append(hexDigit(byte >> 4))
            buffer.append(hexDigit(byte & 0x0F))
        default:
            buffer.append(byte)  // the quote and the backslash themselves
        }
    }

    /// Appends the instant as RFC 3339 UTC with milliseconds, e.g. `2026-12-02T13:05:01.123Z`,
    /// worked out from the epoch with the proleptic Gregorian calendar.
    static func appendTimestamp(millisecondsSinceEpoch: Int64, to buffer: inout [UInt8]) {
        let (days, millisecondOfDay) = floorDivide(millisecondsSinceEpoch, 86_400_000)
        // Day numbers count from 1970-01-01 whatever the offset (`ShanghaiDay` adds its own elsewhere).
        let date = ShanghaiDay.date(ofNumber: days)
        let (year, month, day) = (Int64(date.year), Int64(date.month), Int64(date.day))
        if year < 0 { buffer.append(UInt8(ascii: "-")) }
        appendDigits(abs(year), count: 4, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: "T"))
        appendDigits(millisecondOfDay / 3_600_000, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        appendDigits(millisecondOfDay / 60_000 % 60, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        appendDigits(millisecondOfDay / 1_000 % 60, count: 2, to: &buffer)
        buffer.append(UInt8(ascii: "."))
        appendDigits(millisecondOfDay % 1_000, count: 3, to: &buffer)
        buffer.append(UInt8(ascii: "Z"))
    }

    /// The instant as `appendTimestamp` writes it.
    static func timestamp(millisecondsSinceEpoch: Int64) -> String {
        var bytes: [UInt8] = []
        appendTimestamp(millisecondsSinceEpoch: millisecondsSinceEpoch, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The wall clock now, in whole milliseconds since 1970-01-01T00:00:00Z.
    static func nowMillisecondsSinceEpoch() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value / divisor
        let remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    private static func appendDigits(_ value: Int64, count: Int, to buffer: inout [UInt8]) {
        var divisor: Int64 = 1
        var width = 1
        while divisor <= value / 10 {
            divisor *= 10
            width += 1
        }
        for _ in width..<max(count, width) { buffer.append(UInt8(ascii: "0")) }
        while divisor > 0 {
            buffer.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
