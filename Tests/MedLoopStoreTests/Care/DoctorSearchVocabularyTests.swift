import Foundation
import MedLoopDomain
@testable import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Doctor search through the vocabulary of terms")
struct DoctorSearchVocabularyTests {
    static let now = Date(timeIntervalSince1970: 1_788_000_000)

    /// Words a generated directory's terms hold (in one term or in dozens of hospitals' names, with
    /// exact matches or none), in every filter, sort and depth a walk of their pieces answers.
    static let searches: [DoctorSearch] = {
        var searches: [DoctorSearch] = []
        for word in ["高血压", "hypertension", "diabet", "心血管", "人民医院", "阻塞性肺", "e11", "没有这种病"] {
            for sort in [DoctorSort.rating, .patientsServed, .relevance] {
                searches += [DoctorSearch(text: word, sort: sort, limit: 10),
                             DoctorSearch(text: word, sort: sort, limit: 20, offset: 20),
                             DoctorSearch(text: word, sort: sort, limit: 7, offset: 300),
                             DoctorSearch(text: word, city: "310100", sort: sort),
                             DoctorSearch(text: word, city: "33", sort: sort, limit: 15),
                             DoctorSearch(text: word, department: "cardiology", city: "310100", sort: sort, limit: 15),
                             DoctorSearch(text: word, department: "cardiology", sort: sort),
                             DoctorSearch(text: word, service: .videoPerMinute, sort: sort, limit: 12)]
            }
        }
        return searches
    }()

    static func withDirectory(_ body: @Sendable @escaping (Stores, Database) async throws -> Void) async throws {
        try await withTestDatabase { database in
            _ = try await DirectoryGenerator.generate(doctors: 3000, into: database, now: Self.now)
            try await body(Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory,
                                  formulary: try aFormulary()), database)
        }
    }

    static func ids(_ query: SQLQueryString, in database: Database) async throws -> [UUID] {
        try await database.read { sql in try await sql.raw(query).all().map { try $0.uuid("id") } }
    }

    @Test("a word's pieces, walked and merged, give the page the trigram index gives, in its order, whatever the filters, sort and depth")
    func walkAgreesWithTrigrams() async throws {
        try await Self.withDirectory { stores, database in
            var walked = 0
            var found = 0
            for search in Self.searches {
                #expect(DoctorStore.walksVocabulary(search))
                if try await stores.doctors.termsContaining(search.terms[0]) != nil { walked += 1 }
                let page = try await stores.doctors.search(search)
                // The whole trigram answer of the same search, read with the page's window.
                let matched = try await Self.ids(DoctorStore.searchQuery(search, engine: database.engine), in: database)
                #expect(page.items.map(\.id) == Array(matched.prefix(search.limit)), "\(search)")
                #expect((page.nextCursor != nil) == (matched.count > search.limit), "\(search)")
                found += page.items.count
            }
            #expect(walked == Self.searches.count)
            #expect(found > 1000)
        }
    }

    @Test("a word in the doctors' training has no term entries to walk: it is searched through the trigram index and still finds them")
    func trainingWord() async throws {
        try await Self.withDirectory { stores, database in
            #expect(try await stores.doctors.termsContaining("医学院") == nil)
            for sort in [DoctorSort.rating, .relevance] {
                let search = DoctorSearch(text: "医学院", city: "310100", sort: sort)
                let page = try await stores.doctors.search(search)
                let matched = try await Self.ids(DoctorStore.searchQuery(search, engine: database.engine), in: database)
                #expect(!page.items.isEmpty)
                #expect(page.items.map(\.id) == Array(matched.prefix(search.limit)))
            }
        }
    }

    @Test("a hospital's new name is in the vocabulary at once: its doctors are found by a part of it, and by the old name no more")
    func renamedHospital() async throws {
        try await Self.withDirectory { stores, database in
            let row = try await database.read { sql in
                try await sql.raw("SELECT hospital_id, COUNT(*) AS n FROM doctors WHERE qualification = 'approved' GROUP BY hospital_id ORDER BY n DESC, hospital_id LIMIT 1").first()
            }
            let hospitalText = try #require(row).text("hospital_id")
            let hospital = try #require(UUID(uuidString: hospitalText))
            #expect(try await stores.doctors.termsContaining("青松湖") == [])
            _ = try await stores.institutions.update(hospital, name: "青松湖康复医院", insuranceDesignated: nil, internetHospitalLicensed: nil,
                                                     context: anAuditContext(at: Self.now))
            #expect(try await stores.doctors.termsContaining("青松湖") == ["青松湖康复医院"])
            let page = try await stores.doctors.search(DoctorSearch(text: "青松湖", sort: .patientsServed, limit: 50))
            #expect(!page.items.isEmpty)
            #expect(page.items.allSatisfy { $0.hospitalId == hospital })
            #expect(page.items.count == Int(try row?.int64("n") ?? 0) || page.items.count == 50)
            #expect(try await DoctorStore.termProblems(in: database).isEmpty)
        }
    }

    @Test("a word in more terms than a walk takes is searched through the trigram index")
    func tooManyPieces() async throws {
        try await Self.withDirectory { stores, database in
            // Pieces no doctor has (as after renames), more than a walk takes, all holding `zqx`;
            // one doctor's hospital becomes one more.
            try await database.unitOfWork { tx in
                for number in 0..<DoctorStore.mostWalkedPieces {
                    try await tx.sql.raw("INSERT INTO search_vocabulary (term) VALUES (\(bind: "zqx former name \(number)"))").run()
                }
            }
            let row = try await database.read { sql in
                try await sql.raw("SELECT hospital_id FROM doctors WHERE qualification = 'approved' ORDER BY id LIMIT 1").first()
            }
            let hospitalText = try #require(row).text("hospital_id")
            let hospital = try #require(UUID(uuidString: hospitalText))
            _ = try await stores.institutions.update(hospital, name: "Zqx Hospital", insuranceDesignated: nil,
                                                     internetHospitalLicensed: nil, context: anAuditContext(at: Self.now))
            #expect(try await stores.doctors.termsContaining("zqx") == nil)
            let search = DoctorSearch(text: "zqx", sort: .rating)
            let page = try await stores.doctors.search(search)
            let matched = try await Self.ids(DoctorStore.searchQuery(search, engine: database.engine), in: database)
            #expect(!page.items.isEmpty)
            #expect(page.items.allSatisfy { $0.hospitalId == hospital })
            #expect(page.items.map(\.id) == Array(matched.prefix(search.limit)))
        }
    }

    @Test("a term missing from the vocabulary is a problem `medloop check` reports")
    func checkFindsAMissingPiece() async throws {
        try await Self.withDirectory { _, database in
            #expect(try await DoctorStore.termProblems(in: database).isEmpty)
            try await database.unitOfWork { tx in
                try await tx.sql.raw("DELETE FROM search_vocabulary WHERE term = 'hypertension'").run()
            }
            let problems = try await DoctorStore.termProblems(in: database)
            #expect(problems.contains { $0.contains("\"hypertension\"") })
        }
    }
}
