import Foundation
@testable import MedLoopApp
@testable import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

/// A request the database gave up on for a moment's contention is a 503 `try_again`: nothing of
/// it stays, and the same request sent again may succeed. A 500 would say the server is broken.
@Suite("Transient conflicts")
struct TransientConflictTests {
    /// Lets each of `parties` tasks go on once all have arrived.
    actor Barrier {
        let parties: Int
        private var arrived = 0
        private var waiting: [CheckedContinuation<Void, Never>] = []

        init(parties: Int) { self.parties = parties }

        func arrive() async {
            arrived += 1
            if arrived == parties {
                for task in waiting { task.resume() }
                waiting = []
            } else {
                await withCheckedContinuation { waiting.append($0) }
            }
        }
    }

    @Test("a busy SQLite is 503 try_again and a duplicate still a 500; a real deadlock on PostgreSQL is 503 try_again")
    func transientConflictsAsk503() async throws {
        #expect(AppError.from(SQLiteStatementError(code: 5, message: "database is locked")).status == .serviceUnavailable)
        #expect(AppError.from(SQLiteStatementError(code: 517, message: "database is locked")).code == "try_again")
        #expect(AppError.from(SQLiteStatementError(code: 2067, message: "UNIQUE constraint failed")).status == .internalServerError)
        try await withTestDatabase { database in
            guard database.engine == .postgres else { return }
            try await database.unitOfWork { tx in
                try await tx.sql.raw("CREATE TABLE crossed (id INT PRIMARY KEY, n INT NOT NULL)").run()
                try await tx.sql.raw("INSERT INTO crossed (id, n) VALUES (1, 0), (2, 0)").run()
            }
            // Two units lock the two rows in opposite orders: PostgreSQL ends one of them.
            let barrier = Barrier(parties: 2)
            let outcomes = await withTaskGroup(of: (any Error)?.self) { group in
                for (first, second) in [(1, 2), (2, 1)] {
                    group.addTask {
                        do {
                            try await database.unitOfWork { tx in
                                try await tx.sql.raw("UPDATE crossed SET n = n + 1 WHERE id = \(bind: first)").run()
                                await barrier.arrive()
                                try await tx.sql.raw("UPDATE crossed SET n = n + 1 WHERE id = \(bind: second)").run()
                            }
                            return nil
                        } catch {
                            return error
                        }
                    }
                }
                return await group.reduce(into: [(any Error)?]()) { $0.append($1) }
            }
            let failures = outcomes.compactMap { $0 }
            #expect(failures.count == 1)
            let answer = try #require(failures.first.map(AppError.from))
            #expect(answer.status == .serviceUnavailable)
            #expect(answer.code == "try_again")
            // The survivor's two updates stayed; the other's none.
            let total = try await database.read { try await $0.raw("SELECT SUM(n) AS n FROM crossed").first()?.int64("n") }
            #expect(total == 2)
        }
    }
}
