import Foundation
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

/// What a unit of work's connection does with values and refusals, on either engine. On SQLite the
/// unit runs on the writer's own connection and thread (`SQLiteThreadConnection`), not through SQLiteNIO.
@Suite("Units of work: values and refusals")
struct UnitOfWorkTests {
    static let scratch: SQLQueryString = """
        CREATE TABLE scratch (id TEXT PRIMARY KEY, whole BIGINT, measure DOUBLE PRECISION, words TEXT, absent TEXT)
        """

    @Test("a unit reads back what it wrote, integers, reals, Chinese text and nulls, and so does a read after it commits")
    func valuesRoundTrip() async throws {
        try await withTestDatabase(migrate: false) { database in
            try await database.unitOfWork { try await $0.sql.raw(Self.scratch).run() }
            let whole = Int64.max - 7
            let inside = try await database.unitOfWork { tx in
                try await tx.sql.raw("""
                    INSERT INTO scratch (id, whole, measure, words, absent)
                    VALUES (\(bind: "a"), \(bind: whole), \(bind: 29.875), \(bind: "原发性高血压 E11"), \(bind: String?.none))
                    """).run()
                return try #require(try await tx.sql.raw("SELECT * FROM scratch WHERE id = \(bind: "a")").first())
            }
            let after = try #require(try await database.read { try await $0.raw("SELECT * FROM scratch WHERE id = \(bind: "a")").first() })
            for row in [inside, after] {
                #expect(try row.decode(column: "whole", as: Int64.self) == whole)
                #expect(try row.decode(column: "measure", as: Double.self) == 29.875)
                #expect(try row.decode(column: "words", as: String.self) == "原发性高血压 E11")
                #expect(try row.decodeNil(column: "absent"))
                // Optionals and Int, present and absent, as the stores' row helpers ask for them.
                #expect(try row.decode(column: "whole", as: Int64?.self) == whole)
                #expect(try row.decode(column: "whole", as: Int.self) == Int(whole))
                #expect(try row.decode(column: "words", as: String?.self) == "原发性高血压 E11")
                #expect(try row.decode(column: "absent", as: String?.self) == nil)
                #expect(try row.decode(column: "absent", as: Int64?.self) == nil)
                #expect(throws: (any Error).self) { try row.decode(column: "absent", as: String.self) }
                #expect(Set(row.allColumns) == ["id", "whole", "measure", "words", "absent"])
            }
        }
    }

    @Test("a duplicate key is refused as a unique violation, and nothing of its unit stays")
    func duplicateLeavesNothing() async throws {
        try await withTestDatabase(migrate: false) { database in
            try await database.unitOfWork { try await $0.sql.raw(Self.scratch).run() }
            try await database.unitOfWork { try await $0.sql.raw("INSERT INTO scratch (id, whole) VALUES (\(bind: "a"), 1)").run() }
            var refusal: (any Error)?
            do {
                try await database.unitOfWork { tx in
                    try await tx.sql.raw("INSERT INTO scratch (id, whole) VALUES (\(bind: "b"), 2)").run()
                    try await tx.sql.raw("INSERT INTO scratch (id, whole) VALUES (\(bind: "a"), 3)").run()
                }
            } catch {
                refusal = error
            }
            #expect(refusal.map(isUniqueViolation) == true, "\(String(describing: refusal))")
            let rows = try await database.read { try await $0.raw("SELECT id, whole FROM scratch ORDER BY id").all() }
            #expect(try rows.map { try $0.decode(column: "id", as: String.self) } == ["a"])
            #expect(try rows.first?.decode(column: "whole", as: Int64.self) == 1)
            // The statement that was refused runs again, with other values, as a new one would.
            try await database.unitOfWork { try await $0.sql.raw("INSERT INTO scratch (id, whole) VALUES (\(bind: "c"), 3)").run() }
            let count = try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM scratch").first()?.decode(column: "n", as: Int64.self) }
            #expect(count == 2)
        }
    }

    @Test("a statement the database cannot run fails its unit with the database's reason, and the next unit runs")
    func badStatement() async throws {
        try await withTestDatabase(migrate: false) { database in
            var refusal: (any Error)?
            do {
                try await database.unitOfWork { try await $0.sql.raw("SELECT * FROM no_such_table").run() }
            } catch {
                refusal = error
            }
            #expect(String(reflecting: refusal ?? CancellationError()).contains("no_such_table"))
            let one = try await database.unitOfWork { try await $0.sql.raw("SELECT 1 AS one").first()?.decode(column: "one", as: Int64.self) }
            #expect(one == 1)
        }
    }

    @Test("a read the database cannot run names its reason, and the readers answer the reads after it")
    func badRead() async throws {
        try await withTestDatabase(migrate: false) { database in
            var refusal: (any Error)?
            do {
                _ = try await database.read { try await $0.raw("SELECT * FROM no_such_table").all() }
            } catch {
                refusal = error
            }
            #expect(String(reflecting: refusal ?? CancellationError()).contains("no_such_table"))
            // More reads than readers, so that every reader answers one.
            let ones = try await withThrowingTaskGroup(of: Int64?.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await database.read { try await $0.raw("SELECT 1 AS one").first()?.decode(column: "one", as: Int64.self) } }
                }
                return try await group.reduce(into: [Int64?]()) { $0.append($1) }
            }
            #expect(ones == Array(repeating: 1, count: 16))
        }
    }

    /// A task can still hold an SQLite connection's thread when the database closes (a request in
    /// flight at shutdown). The thread has ended by then; the task must end too, with a refusal.
    @Test("on SQLite, a read that goes on after the database closed, and reads and units after it, are refused rather than left waiting",
          .timeLimit(.minutes(1)))
    func workAfterClose() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("medloop-tests/closed-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let database = try await Database.open(.sqlite(path: path))
        let (started, start) = AsyncStream.makeStream(of: Void.self)
        let (resumed, resume) = AsyncStream.makeStream(of: Void.self)
        let inFlight = Task {
            try await database.read { sql -> Int64? in
                let first = try await sql.raw("SELECT 1 AS one").first()?.decode(column: "one", as: Int64.self)
                start.yield()
                for await _ in resumed { break }
                _ = try await sql.raw("SELECT 2 AS two").first()
                return first
            }
        }
        for await _ in started { break }
        await database.close()
        resume.yield()
        await #expect(throws: SQLiteStatementError.self) { try await inFlight.value }
        await #expect(throws: SQLiteStatementError.self) { try await database.read { try await $0.raw("SELECT 1").all() } }
        await #expect(throws: SQLiteStatementError.self) { try await database.unitOfWork { try await $0.sql.raw("SELECT 1").run() } }
    }

    @Test("reads beside units of work see each unit whole or not at all, and every unit once it has committed")
    func readsBesideWrites() async throws {
        try await withTestDatabase(migrate: false) { database in
            try await database.unitOfWork { try await $0.sql.raw(Self.scratch).run() }
            let counts = try await withThrowingTaskGroup(of: [Int64].self) { group in
                group.addTask {
                    // 40 units of two rows each.
                    for unit in 0..<40 {
                        try await database.unitOfWork { tx in
                            for row in 0..<2 {
                                try await tx.sql.raw("INSERT INTO scratch (id, whole) VALUES (\(bind: "\(unit)-\(row)"), \(bind: unit))").run()
                            }
                        }
                    }
                    return []
                }
                for _ in 0..<8 {
                    group.addTask {
                        var seen: [Int64] = []
                        for _ in 0..<20 {
                            seen.append(try await database.read {
                                try await $0.raw("SELECT COUNT(*) AS n FROM scratch").first()?.decode(column: "n", as: Int64.self) ?? -1
                            })
                        }
                        return seen
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            #expect(counts.count == 160)
            #expect(counts.allSatisfy { $0 >= 0 && $0 <= 80 && $0 % 2 == 0 }, "\(counts)")
            let total = try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM scratch").first()?.decode(column: "n", as: Int64.self) }
            #expect(total == 80)
        }
    }
}
