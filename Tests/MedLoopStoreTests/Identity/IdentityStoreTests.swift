import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("Identity stores")
struct IdentityStoreTests {
    static func aSignUp(phone: String = "13811110000", sequence: Int = 11) throws -> PatientSignUp {
        PatientSignUp(phone: try PhoneNumber(phone), passwordHash: "hash", realName: "林静",
                      nationalId: try aNationalID(sequence: sequence))
    }

    @Test("sign-up stores the national ID and phone encrypted, findable by keyed hash")
    func encryptedAtRest() async throws {
        try await withTestDatabase { database in
            let cipher = try aCipher()
            let stores = Stores(database: database, cipher: cipher, dataDirectory: FileManager.default.temporaryDirectory, formulary: try aFormulary())
            let accounts = stores.accounts
            let signUp = try Self.aSignUp()
            let account = try await accounts.signUp(signUp, context: anAuditContext())
            let raw = try await rawColumn("national_id_cipher", of: "patients", in: database)
            #expect(raw.count == 1)
            #expect(raw[0]?.contains(signUp.nationalId.value) == false)
            #expect(try cipher.open(raw[0]!, field: "national_id") == signUp.nationalId.value)
            #expect(throws: (any Error).self) { try cipher.open(raw[0]!, field: "phone") }
            #expect(try await accounts.credentials(phone: signUp.phone)?.accountId == account.id)
            let profile = try #require(try await stores.patients.profile(account.patientId!))
            #expect(profile.nationalId == signUp.nationalId)
            #expect(profile.phone == signUp.phone)
        }
    }

    @Test("a second sign-up with the same phone or national ID is refused and writes nothing")
    func duplicates() async throws {
        try await withTestDatabase { database in
            let accounts = Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory, formulary: try aFormulary()).accounts
            _ = try await accounts.signUp(try Self.aSignUp(), context: anAuditContext())
            await #expect(throws: DomainError.conflict(code: "phone_taken", message: "This phone number is already registered.")) {
                try await accounts.signUp(try Self.aSignUp(sequence: 12), context: anAuditContext())
            }
            await #expect(throws: DomainError.conflict(code: "national_id_taken",
                                                       message: "This national ID number is already registered.")) {
                try await accounts.signUp(try Self.aSignUp(phone: "13811110001"), context: anAuditContext())
            }
            #expect(try await rawColumn("id", of: "accounts", in: database).count == 1)
            #expect(try await rawColumn("id", of: "patients", in: database).count == 1)
            #expect(try await rawColumn("action", of: "audit_log", in: database) == ["auth.sign_up"])
        }
    }

    @Test("a session is valid until it expires or is revoked")
    func sessions() async throws {
        try await withTestDatabase { database in
            let accounts = Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory, formulary: try aFormulary()).accounts
            let account = try await accounts.signUp(try Self.aSignUp(), context: anAuditContext())
            let credentials = try #require(try await accounts.credentials(phone: account.phone))
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            try await accounts.openSession(for: credentials, tokenHash: "abc", expiresAt: now.addingTimeInterval(60),
                                           context: anAuditContext(at: now))
            guard case .valid(let caller, _) = try await accounts.session(tokenHash: "abc", now: now) else {
                Issue.record("expected a valid session"); return
            }
            #expect(caller.accountId == account.id)
            #expect(caller.patientId == account.patientId)
            #expect(try await accounts.session(tokenHash: "abc", now: now.addingTimeInterval(61)) == .expired)
            #expect(try await accounts.session(tokenHash: "other", now: now) == .unknown)
            try await accounts.closeSession(tokenHash: "abc", context: anAuditContext(at: now, caller: caller))
            #expect(try await accounts.session(tokenHash: "abc", now: now) == .revoked)
        }
    }

    @Test("concurrent audit appends form one unbroken chain")
    func auditChainUnderConcurrency() async throws {
        try await withTestDatabase { database in
            let audit = AuditStore(database: database)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<24 {
                    group.addTask {
                        try await audit.record(AuditRecord(action: "test.\(index)", resourceType: "test"), context: anAuditContext())
                    }
                }
                try await group.waitForAll()
            }
            let entries = try await audit.list(AuditFilter(limit: 100)).items
            #expect(entries.map(\.sequence) == Array((1...24).reversed()).map(Int64.init))
            #expect(try await audit.firstBreak() == nil)
        }
    }

    @Test("the demo world is seeded once, with every role's accounts and a coherent registry")
    func demoWorld() async throws {
        try await withTestDatabase { database in
            let cipher = try aCipher()
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            #expect(try await DemoWorld.seed(database: database, cipher: cipher, passwordHash: "h", now: now))
            #expect(try await DemoWorld.seed(database: database, cipher: cipher, passwordHash: "h", now: now) == false)
            let stores = Stores(database: database, cipher: cipher, dataDirectory: FileManager.default.temporaryDirectory, formulary: try aFormulary())
            let accounts = stores.accounts
            let expected: [Role: Int] = [.operator: 1, .regulator: 1, .insurer: 3, .pharmacist: 3, .pharmacyStaff: 3,
                                         .courier: 2, .doctor: 30, .patient: 10]
            for (role, count) in expected {
                #expect(try await accounts.list(role: role, institutionId: nil, limit: 100, cursor: nil).items.count == count, "\(role)")
            }
            let institutions = stores.institutions
            #expect(try await institutions.list(kind: .physicalHospital, regionPrefix: "3308", limit: 100, cursor: nil).items.count == 3)
            #expect(try await institutions.list(kind: .pharmacy, regionPrefix: "3308", limit: 100, cursor: nil).items.count == 3)
            #expect(try await institutions.list(kind: .insurer, regionPrefix: nil, limit: 100, cursor: nil).items.count == 3)
            let internet = try #require(try await institutions.institution(DemoWorld.Institutions.internetHospital))
            #expect(internet.physicalHospitalId == DemoWorld.Institutions.tertiaryHospital)
            let patients = stores.patients
            let family = try await patients.family(of: UUID.named("patient:13800000001"))
            #expect(family.count == 1)
            #expect(family.first?.isMinor(on: .shanghai(now)) == true)
            #expect(try await AuditStore(database: database).firstBreak() == nil)
        }
    }
}
