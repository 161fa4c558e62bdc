import Foundation
import Logging
import SQLKit
import Synchronization

/// Copies the pages the writer commits to the write-ahead log into the database file, from a
/// connection and a thread of its own, every `interval` after a commit.
///
/// SQLite's own checkpoint runs inside the `COMMIT` that takes the log past its size, on the
/// writer's connection, while the unit of work holds the writer: its `fsync` calls (up to 146 ms
/// measured under the chat benchmark, BENCHMARKS.md) made every write of the process wait. A
/// passive checkpoint takes no write lock, so here commits go on while it copies and syncs; it does
/// not wait for commits to pause, which under steady load they never would.
///
/// The log starts again from its beginning only when a write finds every page of it copied, and
/// under steady load a commit always lands between a passive checkpoint and the next write: the
/// log grew to 560 MB in a benchmark run. Nor does a restarting checkpoint get its turn by itself:
/// SQLite's busy handler polls for the write lock, and the next unit of work takes it first. So
/// once the log holds `Settings.restartPages`, the passive pass is followed by a restarting one made while
/// holding the writer's lock: it copies only what the passive passes left (a moment's commits), so
/// the writes wait for little (about 25 ms, twice a second under the `loop` benchmark, whose units
/// write 35,000 log pages a second). The writer's own checkpoint stays as a backstop at a larger
/// log (`Settings.backstopPages`).
final class SQLiteCheckpointer: Sendable {
    /// When passes run and when they restart the log.
    struct Settings: Sendable {
        /// How long after a commit a pass runs.
        var interval: Duration = .milliseconds(100)
        /// Log pages (4 KiB) past which a pass restarts the log.
        var restartPages = 16_000
        /// Log pages past which the writer checkpoints by itself.
        var backstopPages = 40_000
        static let standard = Settings()
    }

    private let connection: SQLiteThreadConnection
    private let settings: Settings
    /// Runs its work while holding the writer's lock, between two transactions.
    private let exclusively: @Sendable (@Sendable () async throws -> Void) async throws -> Void
    private let commits = Atomic<Int>(0)
    private let restarted = Atomic<Int>(0)
    private let loop: Mutex<Task<Void, Never>?> = Mutex(nil)

    private init(connection: SQLiteThreadConnection, settings: Settings,
                 exclusively: @escaping @Sendable (@Sendable () async throws -> Void) async throws -> Void) {
        self.connection = connection
        self.settings = settings
        self.exclusively = exclusively
    }

    /// Opens the checkpointer's connection to `path` and starts its passes; `exclusively` runs
    /// its work while holding the writer's lock, with no transaction open on the writer.
    static func start(path: String, settings: Settings, logger: Logger,
                      exclusively: @escaping @Sendable (@Sendable () async throws -> Void) async throws -> Void) async throws -> SQLiteCheckpointer {
        let connection = try await SQLiteThreadConnection.open(path: path, name: "sqlite-checkpointer", logger: logger)
        // A restarting checkpoint waits this long for readers of older pages to finish, while the
        // writes wait for it; a reader still busy then (a long report) leaves it to the next pass.
        do {
            try await connection.sql.raw("PRAGMA busy_timeout = 10").run()
        } catch {
            await connection.close()
            throw error
        }
        let checkpointer = SQLiteCheckpointer(connection: connection, settings: settings, exclusively: exclusively)
        let task = Task { [checkpointer] in
            var copied = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: settings.interval)
                let committed = checkpointer.commits.load(ordering: .relaxed)
                guard committed != copied else { continue }
                copied = committed
                do {
                    try await checkpointer.pass()
                } catch {
                    logger.warning("SQLite checkpoint failed", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
        }
        checkpointer.loop.withLock { $0 = task }
        return checkpointer
    }

    /// Called after each commit of the writer.
    func committed() {
        commits.add(1, ordering: .relaxed)
    }

    /// One passive checkpoint (every page no reader still needs goes to the file); when the log
    /// has grown to `Settings.restartPages`, a second one for the pages committed meanwhile, and then a
    /// restarting one between two units of work, for the pages committed during the second.
    func pass() async throws {
        try await withTaskExecutorPreference(connection.thread) {
            guard try await checkpoint("PASSIVE").pages >= settings.restartPages else { return }
            _ = try await checkpoint("PASSIVE")
            try await exclusively {
                if try await !checkpoint("RESTART").isBusy { restarted.add(1, ordering: .relaxed) }
            }
        }
    }

    /// How many restarting checkpoints have done their work (`pass()`).
    var restarts: Int {
        restarted.load(ordering: .relaxed)
    }

    /// A checkpoint of `mode`: whether it was kept from finishing, and the pages in the log after
    /// it (-1 when the log is not in use).
    private func checkpoint(_ mode: String) async throws -> (isBusy: Bool, pages: Int) {
        let row = try await connection.sql.raw("PRAGMA wal_checkpoint(\(unsafeRaw: mode))").first()
        return (try row?.decode(column: "busy", as: Int.self) != 0, try row?.decode(column: "log", as: Int.self) ?? 0)
    }

    /// Stops the passes and closes the connection.
    func stop() async {
        let task = loop.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
        await connection.close()
    }
}
