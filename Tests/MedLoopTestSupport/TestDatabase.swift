import Foundation
import Logging
import MedLoopDomain
import MedLoopStore
import SQLKit
import Synchronization

/// The engine the tests run on: PostgreSQL when `MEDLOOP_TEST_DATABASE_URL` is set, SQLite
/// otherwise. CI runs the suite once each way.
public enum TestEngine {
    public static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["MEDLOOP_TEST_DATABASE_URL"], !url.isEmpty else { return nil }
        return url
    }

    public static var current: Engine { postgresURL == nil ? .sqlite : .postgres }
}

/// How many test databases may be open at once. Swift Testing starts every test at once; each
/// app under test holds a pool, a listener and its jobs' connections, so without a limit the
/// PostgreSQL test cluster runs out of connections (and SQLite of threads) and tests wait on
/// each other for good.
private let openDatabases = TestGate(permits: TestEngine.postgresURL == nil ? 24 : 16)

/// A counting semaphore for async tests: `enter` waits for a permit, `leave` gives it back.
final class TestGate: Sendable {
    private struct State {
        var free: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state: Mutex<State>

    init(permits: Int) { state = Mutex(State(free: permits)) }

    func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                guard state.free > 0 else { state.waiters.append(continuation); return false }
                state.free -= 1
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else { state.free += 1; return nil }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

/// A fresh, migrated database for one test: a new SQLite file, or a new PostgreSQL schema. It is
/// removed when `body` returns or throws.
public func withTestDatabase<T: Sendable>(migrate: Bool = true,
                                          _ body: @Sendable (Database) async throws -> T) async throws -> T {
    // A test that opens a second database while it holds one (two servers, two seeds) does not
    // wait for a second permit: with every permit held by such tests, none could ever go on.
    if TestDatabasePermit.held {
        return try await openTestDatabase(migrate: migrate, body)
    }
    await openDatabases.enter()
    defer { openDatabases.leave() }
    return try await TestDatabasePermit.$held.withValue(true) {
        try await openTestDatabase(migrate: migrate, body)
    }
}

/// Whether the current task holds a permit of `openDatabases`.
private enum TestDatabasePermit {
    @TaskLocal static var held = false
}

private func openTestDatabase<T: Sendable>(migrate: Bool, _ body: @Sendable (Database) async throws -> T) async throws -> T {
    var logger = Logger(label: "medloop.test")
    logger.logLevel = .warning
    let database: Database
    let cleanup: @Sendable () async -> Void
    if let url = TestEngine.postgresURL {
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try await Database.open(.postgres(url: url), maxConnections: 1, logger: logger)
        try await admin.unitOfWork { try await $0.sql.raw("CREATE SCHEMA \(ident: schema)").run() }
        database = try await Database.open(.postgres(url: url, schema: schema), maxConnections: 4, logger: logger)
        cleanup = {
            await database.close()
            try? await admin.unitOfWork { try await $0.sql.raw("DROP SCHEMA \(ident: schema) CASCADE").run() }
            await admin.close()
        }
    } else {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("medloop-tests", isDirectory: true)
        let path = folder.appendingPathComponent("\(UUID().uuidString).sqlite").path
        database = try await Database.open(.sqlite(path: path), logger: logger)
        cleanup = {
            await database.close()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
    }
    do {
        if migrate { try await Migrator(database: database).migrate() }
        let result = try await body(database)
        await cleanup()
        return result
    } catch {
        await cleanup()
        throw error
    }
}

/// A clock the test moves by hand.
public final class ManualClock: MedLoopClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date = Date(timeIntervalSince1970: 1_788_000_000)) {
        current = start
    }

    public func now() -> Date { lock.withLock { current } }

    public func advance(by seconds: TimeInterval) {
        lock.withLock { current = current.addingTimeInterval(seconds) }
    }
}

/// A fixed test data key (never used outside tests).
public let testDataKey = Data(repeating: 7, count: 32)

public func aCipher() throws -> FieldCipher { try FieldCipher(dataKey: testDataKey) }

/// An audit stamp for a system action at `now`.
public func anAuditContext(at now: Date = Date(), caller: Caller? = nil) -> AuditContext {
    AuditContext(actorAccountId: caller?.accountId, actorRole: caller?.role, clientAddress: "127.0.0.1",
                 requestId: "test", at: now)
}

/// A valid national ID number for someone born on `birth` (sequence odd: a man).
public func aNationalID(born birth: CalendarDate = CalendarDate(year: 1980, month: 5, day: 17)!,
                        sequence: Int = 123, region: String = "330802") throws -> NationalID {
    try NationalID(NationalID.make(region: region, birth: birth, sequence: sequence), today: CalendarDate(year: 2026, month: 1, day: 1)!)
}

/// Reads one column of every row of `table` as text (for checking what is stored raw).
public func rawColumn(_ column: String, of table: String, in database: Database) async throws -> [String?] {
    try await database.read { sql in
        try await sql.raw("SELECT \(ident: column) AS value FROM \(ident: table)").all()
            .map { try $0.decode(column: "value", as: String?.self) }
    }
}

private let shippedFormulary = Result { () throws(ShippedDataError) in try Formulary.loadShipped() }

/// The shipped drug catalogue and interaction table, read once for all tests.
public func aFormulary() throws -> Formulary { try shippedFormulary.get() }
