/// Attempt counters of the sign-in and sign-up throttle (`AttemptThrottle`): one row per scope and
/// key (a keyed hash of a phone, a client address, or both), counted in the same transaction that
/// decides, so racing attempts are counted one at a time on either engine.
extension Migrations {
    static let attemptThrottle = Migration(version: 14, name: "attempt_throttle") { _ in
        [
            """
            CREATE TABLE throttle_counters (
                scope TEXT NOT NULL,
                key TEXT NOT NULL,
                attempts BIGINT NOT NULL,
                last_attempt_at BIGINT,
                PRIMARY KEY (scope, key)
            )
            """,
            "CREATE INDEX throttle_counters_last_attempt ON throttle_counters (last_attempt_at)",
        ]
    }
}
