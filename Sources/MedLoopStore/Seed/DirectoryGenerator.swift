import Foundation
import MedLoopDomain
import SQLKit

/// Fills the doctor directory with a large, realistic, reproducible population for load tests
/// (BENCHMARKS.md): hospitals in about forty real cities plus nationwide platforms, and doctors
/// whose departments, titles, menus and reputations follow the shapes of DOMAIN.md.
///
/// The rows are exactly those `DoctorStore.register` writes (doctor, practice sites, services,
/// conditions, search terms and, on SQLite, the trigram text row), written many rows per statement
/// and one transaction per batch. The same seed gives the same doctors; running again adds new
/// doctors (numbered after those already stored) to the same institutions.
public enum DirectoryGenerator {
    /// Doctors written per transaction. Each commit rewrites every index page its rows touched, so
    /// fewer, larger transactions load much faster (150,000 doctors: ~2,000 per commit is about
    /// a third faster than 500 on SQLite) while progress still moves every second or so.
    static let batchSize = 2000
    /// Bound values per statement: under SQLite's 32,766 and PostgreSQL's 65,535.
    static let maximumBinds = 30_000

    /// Generates `count` doctors into a migrated database and returns how many it wrote.
    /// `progress` is told the running total after each batch.
    public static func generate(doctors count: Int, into database: Database, seed: UInt64 = 2020, now: Date,
                                progress: @Sendable (Int) -> Void = { _ in }) async throws -> Int {
        let directory = try GeneratedDirectory(seed: seed)
        try await registerInstitutions(directory, seed: seed, count: count, into: database, now: now)
        guard count > 0 else { return 0 }
        // Doctors are numbered after every doctor already stored: a second run adds new ones.
        let offset = try await database.read { sql -> Int in
            let row = try await sql.raw("SELECT COUNT(*) AS n FROM doctors").first()
            return Int(try row?.int64("n") ?? 0)
        }
        let plan = BatchPlan(seed: seed, offset: offset, year: CalendarDate.shanghai(now).year,
                             createdAt: now.epochMillis, engine: database.engine, directory: directory)

        let saved = try await SQLiteBulkSettings.apply(to: database)
        try await setTermIndexes(present: false, in: database)
        let written: Int
        do {
            written = try await write(count, plan: plan, into: database, progress: progress)
        } catch {
            try? await setTermIndexes(present: true, in: database)
            try? await saved?.restore(to: database)
            throw error
        }
        try await setTermIndexes(present: true, in: database)
        try await database.unitOfWork { tx in
            for statement in Migrations.vocabularyFill + Migrations.departmentDoctorsFill {
                try await tx.sql.raw(SQLQueryString(statement)).run()
            }
        }
        try await saved?.restore(to: database)
        try await refreshStatistics(database)
        return written
    }

    /// The identifier of generated doctor `number` of `seed`. Laid out like the app's own
    /// time-ordered identifiers (version 7) with the doctor's number in place of the milliseconds,
    /// so that a run's doctors sort in the order they were made, as registered doctors do, and
    /// every index keyed by doctor fills at its end; the other bits hash seed and number.
    public static func doctorId(seed: UInt64, number: Int) -> UUID {
        var bytes = withUnsafeBytes(of: UUID.named("gen-doctor:\(seed):\(number)").uuid) { Array($0) }
        // 2020-01-01T00:00:00Z in Unix milliseconds, one millisecond per doctor.
        let stamp = UInt64(1_577_836_800_000) + UInt64(max(0, number))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: stamp >> (8 * (5 - index))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    /// Writes `count` doctors, one transaction per batch; the next batch is built while the
    /// current one is written.
    static func write(_ count: Int, plan: BatchPlan, into database: Database,
                      progress: @Sendable (Int) -> Void) async throws -> Int {
        let size = batchSize
        var written = 0
        var next: Task<Batch, Never>? = Task { plan.batch(from: 0, count: min(size, count)) }
        while let building = next {
            let batch = await building.value
            let end = batch.start + batch.count
            next = end < count ? Task { plan.batch(from: end, count: min(size, count - end)) } : nil
            do {
                try await database.unitOfWork { tx in
                    for statement in batch.statements { try await tx.sql.raw(statement).run() }
                }
            } catch {
                next?.cancel()
                throw error
            }
            written += batch.count
            progress(written)
        }
        return written
    }

    /// Drops the secondary indexes of `doctor_terms` before a bulk load, or builds them again after.
    static func setTermIndexes(present: Bool, in database: Database) async throws {
        try await database.unitOfWork { tx in
            for statement in Migrations.placedTermIndexes {
                guard let name = statement.split(separator: " ").dropFirst(2).first else { continue }
                if present {
                    try await tx.sql.raw(SQLQueryString(statement.replacingOccurrences(of: "CREATE INDEX", with: "CREATE INDEX IF NOT EXISTS"))).run()
                } else {
                    try await tx.sql.raw("DROP INDEX IF EXISTS \(ident: String(name))").run()
                }
            }
        }
    }

    /// Registers the generated institutions that are not there yet, in one transaction.
    static func registerInstitutions(_ directory: GeneratedDirectory, seed: UInt64, count: Int, into database: Database,
                                     now: Date) async throws {
        let audit = AuditStore(database: database)
        let institutions = InstitutionStore(database: database, audit: audit, doctors: DoctorStore(database: database, audit: audit))
        try await database.unitOfWork { tx in
            let ids = directory.institutions.map { $0.id.text }
            let rows = try await tx.sql.raw("SELECT id FROM institutions WHERE id IN (\(binds: ids))").all()
            let existing = try Set(rows.map { try $0.text("id") })
            for (id, draft) in directory.institutions where !existing.contains(id.text) {
                _ = try await institutions.register(draft, id: id, at: now, in: tx)
            }
            try await audit.append(
                AuditRecord(action: "seed.directory", resourceType: "database", resourceId: "seed:\(seed) doctors:\(count)"),
                context: AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: nil, at: now), in: tx)
        }
    }

    /// Gives the query planners fresh statistics after a bulk load.
    static func refreshStatistics(_ database: Database) async throws {
        try await database.unitOfWork { tx in
            switch tx.engine {
            case .sqlite:
                try await tx.sql.raw("ANALYZE").run()
                try await tx.sql.raw("PRAGMA optimize").run()
            case .postgres:
                try await tx.sql.raw("ANALYZE doctors, doctor_terms, doctor_services, doctor_conditions, search_vocabulary").run()
            }
        }
    }
}

/// SQLite settings of the writer connection for a bulk load: a 64 MiB page cache (the default
/// 2 MiB makes every index insert a read) and checkpoints every 80 MiB of WAL rather than every
/// 4 MiB. Both are per-connection; the previous values are put back afterwards. Durability is
/// unchanged (PostgreSQL needs nothing of this).
struct SQLiteBulkSettings: Sendable {
    var cacheSize: Int64
    var walAutocheckpoint: Int64

    /// Applies the bulk settings on SQLite and returns the ones to restore; `nil` on PostgreSQL.
    static func apply(to database: Database) async throws -> SQLiteBulkSettings? {
        guard database.engine == .sqlite else { return nil }
        return try await database.unitOfWork { tx in
            let cache = try await tx.sql.raw("PRAGMA cache_size").first()?.int64("cache_size")
            let checkpoint = try await tx.sql.raw("PRAGMA wal_autocheckpoint").first()?.int64("wal_autocheckpoint")
            let saved = SQLiteBulkSettings(cacheSize: cache ?? -2000, walAutocheckpoint: checkpoint ?? 1000)
            try await SQLiteBulkSettings(cacheSize: -65536, walAutocheckpoint: 20000).set(in: tx)
            return saved
        }
    }

    func restore(to database: Database) async throws {
        try await database.unitOfWork { tx in try await set(in: tx) }
    }

    private func set(in tx: Transaction) async throws {
        try await tx.sql.raw(SQLQueryString("PRAGMA cache_size = " + String(cacheSize))).run()
        try await tx.sql.raw(SQLQueryString("PRAGMA wal_autocheckpoint = " + String(walAutocheckpoint))).run()
    }
}
