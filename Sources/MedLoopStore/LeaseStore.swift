import Foundation
import MedLoopDomain
import SQLKit

/// Named leases held by one server at a time until they expire.
public struct LeaseStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Takes or renews the lease `name` for `holder` until `now + duration`; returns whether this
    /// holder has it. A lease held by another holder is taken only once it has expired.
    public func acquire(_ name: String, holder: String, now: Date, duration: TimeInterval) async throws -> Bool {
        try await database.unitOfWork { tx in
            try await tx.sql.raw("""
                INSERT INTO leases (name, holder, expires_at)
                VALUES (\(bind: name), \(bind: holder), \(bind: now.addingTimeInterval(duration).epochMillis))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE leases.holder = excluded.holder OR leases.expires_at <= \(bind: now.epochMillis)
                RETURNING holder
                """).first() != nil
        }
    }

    /// Gives the lease up early (on shutdown).
    public func release(_ name: String, holder: String) async throws {
        try await database.unitOfWork { tx in
            try await tx.sql.raw("DELETE FROM leases WHERE name = \(bind: name) AND holder = \(bind: holder)").run()
        }
    }
}
