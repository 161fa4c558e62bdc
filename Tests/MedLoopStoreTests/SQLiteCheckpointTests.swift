import Foundation
import Logging
@testable import MedLoopStore
import SQLKit
import Testing

/// SQLite keeps committed pages in its write-ahead log until a checkpoint copies them into the
/// database file. MedLoop's checkpointer does that from a connection of its own, so the writer does
/// not make the checkpoint's `fsync` calls while it holds the write lock.
@Suite("SQLite checkpoints")
struct SQLiteCheckpointTests {
    @Test("a few commits reach the database file itself without waiting for the log to fill up")
    func commitsReachTheFile() async throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("medloop.sqlite").path
        let database = try await Database.open(.sqlite(path: path))
        do {
            try await database.unitOfWork { try await $0.sql.raw("CREATE TABLE visit (id INTEGER PRIMARY KEY, note TEXT)").run() }
            // Fifty small commits: far fewer log pages than SQLite's own checkpoint waits for.
            for number in 1...50 {
                try await database.unitOfWork { tx in
                    try await tx.sql.raw("INSERT INTO visit (id, note) VALUES (\(bind: number), \(bind: "复诊 \(number)"))").run()
                }
            }
            // The database file copied without its log holds only what a checkpoint copied into it.
            var visits = 0
            for attempt in 0..<150 where visits < 50 {
                if attempt > 0 { try await Task.sleep(for: .milliseconds(100)) }
                visits = (try? await Self.visits(inCopyOf: path, in: folder, attempt: attempt)) ?? 0
            }
            #expect(visits == 50)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }

    @Test("a log written without a pause is restarted by the checkpointer between two units of work")
    func logRestartsUnderSteadyWrites() async throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("medloop.sqlite").path
        // Restart at 64 pages (256 KiB); the writer's own checkpoint far beyond what is written.
        let settings = SQLiteCheckpointer.Settings(interval: .milliseconds(20), restartPages: 64, backstopPages: 100_000)
        let database = try await Database.openSQLite(path: path, checkpoints: settings, sharing: .standard,
                                                     logger: Logger(label: "medloop.test"))
        do {
            let checkpointer = try #require(database.sqliteCheckpointer)
            try await database.unitOfWork { try await $0.sql.raw("CREATE TABLE scan (id INTEGER PRIMARY KEY, image TEXT)").run() }
            // Commits of 16 KiB each, one after another, until the log has been restarted twice
            // (or 5,000 commits, 80 MB). A commit always lands between a passive checkpoint and the
            // next write, so without the restarting pass the log would never start again (it grew
            // to 76 MB in this test with it left out).
            let image = String(repeating: "7", count: 16_384)
            var written = 0
            while written < 5000 && checkpointer.restarts < 2 {
                written += 1
                try await database.unitOfWork { [written] tx in
                    try await tx.sql.raw("INSERT INTO scan (id, image) VALUES (\(bind: written), \(bind: image))").run()
                }
            }
            #expect(checkpointer.restarts >= 2, "no restart in \(written) commits")
            let scans = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM scan").first()?.decode(column: "n", as: Int.self)
            }
            #expect(scans == written)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }

    /// A new empty folder for one test's database files.
    private static func scratchFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("medloop-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The visits in a copy of the file at `path` alone, without its log.
    private static func visits(inCopyOf path: String, in folder: URL, attempt: Int) async throws -> Int {
        let copy = folder.appendingPathComponent("copy-\(attempt).sqlite").path
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let database = try await Database.open(.sqlite(path: copy))
        do {
            let count = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM visit").first()?.decode(column: "n", as: Int.self) ?? 0
            }
            await database.close()
            return count
        } catch {
            await database.close()
            throw error
        }
    }
}
