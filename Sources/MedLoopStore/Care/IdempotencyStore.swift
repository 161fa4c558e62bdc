import Foundation
import MedLoopDomain
import SQLKit

/// What to do with a request that carries an `Idempotency-Key`.
public enum IdempotencyDecision: Sendable, Equatable {
    /// First time: run it, then `finish`.
    case proceed
    /// Seen with the same body: send the first response again.
    case replay(status: Int, body: String)
    /// Seen with another body, or still running: 409 with this code.
    case conflict(code: String)
}

/// Remembers responses to POSTs that create orders, payments and refunds (API.md, headers), so
/// a retried request is answered once. Keys are kept at least 24 hours.
public struct IdempotencyStore: Sendable {
    let database: Database
    public static let retention: TimeInterval = 24 * 3600

    public init(database: Database) {
        self.database = database
    }

    /// Claims `key` for this account and request, or says how the key was used before.
    public func begin(account: UUID, key: String, requestHash: String, now: Date) async throws -> IdempotencyDecision {
        try await database.unitOfWork { tx in
            if let row = try await tx.sql.raw("""
                SELECT request_hash, status, response FROM idempotency_keys
                WHERE account_id = \(bind: account.text) AND key = \(bind: key)
                """).first() {
                guard try row.text("request_hash") == requestHash else { return .conflict(code: "idempotency_key_reused") }
                guard let status = try row.optionalInt64("status"), let body = try row.optionalText("response") else {
                    return .conflict(code: "idempotency_key_in_use")
                }
                return .replay(status: Int(status), body: body)
            }
            do {
                try await tx.sql.raw("""
                    INSERT INTO idempotency_keys (account_id, key, request_hash, status, response, created_at)
                    VALUES (\(bind: account.text), \(bind: key), \(bind: requestHash), \(bind: Int64?.none), \(bind: String?.none),
                            \(bind: now.epochMillis))
                    """).run()
            } catch where isUniqueViolation(error) {
                return .conflict(code: "idempotency_key_in_use")
            }
            return .proceed
        }
    }

    /// Records the response to replay.
    public func finish(account: UUID, key: String, status: Int, body: String) async throws {
        try await database.unitOfWork { tx in
            try await tx.sql.raw("""
                UPDATE idempotency_keys SET status = \(bind: Int64(status)), response = \(bind: body)
                WHERE account_id = \(bind: account.text) AND key = \(bind: key)
                """).run()
        }
    }

    /// Forgets a claim whose request failed on the server's side, so the client may retry.
    public func abandon(account: UUID, key: String) async throws {
        try await database.unitOfWork { tx in
            try await tx.sql.raw("DELETE FROM idempotency_keys WHERE account_id = \(bind: account.text) AND key = \(bind: key)").run()
        }
    }

    /// Deletes keys older than the retention period; returns how many.
    public func purge(before cutoff: Date) async throws -> Int {
        try await database.unitOfWork { tx in
            try await tx.sql.raw("DELETE FROM idempotency_keys WHERE created_at < \(bind: cutoff.epochMillis) RETURNING key").all().count
        }
    }
}
