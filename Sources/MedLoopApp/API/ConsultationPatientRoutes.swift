import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// The patient inside a consultation: what a doctor on a phone needs before advising or
/// prescribing. Clinical access is tied to one consultation (AccessPolicy): its doctor, the doctors
/// invited to it and the account that booked it (the patient, or a child's guardian) reach it;
/// anyone else is told there is no such consultation. Every read is audited under the patient.
struct ConsultationPatientRoutes {
    let consultations: ConsultationStore
    let patients: ConsultationPatientStore
    let audit: AuditStore
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("consultations/:id/patient", use: show)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> ConsultationPatientView {
        let caller = try context.requireCaller()
        guard let consultation = try await consultations.consultation(try context.parameters.uuid("id"),
                                                                      visibleTo: caller.accountId) else {
            throw AppError.notFound("consultation")
        }
        let patient = try await patients.patient(in: consultation)
        let now = clock.now()
        try await audit.recordRead("consultation.patient.read", of: "consultation", id: consultation.id.text,
                                   patient: consultation.patientId, by: context, at: now)
        return ConsultationPatientView(patient, consultationId: consultation.id, today: .shanghai(now))
    }
}

/// The patient of a consultation as its doctor sees them. Data minimisation: never the national
/// ID, phone or address. For a family member, the fields are the member's and `guardian` names the
/// account holder who acts for them; `priorVisit` and `guardian` are `null` when there is none.
struct ConsultationPatientView: APIView, Encodable {
    /// The in-person visit the consultation's order rests on.
    struct PriorVisitView: Encodable, Sendable {
        var encounterId: UUID
        var date: CalendarDate
        var hospitalId: UUID
        var hospitalName: String
        var icd10: String
    }

    /// The account holder who booked for the patient.
    struct GuardianView: Encodable, Sendable {
        var displayName: String
        /// How the patient relates to the guardian, as in the family list (`child`).
        var relationship: FamilyRelationship?
    }

    var consultationId: UUID
    var patientId: UUID
    var displayName: String
    var sex: Sex
    /// Whole years on today's Asia/Shanghai date.
    var age: Int
    var allergies: [Allergy]
    var conditions: [KnownCondition]
    var priorVisit: PriorVisitView?
    var guardian: GuardianView?

    init(_ patient: ConsultationPatient, consultationId: UUID, today: CalendarDate) {
        self.consultationId = consultationId
        patientId = patient.patientId
        displayName = patient.realName
        sex = patient.sex
        age = patient.age(on: today)
        allergies = patient.allergies
        conditions = patient.conditions
        priorVisit = patient.priorVisit.map { visit in
            PriorVisitView(encounterId: visit.encounter.id, date: visit.encounter.date, hospitalId: visit.encounter.hospitalId,
                           hospitalName: visit.hospitalName, icd10: visit.encounter.icd10.value)
        }
        guardian = patient.guardian.map { GuardianView(displayName: $0.realName, relationship: $0.relationship) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(consultationId, forKey: .consultationId)
        try container.encode(patientId, forKey: .patientId)
        try container.encode(displayName, forKey: .displayName)
        try container.encode(sex, forKey: .sex)
        try container.encode(age, forKey: .age)
        try container.encode(allergies, forKey: .allergies)
        try container.encode(conditions, forKey: .conditions)
        // Written as null rather than left out, so a client tells "none" from "not sent".
        try container.encode(priorVisit, forKey: .priorVisit)
        try container.encode(guardian, forKey: .guardian)
    }

    enum CodingKeys: String, CodingKey {
        case consultationId, patientId, displayName, sex, age, allergies, conditions, priorVisit, guardian
    }
}
