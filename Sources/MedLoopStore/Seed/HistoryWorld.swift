import Foundation
import MedLoopDomain
import SQLKit

/// A stored doctor as history needs it.
struct HistoryDoctor: Sendable {
    var id: UUID
    var accountId: UUID
    var title: DoctorTitle
    var department: String
    var hospitalId: UUID
    var site: UUID?
    var offers: [ServiceKind: Int64]
    var conditions: [String]
}

/// The doctors, drugs and insurance regions history draws on.
struct HistoryWorld: Sendable {
    var doctors: [HistoryDoctor] = []
    var drugs: [UUID] = []
    /// Regions with an insurance policy, and the version in force.
    var policies: [(region: String, version: String)] = []
    /// The reviewing pharmacist's account of each site.
    var pharmacists: [UUID: UUID] = [:]
    var cipher: FieldCipher

    /// Reads the approved doctors (with their active offers and conditions), gives every one without
    /// an account a (sign-in disabled) account and every site a reviewing pharmacist, and reads the
    /// drugs and policies.
    static func load(from database: Database, cipher: FieldCipher, now: Date) async throws -> HistoryWorld {
        try await createAccounts(in: database, cipher: cipher, now: now)
        return try await database.read { sql -> HistoryWorld in
            var world = HistoryWorld(cipher: cipher)
            var offers: [String: [ServiceKind: Int64]] = [:]
            for row in try await sql.raw("""
                SELECT s.doctor_id, s.kind, s.price_fen FROM doctor_services s JOIN doctors d ON d.id = s.doctor_id
                WHERE d.qualification = 'approved' AND s.paused = \(bind: false)
                """).all() {
                if let kind = ServiceKind(rawValue: try row.text("kind")) {
                    offers[try row.text("doctor_id"), default: [:]][kind] = try row.int64("price_fen")
                }
            }
            var conditions: [String: [String]] = [:]
            for row in try await sql.raw("""
                SELECT c.doctor_id, c.icd10 FROM doctor_conditions c JOIN doctors d ON d.id = c.doctor_id
                WHERE d.qualification = 'approved' ORDER BY c.doctor_id, c.icd10
                """).all() {
                conditions[try row.text("doctor_id"), default: []].append(try row.text("icd10"))
            }
            var sites: [String: String] = [:]
            for row in try await sql.raw("""
                SELECT p.doctor_id, MIN(p.institution_id) AS site FROM doctor_practice_sites p JOIN doctors d ON d.id = p.doctor_id
                WHERE d.qualification = 'approved' GROUP BY p.doctor_id
                """).all() {
                sites[try row.text("doctor_id")] = try row.text("site")
            }
            for row in try await sql.raw("""
                SELECT id, account_id, title, department, hospital_id FROM doctors
                WHERE qualification = 'approved' AND account_id IS NOT NULL ORDER BY id
                """).all() {
                let id = try row.text("id")
                guard let title = DoctorTitle(rawValue: try row.text("title")), let menu = offers[id], !menu.isEmpty,
                      let doctorId = UUID(uuidString: id), let account = UUID(uuidString: try row.text("account_id")),
                      let hospital = UUID(uuidString: try row.text("hospital_id")) else { continue }
                world.doctors.append(HistoryDoctor(id: doctorId, accountId: account, title: title, department: try row.text("department"),
                                                   hospitalId: hospital, site: sites[id].flatMap(UUID.init(uuidString:)), offers: menu,
                                                   conditions: conditions[id] ?? []))
            }
            world.drugs = try await sql.raw("SELECT id FROM drugs WHERE controlled_class = 'none' ORDER BY id LIMIT 200").all()
                .compactMap { UUID(uuidString: try $0.text("id")) }
            world.policies = try await latestPolicies(in: sql)
            for row in try await sql.raw("SELECT id, institution_id FROM accounts WHERE role = 'pharmacist' ORDER BY id").all() {
                if let institution = try row.optionalText("institution_id").flatMap(UUID.init(uuidString:)),
                   let account = UUID(uuidString: try row.text("id")), world.pharmacists[institution] == nil {
                    world.pharmacists[institution] = account
                }
            }
            return world
        }
    }

    /// Each region's latest stored policy: what a generated insured person is insured under.
    static func latestPolicies(in sql: any SQLDatabase) async throws -> [(region: String, version: String)] {
        try await sql.raw("""
            SELECT region, MAX(version) AS version FROM insurance_policies GROUP BY region ORDER BY region
            """).all().map { (region: try $0.text("region"), version: try $0.text("version")) }
    }

    /// Generated doctors have no account, and a prescription names the account that signed it:
    /// give each approved doctor without one an account of its own (its id the doctor's, the
    /// phone 17 + the last nine digits of the licence number, sign-in disabled), and each site
    /// without a pharmacist one to review.
    static func createAccounts(in database: Database, cipher: FieldCipher, now: Date) async throws {
        let (doctors, sites) = try await database.read { sql in
            let doctors = try await sql.raw("""
                SELECT id, licence_number, name, hospital_id FROM doctors WHERE account_id IS NULL AND qualification = 'approved' ORDER BY id
                """).all().map { (id: try $0.text("id"), licence: try $0.text("licence_number"), name: try $0.text("name"),
                                  hospital: try $0.text("hospital_id")) }
            let sites = try await sql.raw("""
                SELECT DISTINCT p.institution_id FROM doctor_practice_sites p
                WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.institution_id = p.institution_id AND a.role = 'pharmacist')
                ORDER BY p.institution_id
                """).all().map { try $0.text("institution_id") }
            return (doctors, sites)
        }
        let disabled = "!generated"
        for start in stride(from: 0, to: doctors.count, by: 2000) {
            let slice = doctors[start..<min(doctors.count, start + 2000)]
            var accounts = RowInsert("INSERT INTO accounts (id, role, phone_hash, phone_cipher, password_hash, display_name, institution_id, status, created_at) VALUES",
                                     bindsPerRow: 7)
            for doctor in slice {
                let phone = "17" + String(doctor.licence.suffix(9))
                accounts.add("""
                    (\(bind: doctor.id), 'doctor', \(bind: cipher.lookupHash(phone, field: "phone")), \(bind: try cipher.seal(phone, field: "phone")), \
                    \(bind: disabled), \(bind: doctor.name), \(bind: doctor.hospital), 'active', \(literal: now.epochMillis))
                    """)
            }
            let ids = slice.map(\.id)
            let statements = accounts.statements()
            try await database.unitOfWork { tx in
                for statement in statements { try await tx.sql.raw(statement).run() }
                try await tx.sql.raw("UPDATE doctors SET account_id = id WHERE account_id IS NULL AND id IN (\(binds: ids))").run()
            }
        }
        guard !sites.isEmpty else { return }
        try await database.unitOfWork { tx in
            for site in sites {
                let id = UUID.named("gen-pharmacist:\(site)")
                let digest = UUID.named("gen-pharmacist-phone:\(site)").uuid
                let number = (UInt32(digest.0) << 16 | UInt32(digest.1) << 8 | UInt32(digest.2)) % 100_000_000
                let phone = "166" + String(format: "%08d", number)
                try await tx.sql.raw("""
                    INSERT INTO accounts (id, role, phone_hash, phone_cipher, password_hash, display_name, institution_id, status, created_at)
                    VALUES (\(bind: id.text), 'pharmacist', \(bind: cipher.lookupHash(phone, field: "phone")), \(bind: try cipher.seal(phone, field: "phone")),
                            \(bind: disabled), '审方药师', \(bind: site), 'active', \(literal: now.epochMillis))
                    """).run()
            }
        }
    }
}
