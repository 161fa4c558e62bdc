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
            for attempt in 0..<50 where visits < 50 {
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

    @Test("a log written without a pause starts again from its beginning once it holds the restart threshold")
    func logRestartsUnderSteadyWrites() async throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("medloop.sqlite").path
        // Restart at 64 pages (256 KiB); the writer's own checkpoint far beyond what is written.
        let settings = SQLiteCheckpointer.Settings(interval: .milliseconds(20), restartPages: 64, backstopPages: 100_000)
        let database = try await Database.openSQLite(path: path, checkpoints: settings, logger: Logger(label: "medloop.test"))
        do {
            try await database.unitOfWork { try await $0.sql.raw("CREATE TABLE scan (id INTEGER PRIMARY KEY, image TEXT)").run() }
            // 3,000 commits of 16 KiB each, one after another: at least 12,000 log pages (48 MB). With
            // a commit always landing between a passive checkpoint and the next write, the log
            // would never start again and its file would hold them all; restarted, it holds what
            // is written between two passes.
            let image = String(repeating: "7", count: 16_384)
            for number in 1...3000 {
                try await database.unitOfWork { tx in
                    try await tx.sql.raw("INSERT INTO scan (id, image) VALUES (\(bind: number), \(bind: image))").run()
                }
            }
            let log = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
            #expect(log > 0 && log < 24_000_000, "the log file grew to \(log) bytes")
            let scans = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM scan").first()?.decode(column: "n", as: Int.self)
            }
            #expect(scans == 3000)
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
