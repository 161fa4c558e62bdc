import Foundation

/// Where "now" comes from. Domain rules never read the clock: callers pass `now`, taken from one
/// of these, so tests can move time.
public protocol MedLoopClock: Sendable {
    func now() -> Date
}

/// The machine's clock.
public struct SystemClock: MedLoopClock {
    public init() {}
    public func now() -> Date { Date() }
}
