import Foundation
import MedLoopDomain
import SQLKit

/// The person treated in a consultation, as the doctor needs them before advising or prescribing.
/// It holds no national ID, phone or address (personal data security, DOMAIN.md supervision), and
/// nothing in it is decrypted: name, sex and birth date are stored in the clear.
public struct ConsultationPatient: Sendable, Equatable {
    /// The in-person visit an online follow-up rests on, with the name of its hospital.
    public struct PriorVisit: Sendable, Equatable {
        public var encounter: Encounter
        public var hospitalName: String
    }

    /// The account holder who booked the consultation for a family member (a child's guardian).
    public struct Guardian: Sendable, Equatable {
        public var realName: String
        /// How the patient relates to the guardian (`child` for a child); `nil` once the guardian
        /// no longer acts for the patient.
        public var relationship: FamilyRelationship?
    }

    public var patientId: UUID
    public var realName: String
    public var sex: Sex
    public var birthDate: CalendarDate
    public var allergies: [Allergy]
    public var conditions: [KnownCondition]
    /// The visit linked to the consultation's order; `nil` only for orders that needed none.
    public var priorVisit: PriorVisit?
    /// Present when someone else's account booked for the patient; `nil` when they booked themself.
    public var guardian: Guardian?

    /// Age in whole years on `day`.
    public func age(on day: CalendarDate) -> Int { birthDate.years(until: day) }
}

/// Reads the person treated in a consultation. Who may ask is decided before, by the
/// consultation's visibility (`ConsultationStore.consultation(_:visibleTo:)`).
public struct ConsultationPatientStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The patient of `consultation`, with the prior visit its order rests on and, for a family
    /// member, the guardian who booked.
    public func patient(in consultation: Consultation) async throws -> ConsultationPatient {
        let patientId = consultation.patientId
        return try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT real_name, sex, birth_date FROM patients WHERE id = \(bind: patientId.text)
                """).first() else { throw DomainError.notFound(resource: "patient") }
            let birthText = try row.text("birth_date")
            guard let birthDate = CalendarDate(iso: birthText) else { throw StoredValueError(column: "birth_date", value: birthText) }
            let priorVisit = try await sql.raw("""
                SELECT e.*, i.name AS hospital_name FROM orders o
                JOIN encounters e ON e.id = o.encounter_id
                JOIN institutions i ON i.id = e.hospital_id
                WHERE o.id = \(bind: consultation.orderId.text)
                """).first().map { row in
                    ConsultationPatient.PriorVisit(encounter: try EncounterStore.encounter(from: row),
                                                   hospitalName: try row.text("hospital_name"))
                }
            // The ordering account's own patient record, when it is not the patient's: the guardian.
            let guardian = try await sql.raw("""
                SELECT p.real_name, f.relationship FROM patients p
                LEFT JOIN family_links f ON f.holder_patient_id = p.id AND f.member_patient_id = \(bind: patientId.text)
                WHERE p.account_id = \(bind: consultation.accountId.text) AND p.id <> \(bind: patientId.text)
                """).first().map { row in
                    ConsultationPatient.Guardian(realName: try row.text("real_name"),
                                                 relationship: try row.optionalValue("relationship", as: FamilyRelationship.self))
                }
            let allergies = try await PatientStore.allergies(of: patientId, in: sql)
            let conditions = try await PatientStore.conditions(of: patientId, in: sql)
            return ConsultationPatient(
                patientId: patientId, realName: try row.text("real_name"), sex: try row.value("sex", as: Sex.self),
                birthDate: birthDate, allergies: allergies, conditions: conditions, priorVisit: priorVisit, guardian: guardian)
        }
    }
}
