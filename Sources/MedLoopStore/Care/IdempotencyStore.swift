import Foundation
import MedLoopDomain
import SQLKit

/// How an `Idempotency-Key` was used before.
public enum IdempotencyRecord: Sendable, Equatable {
    /// Never used by this account.
    case unused
    /// Used with the same request: its first answer, to send again.
    case answered(status: Int, body: String)
    /// Used with another request: 409 `idempotency_key_reused`.
    case reused
    /// Claimed by a request that never recorded its answer (only from before claims, effects and
    /// answers committed together): 409 `idempotency_key_in_use`.
    case unanswered
}

/// Remembers responses to POSTs that create orders, payments and refunds (API.md, headers), so
/// a retried request is answered once. A key is claimed, its request's effect applied and the
/// answer stored in ONE unit of work (`claim` and `answer` run inside the request's unit): after a
/// crash at any point either all of it is there or none of it, and a retry gets the first answer
/// or runs once. Keys are kept at least 24 hours.
public struct IdempotencyStore: Sendable {
    let database: Database
    public static let retention: TimeInterval = 24 * 3600

    public init(database: Database) {
        self.database = database
    }

    /// How `key` of this account was used, as committed.
    public func record(account: UUID, key: String, requestHash: String) async throws -> IdempotencyRecord {
        try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT request_hash, status, response FROM idempotency_keys
                WHERE account_id = \(bind: account.text) AND key = \(bind: key)
                """).first() else { return .unused }
            guard try row.text("request_hash") == requestHash else { return .reused }
            guard let status = try row.optionalInt64("status"), let body = try row.optionalText("response") else { return .unanswered }
            return .answered(status: Int(status), body: body)
        }
    }

    /// Claims `key` inside the request's unit of work. A racing request with the same key fails
    /// here with a unique violation (`isUniqueViolation`): on PostgreSQL once the first one's unit
    /// has ended; on SQLite possibly while that unit's transaction is still open for others (group
    /// commit). It should read the `record` again in a unit of work, which sees the first answer
    /// once it has committed.
    public func claim(account: UUID, key: String, requestHash: String, now: Date, in tx: Transaction) async throws {
        try await tx.sql.raw("""
            INSERT INTO idempotency_keys (account_id, key, request_hash, status, response, created_at)
            VALUES (\(bind: account.text), \(bind: key), \(bind: requestHash), \(bind: Int64?.none), \(bind: String?.none),
                    \(bind: now.epochMillis))
            """).run()
    }

    /// Stores the answer to send again, in the same unit of work as the claim and the effect.
    public func answer(account: UUID, key: String, status: Int, body: String, in tx: Transaction) async throws {
        try await tx.sql.raw("""
            UPDATE idempotency_keys SET status = \(bind: Int64(status)), response = \(bind: body)
            WHERE account_id = \(bind: account.text) AND key = \(bind: key)
            """).run()
    }

    /// How many keys were claimed and never answered (none, since claims and answers commit
    /// together; `medloop check` reports any).
    public func unansweredCount() async throws -> Int {
        try await database.read { sql in
            Int(try await sql.raw("SELECT COUNT(*) AS n FROM idempotency_keys WHERE response IS NULL").first()?.int64("n") ?? 0)
        }
    }

    /// Deletes keys older than the retention period; returns how many.
    public func purge(before cutoff: Date) async throws -> Int {
        try await database.unitOfWork { tx in
            try await tx.sql.raw("DELETE FROM idempotency_keys WHERE created_at < \(bind: cutoff.epochMillis) RETURNING key").all().count
        }
    }
}
