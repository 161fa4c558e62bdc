import Foundation
import Logging
import MedLoopDomain
import PostgresKit
import NIOPosix
import NIOSSL
import PostgresNIO
import SQLKit
import SQLiteKit
import ServiceLifecycle

/// The database engines MedLoop runs on.
public enum Engine: String, Sendable {
    /// Embedded default: one file, one writer connection, a few readers (WAL).
    case sqlite
    /// Production: a pool of connections to one primary.
    case postgres
}

/// Where the database is and how to reach it.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    /// A `postgres://user:password@host:port/database` URL, and optionally the schema to work in
    /// (tests give each run a fresh schema).
    case postgres(url: String, schema: String? = nil)

    /// Parses a `DATABASE_URL`-style string into a PostgreSQL client configuration.
    static func postgresConfiguration(_ url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url),
              ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty, let user = components.user else {
            throw DatabaseError.badURL("expected postgres://user:password@host:port/database")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        return PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding, database: database.isEmpty ? nil : database,
            tls: try tls(components.queryItems ?? []))
    }

    /// The TLS that `sslmode` asks for, as libpq reads it: `disable` (the default here), `require`
    /// (encrypted, certificate not checked), `verify-ca` (signed by a trusted authority),
    /// `verify-full` (and issued for this host). `sslrootcert` names the authorities' PEM file;
    /// without it the system's are trusted. Any other mode is refused rather than run without TLS.
    static func tls(_ query: [URLQueryItem]) throws -> PostgresClient.Configuration.TLS {
        let mode = query.last { $0.name == "sslmode" }?.value ?? "disable"
        var tls = TLSConfiguration.makeClientConfiguration()
        if let rootCertificate = query.last(where: { $0.name == "sslrootcert" })?.value, !rootCertificate.isEmpty {
            tls.trustRoots = .file(rootCertificate)
        }
        switch mode {
        case "disable":
            return .disable
        case "require":
            tls.certificateVerification = .none
        case "verify-ca":
            tls.certificateVerification = .noHostnameVerification
        case "verify-full":
            tls.certificateVerification = .fullVerification
        default:
            throw DatabaseError.badURL("sslmode must be disable, require, verify-ca or verify-full (not \"\(mode.prefix(20))\")")
        }
        return .require(tls)
    }
}

/// Failures of the storage layer itself (not of domain rules).
public enum DatabaseError: Error, CustomStringConvertible {
    case badURL(String)
    case closed
    case unsupported(String)

    public var description: String {
        switch self {
        case .badURL(let reason): return "bad database URL: \(reason)"
        case .closed: return "the database is closed"
        case .unsupported(let what): return "unsupported: \(what)"
        }
    }
}

/// The one door to storage, on either engine. Reads run on any connection; writes run in a
/// `unitOfWork`, one transaction that commits state, audit and events together or not at all.
public final class Database: Sendable {
    public let engine: Engine
    /// Where it was opened (another server, or a test's second server, opens the same).
    public let location: DatabaseLocation
    public let logger: Logger
    private let backend: Backend

    private enum Backend: Sendable {
        case sqlite(SQLiteBackend)
        case postgres(PostgresBackend)
    }

    /// Opens the database. For SQLite the file and its folder are created when missing. A
    /// PostgreSQL pool is run by a task of the database's own — unless `poolAsService`, when the
    /// caller runs `service` in its service group (the server), which starts and stops it.
    public static func open(_ location: DatabaseLocation, maxConnections: Int = 10,
                            logger: Logger = Logger(label: "medloop.database"), poolAsService: Bool = false) async throws -> Database {
        switch location {
        case .sqlite(let path):
            return try await openSQLite(path: path, checkpoints: .standard, sharing: .standard, logger: logger)
        case .postgres(let url, let schema):
            var configuration = try DatabaseLocation.postgresConfiguration(url)
            configuration.options.maximumConnections = maxConnections
            // No JIT compilation: it is paid at every execution of a plan whose estimated cost passes
            // `jit_above_cost`, and the planner's estimates for the directory's probes run that high
            // (70 ms of compiling for a page read in 12 ms among 150,000 doctors, BENCHMARKS.md).
            configuration.options.additionalStartupParameters = [("jit", "off")]
            if let schema {
                // Extensions (pg_trgm) stay in `public`; the schema's own tables come first.
                configuration.options.additionalStartupParameters.append(("search_path", "\(schema), public"))
            }
            let backend = PostgresBackend(configuration: configuration, logger: logger, runsItself: !poolAsService)
            return Database(engine: .postgres, location: location, backend: .postgres(backend), logger: logger)
        }
    }

    /// The PostgreSQL pool, when it is to be run as a service of the caller's service group;
    /// `nil` for SQLite and for a pool that runs itself.
    public var service: (any Service)? {
        guard case .postgres(let postgres) = backend, postgres.runner == nil else { return nil }
        return postgres.client
    }

    private init(engine: Engine, location: DatabaseLocation, backend: Backend, logger: Logger) {
        self.engine = engine
        self.location = location
        self.backend = backend
        self.logger = logger
    }

    /// The unit of work the current task runs in, on this process's databases.
    @TaskLocal private static var ambient: AmbientTransaction?

    private struct AmbientTransaction: Sendable {
        let database: ObjectIdentifier
        let transaction: Transaction
    }

    /// The unit of work of this database that the calling task is inside, if any.
    private var joinable: Transaction? {
        guard let ambient = Self.ambient, ambient.database == ObjectIdentifier(self) else { return nil }
        return ambient.transaction
    }

    /// Runs read-only statements on a connection from the pool — or, inside a unit of work, on its
    /// transaction, so that a read sees what the unit has written so far.
    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if let transaction = joinable { return try await body(transaction.sql) }
        switch backend {
        case .sqlite(let sqlite): return try await sqlite.read(body)
        case .postgres(let postgres): return try await postgres.client.withConnection { try await body($0.sql(queryLogLevel: nil)) }
        }
    }

    /// Like `read`, for statements run again and again with other values (the directory's
    /// searches): on PostgreSQL each runs as a named prepared statement of its connection, parsed
    /// and planned once per shape (`PreparedStatements`); on SQLite, and inside a unit of work, as
    /// `read` runs them.
    public func readPrepared<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        guard joinable == nil, case .postgres(let postgres) = backend else { return try await read(body) }
        return try await postgres.client.withConnection { connection in
            try await body(PreparedPostgresSQL(connection: connection, statements: postgres.statements))
        }
    }

    /// How many named prepared statements the PostgreSQL connections keep (0 on SQLite).
    public var preparedStatementCount: Int {
        guard case .postgres(let postgres) = backend else { return 0 }
        return postgres.statements.count
    }

    /// Runs `body` in one transaction: it commits when `body` returns and rolls back when it throws.
    /// Called inside another unit of work of this database (by the same task), it joins that one:
    /// everything commits with the outermost unit or not at all — which is how an idempotent
    /// request's key, its effect and its answer commit together.
    public func unitOfWork<T: Sendable>(_ body: @Sendable (Transaction) async throws -> T) async throws -> T {
        if let transaction = joinable { return try await body(transaction) }
        let owner = ObjectIdentifier(self)
        switch backend {
        case .sqlite(let sqlite):
            return try await sqlite.write { sql in
                let transaction = Transaction(sql: sql, engine: .sqlite)
                let result = try await Self.$ambient.withValue(AmbientTransaction(database: owner, transaction: transaction)) {
                    try await body(transaction)
                }
                try await transaction.pending.write(in: transaction)
                return result
            }
        case .postgres(let postgres):
            do {
                return try await postgres.client.withTransaction(logger: logger) { connection in
                    let transaction = Transaction(sql: connection.sql(queryLogLevel: nil), engine: .postgres)
                    let result = try await Self.$ambient.withValue(AmbientTransaction(database: owner, transaction: transaction)) {
                        try await body(transaction)
                    }
                    try await transaction.pending.write(in: transaction)
                    return result
                }
            } catch let error as PostgresTransactionError {
                // The rollback went through: what matters is why the body failed.
                if let cause = error.closureError, error.rollbackError == nil { throw cause }
                throw error
            }
        }
    }

    /// Calls `onChange` whenever new writes may have committed, until the calling task is
    /// cancelled. On PostgreSQL: for every notification on `channel`, from any server on the
    /// database (and once when listening starts). On SQLite: after every commit of this process;
    /// other processes on the same file are only seen by polling.
    public func watchChanges(channel: String, _ onChange: @escaping @Sendable () -> Void) async throws {
        switch backend {
        case .sqlite(let sqlite):
            let id = sqlite.commitObservers.add(onChange)
            defer { sqlite.commitObservers.remove(id) }
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(3600))
            }
        case .postgres(let postgres):
            try await postgres.client.withConnection { connection in
                try await connection.listen(on: channel) { notifications in
                    // Anything committed before LISTEN took effect is picked up by this first call.
                    onChange()
                    for try await _ in notifications { onChange() }
                }
            }
        }
    }

    /// Whether the database answers a trivial query within `timeout` (readiness): a pool that
    /// cannot connect keeps retrying, and readiness must say so rather than wait with it.
    public func isReachable(timeout: Duration = .seconds(3)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    return try await self.read { try await $0.raw("SELECT 1 AS ok").first() != nil }
                } catch {
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// An SQLite database whose checkpointer passes by `checkpoints` and whose units of work share
    /// transactions by `sharing` (tests set them apart).
    static func openSQLite(path: String, checkpoints: SQLiteCheckpointer.Settings, sharing: SQLiteBackend.Sharing,
                           logger: Logger) async throws -> Database {
        let backend = try await SQLiteBackend.open(path: path, readers: 4, checkpoints: checkpoints, sharing: sharing, logger: logger)
        return Database(engine: .sqlite, location: .sqlite(path: path), backend: .sqlite(backend), logger: logger)
    }

    /// The checkpointer of an SQLite database (nil on PostgreSQL).
    var sqliteCheckpointer: SQLiteCheckpointer? {
        guard case .sqlite(let sqlite) = backend else { return nil }
        return sqlite.checkpointer
    }

    /// How many transactions the SQLite writer has committed (nil on PostgreSQL).
    var sqliteCommits: Int? {
        guard case .sqlite(let sqlite) = backend else { return nil }
        return sqlite.commits
    }

    /// Closes every connection. The database cannot be used afterwards.
    public func close() async {
        switch backend {
        case .sqlite(let sqlite): await sqlite.close()
        case .postgres(let postgres): await postgres.close()
        }
    }
}

/// One transaction's connection. Everything that belongs together is written through it.
public struct Transaction: Sendable {
    public let sql: any SQLDatabase
    public let engine: Engine
    /// Audit lines and events, written just before the commit (`PendingWrites`).
    let pending = PendingWrites()

    init(sql: any SQLDatabase, engine: Engine) {
        self.sql = sql
        self.engine = engine
    }

    /// Moves the row `id` of `table` from `current` by `event`: the domain's state machine says
    /// which state follows (or refuses with 409), and a conditional update applies exactly that
    /// move, so a request that lost a race to another gets 409 too. Returns the new state.
    @discardableResult
    public func move<State: StateMachine>(_ table: String, id: UUID, from current: State, by event: State.Event,
                                          stateColumn: String = "state") async throws -> State {
        let next = try current.after(event)
        guard try await transition(table, id: id, stateColumn: stateColumn, from: [current.rawValue], to: next.rawValue) else {
            throw DomainError.conflict(code: State.conflictCode, message: "It changed meanwhile; read it again.")
        }
        return next
    }

    /// Moves the row `id` of `table` from one of the states in `from` to `to` with a conditional
    /// update, so that of two racing requests only one wins. Returns whether this one did.
    public func transition(_ table: String, id: UUID, stateColumn: String = "state",
                           from: [String], to: String) async throws -> Bool {
        var query = SQLQueryString("UPDATE ")
        query.appendInterpolation(ident: table)
        query.appendLiteral(" SET ")
        query.appendInterpolation(ident: stateColumn)
        query.appendLiteral(" = ")
        query.appendInterpolation(bind: to)
        query.appendLiteral(" WHERE id = ")
        query.appendInterpolation(bind: id.text)
        query.appendLiteral(" AND ")
        query.appendInterpolation(ident: stateColumn)
        query.appendLiteral(" IN (")
        query.appendInterpolation(binds: from)
        query.appendLiteral(") RETURNING id")
        return try await sql.raw(query).first() != nil
    }
}

/// PostgreSQL: a `PostgresClient` pool, run either by the server's service group (`service`) or,
/// for commands and tests, by a task that lives as long as the database.
private final class PostgresBackend: Sendable {
    let client: PostgresClient
    let runner: Task<Void, Never>?
    let statements = PreparedStatements()

    init(configuration: PostgresClient.Configuration, logger: Logger, runsItself: Bool) {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.runner = runsItself ? Task { await client.run() } : nil
    }

    func close() async {
        // A pool run by a service group stops with the group.
        guard let runner else { return }
        runner.cancel()
        await runner.value
    }
}
