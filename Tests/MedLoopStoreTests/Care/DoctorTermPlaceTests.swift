import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

/// A word's exact matches are filtered by city and department, and ordered by patients served, on
/// the copies of those columns each search term keeps (M0032): the pages are those the doctor
/// rows give, and the copies follow the doctors.
@Suite("Doctor search terms keep their doctors' places")
struct DoctorTermPlaceTests {
    static let now = Date(timeIntervalSince1970: 1_788_000_000)

    static func withDirectory(_ body: @Sendable @escaping (Stores, Database) async throws -> Void) async throws {
        try await withTestDatabase { database in
            _ = try await DirectoryGenerator.generate(doctors: 1200, into: database, now: now)
            try await body(Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory,
                                  formulary: try aFormulary()), database)
        }
    }

    /// The busiest city of the generated directory.
    static func busiestCity(in database: Database) async throws -> String {
        try await DirectoryGeneratorTests.texts("""
            SELECT city_code FROM doctors WHERE qualification = 'approved' GROUP BY city_code ORDER BY COUNT(*) DESC, city_code LIMIT 1
            """, column: "city_code", in: database)[0]
    }

    @Test("a word's or a condition's walk in a city, a department and patients-served order lists what the doctor rows give")
    func walksMatchTheDoctorRows() async throws {
        try await Self.withDirectory { stores, database in
            let city = try await Self.busiestCity(in: database)
            let term = { @Sendable (term: String, filter: SQLQueryString, order: SQLQueryString, limit: Int) in
                try await DirectoryGeneratorTests.texts("""
                    SELECT d.id FROM doctors d JOIN doctor_terms t ON t.doctor_id = d.id AND t.term = \(bind: term)
                    WHERE d.qualification = 'approved'\(filter) ORDER BY \(order) LIMIT \(literal: limit)
                    """, column: "id", in: database)
            }
            let cases: [(DoctorSearch, [String])] = [
                (DoctorSearch(text: "儿科", sort: .patientsServed, limit: 30),
                 try await term("儿科", "", "d.patients_served DESC, d.id", 30)),
                (DoctorSearch(text: "儿科", city: city, sort: .patientsServed, limit: 10),
                 try await term("儿科", " AND d.city_code = \(bind: city)", "d.patients_served DESC, d.id", 10)),
                (DoctorSearch(text: "儿科", city: String(city.prefix(2)), limit: 10),
                 try await term("儿科", " AND d.city_code LIKE \(bind: String(city.prefix(2)) + "%")", "d.rank_score DESC, d.id", 10)),
                (DoctorSearch(condition: "I10", sort: .patientsServed, limit: 30),
                 try await term("i10", "", "d.patients_served DESC, d.id", 30)),
                (DoctorSearch(department: "cardiology", condition: "I10", city: city, sort: .rating, limit: 10),
                 try await term("i10", " AND d.department = 'cardiology' AND d.city_code = \(bind: city)", "d.rank_score DESC, d.id", 10)),
                (DoctorSearch(text: "儿科", department: "cardiology"), []),
            ]
            for (search, expected) in cases {
                #expect(try await stores.doctors.search(search).items.map(\.id.text) == expected, "\(search)")
            }
            #expect(cases.filter { !$0.1.isEmpty }.count == 5)
        }
    }

    @Test("a suspended doctor leaves their words' walks in their city, and comes back when approved again")
    func standingFollowsTheDoctor() async throws {
        try await Self.withDirectory { stores, database in
            let city = try await Self.busiestCity(in: database)
            let search = DoctorSearch(text: "儿科", city: city, sort: .patientsServed, limit: 100)
            let before = try await stores.doctors.search(search).items.map(\.id)
            let first = try #require(before.first)
            let context = anAuditContext()
            try await stores.credentials.setDirectoryStanding(.suspended, doctor: first, context: context)
            #expect(try await stores.doctors.search(search).items.map(\.id) == Array(before.dropFirst()))
            try await stores.credentials.setDirectoryStanding(.approved, doctor: first, context: context)
            #expect(try await stores.doctors.search(search).items.map(\.id) == before)
            #expect(try await ConsistencyCheck(database: database).problems().isEmpty)
        }
    }

    @Test("M0032 copies every doctor's standing, place, rank and patients served to their terms, and the check reports a term that disagrees")
    func migrationFillsAndCheckReports() async throws {
        try await Self.withDirectory { stores, database in
            let search = DoctorSearch(condition: "I10", sort: .patientsServed, limit: 50)
            let before = try await stores.doctors.search(search).items.map(\.id)
            #expect(!before.isEmpty)
            // As the terms were before M0032: no copies.
            try await database.unitOfWork { tx in
                try await tx.sql.raw("""
                    UPDATE doctor_terms SET qualification = '', department = '', city_code = '', patients_served = 0
                    """).run()
            }
            #expect(try await stores.doctors.search(search).items.isEmpty)
            #expect(!(try await ConsistencyCheck(database: database).problems()).isEmpty)
            try await database.unitOfWork { tx in try await tx.sql.raw(SQLQueryString(Migrations.termPlaceFill)).run() }
            #expect(try await stores.doctors.search(search).items.map(\.id) == before)
            #expect(try await ConsistencyCheck(database: database).problems().isEmpty)

            try await database.unitOfWork { tx in
                try await tx.sql.raw("UPDATE doctor_terms SET department = 'nowhere' WHERE doctor_id = \(bind: before[0].text)").run()
            }
            let problems = try await ConsistencyCheck(database: database).problems()
            #expect(problems.count == 1)
            #expect(problems.first?.hasPrefix("doctor \(before[0].text): ") == true)
            #expect(problems.first?.hasSuffix("search terms disagree with the doctor's standing, place, rank or patients served") == true)
        }
    }
}
