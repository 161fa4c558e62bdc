import Foundation

/// What a throttle counts attempts against. Sign-in counts per phone at one client address, per
/// client address and per phone from anywhere; sign-up counts per client address.
public enum ThrottleScope: String, Sendable, CaseIterable, Codable {
    /// One phone number tried from one client address: the owner's own mistakes, or one guesser.
    case phoneAtAddress
    /// Every phone tried from one client address: one machine trying many accounts.
    case address
    /// One phone tried from any address: many machines guessing one account.
    case phone
    /// Sign-ups from one client address: nobody learns much by trying identifiers one by one.
    case signUpAddress

    /// Attempts free of delay, and the longest delay a run of failures grows to.
    public var limit: ThrottleLimit {
        switch self {
        case .phoneAtAddress: return ThrottleLimit(freeAttempts: 5, maximumDelay: 15 * 60)
        case .address: return ThrottleLimit(freeAttempts: 20, maximumDelay: 15 * 60)
        // High enough that one address, slowed by its own two limits, cannot reach it: a burst
        // from one place never delays the owner signing in from another.
        case .phone: return ThrottleLimit(freeAttempts: 50, maximumDelay: 5 * 60)
        case .signUpAddress: return ThrottleLimit(freeAttempts: 10, maximumDelay: 60 * 60)
        }
    }
}

/// How many attempts a scope allows before delays start, and the cap of the growing delay.
public struct ThrottleLimit: Sendable, Equatable {
    public var freeAttempts: Int
    /// Seconds.
    public var maximumDelay: TimeInterval

    public init(freeAttempts: Int, maximumDelay: TimeInterval) {
        self.freeAttempts = freeAttempts
        self.maximumDelay = maximumDelay
    }
}

/// The attempts one key of a scope has made recently (failures for sign-in, every try for sign-up).
public struct AttemptCount: Sendable, Equatable {
    public var attempts: Int
    /// When the last counted attempt happened; `nil` when none counts.
    public var lastAttemptAt: Date?

    public init(attempts: Int, lastAttemptAt: Date?) {
        self.attempts = attempts
        self.lastAttemptAt = lastAttemptAt
    }

    public static let none = AttemptCount(attempts: 0, lastAttemptAt: nil)
}

/// Whether an attempt may go ahead now.
public enum ThrottleDecision: Sendable, Equatable {
    case allowed
    /// Refused; the client may try again after this many whole seconds (`Retry-After`).
    case wait(seconds: Int)
}

/// Growing delays instead of a lock-out (README, "Sign-in throttle"): in each scope the first
/// `freeAttempts` counted attempts go through at once; after that each further attempt must wait
/// 1, 2, 4, 8 … seconds after the previous one, up to the scope's maximum. A key that stays quiet
/// for `quietPeriod` starts again from zero. The right password from a client address that has not
/// been failing is never delayed by failures elsewhere, unless the phone itself is under a
/// distributed attack (its own, higher limit).
public enum AttemptThrottle {
    /// After this long without a counted attempt, a key's count starts again from zero.
    public static let quietPeriod: TimeInterval = 15 * 60

    /// The count as it stands at `now`: forgotten once the key has been quiet for `quietPeriod`.
    public static func current(_ count: AttemptCount, now: Date) -> AttemptCount {
        guard let last = count.lastAttemptAt, now.timeIntervalSince(last) < quietPeriod else { return .none }
        return count
    }

    /// The delay required after `attempts` counted attempts: none within the free attempts, then
    /// doubling from one second, capped at the scope's maximum.
    public static func delay(afterAttempts attempts: Int, limit: ThrottleLimit) -> TimeInterval {
        let over = attempts - limit.freeAttempts
        guard over >= 0 else { return 0 }
        // 2^over seconds, without overflowing for long runs.
        let doubling = over >= 30 ? limit.maximumDelay : TimeInterval(1 << over)
        return min(doubling, limit.maximumDelay)
    }

    /// Decides one attempt against every scope it counts in; the longest wait wins.
    public static func check(_ counts: [ThrottleScope: AttemptCount], now: Date) -> ThrottleDecision {
        var wait: TimeInterval = 0
        for (scope, stored) in counts {
            let count = current(stored, now: now)
            let required = delay(afterAttempts: count.attempts, limit: scope.limit)
            // Within the free attempts nothing waits, even when a racing attempt stamped the
            // count an instant after this one's `now`.
            guard required > 0, let last = count.lastAttemptAt else { continue }
            let allowedAt = last.addingTimeInterval(required)
            wait = max(wait, allowedAt.timeIntervalSince(now))
        }
        return wait > 0 ? .wait(seconds: Int(wait.rounded(.up))) : .allowed
    }

    /// The count after one more attempt at `now`. Sign-in counts the attempt before the password
    /// is checked, so that racing guesses cannot all pass the check before any failure is counted.
    public static func counting(_ count: AttemptCount, at now: Date) -> AttemptCount {
        AttemptCount(attempts: current(count, now: now).attempts + 1, lastAttemptAt: now)
    }

    /// The count after an attempt counted in advance turned out well: the attempt no longer counts.
    public static func forgiving(_ count: AttemptCount) -> AttemptCount {
        let attempts = max(0, count.attempts - 1)
        return AttemptCount(attempts: attempts, lastAttemptAt: attempts == 0 ? nil : count.lastAttemptAt)
    }
}
