import Foundation
import MedLoopDomain
import SQLKit

/// Patients who can sign in, for the benchmark's care loop (`medloop seed --loop-patients N`):
/// patient `n` (1...N) signs in as `phone(n)` with the demo password, lives in Quzhou beside the demo
/// pharmacies, and has the in-person visit a follow-up rests on (imported from the demo world's
/// tertiary hospital, 30 days before the seed, hypertension or asthma); two in three are insured in
/// Quzhou with their coverage linked. With them a long run spreads its consultations, prescriptions
/// and settlements over many patients' records, as a city's loop does, instead of growing ten
/// demo patients' records without end. Needs the demo world; seeding again adds only the missing ones.
public enum LoopPatients {
    /// The most patients: each has a national ID of its own (`nationalIdNumber`).
    public static let maximum = 1_000_000

    /// Patients written per unit of work.
    static let chunkSize = 200

    /// The phone number patient `number` signs in with: `166` and eight digits.
    public static func phone(_ number: Int) -> String {
        String(format: "166%08d", number)
    }

    /// Writes patients 1...`count` that are not there yet and returns how many it wrote;
    /// `passwordHash` is the hash of the demo password (hashing belongs to the app).
    public static func seed(count: Int, database: Database, cipher: FieldCipher, passwordHash: String, now: Date) async throws -> Int {
        let audit = AuditStore(database: database)
        let accounts = AccountStore(database: database, cipher: cipher, audit: audit)
        let registry = InsuredPersonStore(database: database, cipher: cipher, audit: audit, ledger: LedgerStore(database: database))
        let region = try RegionCode(DemoWorld.city)
        let today = CalendarDate.shanghai(now)
        let hospital = DemoWorld.Institutions.tertiaryHospital
        guard try await database.read({ sql in try await sql.raw("SELECT id FROM institutions WHERE id = \(bind: hospital.text)").first() })
                != nil else {
            throw DomainError.refused(code: "demo_world_missing", message: "The loop patients live in the demo world: seed it first (--demo).")
        }
        var written = 0
        for start in stride(from: 1, through: count, by: chunkSize) {
            let numbers = start...min(count, start + chunkSize - 1)
            written += try await database.unitOfWork { tx -> Int in
                var added = 0
                for number in numbers {
                    let phone = Self.phone(number)
                    let accountId = UUID.named("account:\(phone)")
                    if try await tx.sql.raw("SELECT id FROM accounts WHERE id = \(bind: accountId.text)").first() != nil { continue }
                    let patientId = UUID.named("patient:\(phone)")
                    let nationalId = try NationalID(nationalIdNumber(number), today: today)
                    let signUp = PatientSignUp(phone: try PhoneNumber(phone), passwordHash: passwordHash,
                                               realName: DemoWorld.name(number, salt: 7), nationalId: nationalId)
                    _ = try await accounts.insertPatientAccount(signUp, accountId: accountId, patientId: patientId, at: now, in: tx)
                    try await tx.sql.raw("""
                        INSERT INTO encounters (id, patient_id, hospital_id, visit_date, icd10, source, created_at, prescribed)
                        VALUES (\(bind: UUID.named("encounter:\(phone)").text), \(bind: patientId.text),
                                \(bind: hospital.text), \(bind: today.adding(days: -30).description),
                                \(bind: number % 3 == 2 ? "J45.9" : "I10"), \(bind: EncounterSource.imported.rawValue),
                                \(bind: now.epochMillis), \(bind: true))
                        """).run()
                    if number % 3 != 0 {
                        let employee = number % 2 == 0
                        let draft = try InsuredPersonDraft(nationalId: nationalId, scheme: employee ? .employee : .resident,
                                                           insuredNumber: String(format: "L%08d", number), status: .active,
                                                           personalAccountFen: employee ? 50_000 : 0)
                        let person = try await registry.upsert(draft, region: region, at: now, in: tx)
                        try await InsuredPersonStore.recordCoverage(of: patientId, by: person, at: now, in: tx)
                    }
                    added += 1
                }
                if added > 0 {
                    try await audit.append(
                        AuditRecord(action: "seed.loop_patients", resourceType: "database", resourceId: "patients:\(added)"),
                        context: AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: nil, at: now), in: tx)
                }
                return added
            }
        }
        return written
    }

    /// Patient `number`'s national ID: born in Quzhou's Qujiang district (which no other seeded
    /// patient is), a birth day and sequence of its own for each number.
    static func nationalIdNumber(_ number: Int) -> String {
        let birth = CalendarDate(year: 1950, month: 1, day: 1)!.adding(days: number / 1000 % 18_000)
        return NationalID.make(region: "330803", birth: birth, sequence: number % 1000)
    }
}
