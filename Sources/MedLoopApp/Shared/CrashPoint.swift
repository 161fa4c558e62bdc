import Foundation

/// Named points where a server can be made to die at once (SIGKILL, no clean-up), to prove that a
/// crash at any moment loses nothing and does nothing twice (`scripts/crash-test`). Set by
/// `MEDLOOP_CRASH_AT` for tests only; unset, reaching a point costs a comparison.
public struct CrashPoints: Sendable {
    /// The point to die at, if any.
    public let armed: String?

    public init(armed: String?) {
        self.armed = armed
    }

    /// The points an idempotent request passes, in order.
    public static let idempotencyPoints = ["idempotency.claimed", "idempotency.applied", "idempotency.answered",
                                           "idempotency.committed"]

    /// Every point a server can be armed to die at: those of an idempotent request, and between the
    /// two steps of a cross-region settlement (the payment committed, the confirmation not yet run).
    public static let all = idempotencyPoints + ["cross_region.reserved"]

    /// Dies here if this is the armed point.
    public func reach(_ point: String) {
        guard let armed, armed == point else { return }
        kill(getpid(), SIGKILL)
    }
}
