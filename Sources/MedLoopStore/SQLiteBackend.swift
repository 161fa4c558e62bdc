import Foundation
import Logging
import Metrics
import SQLKit
import Synchronization

/// SQLite: one writer connection guarded by a lock (SQLite allows one writer at a time) and a
/// few read-only connections that WAL lets run beside it.
///
/// Every connection has one thread of its own (`SQLiteThreadConnection`), and the work that uses
/// it runs there: a unit of work on the writer's, a read on its reader's. A statement runs from its
/// first step to its reset in one go, so statements of one connection never overlap — two
/// overlapping statements keep the connection's read transaction open, and a reader that is never
/// idle would read an old snapshot for as long as the load lasts (a session signed in a second ago
/// unknown, a prescription just signed not found) and keep the WAL from being checkpointed. And
/// the writer's statements never queue behind readers' on a shared pool while it holds the write
/// lock, nor a short read behind a long one on another connection.
///
/// Units of work that queue for the writer share a transaction (group commit): each runs in a
/// savepoint of its own, and one that finds another unit on its way to the writer leaves the
/// transaction open for it and waits for the `COMMIT` before it answers. A `COMMIT` writes every
/// page the units changed to the log once — the last leaf of each append-only index, the audit
/// chain's head, the sequences — rather than once a unit. Anything else that takes the writer's
/// lock (`exclusively`, the checkpointer's restarts) first commits what the units left open.
final class SQLiteBackend: Sendable {
    /// How many units of work may share a transaction, and for how long it stays open: the first
    /// unit's answer waits for the last one's work.
    struct Sharing: Sendable {
        var units = 8
        var open: Duration = .milliseconds(4)
        static let standard = Sharing()
    }

    let writer: SQLiteThreadConnection
    let readers: [SQLiteThreadConnection]
    let writeLock = AsyncLock()
    let sharing: Sharing
    /// Read bodies running on each reader, to send the next one to the least busy.
    let readsInFlight: Mutex<[Int]>
    let commitObservers = Observers()
    let logger: Logger
    /// How long units of work wait for the writer and then hold it (`/metrics`): every write
    /// of the process goes through it, so held time over wall time is how busy it is.
    let writerWait = Metrics.Timer(label: "medloop_sqlite_writer_wait_seconds")
    let writerHeld = Metrics.Timer(label: "medloop_sqlite_writer_held_seconds")
    /// Transactions the writer committed: fewer than its units of work (`writerHeld`'s count)
    /// by as many as shared one.
    let writerCommits = Metrics.Counter(label: "medloop_sqlite_writer_commits_total")
    /// The transaction open between units; only the holder of `writeLock` touches it.
    private let shared = Mutex(SharedTransaction())
    /// Units of work that have asked for the writer and not yet taken its lock.
    private let unitsOnTheirWay = Atomic<Int>(0)
    private let transactionsCommitted = Atomic<Int>(0)
    /// Started once the backend exists, since it takes the lock through `exclusively`.
    private let checkpointerSlot = Mutex<SQLiteCheckpointer?>(nil)

    /// The writer's transaction while units of work share it.
    private struct SharedTransaction {
        var isOpen = false
        var opened = ContinuousClock.now
        var units = 0
        /// Units whose work is done in it, waiting for its end.
        var finished: [CheckedContinuation<Result<Void, any Error>, Never>] = []
    }

    private init(writer: SQLiteThreadConnection, readers: [SQLiteThreadConnection], sharing: Sharing, logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.sharing = sharing
        self.readsInFlight = Mutex(Array(repeating: 0, count: readers.count))
        self.logger = logger
    }

    static func open(path: String, readers count: Int, checkpoints: SQLiteCheckpointer.Settings, sharing: Sharing,
                     logger: Logger) async throws -> SQLiteBackend {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var opened: [SQLiteThreadConnection] = []
        do {
            let writer = try await SQLiteThreadConnection.open(path: path, name: "sqlite-writer", logger: logger)
            opened.append(writer)
            // The writer checkpoints by itself only as a backstop (`SQLiteCheckpointer`). A unit's
            // savepoint keeps the pages it changes in memory, to roll back to.
            let backstop = "PRAGMA wal_autocheckpoint = \(checkpoints.backstopPages)"
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", backstop, "PRAGMA temp_store = MEMORY"]
                + sessionPragmas {
                try await writer.sql.raw(SQLQueryString(pragma)).run()
            }
            var readers: [SQLiteThreadConnection] = []
            for number in 1...count {
                let reader = try await SQLiteThreadConnection.open(path: path, name: "sqlite-reader-\(number)", logger: logger)
                opened.append(reader)
                for pragma in sessionPragmas + ["PRAGMA query_only = ON"] {
                    try await reader.sql.raw(SQLQueryString(pragma)).run()
                }
                readers.append(reader)
            }
            let backend = SQLiteBackend(writer: writer, readers: readers, sharing: sharing, logger: logger)
            let checkpointer = try await SQLiteCheckpointer.start(path: path, settings: checkpoints, logger: logger) { [weak backend] work in
                try await backend?.exclusively(work)
            }
            backend.checkpointerSlot.withLock { $0 = checkpointer }
            return backend
        } catch {
            for connection in opened { await connection.close() }
            throw error
        }
    }

    /// Every connection: wait for the writer rather than fail, enforce foreign keys, and keep
    /// 12 MiB of pages (the default 2 MiB sends most reads of a large directory back to the file,
    /// a system call each; five connections stay well inside the memory target). No memory map:
    /// mapped pages count as the server's resident memory; see BENCHMARKS.md.
    static let sessionPragmas = ["PRAGMA busy_timeout = 5000", "PRAGMA foreign_keys = ON", "PRAGMA cache_size = -12288"]

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let index = readsInFlight.withLock { counts -> Int in
            let least = counts.indices.min { counts[$0] < counts[$1] } ?? 0
            counts[least] += 1
            return least
        }
        defer { readsInFlight.withLock { $0[index] -= 1 } }
        let reader = readers[index]
        return try await withTaskExecutorPreference(reader.thread) { try await body(reader.sql) }
    }

    /// Runs `body` in the writer's transaction and returns once that transaction has committed;
    /// when `body` throws, nothing it wrote stays.
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        // The unit, from its wait for the lock on, runs on the writer's thread: its statements do
        // not travel between threads, and the lock passes from one unit to the next on that thread.
        // Units wait for the thread as well as for the lock, so the wait is timed from here.
        let asked = ContinuousClock.now
        unitsOnTheirWay.add(1, ordering: .relaxed)
        return try await withTaskExecutorPreference(writer.thread) {
            await writeLock.lock()
            unitsOnTheirWay.subtract(1, ordering: .relaxed)
            let taken = ContinuousClock.now
            writerWait.recordNanoseconds(Self.nanoseconds(taken - asked))
            let release = { [self] in
                writerHeld.recordNanoseconds(Self.nanoseconds(ContinuousClock.now - taken))
                writeLock.unlock()
            }
            let sql = writer.sql
            if !shared.withLock({ $0.isOpen }) {
                do {
                    try await sql.raw("BEGIN IMMEDIATE").run()
                } catch {
                    release()
                    throw error
                }
                shared.withLock { $0 = SharedTransaction(isOpen: true, opened: taken) }
            }
            let outcome: Result<T, any Error>
            do {
                try await sql.raw("SAVEPOINT unit").run()
                let value = try await body(sql)
                try await sql.raw("RELEASE unit").run()
                outcome = .success(value)
            } catch {
                outcome = .failure(error)
                do {
                    try await sql.raw("ROLLBACK TO unit").run()
                    try await sql.raw("RELEASE unit").run()
                } catch let rollback {
                    // SQLite ended the whole transaction (a full disk, an I/O error): the units
                    // that finished in it are lost with it.
                    try? await sql.raw("ROLLBACK").run()
                    end(.failure(rollback))
                    release()
                    throw error
                }
            }
            // A unit on its way takes the lock soon: as the next holder or after another that
            // commits first (`exclusively`), so the transaction never stays open unattended.
            let leavesOpen = shared.withLock { transaction in
                guard transaction.units + 1 < sharing.units, ContinuousClock.now - transaction.opened < sharing.open,
                      unitsOnTheirWay.load(ordering: .relaxed) > 0 else { return false }
                transaction.units += 1
                return true
            }
            if leavesOpen {
                guard case .success(let value) = outcome else {
                    release()
                    return try outcome.get()
                }
                let committed = await withCheckedContinuation { continuation in
                    shared.withLock { $0.finished.append(continuation) }
                    release()
                }
                try committed.get()
                return value
            }
            let failure = await commitShared()
            release()
            if let failure { throw failure }
            return try outcome.get()
        }
    }

    /// Runs `work` while holding the writer's lock with no transaction open on the writer (one
    /// the units of work left open is committed first).
    func exclusively(_ work: @Sendable () async throws -> Void) async throws {
        await writeLock.lock()
        defer { writeLock.unlock() }
        if shared.withLock({ $0.isOpen }) {
            _ = await withTaskExecutorPreference(writer.thread) { await commitShared() }
        }
        try await work()
    }

    /// Commits the shared transaction, or rolls it back when the commit fails, and answers the
    /// units that waited for it. Returns why it failed, if it did. Called holding the lock, on the
    /// writer's thread.
    private func commitShared() async -> (any Error)? {
        do {
            try await writer.sql.raw("COMMIT").run()
            end(.success(()))
            return nil
        } catch {
            try? await writer.sql.raw("ROLLBACK").run()
            end(.failure(error))
            return error
        }
    }

    /// The checkpointer (nil only while opening).
    var checkpointer: SQLiteCheckpointer? {
        checkpointerSlot.withLock { $0 }
    }

    /// Closes the shared transaction and answers the units that waited for it; after a commit,
    /// tells the checkpointer and the observers.
    private func end(_ result: Result<Void, any Error>) {
        let finished = shared.withLock { transaction in
            defer { transaction = SharedTransaction() }
            return transaction.finished
        }
        for unit in finished { unit.resume(returning: result) }
        guard case .success = result else { return }
        transactionsCommitted.add(1, ordering: .relaxed)
        writerCommits.increment()
        checkpointer?.committed()
        commitObservers.notify()
    }

    /// How many transactions the writer has committed (fewer than its units of work when they
    /// shared them).
    var commits: Int {
        transactionsCommitted.load(ordering: .relaxed)
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    func close() async {
        await checkpointer?.stop()
        for connection in readers { await connection.close() }
        await writer.close()
    }
}
