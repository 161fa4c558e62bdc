import Foundation
import Logging
@testable import MedLoopStore
import SQLKit
import Testing

/// The SQLite writer lets the units of work that queue for it share one transaction, each in a
/// savepoint of its own: one `COMMIT` for several units, and each unit answers only once it is in.
@Suite("SQLite shared transactions")
struct SQLiteSharedTransactionTests {
    /// Up to 8 units a transaction, and no time limit, so that a slow machine does not change what
    /// the tests see.
    static let sharing = SQLiteBackend.Sharing(units: 8, open: .seconds(60))

    @Test("units of work that queue for the writer commit together, and each answers only once its writes are committed")
    func queuedUnitsShareACommit() async throws {
        try await withScratchDatabase { database in
            try await database.unitOfWork { try await $0.sql.raw("CREATE TABLE visit (id INTEGER PRIMARY KEY, note TEXT)").run() }
            let before = try #require(database.sqliteCommits)
            // 48 units at once; each holds the writer a moment, so the others queue behind it.
            let unseen = try await withThrowingTaskGroup(of: Int.self) { group in
                for number in 1...48 {
                    group.addTask {
                        try await database.unitOfWork { tx in
                            try await tx.sql.raw("INSERT INTO visit (id, note) VALUES (\(bind: number), \(bind: "复诊"))").run()
                            try await Task.sleep(for: .milliseconds(2))
                        }
                        // A reader outside the unit sees its visit as soon as it has answered.
                        return try await Self.count(in: database, id: number) == 1 ? 0 : 1
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(unseen == 0)
            #expect(try await Self.count(in: database) == 48)
            let commits = try #require(database.sqliteCommits) - before
            #expect(commits >= 6, "at most 8 units a transaction")
            #expect(commits <= 24, "48 units in \(commits) commits")
        }
    }

    @Test("a unit that fails in a shared transaction leaves nothing, and the units beside it keep their writes")
    func failingUnitLeavesOthers() async throws {
        try await withScratchDatabase { database in
            try await database.unitOfWork { try await $0.sql.raw("CREATE TABLE visit (id INTEGER PRIMARY KEY, note TEXT)").run() }
            let before = try #require(database.sqliteCommits)
            let refused = try await withThrowingTaskGroup(of: Int.self) { group in
                for number in 1...30 {
                    group.addTask {
                        do {
                            try await database.unitOfWork { tx in
                                try await tx.sql.raw("INSERT INTO visit (id, note) VALUES (\(bind: number), \(bind: "复诊"))").run()
                                try await Task.sleep(for: .milliseconds(2))
                                if number % 3 == 0 { throw Refusal() }
                            }
                            return 0
                        } catch is Refusal {
                            return 1
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(refused == 10)
            let kept = try await database.read { sql in
                try await sql.raw("SELECT id FROM visit ORDER BY id").all().map { try $0.decode(column: "id", as: Int.self) }
            }
            #expect(kept == (1...30).filter { $0 % 3 != 0 })
            #expect(try #require(database.sqliteCommits) - before < 30)
        }
    }

    @Test("the checkpointer's restarts between units that share transactions keep every unit's writes")
    func restartsBetweenSharedUnits() async throws {
        let restartEarly = SQLiteCheckpointer.Settings(interval: .milliseconds(10), restartPages: 64, backstopPages: 100_000)
        try await withScratchDatabase(checkpoints: restartEarly) { database in
            let checkpointer = try #require(database.sqliteCheckpointer)
            try await database.unitOfWork { try await $0.sql.raw("CREATE TABLE visit (id INTEGER PRIMARY KEY, note TEXT)").run() }
            // Eight writers of 16 KiB notes at once, until the log has been restarted twice.
            let note = String(repeating: "7", count: 16_384)
            let written = try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        var count = 0
                        while count < 600 && checkpointer.restarts < 2 {
                            try await database.unitOfWork { [count] tx in
                                try await tx.sql.raw("INSERT INTO visit (id, note) VALUES (\(bind: writer * 1000 + count), \(bind: note))").run()
                            }
                            count += 1
                        }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(checkpointer.restarts >= 2, "no restart in \(written) units")
            #expect(try await Self.count(in: database) == written)
        }
    }

    private struct Refusal: Error {}

    private static func count(in database: Database, id: Int? = nil) async throws -> Int {
        try await database.read { sql in
            let query: SQLQueryString = id.map { "SELECT COUNT(*) AS n FROM visit WHERE id = \(bind: $0)" } ?? "SELECT COUNT(*) AS n FROM visit"
            return try await sql.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// Runs `body` on a new database in a scratch folder, and removes both afterwards.
    private func withScratchDatabase(checkpoints: SQLiteCheckpointer.Settings = .standard,
                                     _ body: (Database) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("medloop-shared-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try await Database.openSQLite(path: folder.appendingPathComponent("medloop.sqlite").path,
                                                     checkpoints: checkpoints, sharing: Self.sharing, logger: Logger(label: "medloop.test"))
        do {
            try await body(database)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }
}
