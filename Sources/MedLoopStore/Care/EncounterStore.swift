import Foundation
import MedLoopDomain
import SQLKit

/// Prior in-person visits (encounters) on a patient's record, entered by the patient or imported
/// by the hospital that saw them: what makes an online consultation a follow-up. Every addition
/// writes its audit entry in the same unit of work.
public struct EncounterStore: Sendable {
    let database: Database
    let cipher: FieldCipher
    let audit: AuditStore

    public init(database: Database, cipher: FieldCipher, audit: AuditStore) {
        self.database = database
        self.cipher = cipher
        self.audit = audit
    }

    /// Records an in-person visit with its diagnosis for a patient; the hospital must be physical.
    public func addEncounter(patient: UUID, hospital: UUID, date: CalendarDate, icd10: ICD10Code, source: EncounterSource,
                             context: AuditContext) async throws -> Encounter {
        let encounter = Encounter(id: .v7(at: context.at), patientId: patient, hospitalId: hospital, date: date, icd10: icd10,
                                  source: source)
        try await database.unitOfWork { tx in
            guard let birth = try await tx.sql.raw("SELECT birth_date FROM patients WHERE id = \(bind: patient.text)").first()
                .flatMap({ CalendarDate(iso: try $0.text("birth_date")) }) else {
                throw DomainError.notFound(resource: "patient")
            }
            try EncounterRule.checkDate(date, birthDate: birth, today: CalendarDate.shanghai(context.at))
            let kind = try await tx.sql.raw("SELECT kind FROM institutions WHERE id = \(bind: hospital.text)").first()?
                .value("kind", as: InstitutionKind.self)
            guard kind == .physicalHospital else {
                throw DomainError.invalidField("hospitalId", code: "not_a_physical_hospital",
                                               "A prior visit is at a registered physical hospital.")
            }
            try await tx.sql.raw("""
                INSERT INTO encounters (id, patient_id, hospital_id, visit_date, icd10, source, created_at)
                VALUES (\(bind: encounter.id.text), \(bind: patient.text), \(bind: hospital.text), \(bind: date.description),
                        \(bind: icd10.value), \(bind: source.rawValue), \(bind: context.at.epochMillis))
                """).run()
            try await audit.append(AuditRecord(action: "patient.encounter.add", resourceType: "patient", resourceId: patient.text,
                                               patientId: patient), context: context, in: tx)
        }
        return encounter
    }

    /// A hospital sends an in-person diagnosis for the patient with `nationalId` (found by keyed
    /// hash); unknown patients are a 404.
    public func importEncounter(nationalId: NationalID, hospital: UUID, date: CalendarDate, icd10: ICD10Code,
                                context: AuditContext) async throws -> Encounter {
        let hash = cipher.lookupHash(nationalId.value, field: "national_id")
        let patient = try await database.read { sql in
            try await sql.raw("SELECT id FROM patients WHERE national_id_hash = \(bind: hash)").first()?.uuid("id")
        }
        guard let patient else { throw DomainError.notFound(resource: "patient") }
        return try await addEncounter(patient: patient, hospital: hospital, date: date, icd10: icd10, source: .imported, context: context)
    }

    /// The patient's prior visits, latest first.
    public func encounters(of patient: UUID) async throws -> [Encounter] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM encounters WHERE patient_id = \(bind: patient.text) ORDER BY visit_date DESC, id")
                .all().map(Self.encounter(from:))
        }
    }

    static func encounter(from row: any SQLRow) throws -> Encounter {
        Encounter(id: try row.uuid("id"), patientId: try row.uuid("patient_id"), hospitalId: try row.uuid("hospital_id"),
                  date: CalendarDate(iso: try row.text("visit_date"))!, icd10: try ICD10Code(try row.text("icd10")),
                  source: try row.value("source", as: EncounterSource.self))
    }
}
