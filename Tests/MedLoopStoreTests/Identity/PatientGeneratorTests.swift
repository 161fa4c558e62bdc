import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Patient generator")
struct PatientGeneratorTests {
    static let now = Date(timeIntervalSince1970: 1_788_000_000)

    static func number(_ query: SQLQueryString, in database: Database) async throws -> Int {
        try await DirectoryGeneratorTests.number(query, in: database)
    }

    @Test("generating 6,000 patients writes each once with sealed identifiers, in chunks with progress; a second run adds 6,000 others")
    func writesSealedPatients() async throws {
        try await withTestDatabase { database in
            let cipher = try aCipher()
            let log = DirectoryGeneratorTests.ProgressLog()
            let written = try await PatientGenerator.generate(patients: 6000, into: database, cipher: cipher, now: Self.now) { log.record($0) }
            #expect(written == 6000)
            #expect(log.all == [5000, 6000])
            #expect(try await Self.number("SELECT COUNT(*) AS n FROM patients", in: database) == 6000)
            #expect(try await Self.number("SELECT COUNT(*) AS n FROM accounts WHERE role = 'patient' AND password_hash = '!generated'",
                                          in: database) == 6000)
            #expect(try await Self.number("SELECT COUNT(DISTINCT national_id_hash) AS n FROM patients", in: database) == 6000)

            let sealed: [(phone: String, nationalId: String)] = try await database.read { sql in
                try await sql.raw("SELECT phone_cipher, national_id_cipher FROM patients ORDER BY id LIMIT 50").all().map {
                    (try $0.decode(column: "phone_cipher", as: String.self), try $0.decode(column: "national_id_cipher", as: String.self))
                }
            }
            for row in sealed {
                let phone = try cipher.open(row.phone, field: "phone")
                let nationalId = try cipher.open(row.nationalId, field: "national_id")
                #expect(phone.hasPrefix("17") && phone.count == 11)
                #expect(!row.phone.contains(phone))
                #expect((try? NationalID(nationalId, today: CalendarDate.shanghai(Self.now))) != nil, "a generated national ID has a valid check character")
            }

            _ = try await PatientGenerator.generate(patients: 6000, into: database, cipher: cipher, now: Self.now)
            #expect(try await Self.number("SELECT COUNT(*) AS n FROM patients", in: database) == 12000)
            #expect(try await Self.number("SELECT COUNT(DISTINCT national_id_hash) AS n FROM patients", in: database) == 12000)
            #expect(try await Self.number("SELECT COUNT(DISTINCT phone_hash) AS n FROM accounts WHERE role = 'patient'", in: database) == 12000)
        }
    }

    @Test("the same seed gives the same patients on another database, and another seed other ones")
    func reproducible() async throws {
        let cipher = try aCipher()
        func ids(seed: UInt64) async throws -> [String] {
            try await withTestDatabase { database in
                _ = try await PatientGenerator.generate(patients: 300, into: database, cipher: cipher, seed: seed, now: Self.now)
                return try await DirectoryGeneratorTests.texts("SELECT id FROM patients ORDER BY id", column: "id", in: database)
            }
        }
        let first = try await ids(seed: 7)
        #expect(first.count == 300)
        #expect(try await ids(seed: 7) == first)
        #expect(Set(try await ids(seed: 8)).isDisjoint(with: first))
    }
}
