import Foundation
import MedLoopStore
import SQLKit
import Testing

/// SQLite keeps committed pages in its write-ahead log until a checkpoint copies them into the
/// database file. MedLoop's checkpointer does that from a connection of its own, so the writer does
/// not make the checkpoint's `fsync` calls while it holds the write lock.
@Suite("SQLite checkpoints")
struct SQLiteCheckpointTests {
    @Test("a few commits reach the database file itself without waiting for the log to fill up")
    func commitsReachTheFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("medloop-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
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
