import Foundation
import Hummingbird
import MedLoopDomain

/// A patient's family members at `/me/family`: the account holder adds a child, parent, spouse or
/// other relative by real name and national ID, and acts for them (a guardian for a child under
/// 18); and removes them. The rules (a child is younger than the holder, never oneself) are the
/// API's.
struct PatientFamilyPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("me/family", use: show)
        group.post("me/family", use: add)
        group.post("me/family/:memberId/remove", use: remove)
    }

    private static let fields = ["realName", "nationalId", "relationship"]

    /// The refusals that name no field, beside the field they are about: every rule of a new
    /// member rests on the national ID (its birth date, its holder).
    private static let fieldOf = ["child_older_than_holder": "nationalId", "family_member_is_self": "nationalId",
                                  "family_member_has_account": "nationalId", "family_member_exists": "nationalId",
                                  "national_id_taken": "nationalId"]

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await familyPage(errors: nil, values: [:], context: context)
    }

    private func familyPage(errors: [String: Any]?, values: [String: Any], context: AppContext,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        let patient = try PatientProfilePages.patientId(context)
        let list = try web.object(await web.api.get("patients/\(patient)/family", context: context), context: context)
        let members = (list["items"] as? [[String: Any]] ?? []).map { member in
            var member = member
            member["relationshipWords"] = (member["relationship"] as? String)
                .map { web.renderer.string("me.relationship.\($0)", in: context.language) }
            return member
        }
        var data: [String: Any] = ["members": members, "hasMembers": !members.isEmpty, "values": values,
                                   "relationships": FamilyRelationship.allCases.map { relationship in
                                       ["value": relationship.rawValue,
                                        "label": web.renderer.string("me.relationship.\(relationship.rawValue)", in: context.language),
                                        "selected": values["relationship"] as? String == relationship.rawValue]
                                   }]
        if let errors { data["errors"] = errors }
        return web.page("me-family", title: "me.family.title", data, context: context, status: status)
    }

    @Sendable func add(_ request: Request, context: AppContext) async throws -> Response {
        let patient = try PatientProfilePages.patientId(context)
        let form = context.browser.form
        let body = DocumentValue.map(Dictionary(uniqueKeysWithValues: Self.fields.compactMap { name in
            form[name].map { (name, DocumentValue.string($0)) }
        }))
        switch await web.api.send(.post, "patients/\(patient)/family", json: body, context: context) {
        case .ok:
            return web.redirect("/me/family")
        case .refused(let error) where [400, 409, 422].contains(error.status.code):
            return try await familyPage(errors: PatientFormErrors(web: web).values(error, context: context, fieldOf: Self.fieldOf),
                                        values: form.echoed(Self.fields), context: context, status: error.status)
        case .refused(let error):
            throw error
        }
    }

    @Sendable func remove(_ request: Request, context: AppContext) async throws -> Response {
        let patient = try PatientProfilePages.patientId(context)
        let member = try PatientProfilePages.identifier("memberId", context)
        _ = try web.require(await web.api.send(.delete, "patients/\(patient)/family/\(member)", json: nil, context: context))
        return web.redirect("/me/family")
    }
}
