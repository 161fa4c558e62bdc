import Foundation

extension UUID {
    /// A time-ordered UUID (RFC 9562 version 7): 48 bits of Unix milliseconds, a 12-bit counter
    /// that keeps identifiers made in the same millisecond in creation order within this process
    /// (method 1 of RFC 9562 §6.2), then random bits — so new rows land at the end of an index
    /// and messages sort in the order they were sent.
    public static func v7(at instant: Date) -> UUID {
        let (millis, counter) = V7Clock.shared.next(millis: UInt64(max(0, instant.timeIntervalSince1970 * 1000)))
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - i))) }
        var generator = SystemRandomNumberGenerator()
        for i in 10..<16 { bytes[i] = generator.next() }
        // The 26-bit counter, most significant bits first, around the version and variant bits
        // (RFC 9562, 6.2, a fixed-length dedicated counter): 4 + 8 + 6 + 8 bits.
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: counter >> 22)
        bytes[7] = UInt8(truncatingIfNeeded: counter >> 14)
        bytes[8] = 0x80 | UInt8(truncatingIfNeeded: counter >> 8) & 0x3F
        bytes[9] = UInt8(truncatingIfNeeded: counter)
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    /// The lower-case text form stored in the database and shown in the API.
    public var text: String {
        let hex = Array("0123456789abcdef".utf8)
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var at = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    out[at] = hex[Int(byte >> 4)]
                    out[at + 1] = hex[Int(byte & 0x0F)]
                    at += 2
                }
                return at
            }
        }
    }

    /// Parses the canonical text form (36 characters, hyphens after the 8th, 12th, 16th and 20th
    /// hex digit, either case), as `UUID(uuidString:)` does but without its cost: every identifier
    /// read from the database goes through here.
    public init?(text: String) {
        var text = text
        let parsed: uuid_t? = text.withUTF8 { utf8 -> uuid_t? in
            guard utf8.count == 36 else { return nil }
            var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            let complete = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
                var at = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        guard utf8[at] == UInt8(ascii: "-") else { return false }
                        at += 1
                    }
                    guard let high = Self.hexValue(utf8[at]), let low = Self.hexValue(utf8[at + 1]) else { return false }
                    out[index] = high << 4 | low
                    at += 2
                }
                return true
            }
            return complete ? bytes : nil
        }
        guard let parsed else { return nil }
        self.init(uuid: parsed)
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

import Crypto

extension UUID {
    /// A stable UUID derived from a name (RFC 9562 version 8, SHA-256 based): the demo world gets the
    /// same identifiers on every machine.
    public static func named(_ name: String) -> UUID {
        var bytes = Array(SHA256.hash(data: Data("medloop:\(name)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}

import Synchronization

/// The counters of the milliseconds `UUID.v7` handed out lately. Callers may interleave
/// instants (a request stamped with its own clock, a test clock beside the real one), so each
/// recent millisecond keeps its own counter.
private final class V7Clock: Sendable {
    static let shared = V7Clock()
    private let counters = Mutex<[UInt64: UInt32]>([:])
    private static let remembered = 1 << 16
    /// The counter's bits. With 12 (the version's random field alone), a fixed instant that a
    /// process's tests share ran past 2,048 identifiers and wrapped, and later ones sorted first.
    static let counterBits: UInt32 = 26

    /// The millisecond and 26-bit counter for the next identifier. Within one millisecond the
    /// counter counts up from a random point in its lower half (33 million steps at least before
    /// it could wrap); instants are never moved.
    func next(millis: UInt64) -> (UInt64, UInt32) {
        counters.withLock { counters in
            let counter: UInt32
            if let last = counters[millis] {
                counter = (last + 1) & (1 << V7Clock.counterBits - 1)
            } else {
                if counters.count >= V7Clock.remembered {
                    // Forget the older half at once: a server's milliseconds only grow, and a burst
                    // of identifiers over many instants (a generator) must not make a millisecond
                    // still in use start again from a random counter (out of creation order).
                    let cutoff = counters.keys.sorted()[counters.count / 2]
                    counters = counters.filter { $0.key >= cutoff }
                }
                counter = UInt32.random(in: 0..<(1 << (V7Clock.counterBits - 1)))
            }
            counters[millis] = counter
            return (millis, counter)
        }
    }
}
