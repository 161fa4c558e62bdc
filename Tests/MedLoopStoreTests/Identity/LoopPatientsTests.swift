import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("The care loop's patients")
struct LoopPatientsTests {
    static let now = Date(timeIntervalSince1970: 1_788_000_000)

    @Test("250 loop patients sign in as 16600000001… with the given password, each with an imported visit to follow up and valid national IDs of their own; two in three are insured in Quzhou with coverage linked; seeding 260 then adds only 10")
    func seedsPatientsWhoCanSignIn() async throws {
        try await withTestDatabase { database in
            let cipher = try aCipher()
            _ = try await DemoWorld.seed(database: database, cipher: cipher, passwordHash: "demo-hash", now: Self.now)
            let before = try await DirectoryGeneratorTests.number("SELECT COUNT(*) AS n FROM patients", in: database)
            #expect(try await LoopPatients.seed(count: 250, database: database, cipher: cipher, passwordHash: "loop-hash", now: Self.now) == 250)
            #expect(try await DirectoryGeneratorTests.number("SELECT COUNT(*) AS n FROM patients", in: database) == before + 250)
            #expect(try await DirectoryGeneratorTests.number("SELECT COUNT(*) AS n FROM accounts WHERE password_hash = 'loop-hash'", in: database) == 250)
            // One visit each, at the demo world's tertiary hospital: asthma for numbers 2, 5, 8, … (83 of them).
            let tertiary = DemoWorld.Institutions.tertiaryHospital.text
            let visits: SQLQueryString = """
                SELECT COUNT(*) AS n FROM encounters e JOIN patients p ON p.id = e.patient_id JOIN accounts a ON a.id = p.account_id
                WHERE a.password_hash = 'loop-hash' AND e.source = 'imported' AND e.hospital_id = \(bind: tertiary)
                """
            #expect(try await DirectoryGeneratorTests.number(visits, in: database) == 250)
            #expect(try await DirectoryGeneratorTests.number(visits + " AND e.icd10 = 'J45.9'", in: database) == 83)
            // Numbers 1…250 but every third: 167 insured, each linked.
            #expect(try await DirectoryGeneratorTests.number("SELECT COUNT(*) AS n FROM insured_persons WHERE insured_number LIKE 'L%'", in: database) == 167)

            let accounts = AccountStore(database: database, cipher: cipher, audit: AuditStore(database: database))
            let persons = InsuredPersonStore(database: database, cipher: cipher, audit: AuditStore(database: database),
                                             ledger: LedgerStore(database: database))
            for number in [1, 2, 3, 250] {
                let phone = LoopPatients.phone(number)
                let credentials = try #require(try await accounts.credentials(phone: try PhoneNumber(phone)), "\(phone)")
                #expect(credentials.role == .patient && credentials.passwordHash == "loop-hash" && credentials.status == .active)
                let account = try #require(try await accounts.account(credentials.accountId))
                let patient = try #require(account.patientId)
                let coverage = try await persons.coverage(of: patient)
                #expect((coverage != nil) == (number % 3 != 0), "\(phone)")
                if let coverage {
                    #expect(coverage.person.region.value == DemoWorld.city && coverage.person.status == .active)
                    #expect(coverage.person.scheme == (number % 2 == 0 ? .employee : .resident))
                }
            }
            #expect(LoopPatients.phone(1) == "16600000001")

            let sealed: [String] = try await database.read { sql in
                try await sql.raw("""
                    SELECT p.national_id_cipher FROM patients p JOIN accounts a ON a.id = p.account_id WHERE a.password_hash = 'loop-hash'
                    """).all().map { try $0.decode(column: "national_id_cipher", as: String.self) }
            }
            let numbers = try sealed.map { try cipher.open($0, field: "national_id") }
            #expect(Set(numbers).count == 250)
            #expect(numbers.allSatisfy { (try? NationalID($0, today: CalendarDate.shanghai(Self.now))) != nil })

            #expect(try await LoopPatients.seed(count: 260, database: database, cipher: cipher, passwordHash: "loop-hash", now: Self.now) == 10)
            #expect(try await DirectoryGeneratorTests.number("SELECT COUNT(*) AS n FROM patients", in: database) == before + 260)
        }
    }

    @Test("loop patients are refused on a database without the demo world, and nothing is written")
    func needsTheDemoWorld() async throws {
        try await withTestDatabase { database in
            let cipher = try aCipher()
            await #expect(throws: DomainError.self) {
                try await LoopPatients.seed(count: 5, database: database, cipher: cipher, passwordHash: "h", now: Self.now)
            }
            let patients = try await DirectoryGeneratorTests.number("SELECT COUNT(*) AS n FROM patients", in: database)
            #expect(patients == 0)
        }
    }
}
