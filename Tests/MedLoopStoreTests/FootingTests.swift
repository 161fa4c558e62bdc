import Foundation
import MedLoopDomain
@testable import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

/// The storage promises the rest of MedLoop builds on: TLS as asked, units of work that join,
/// throttle counts that race correctly, files encrypted at rest, and a ledger check that notices.
@Suite("Storage footing")
struct FootingTests {
    @Test("sslmode disable, require, verify-ca and verify-full are taken", arguments: [
        "", "?sslmode=disable", "?sslmode=require", "?sslmode=verify-ca", "?sslmode=verify-full",
        "?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt",
    ])
    func sslModesTaken(query: String) throws {
        _ = try DatabaseLocation.postgresConfiguration("postgres://medloop@127.0.0.1:5432/medloop\(query)")
    }

    @Test("any other sslmode is refused with a message naming the modes, instead of running without TLS",
          arguments: ["prefer", "allow", "verify", "VERIFY-FULL", ""])
    func sslModesRefused(mode: String) {
        let error = #expect(throws: DatabaseError.self) {
            _ = try DatabaseLocation.postgresConfiguration("postgres://medloop@127.0.0.1:5432/medloop?sslmode=\(mode)")
        }
        #expect(error.map(String.init(describing:))?.contains("sslmode must be disable, require, verify-ca or verify-full") == true)
    }

    @Test("verify-full really asks for TLS: a server without TLS is not reached (PostgreSQL runs only)",
          .enabled(if: TestEngine.postgresURL != nil))
    func verifyFullUsesTLS() async throws {
        let url = try #require(TestEngine.postgresURL)
        for mode in ["require", "verify-ca", "verify-full"] {
            let database = try await Database.open(.postgres(url: url + "?sslmode=\(mode)"), maxConnections: 1)
            #expect(await database.isReachable() == false, "sslmode=\(mode) reached a server that has no TLS")
            await database.close()
        }
        let plain = try await Database.open(.postgres(url: url + "?sslmode=disable"), maxConnections: 1)
        #expect(await plain.isReachable(timeout: .seconds(60)))
        await plain.close()
    }

    @Test("MedLoop's PostgreSQL connections compile no plan (JIT off), with a schema of their own or without (PostgreSQL runs only)",
          .enabled(if: TestEngine.postgresURL != nil))
    func noJITCompilation() async throws {
        let url = try #require(TestEngine.postgresURL)
        let jit: @Sendable (Database) async throws -> String? = { database in
            try await database.read { sql in try await sql.raw("SHOW jit").first()?.decode(column: "jit", as: String.self) }
        }
        let plain = try await Database.open(.postgres(url: url), maxConnections: 1)
        let unscoped = try await jit(plain)
        await plain.close()
        #expect(unscoped == "off")
        let scoped = try await withTestDatabase { database in try await jit(database) }
        #expect(scoped == "off")
    }

    @Test("a unit of work inside another joins it: both commit together, or neither when the outer one fails")
    func unitsOfWorkJoin() async throws {
        try await withTestDatabase { database in
            struct Refused: Error {}
            try await database.unitOfWork { outer in
                try await outer.sql.raw("INSERT INTO leases (name, holder, expires_at) VALUES ('outer', 'a', 1)").run()
                try await database.unitOfWork { inner in
                    try await inner.sql.raw("INSERT INTO leases (name, holder, expires_at) VALUES ('inner', 'a', 1)").run()
                }
                // A read inside the unit sees what the unit wrote.
                #expect(try await database.read { try await $0.raw("SELECT name FROM leases").all().count } == 2)
            }
            await #expect(throws: Refused.self) {
                try await database.unitOfWork { outer in
                    try await outer.sql.raw("INSERT INTO leases (name, holder, expires_at) VALUES ('second-outer', 'a', 1)").run()
                    try await database.unitOfWork { inner in
                        try await inner.sql.raw("INSERT INTO leases (name, holder, expires_at) VALUES ('second-inner', 'a', 1)").run()
                    }
                    throw Refused()
                }
            }
            #expect(try await rawColumn("name", of: "leases", in: database).compactMap { $0 }.sorted() == ["inner", "outer"])
        }
    }

    @Test("a read that starts after a commit sees it, while other reads keep every connection busy")
    func readsSeeCommitsUnderLoad() async throws {
        try await withTestDatabase { database in
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Reads of many rows each, overlapping without pause, as a busy server's are.
                for _ in 0..<8 {
                    group.addTask {
                        while !Task.isCancelled {
                            _ = try await database.read { sql in
                                try await sql.raw("""
                                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                                    SELECT i FROM n
                                    """).all().count
                            }
                        }
                    }
                }
                for round in 0..<150 {
                    let name = "seen-\(round)"
                    try await database.unitOfWork { tx in
                        try await tx.sql.raw("INSERT INTO leases (name, holder, expires_at) VALUES (\(bind: name), 'a', 1)").run()
                    }
                    let seen = try await database.read { sql in
                        try await sql.raw("SELECT name FROM leases WHERE name = \(bind: name)").first() != nil
                    }
                    #expect(seen, "round \(round): a committed row was not seen by the next read")
                    if !seen { break }
                }
                group.cancelAll()
            }
        }
    }

    @Test("thirty attempts racing on one key are counted one by one: exactly the free ones are allowed")
    func throttleRace() async throws {
        try await withTestDatabase { database in
            let throttle = ThrottleStore(database: database)
            let now = Date(timeIntervalSince1970: 1_780_000_000)
            let decisions = try await withThrowingTaskGroup(of: ThrottleDecision.self) { group in
                for _ in 0..<30 {
                    group.addTask { try await throttle.attempt([.phoneAtAddress: "k", .address: "a"], now: now) }
                }
                return try await group.reduce(into: [ThrottleDecision]()) { $0.append($1) }
            }
            #expect(decisions.filter { $0 == .allowed }.count == 5)
            #expect(decisions.filter { $0 == .wait(seconds: 1) }.count == 25)
            try await throttle.succeeded(clearing: [.phoneAtAddress: "k"], forgiving: [.address: "a"])
            #expect(try await throttle.attempt([.phoneAtAddress: "k", .address: "a"], now: now) == .allowed)
            #expect(try await throttle.purge(now: now.addingTimeInterval(AttemptThrottle.quietPeriod + 1)) == 2)
        }
    }

    @Test("files are written encrypted and readable by the server's user only; files from before are encrypted at start")
    func filesAtRest() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("medloop-tests/files-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = FileFolder(dataDirectory: folder, name: "uploads", cipher: try aCipher())
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array("a consultation image".utf8)
        try await files.write(jpeg, named: "one")
        let stored = try Data(contentsOf: folder.appendingPathComponent("uploads/one"))
        #expect(!stored.starts(with: [0xFF, 0xD8, 0xFF]))
        #expect(stored.range(of: Data("a consultation image".utf8)) == nil)
        #expect(try await files.read("one") == Data(jpeg))
        #expect(try Self.mode(folder.appendingPathComponent("uploads/one")) == 0o600)
        #expect(try Self.mode(folder.appendingPathComponent("uploads")) == 0o700)

        // A plain file left by an earlier version, readable by anyone.
        let earlier = folder.appendingPathComponent("uploads/two")
        try Data(jpeg).write(to: earlier)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: earlier.path)
        #expect(try await files.encryptEarlierFiles() == 1)
        #expect(try Data(contentsOf: earlier) != Data(jpeg))
        #expect(try Self.mode(earlier) == 0o600)
        #expect(try await files.read("two") == Data(jpeg))
        #expect(try await files.encryptEarlierFiles() == 0)

        // A file copied under another name no longer opens.
        try FileManager.default.copyItem(at: earlier, to: folder.appendingPathComponent("uploads/three"))
        await #expect(throws: FieldCipherError.self) { try await files.read("three") }
    }

    @Test("the ledger check reports an entry that does not sum to zero and a balance that disagrees with its lines")
    func ledgerProblemsAreReported() async throws {
        try await withTestDatabase { database in
            let ledger = LedgerStore(database: database)
            #expect(try await ledger.problems().isEmpty)
            try await database.unitOfWork { tx in
                try await ledger.post(try .transfer(.topUp, amountFen: 500, from: .sandboxGateway, to: .wallet(UUID())),
                                      at: Date(), in: tx)
            }
            #expect(try await ledger.problems().isEmpty)
            // Tamper with one line, as a bug or a hand-edit would.
            try await database.unitOfWork { tx in
                try await tx.sql.raw("UPDATE ledger_lines SET amount_fen = 400 WHERE amount_fen = 500").run()
            }
            let problems = try await ledger.problems()
            #expect(problems.contains { $0.hasPrefix("entry ") && $0.hasSuffix("sums to -100") })
            #expect(problems.contains { $0.contains("holds 500 but its lines sum to 400") })
            #expect(try await ConsistencyCheck(database: database).problems() == problems)
        }
    }

    @Test("""
        a shared account's balance changes as its unit commits, by the sum of the unit's postings, and not at all \
        when the unit fails; a person's is checked and changed at once
        """)
    func sharedBalancesChangeAtCommit() async throws {
        try await withTestDatabase { database in
            let ledger = LedgerStore(database: database)
            let (first, second) = (LedgerAccount.wallet(UUID()), LedgerAccount.wallet(UUID()))
            let seen = try await database.unitOfWork { tx in
                try await ledger.post(try .transfer(.topUp, amountFen: 500, from: .sandboxGateway, to: first), at: Date(), in: tx)
                try await ledger.post(try .transfer(.topUp, amountFen: 700, from: .sandboxGateway, to: second), at: Date(), in: tx)
                try await ledger.post(try .transfer(.charge, amountFen: 200, from: first, to: .platformCommission), at: Date(), in: tx)
                // Inside the unit: the person's balance has changed, the shared ones not yet.
                return [try await ledger.balance(of: first), try await ledger.balance(of: .sandboxGateway)]
            }
            #expect(seen == [300, 0])
            #expect(try await ledger.balance(of: .sandboxGateway) == -1200)
            #expect(try await ledger.balance(of: .platformCommission) == 200)
            #expect(try await ledger.balance(of: first) == 300)
            // A unit refused after a posting leaves every balance as it was.
            await #expect(throws: DomainError.self) {
                try await database.unitOfWork { tx in
                    try await ledger.post(try .transfer(.topUp, amountFen: 900, from: .sandboxGateway, to: second), at: Date(), in: tx)
                    try await ledger.post(try .transfer(.charge, amountFen: 301, from: first, to: .platformCommission), at: Date(), in: tx)
                }
            }
            #expect(try await ledger.balance(of: .sandboxGateway) == -1200)
            #expect(try await ledger.balance(of: .platformCommission) == 200)
            #expect(try await ledger.balance(of: second) == 700)
            #expect(try await ledger.problems().isEmpty)
        }
    }

    static func mode(_ url: URL) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}
