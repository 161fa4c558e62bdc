import Foundation

/// SplitMix64 (Steele, Lea and Flood, 2014), as MedLoopDomain's `SplitMix64` draws it: the same seed
/// gives the same request lists on every machine and Swift version, so two runs ask the same things.
/// A copy of the domain's generator because medloop-bench speaks HTTP only and imports no MedLoop module.
struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in `0..<bound` by rejection, independent of the standard library's algorithm.
    mutating func uniform(below bound: Int) -> Int {
        precondition(bound > 0, "an empty range has no value")
        let wide = UInt64(bound)
        let limit = UInt64.max - UInt64.max % wide
        while true {
            let value = next()
            if value < limit { return Int(value % wide) }
        }
    }

    /// A uniform value in `range`.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + uniform(below: range.count)
    }

    /// True with probability `percent` / 100.
    mutating func percent(_ percent: Int) -> Bool {
        uniform(below: 100) < percent
    }

    /// One element of a non-empty array.
    mutating func pick<T>(_ items: [T]) -> T {
        items[uniform(below: items.count)]
    }

    /// A random identifier shaped like a version 4 UUID, drawn from this generator.
    mutating func uuid() -> String {
        var bytes = (0..<2).flatMap { _ in withUnsafeBytes(of: next().bigEndian) { Array($0) } }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }
}
