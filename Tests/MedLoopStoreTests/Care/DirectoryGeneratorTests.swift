import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Synchronization
import Testing

@Suite("Directory generator")
struct DirectoryGeneratorTests {
    static let now = Date(timeIntervalSince1970: 1_788_000_000)

    /// The running totals a generator reported.
    final class ProgressLog: Sendable {
        private let totals = Mutex<[Int]>([])

        func record(_ total: Int) { totals.withLock { $0.append(total) } }

        var all: [Int] { totals.withLock { $0 } }
    }

    /// The single number `query` selects as `n`.
    static func number(_ query: SQLQueryString, in database: Database) async throws -> Int {
        try await database.read { sql in
            try await sql.raw(query).first()?.decode(column: "n", as: Int.self) ?? -1
        }
    }

    static func texts(_ query: SQLQueryString, column: String, in database: Database) async throws -> [String] {
        try await database.read { sql in
            try await sql.raw(query).all().map { try $0.decode(column: column, as: String.self) }
        }
    }

    @Test("generating 1,200 doctors writes 1,200 doctors, reports progress up to 1,200, and every approved one offers a text package")
    func writesEveryDoctor() async throws {
        try await withTestDatabase { database in
            let log = ProgressLog()
            let written = try await DirectoryGenerator.generate(doctors: 1200, into: database, now: Self.now) { log.record($0) }
            #expect(written == 1200)
            #expect(try await Self.number("SELECT COUNT(*) AS n FROM doctors", in: database) == 1200)
            #expect(log.all.last == 1200)
            #expect(log.all == log.all.sorted())
            let approved = try await Self.number("SELECT COUNT(*) AS n FROM doctors WHERE qualification = 'approved'", in: database)
            #expect(approved > 1000)
            #expect(try await Self.number("""
                SELECT COUNT(*) AS n FROM doctors d WHERE d.qualification = 'approved' AND NOT EXISTS
                    (SELECT 1 FROM doctor_services s WHERE s.doctor_id = d.id AND s.kind = 'textPackage')
                """, in: database) == 0)
            if database.engine == .sqlite {
                #expect(try await Self.number("SELECT COUNT(*) AS n FROM doctor_text", in: database) == 1200)
            }
        }
    }

    @Test("the term indexes dropped for the bulk load are there again afterwards")
    func indexesRebuilt() async throws {
        try await withTestDatabase { database in
            _ = try await DirectoryGenerator.generate(doctors: 300, into: database, now: Self.now)
            let names: [String] = try await database.read { sql in
                let query: SQLQueryString = database.engine == .sqlite
                    ? "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'doctor_terms_by_%'"
                    : "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE 'doctor_terms_by_%'"
                return try await sql.raw(query).all().map { try $0.decode(column: "name", as: String.self) }
            }
            #expect(Set(names) == ["doctor_terms_by_doctor", "doctor_terms_by_rank", "doctor_terms_by_patients"])
        }
    }

    @Test("a two-character term finds only that department's doctors and 高血压 only doctors treating I10")
    func searchFindsTheRightDoctors() async throws {
        try await withTestDatabase { database in
            _ = try await DirectoryGenerator.generate(doctors: 1200, into: database, now: Self.now)
            let doctors = Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory, formulary: try aFormulary()).doctors
            let pediatrics = try await doctors.search(DoctorSearch(text: "儿科", limit: 100))
            #expect(!pediatrics.items.isEmpty)
            #expect(Set(pediatrics.items.map(\.department)) == ["pediatrics"])

            let hypertension = try await doctors.search(DoctorSearch(text: "高血压", limit: 100))
            let treatingI10 = try await Self.texts("SELECT doctor_id FROM doctor_conditions WHERE icd10 = 'I10'",
                                                   column: "doctor_id", in: database)
            let treating = Set(treatingI10)
            #expect(!hypertension.items.isEmpty)
            #expect(hypertension.items.allSatisfy { treating.contains($0.id.text) })
        }
    }

    @Test("a generated doctor has exactly the search entries DoctorStore.register computes")
    func searchEntriesMatchRegistration() async throws {
        try await withTestDatabase { database in
            _ = try await DirectoryGenerator.generate(doctors: 20, into: database, now: Self.now)
            for number in [0, 7, 19] {
                let id = DirectoryGenerator.doctorId(seed: 2020, number: number)
                let profile = try #require(try await Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory, formulary: try aFormulary()).doctors.profile(id))
                let expected = DoctorIndex.terms(name: profile.doctor.name, department: profile.doctor.department,
                                                 specialties: profile.doctor.specialties, conditions: profile.doctor.conditions,
                                                 hospitalName: profile.hospitalName)
                let stored = try await Self.texts("SELECT term FROM doctor_terms WHERE doctor_id = \(bind: id.text)",
                                                  column: "term", in: database)
                #expect(Set(stored) == expected)
                #expect(stored.count == expected.count)
                let text = try await Self.texts("SELECT search_text FROM doctors WHERE id = \(bind: id.text)",
                                                column: "search_text", in: database)
                #expect(text == [DoctorIndex.text(terms: expected, training: profile.doctor.training)])
                #expect(!profile.doctor.conditions.isEmpty)
                #expect(profile.doctor.practiceSites.count >= 1)
            }
        }
    }

    @Test("the same seed generates the same doctor on two databases")
    func sameSeedSameDoctors() async throws {
        let first = DirectoryGenerator.doctorId(seed: 2020, number: 0)
        let generate: @Sendable () async throws -> DoctorProfile? = {
            try await withTestDatabase { database in
                _ = try await DirectoryGenerator.generate(doctors: 30, into: database, now: Self.now)
                return try await Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory, formulary: try aFormulary()).doctors.profile(first)
            }
        }
        let one = try #require(try await generate())
        let two = try #require(try await generate())
        #expect(one.doctor == two.doctor)
        #expect(one.services == two.services)
        #expect(one.hospitalName == two.hospitalName)
        #expect(!one.services.isEmpty)
    }

    @Test("generated doctor identifiers sort in the order the doctors were generated")
    func identifiersAreOrdered() {
        let ids = (0..<50).map { DirectoryGenerator.doctorId(seed: 2020, number: $0).text }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == 50)
        #expect(DirectoryGenerator.doctorId(seed: 7, number: 0) != DirectoryGenerator.doctorId(seed: 2020, number: 0))
    }

    @Test("running the generator twice adds new doctors with distinct licence numbers to the same institutions")
    func runningTwiceAddsDoctors() async throws {
        try await withTestDatabase { database in
            #expect(try await DirectoryGenerator.generate(doctors: 1200, into: database, now: Self.now) == 1200)
            let institutions = try await Self.number("SELECT COUNT(*) AS n FROM institutions", in: database)
            #expect(try await DirectoryGenerator.generate(doctors: 1200, into: database, now: Self.now) == 1200)
            #expect(try await Self.number("SELECT COUNT(*) AS n FROM doctors", in: database) == 2400)
            #expect(try await Self.number("SELECT COUNT(DISTINCT licence_number) AS n FROM doctors", in: database) == 2400)
            #expect(try await Self.number("SELECT COUNT(*) AS n FROM institutions", in: database) == institutions)
            let last = try #require(try await Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory, formulary: try aFormulary()).doctors
                .profile(DirectoryGenerator.doctorId(seed: 2020, number: 2399)))
            #expect(last.doctor.licenceNumber == "200000000002399")
        }
    }
}
