import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Migrations and units of work")
struct MigrationTests {
    @Test("migrating an empty database applies every migration once, in order, and records them")
    func fromEmpty() async throws {
        try await withTestDatabase(migrate: false) { database in
            let migrator = Migrator(database: database)
            #expect(try await migrator.pending().map(\.version) == Migrations.all.map(\.version))
            let applied = try await migrator.migrate()
            #expect(applied.map(\.version) == Migrations.all.map(\.version).sorted())
            #expect(try await migrator.appliedVersions() == Migrations.all.map(\.version).sorted())
            #expect(try await migrator.migrate().isEmpty)
            #expect(try await migrator.pending().isEmpty)
            for table in ["institutions", "accounts", "sessions", "patients", "family_links", "patient_allergies",
                          "patient_conditions", "audit_log", "audit_head"] {
                let rows = try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM \(ident: table)").all() }
                #expect(rows.count == 1, "\(table)")
            }
        }
    }

    @Test("two migrators racing on one database apply each migration exactly once")
    func concurrentMigrators() async throws {
        try await withTestDatabase(migrate: false) { database in
            async let first = Migrator(database: database).migrate()
            async let second = Migrator(database: database).migrate()
            let total = try await first.count + second.count
            #expect(total == Migrations.all.count)
        }
    }

    @Test("on SQLite, a database that keeps planner statistics gets them for the indexes later migrations create; a new one gets none")
    func statisticsAfterMigrations() async throws {
        let table = Migration(version: 9001, name: "grades") { _ in
            ["CREATE TABLE grades (id BIGINT PRIMARY KEY, grade TEXT NOT NULL)",
             "INSERT INTO grades (id, grade) VALUES (1, 'a'), (2, 'a'), (3, 'b')"]
        }
        let index = Migration(version: 9002, name: "grades_by_grade") { _ in ["CREATE INDEX grades_by_grade ON grades (grade)"] }
        try await withTestDatabase(migrate: false) { database in
            guard database.engine == .sqlite else { return }
            func statistics() async throws -> [String]? {
                try await database.read { sql in
                    guard try await sql.raw("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").first() != nil else { return nil }
                    return try await sql.raw("SELECT idx FROM sqlite_stat1 WHERE tbl = 'grades' ORDER BY idx").all()
                        .map { try $0.decode(column: "idx", as: String.self) }
                }
            }
            try await Migrator(database: database, migrations: [table]).migrate()
            #expect(try await statistics() == nil)
            try await database.unitOfWork { try await $0.sql.raw("ANALYZE").run() }
            // The primary key's index (`id` is not SQLite's row id) has them; the later index not yet.
            #expect(try await statistics() == ["sqlite_autoindex_grades_1"])
            try await Migrator(database: database, migrations: [table, index]).migrate()
            #expect(try await statistics() == ["grades_by_grade", "sqlite_autoindex_grades_1"])
        }
    }

    @Test("a unit of work that throws leaves nothing behind")
    func rollback() async throws {
        struct Boom: Error {}
        try await withTestDatabase { database in
            await #expect(throws: Boom.self) {
                try await database.unitOfWork { tx in
                    try await tx.sql.raw("""
                        INSERT INTO institutions (id, kind, name, region_code, created_at)
                        VALUES ('x', 'pharmacy', 'Half-written', '330802', 0)
                        """).run()
                    throw Boom()
                }
            }
            let left = try await rawColumn("id", of: "institutions", in: database)
            #expect(left.isEmpty)
        }
    }

    @Test("a conditional transition wins once: the second mover from the same state loses")
    func conditionalTransition() async throws {
        try await withTestDatabase { database in
            let id = UUID.v7(at: Date(timeIntervalSince1970: 1_780_000_000))
            try await database.unitOfWork { tx in
                try await tx.sql.raw("""
                    INSERT INTO accounts (id, role, phone_hash, phone_cipher, password_hash, display_name, status, created_at)
                    VALUES (\(bind: id.text), 'courier', 'h', 'c', 'p', 'n', 'active', 0)
                    """).run()
            }
            async let first = database.unitOfWork { try await $0.transition("accounts", id: id, stateColumn: "status", from: ["active"], to: "disabled") }
            async let second = database.unitOfWork { try await $0.transition("accounts", id: id, stateColumn: "status", from: ["active"], to: "disabled") }
            let outcomes = try await [first, second]
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await rawColumn("status", of: "accounts", in: database) == ["disabled"])
        }
    }

    @Test("the audit log refuses updates and deletes")
    func auditAppendOnly() async throws {
        try await withTestDatabase { database in
            try await AuditStore(database: database).record(AuditRecord(action: "test.write", resourceType: "test"),
                                                            context: anAuditContext())
            await #expect(throws: (any Error).self) {
                try await database.unitOfWork { try await $0.sql.raw("UPDATE audit_log SET action = 'edited'").run() }
            }
            await #expect(throws: (any Error).self) {
                try await database.unitOfWork { try await $0.sql.raw("DELETE FROM audit_log").run() }
            }
            #expect(try await rawColumn("action", of: "audit_log", in: database) == ["test.write"])
        }
    }

    @Test("the SQLite database runs in WAL mode with foreign keys on", .enabled(if: TestEngine.current == .sqlite))
    func sqlitePragmas() async throws {
        try await withTestDatabase { database in
            let mode = try await database.read { try await $0.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self) }
            #expect(mode == "wal")
            await #expect(throws: (any Error).self) {
                try await database.unitOfWork { tx in
                    try await tx.sql.raw("""
                        INSERT INTO sessions (token_hash, account_id, issued_at, expires_at) VALUES ('t', 'no-such-account', 0, 1)
                        """).run()
                }
            }
        }
    }
}
