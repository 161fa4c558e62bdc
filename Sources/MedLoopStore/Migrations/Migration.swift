import Foundation
import SQLKit

/// One step of the schema. Migrations are numbered, applied in order, recorded in
/// `schema_migrations`, and never edited once they have landed: a change is a new migration.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    /// The statements for an engine, run in one transaction.
    public let statements: @Sendable (Engine) -> [String]

    public init(version: Int, name: String, statements: @escaping @Sendable (Engine) -> [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

/// Every migration of MedLoop, in order.
public enum Migrations {
    /// A SQL string literal for data a migration writes: quotes doubled, the same on both engines.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    public static let all: [Migration] = [
        foundation,
        doctorDirectory,
        ordersAndLedger,
        consultations,
        leases,
        notifications,
        callSessions,
        records,
        appointmentSlots,
        invitations,
        eventOutbox,
        slotCancellation,
        clusteredTerms,
        attemptThrottle,
        prescribing,
        pharmacy,
        refills,
        deliveryDestination,
        orderSite,
        insurance,
        qualification,
        alerts,
        auditSamples,
        reporting,
        analytics,
        monitor,
        credentialQueue,
        searchPlans,
        servicePriceByPlace,
        doctorSearchKey,
        loopLookups,
        termPlaces,
        searchVocabulary,
        servicePriceByCityDepartment,
        auditSealedInDatabase,
        settlementsByDayInOrder,
        approvedDoctorsByDepartment,
        doctorsByPlace,
        doctorDayVolumes,

    ]
}

/// Applies pending migrations to a database.
public struct Migrator: Sendable {
    let database: Database
    let migrations: [Migration]

    public init(database: Database, migrations: [Migration] = Migrations.all) {
        self.database = database
        self.migrations = migrations
    }

    /// Versions already applied, in order.
    public func appliedVersions() async throws -> [Int] {
        try await ensureLedger()
        return try await database.read { sql in
            try await sql.raw("SELECT version FROM schema_migrations ORDER BY version").all()
                .map { try $0.decode(column: "version", as: Int.self) }
        }
    }

    /// Applies every pending migration, each in its own transaction, and returns the applied
    /// ones. Safe when several servers start at once: PostgreSQL takes an advisory lock, SQLite
    /// has a single writer.
    @discardableResult
    public func migrate(now: Date = Date()) async throws -> [Migration] {
        try await ensureLedger()
        var applied: [Migration] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            let didApply = try await database.unitOfWork { tx in
                if tx.engine == .postgres {
                    try await tx.sql.raw("SELECT pg_advisory_xact_lock(7270001)").run()
                }
                let done = try await tx.sql.raw(
                    "SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)").first()
                guard done == nil else { return false }
                for statement in migration.statements(tx.engine) {
                    try await tx.sql.raw(SQLQueryString(statement)).run()
                }
                try await tx.sql.raw("""
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: now.epochMillis))
                    """).run()
                return true
            }
            if didApply {
                applied.append(migration)
                database.logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            }
        }
        if !applied.isEmpty { try await refreshStatisticsIfKept() }
        return applied
    }

    /// On SQLite, gives the planner statistics for what the applied migrations created, when the
    /// database keeps statistics (`sqlite_stat1`, written by the seed's `ANALYZE`). An index without
    /// them is guessed to be selective: after M0031 added `doctors_by_department_account`, which
    /// starts with `qualification`, a 150,000-doctor database's plain directory search walked that
    /// index and sorted every approved doctor (600 ms) instead of walking `doctors_by_rank` (1 ms).
    /// A database without statistics (a new one) is left without: it gets them when it is loaded.
    /// PostgreSQL analyses changed tables by itself.
    private func refreshStatisticsIfKept() async throws {
        guard database.engine == .sqlite else { return }
        try await database.unitOfWork { tx in
            let kept = try await tx.sql.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").first()
            guard kept != nil else { return }
            try await tx.sql.raw("ANALYZE").run()
        }
        database.logger.info("refreshed the query planner's statistics after migrations")
    }

    /// Versions known to the code but not yet applied.
    public func pending() async throws -> [Migration] {
        let done = Set(try await appliedVersions())
        return migrations.filter { !done.contains($0.version) }
    }

    private func ensureLedger() async throws {
        try await database.unitOfWork { tx in
            // Two servers starting together would otherwise race on creating the table.
            if tx.engine == .postgres {
                try await tx.sql.raw("SELECT pg_advisory_xact_lock(7270001)").run()
            }
            try await tx.sql.raw("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at BIGINT NOT NULL
                )
                """).run()
        }
    }
}
