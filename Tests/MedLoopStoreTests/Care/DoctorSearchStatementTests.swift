import Foundation
import MedLoopDomain
@testable import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Doctor search statements")
struct DoctorSearchStatementTests {
    /// Searches of a few shapes, each asked with other words, page sizes and depths.
    static let searches: [DoctorSearch] = ["高血压", "糖尿病", "hypertension", "心血管"].flatMap { word in
        [DoctorSearch(text: word, sort: .patientsServed, limit: 10),
         DoctorSearch(text: word, sort: .patientsServed, limit: 25, offset: 1),
         DoctorSearch(text: word, sort: .rating, limit: 12)]
    } + [DoctorSearch(sort: .price, limit: 30), DoctorSearch(department: "cardiology", sort: .price, limit: 10),
         DoctorSearch(department: "pediatrics", sort: .price, limit: 30, offset: 1),
         DoctorSearch(condition: "I10", sort: .price), DoctorSearch(condition: "E11", sort: .price, limit: 15)]

    /// A page row's columns of each type, as text (a vocabulary piece's, for the lookup of a word's pieces).
    @Sendable static func summary(_ row: any SQLRow) throws -> String {
        if row.contains(column: "term") { return [try row.text("term"), String(try row.int64("entries"))].joined(separator: " ") }
        return [try row.uuid("id").text, try row.text("name"), String(try row.int64("patients_served")), String(try row.int64("rating_count")),
         try row.optionalInt64("price_fen").map(String.init) ?? "-"].joined(separator: " ")
    }

    @Test("a search's statements give the same rows prepared as unnamed, every column of its page")
    func preparedRowsAreTheSame() async throws {
        try await DoctorSearchTests.withDirectory { doctors, database in
            var compared = 0
            for search in Self.searches {
                for statement in try await doctors.statements(of: search) {
                    let plain = try await database.read { sql in try await sql.raw(statement).all().map(Self.summary) }
                    let prepared = try await database.readPrepared { sql in try await sql.raw(statement).all().map(Self.summary) }
                    #expect(prepared == plain, "\(search)")
                    compared += plain.count
                }
            }
            #expect(compared >= 40)
        }
    }

    @Test("on PostgreSQL each search shape is prepared once per connection, whatever its words, page size and depth",
          .enabled(if: TestEngine.postgresURL != nil))
    func preparedOncePerShape() async throws {
        try await DoctorSearchTests.withDirectory { doctors, database in
            for search in Self.searches { _ = try await doctors.search(search) }
            let afterOnce = database.preparedStatementCount
            #expect(afterOnce > 0)
            for _ in 0..<3 {
                for search in Self.searches { _ = try await doctors.search(search) }
            }
            // The same shapes again (on the pool's 4 connections): at most one statement per shape
            // and connection, however many times they ran.
            var shapes = Set<String>()
            for search in Self.searches {
                for statement in try await doctors.statements(of: search) {
                    shapes.insert(try await database.read { sql in sql.serialize(statement).sql })
                }
            }
            #expect(database.preparedStatementCount <= shapes.count * 4)
            #expect(shapes.count < Self.searches.count)
        }
    }

    @Test("SQLite keeps no prepared statements of its own")
    func sqliteKeepsNone() async throws {
        try await DoctorSearchTests.withDirectory { doctors, database in
            guard database.engine == .sqlite else { return }
            _ = try await doctors.search(DoctorSearch(text: "高血压"))
            #expect(database.preparedStatementCount == 0)
        }
    }

    @Test("each bind's type is written into a prepared statement's text",
          arguments: [
            ("a = $1 AND b = $2 LIMIT $3", ["x", false, 11] as [any Encodable & Sendable],
             "a = $1::text AND b = $2::bool LIMIT $3::int8"),
            ("x IN ($1, $2)", [Int64(3), 0.5] as [any Encodable & Sendable], "x IN ($1::int8, $2::float8)"),
            ("SELECT 1", [] as [any Encodable & Sendable], "SELECT 1"),
          ])
    func typedBinds(sql: String, binds: [any Encodable & Sendable], expected: String) {
        #expect(PreparedPostgresSQL.typed(sql, binds: binds)?.sql == expected)
        #expect(PreparedPostgresSQL.typed(sql, binds: binds)?.values.count == binds.count)
    }

    @Test("a statement with a bind of another type, or a `$` that is no bind, is not prepared")
    func untypedBinds() {
        #expect(PreparedPostgresSQL.typed("id = $1", binds: [UUID()]) == nil)
        #expect(PreparedPostgresSQL.typed("id = $2", binds: ["x"]) == nil)
        #expect(PreparedPostgresSQL.typed("price = '$'", binds: []) == nil)
    }

    @Test("ten or more binds keep their numbers")
    func manyBinds() throws {
        let sql = (1...11).map { "$\($0)" }.joined(separator: ",")
        let typed = try #require(PreparedPostgresSQL.typed(sql, binds: (1...11).map { "v\($0)" }))
        #expect(typed.sql == (1...11).map { "$\($0)::text" }.joined(separator: ","))
    }
}
