import Foundation
import MedLoopDomain
import SQLKit

/// The counters behind `AttemptThrottle`. Each call reads, decides and writes in one unit of
/// work with the rows locked (SQLite's single writer; `FOR UPDATE` on PostgreSQL), so racing
/// attempts are decided one after another: twenty wrong passwords at once are counted as twenty.
public struct ThrottleStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Counts one attempt under every key, unless one of the scopes says to wait; then nothing is
    /// counted and the wait is returned. Keys are already keyed hashes (no phone in the table).
    public func attempt(_ keys: [ThrottleScope: String], now: Date) async throws -> ThrottleDecision {
        try await database.unitOfWork { tx in
            let counts = try await lockedCounts(keys, in: tx)
            let decision = AttemptThrottle.check(counts, now: now)
            guard decision == .allowed else { return decision }
            for (scope, count) in counts {
                try await save(AttemptThrottle.counting(count, at: now), scope: scope, key: keys[scope]!, in: tx)
            }
            return decision
        }
    }

    /// An attempt counted in advance went well: the counts under `clearing` start again from
    /// zero and those under `forgiving` take the attempt back.
    public func succeeded(clearing: [ThrottleScope: String], forgiving: [ThrottleScope: String]) async throws {
        try await database.unitOfWork { tx in
            for (scope, count) in try await lockedCounts(forgiving, in: tx) {
                try await save(AttemptThrottle.forgiving(count), scope: scope, key: forgiving[scope]!, in: tx)
            }
            for (scope, key) in clearing {
                try await tx.sql.raw("DELETE FROM throttle_counters WHERE scope = \(bind: scope.rawValue) AND key = \(bind: key)").run()
            }
        }
    }

    /// Forgets counters that have been quiet for longer than the throttle remembers; returns how many.
    public func purge(now: Date) async throws -> Int {
        let cutoff = now.addingTimeInterval(-AttemptThrottle.quietPeriod).epochMillis
        return try await database.unitOfWork { tx in
            try await tx.sql.raw("""
                DELETE FROM throttle_counters WHERE last_attempt_at IS NULL OR last_attempt_at < \(bind: cutoff) RETURNING key
                """).all().count
        }
    }

    /// The counts under `keys`, their rows created when missing and locked until the unit of
    /// work ends. Rows are taken in one order so two attempts never wait for each other in a cycle.
    private func lockedCounts(_ keys: [ThrottleScope: String], in tx: Transaction) async throws -> [ThrottleScope: AttemptCount] {
        var counts: [ThrottleScope: AttemptCount] = [:]
        let lock: SQLQueryString = tx.engine == .postgres ? " FOR UPDATE" : ""
        for (scope, key) in keys.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            try await tx.sql.raw("""
                INSERT INTO throttle_counters (scope, key, attempts, last_attempt_at)
                VALUES (\(bind: scope.rawValue), \(bind: key), 0, \(bind: Int64?.none))
                ON CONFLICT (scope, key) DO NOTHING
                """).run()
            let row = try await tx.sql.raw("""
                SELECT attempts, last_attempt_at FROM throttle_counters
                WHERE scope = \(bind: scope.rawValue) AND key = \(bind: key)\(lock)
                """).first()
            counts[scope] = AttemptCount(attempts: Int(try row?.int64("attempts") ?? 0),
                                         lastAttemptAt: try row?.optionalInstant("last_attempt_at"))
        }
        return counts
    }

    private func save(_ count: AttemptCount, scope: ThrottleScope, key: String, in tx: Transaction) async throws {
        try await tx.sql.raw("""
            UPDATE throttle_counters SET attempts = \(bind: Int64(count.attempts)), last_attempt_at = \(bind: count.lastAttemptAt?.epochMillis)
            WHERE scope = \(bind: scope.rawValue) AND key = \(bind: key)
            """).run()
    }
}
