import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// A patient's profile, allergies, known conditions and family. Each route asks the authorizer
/// first and leaves an audit entry: reads here, writes inside the store's transaction.
struct PatientRoutes {
    let patients: PatientStore
    let audit: AuditStore
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("patients/:id", use: show)
        group.patch("patients/:id", use: update)
        group.post("patients/:id/allergies", use: addAllergy)
        group.delete("patients/:id/allergies/:itemId", use: removeAllergy)
        group.post("patients/:id/conditions", use: addCondition)
        group.delete("patients/:id/conditions/:itemId", use: removeCondition)
        group.get("patients/:id/family", use: family)
        group.post("patients/:id/family", use: addFamilyMember)
        group.delete("patients/:id/family/:itemId", use: removeFamilyMember)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> PatientView {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(id, context, action: "patient.read")
        guard let profile = try await patients.profile(id) else { throw AppError.notFound("patient") }
        let now = clock.now()
        try await audit.recordRead("patient.read", of: "patient", id: id.text, patient: id, by: context, at: now)
        return PatientView(profile, today: .shanghai(now))
    }

    struct UpdateBody: Decodable {
        /// A new address; an empty string clears it.
        var address: String?
        /// Pregnant, breastfeeding or neither: the clinical checks of prescriptions use it.
        var pregnancyStatus: PregnancyStatus?
    }

    @Sendable func update(_ request: Request, context: AppContext) async throws -> PatientView {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(id, context, action: "patient.update")
        let body = try await request.decodeJSON(as: UpdateBody.self, context: context)
        let address = try body.address.map { $0.isEmpty ? "" : try ProfileRule.address($0) }
        let now = clock.now()
        guard let before = try await patients.profile(id) else { throw AppError.notFound("patient") }
        if let pregnancy = body.pregnancyStatus { try ProfileRule.checkPregnancy(pregnancy, sex: before.sex) }
        try await patients.update(id, address: address, pregnancy: body.pregnancyStatus, context: context.auditContext(at: now))
        guard let profile = try await patients.profile(id) else { throw AppError.notFound("patient") }
        return PatientView(profile, today: .shanghai(now))
    }

    struct AllergyBody: Decodable {
        var substance: String
        var reaction: String?
        var severity: AllergySeverity
    }

    @Sendable func addAllergy(_ request: Request, context: AppContext) async throws -> Created<Allergy> {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(id, context, action: "patient.allergy.add")
        let body = try await request.decodeJSON(as: AllergyBody.self, context: context)
        var validator = FieldValidator()
        let substance = validator.check { () throws(DomainError) in try ProfileRule.label(body.substance, field: "substance") }
        let reaction = validator.check { () throws(DomainError) -> String? in
            guard let reaction = body.reaction else { return nil }
            return try ProfileRule.label(reaction, field: "reaction", limit: 200)
        }
        try validator.finish()
        let allergy = try await patients.addAllergy(
            AllergyDraft(substance: substance!, reaction: reaction ?? nil, severity: body.severity),
            to: id, context: context.auditContext(at: clock.now()))
        return Created(value: allergy)
    }

    @Sendable func removeAllergy(_ request: Request, context: AppContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(id, context, action: "patient.allergy.remove")
        try await patients.removeAllergy(try context.parameters.uuid("itemId"), of: id,
                                         context: context.auditContext(at: clock.now()))
        return Response(status: .noContent)
    }

    struct ConditionBody: Decodable {
        var icd10: String
        var name: String
        var diagnosedOn: CalendarDate?
    }

    @Sendable func addCondition(_ request: Request, context: AppContext) async throws -> Created<KnownCondition> {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(id, context, action: "patient.condition.add")
        let body = try await request.decodeJSON(as: ConditionBody.self, context: context)
        let now = clock.now()
        var validator = FieldValidator()
        let code = validator.check { () throws(DomainError) in try ICD10Code(body.icd10) }
        let name = validator.check { () throws(DomainError) in try ProfileRule.label(body.name, field: "name") }
        if let day = body.diagnosedOn, day > .shanghai(now) {
            validator.add("diagnosedOn", code: "in_future", "The diagnosis date is in the future.")
        }
        try validator.finish()
        let condition = try await patients.addCondition(ConditionDraft(icd10: code!, name: name!, diagnosedOn: body.diagnosedOn),
                                                        to: id, context: context.auditContext(at: now))
        return Created(value: condition)
    }

    @Sendable func removeCondition(_ request: Request, context: AppContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(id, context, action: "patient.condition.remove")
        try await patients.removeCondition(try context.parameters.uuid("itemId"), of: id,
                                           context: context.auditContext(at: clock.now()))
        return Response(status: .noContent)
    }

    @Sendable func family(_ request: Request, context: AppContext) async throws -> ListView<FamilyMemberView> {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(id, context, action: "patient.family.read")
        let members = try await patients.family(of: id)
        let now = clock.now()
        try await audit.recordRead("patient.family.read", of: "patient", id: id.text, patient: id, by: context, at: now)
        return ListView(items: members.map { FamilyMemberView($0, today: .shanghai(now)) }, nextCursor: nil)
    }

    struct FamilyMemberBody: Decodable {
        var realName: String
        var nationalId: String
        var relationship: FamilyRelationship
    }

    /// Only the account holder adds family members, for their own record.
    @Sendable func addFamilyMember(_ request: Request, context: AppContext) async throws -> Created<FamilyMemberView> {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(id, context, action: "patient.family.add", holderOnly: true)
        let body = try await request.decodeJSON(as: FamilyMemberBody.self, context: context)
        let now = clock.now()
        var validator = FieldValidator()
        let name = validator.check { () throws(DomainError) in try ProfileRule.realName(body.realName) }
        let nationalId = validator.check { () throws(DomainError) in try NationalID(body.nationalId, today: .shanghai(now)) }
        try validator.finish()
        let member = try await patients.addFamilyMember(
            FamilyMemberDraft(realName: name!, nationalId: nationalId!, relationship: body.relationship),
            holder: id, context: context.auditContext(at: now))
        return Created(value: FamilyMemberView(member, today: .shanghai(now)))
    }

    @Sendable func removeFamilyMember(_ request: Request, context: AppContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(id, context, action: "patient.family.remove", holderOnly: true)
        try await patients.removeFamilyMember(try context.parameters.uuid("itemId"), holder: id,
                                              context: context.auditContext(at: clock.now()))
        return Response(status: .noContent)
    }
}
