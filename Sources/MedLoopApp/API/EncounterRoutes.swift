import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Prior in-person visits on a patient's record: what makes an online consultation a follow-up.
struct EncounterRoutes {
    let encounters: EncounterStore
    let audit: AuditStore
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("patients/:id/encounters", use: list)
        group.post("patients/:id/encounters", use: add)
        group.post("encounters", use: importEncounter)
    }

    struct AddBody: Decodable {
        var hospitalId: UUID
        var date: CalendarDate
        var icd10: String
    }

    @Sendable func add(_ request: Request, context: AppContext) async throws -> Created<EncounterView> {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(id, context, action: "patient.encounter.add")
        let body = try await request.decodeJSON(as: AddBody.self, context: context)
        let encounter = try await encounters.addEncounter(patient: id, hospital: body.hospitalId, date: body.date,
                                                          icd10: try ICD10Code(body.icd10), source: .entered,
                                                          context: context.auditContext(at: clock.now()))
        return Created(value: EncounterView(encounter))
    }

    struct ImportBody: Decodable {
        var nationalId: String
        var date: CalendarDate
        var icd10: String
    }

    /// A doctor of a physical hospital sends a diagnosis made there in person.
    @Sendable func importEncounter(_ request: Request, context: AppContext) async throws -> Created<EncounterView> {
        let caller = try await authorizer.require(.importRecords, context, action: "patient.encounter.import", resourceType: "encounter")
        guard let hospital = caller.institutionId else { throw AppError.forbidden("Visits come from a hospital.") }
        let body = try await request.decodeJSON(as: ImportBody.self, context: context)
        let now = clock.now()
        var validator = FieldValidator()
        let nationalId = validator.check { () throws(DomainError) in try NationalID(body.nationalId, today: .shanghai(now)) }
        let icd10 = validator.check { () throws(DomainError) in try ICD10Code(body.icd10) }
        try validator.finish()
        let encounter = try await encounters.importEncounter(nationalId: nationalId!, hospital: hospital, date: body.date,
                                                             icd10: icd10!, context: context.auditContext(at: now))
        return Created(value: EncounterView(encounter))
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> ListView<EncounterView> {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(id, context, action: "patient.encounter.read")
        let visits = try await encounters.encounters(of: id)
        try await audit.recordRead("patient.encounter.read", of: "patient", id: id.text, patient: id, by: context,
                                   at: clock.now())
        return ListView(items: visits.map(EncounterView.init), nextCursor: nil)
    }
}

/// An in-person visit (prior visit) as the API shows it: entered by the patient, sent by a
/// hospital, or recorded by the doctor of a MedLoop appointment — one shape for all three.
struct EncounterView: APIView, Encodable {
    var id: UUID
    var patientId: UUID
    var hospitalId: UUID
    var date: CalendarDate
    var icd10: String
    var source: EncounterSource
    /// Entered by the patient (or guardian) themselves: never counted by an insurance policy.
    var selfReported: Bool

    init(_ encounter: Encounter) {
        id = encounter.id
        patientId = encounter.patientId
        hospitalId = encounter.hospitalId
        date = encounter.date
        icd10 = encounter.icd10.value
        source = encounter.source
        selfReported = encounter.source.isSelfReported
    }
}
