import Foundation
import Logging
import NIOCore
import SQLKit
import SQLiteKit
import VaporCSQLite

/// An SQLite connection on a thread of its own, which also runs the work that uses it: the
/// writer's units of work, and the readers' reads.
///
/// A unit of work holds the writer from `BEGIN IMMEDIATE` to `COMMIT`, and every other write of
/// the process waits for it. Through SQLiteNIO each statement was a round trip: handed to the
/// connection's thread, its rows to an event loop, and the task resumed on the shared pool, three
/// thread wake-ups a statement, and on a busy machine each wake-up waits for a core. Here the task
/// that uses a connection prefers its thread (`withTaskExecutorPreference`), so its statements run
/// where it runs, one after another, and the blocking calls still never run on the shared pool.
/// Prepared statements are kept and reused, so a statement is parsed once per connection. Each
/// statement runs from its first step to its reset in one go, so two statements of a connection
/// never overlap and a reader holds no read transaction between them.
final class SQLiteThreadConnection: @unchecked Sendable {
    /// The thread's executor; the tasks that use the connection run on it.
    let thread: SQLiteConnectionThread
    /// Touched only on `thread` (by the one unit that holds the writer, by a reader's reads one
    /// statement at a time, or while opening and closing).
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    /// Set by `close`, on `thread`; a statement after it is refused rather than run on a closed handle.
    private var isClosed = false
    let logger: Logger
    /// More distinct statements than a process's units or a reader's reads use; past it the cache
    /// starts again.
    private static let statementLimit = 512

    private init(thread: SQLiteConnectionThread, handle: OpaquePointer, logger: Logger) {
        self.thread = thread
        self.handle = handle
        self.logger = logger
    }

    /// Opens the file (created when missing) on a new thread called `name`.
    static func open(path: String, name: String, logger: Logger) async throws -> SQLiteThreadConnection {
        let thread = SQLiteConnectionThread(name: name)
        do {
            return try await withTaskExecutorPreference(thread) {
                var handle: OpaquePointer?
                let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
                let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
                guard status == SQLITE_OK, let handle else {
                    let error = SQLiteStatementError(code: status, message: handle.map(Self.message) ?? "cannot open \(path)")
                    sqlite_nio_sqlite3_close_v2(handle)
                    throw error
                }
                sqlite_nio_sqlite3_extended_result_codes(handle, 1)
                return SQLiteThreadConnection(thread: thread, handle: handle, logger: logger)
            }
        } catch {
            thread.stop()
            throw error
        }
    }

    /// The connection as an `SQLDatabase`; its statements run on the connection's thread.
    var sql: any SQLDatabase { ThreadConnectionSQLDatabase(connection: self) }

    /// Closes the connection and ends the thread. A statement afterwards is refused
    /// (`SQLITE_MISUSE`); closing again does nothing.
    func close() async {
        await withTaskExecutorPreference(thread) {
            guard !isClosed else { return }
            isClosed = true
            for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
            statements.removeAll()
            sqlite_nio_sqlite3_close_v2(handle)
        }
        thread.stop()
    }

    /// Runs one statement and hands each row to `onRow`. Called on the connection's thread only.
    fileprivate func run(_ query: String, binds: [SQLiteData], onRow: (any SQLRow) -> Void) throws {
        guard !isClosed else { throw SQLiteStatementError(code: SQLITE_MISUSE, message: "the connection is closed") }
        assert(thread.isCurrent, "an SQLite statement ran off its connection's thread")
        let statement = try prepared(query)
        // No `sqlite3_clear_bindings`: it marks for preparing again every statement whose plan
        // looked at a bound value, which the planner does for almost any `column = ?` (it asks
        // whether the value is 0 or 1), so every run parsed and planned its statement again (5 %
        // of the server's time under `loop`, BENCHMARKS.md). The next run binds every parameter.
        defer {
            sqlite_nio_sqlite3_reset(statement)
        }
        for (offset, value) in binds.enumerated() {
            try check(bind(value, at: Int32(offset + 1), of: statement))
        }
        var columns: ConnectionRow.Columns?
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw SQLiteStatementError(code: status, message: Self.message(handle)) }
            let names = columns ?? ConnectionRow.Columns(statement: statement)
            columns = names
            onRow(ConnectionRow(columns: names, values: try (0..<Int32(names.names.count)).map { try value(at: $0, of: statement) }))
        }
    }

    private func prepared(_ query: String) throws -> OpaquePointer {
        if let statement = statements[query] { return statement }
        if statements.count >= Self.statementLimit {
            for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
            statements.removeAll()
        }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, query, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw SQLiteStatementError(code: status, message: Self.message(handle)) }
        statements[query] = statement
        return statement
    }

    private func bind(_ value: SQLiteData, at index: Int32, of statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let integer):
            return sqlite_nio_sqlite3_bind_int64(statement, index, Int64(integer))
        case .float(let double):
            return sqlite_nio_sqlite3_bind_double(statement, index, double)
        case .text(let text):
            return sqlite_nio_sqlite3_bind_text64(statement, index, text, UInt64(text.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
        case .blob(let bytes):
            return bytes.withUnsafeReadableBytes {
                sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), Self.transient)
            }
        case .null:
            return sqlite_nio_sqlite3_bind_null(statement, index)
        }
    }

    private func value(at column: Int32, of statement: OpaquePointer) throws -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(.init(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else {
                throw SQLiteStatementError(code: SQLITE_NOMEM, message: "no text for a text column")
            }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: count))
            }
            return .blob(buffer)
        default:
            return .null
        }
    }

    private func check(_ status: Int32) throws {
        guard status == SQLITE_OK else { throw SQLiteStatementError(code: status, message: Self.message(handle)) }
    }

    private static func message(_ handle: OpaquePointer) -> String {
        sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "unknown error"
    }

    /// SQLite copies bound text and blobs (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// A statement SQLite refused: its extended result code and message.
public struct SQLiteStatementError: Error, CustomStringConvertible {
    public let code: Int32
    public let message: String

    /// A unique or primary key refused a duplicate.
    var isUniqueViolation: Bool { code == 2067 /* SQLITE_CONSTRAINT_UNIQUE */ || code == 1555 /* _PRIMARYKEY */ }

    public var description: String { "SQLite error \(code): \(message)" }
}

/// A connection through SQLKit. Statements run on the connection's thread: the task that uses the
/// connection prefers it, so there is no hop at all.
private struct ThreadConnectionSQLDatabase: SQLDatabase {
    let connection: SQLiteThreadConnection

    var logger: Logger { connection.logger }
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (text, values) = serialize(query)
        let binds = try values.map { try ConnectionRow.encoder.encode($0) }
        try await withTaskExecutorPreference(connection.thread) {
            try connection.run(text, binds: binds, onRow: onRow)
        }
    }
}

/// A row a connection read, decoded as SQLiteKit decodes its rows.
private struct ConnectionRow: SQLRow {
    /// A statement's column names, shared by its rows.
    final class Columns: Sendable {
        let names: [String]
        let offsets: [String: Int]

        init(statement: OpaquePointer) {
            names = (0..<sqlite_nio_sqlite3_column_count(statement)).map { column in
                sqlite_nio_sqlite3_column_name(statement, column).map { String(cString: $0) } ?? ""
            }
            offsets = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    let columns: Columns
    let values: [SQLiteData]
    /// Made once: each holds a JSON coder, and every bound value and decoded column uses one.
    static let encoder = SQLiteDataEncoder()
    static let decoder = SQLiteDataDecoder()

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.offsets[column] != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let offset = columns.offsets[column] else { return true }
        return values[offset] == .null
    }

    func decode<D: Decodable>(column: String, as: D.Type) throws -> D {
        guard let offset = columns.offsets[column] else {
            throw DecodingError.keyNotFound(SQLColumnKey(column), .init(codingPath: [], debugDescription: "no column \(column)"))
        }
        let value = values[offset]
        // The types the stores read most, converted without `SQLiteDataDecoder`'s dynamic cast
        // (and, for optionals, the single-value decoder it allocates); anything else goes to it.
        switch value {
        case .text(let text):
            if D.self == String.self { return unsafeBitCast(text, to: D.self) }
            if D.self == String?.self { return unsafeBitCast(String?.some(text), to: D.self) }
        case .integer(let integer):
            if D.self == Int64.self { return unsafeBitCast(Int64(integer), to: D.self) }
            if D.self == Int64?.self { return unsafeBitCast(Int64?.some(Int64(integer)), to: D.self) }
            if D.self == Int.self { return unsafeBitCast(Int(integer), to: D.self) }
        case .null:
            if D.self == String?.self { return unsafeBitCast(String?.none, to: D.self) }
            if D.self == Int64?.self { return unsafeBitCast(Int64?.none, to: D.self) }
        case .float, .blob:
            break
        }
        return try Self.decoder.decode(D.self, from: value)
    }
}

private struct SQLColumnKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A thread of its own that runs the jobs of the tasks that prefer it (a connection's work).
///
/// Once stopped, the thread ends; a job that arrives later (a task that still prefers it, resuming
/// after its connection closed) runs on a thread of its own, so that its task ends, with the
/// connection's refusal, instead of waiting forever.
final class SQLiteConnectionThread: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var jobs: [UnownedJob] = []
    private var stopping = false
    /// Whether the thread has ended; guarded by `condition`.
    private var ended = false

    private var worker: Thread?

    init(name: String) {
        // The thread holds the executor until it ends (`stop`).
        let worker = Thread { self.runJobs() }
        worker.name = name
        self.worker = worker
        worker.start()
    }

    /// Whether the caller runs on this thread.
    var isCurrent: Bool { Thread.current === worker }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        guard !ended else {
            condition.unlock()
            Thread { job.runSynchronously(on: self.asUnownedTaskExecutor()) }.start()
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread once the jobs enqueued so far have run.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func runJobs() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                ended = true
                condition.unlock()
                return
            }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
