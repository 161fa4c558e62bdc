import Foundation
import MedLoopDomain
import SQLKit

/// The demo world's insurance (the issue, item 9): each region insurer's registry of demo
/// patients (both schemes), the in-person visits its policy asks for, and this month's quotas.
/// Coverage is not linked: a patient links it with a voucher from the insurer (or
/// `medloop voucher --phone`), as a real one would.
extension DemoWorld {
    /// Which demo patients each region insures: phone, scheme, personal account, status.
    static let insuredPatients: [(region: String, phone: String, scheme: InsuranceScheme, accountFen: Int64, status: InsuredStatus)] = [
        ("440100", "13800000001", .employee, 30_000, .active),
        ("440100", "13800000008", .resident, 0, .active),
        ("330800", "13800000002", .resident, 0, .active),
        ("330800", "13800000004", .employee, 50_000, .active),
        ("330800", "13800000005", .employee, 50_000, .active),
        ("330800", "13800000006", .resident, 0, .active),
        ("330800", "13800000007", .employee, 20_000, .active),
        ("330800", "13800000009", .resident, 0, .active),
        ("330800", "13800000010", .resident, 0, .suspended),
        ("420100", "13800000003", .employee, 80_000, .active),
    ]

    /// The visits that meet each policy's prior-visit rule: patient, hospital, diagnosis (imported
    /// from the hospital, with a prescription for it, 30 days before the seed).
    static let priorVisits: [(phone: String, hospital: UUID, icd10: String)] = [
        ("13800000001", Institutions.guangzhouHospital, "I10"),
        ("13800000004", Institutions.tertiaryHospital, "J44.9"),
        ("13800000005", Institutions.tertiaryHospital, "J45.9"),
        ("13800000006", Institutions.tertiaryHospital, "G20"),
        ("13800000007", Institutions.tertiaryHospital, "N18.9"),
        ("13800000003", Institutions.tertiaryHospital, "I10"),
    ]

    /// This month's budgets: the Quzhou hospital (shared with its internet hospital), a pharmacy,
    /// the Guangzhou hospital.
    static let quotas: [(institution: UUID, budgetFen: Int64)] = [
        (Institutions.tertiaryHospital, 5_000_000), (Institutions.pharmacies[0], 2_000_000), (Institutions.guangzhouHospital, 1_000_000),
    ]

    static func seedInsurance(database: Database, cipher: FieldCipher, at now: Date, in tx: Transaction) async throws {
        // A database part-way through its migrations (a migration's own test) has no insurance tables yet.
        guard try await tx.sql.raw("SELECT version FROM schema_migrations WHERE version = \(bind: Migrations.insurance.version)")
            .first() != nil else { return }
        let registry = InsuredPersonStore(database: database, cipher: cipher, audit: AuditStore(database: database),
                                          ledger: LedgerStore(database: database))
        let today = CalendarDate.shanghai(now)
        for (index, entry) in insuredPatients.enumerated() {
            guard let nationalId = nationalId(ofPatient: entry.phone) else { continue }
            let draft = try InsuredPersonDraft(nationalId: try NationalID(nationalId, today: today), scheme: entry.scheme,
                                               insuredNumber: entry.region + String(format: "%08d", index + 1), status: entry.status,
                                               personalAccountFen: entry.accountFen)
            _ = try await registry.upsert(draft, region: try RegionCode(entry.region), at: now, in: tx)
        }
        let visitDay = today.adding(days: -30)
        for visit in priorVisits {
            try await tx.sql.raw("""
                INSERT INTO encounters (id, patient_id, hospital_id, visit_date, icd10, source, created_at, prescribed)
                VALUES (\(bind: UUID.named("encounter:\(visit.phone)").text), \(bind: UUID.named("patient:\(visit.phone)").text),
                        \(bind: visit.hospital.text), \(bind: visitDay.description), \(bind: visit.icd10),
                        \(bind: EncounterSource.imported.rawValue), \(bind: now.epochMillis), \(bind: true))
                """).run()
        }
        let month = InsuranceQuota.month(of: today)
        for quota in quotas {
            try await tx.sql.raw("""
                INSERT INTO insurance_quotas (institution_id, month, budget_fen, used_fen, updated_at)
                VALUES (\(bind: quota.institution.text), \(bind: month), \(bind: quota.budgetFen), 0, \(bind: now.epochMillis))
                """).run()
        }
    }
}
