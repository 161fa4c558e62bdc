import Foundation
import Hummingbird
import MedLoopDomain

/// A patient's own record at `/me`: the profile (address, pregnancy), allergies, known conditions
/// and prior in-person visits, each with its form; the same for a family member the patient acts
/// for at `/me/family/{id}` (a guardian keeps a child's record); and the pages under it — family
/// members, insurance, who accessed the record — and triage, registered here.
struct PatientProfilePages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        for base in ["me", "me/family/:memberId"] {
            group.get(RouterPath(base), use: show)
            group.post(RouterPath(base + "/profile"), use: updateProfile)
            group.post(RouterPath(base + "/allergies"), use: addAllergy)
            group.post(RouterPath(base + "/allergies/:itemId/remove"), use: removeAllergy)
            group.post(RouterPath(base + "/conditions"), use: addCondition)
            group.post(RouterPath(base + "/conditions/:itemId/remove"), use: removeCondition)
            group.post(RouterPath(base + "/encounters"), use: addEncounter)
        }
        PatientFamilyPages(web: web).register(group)
        PatientInsurancePages(web: web).register(group)
        PatientAccessLogPages(web: web).register(group)
        TriagePages(web: web).register(group)
    }

    /// Whose record a page shows: the caller's own at `/me`, or at `/me/family/{id}` a family
    /// member's they act for (the API decides whether they do).
    struct Record {
        let patientId: String
        let base: String
        let isOwn: Bool

        init(_ context: AppContext) throws {
            let own = try PatientProfilePages.patientId(context)
            if context.parameters.get("memberId") != nil {
                let member = try PatientProfilePages.identifier("memberId", context)
                (patientId, base, isOwn) = (member, "/me/family/\(member)", false)
            } else {
                (patientId, base, isOwn) = (own, "/me", true)
            }
        }
    }

    /// A form of the page sent back refused: which one, its errors and what was typed.
    struct Refused {
        let form: String
        let errors: [String: Any]
        let values: [String: Any]
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await recordPage(try Record(context), refused: nil, context: context)
    }

    private func recordPage(_ record: Record, refused: Refused?, context: AppContext,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        let patient = record.patientId
        var profile = try web.object(await web.api.get("patients/\(patient)", context: context), context: context)
        let visits = try web.object(await web.api.get("patients/\(patient)/encounters", context: context), context: context)
        let hospitals = try await physicalHospitals(context)
        let names = Dictionary(hospitals.compactMap { hospital in
            (hospital["id"] as? String).map { ($0.lowercased(), hospital["name"] as? String ?? "") }
        }, uniquingKeysWith: { first, _ in first })
        let encounters = (visits["items"] as? [[String: Any]] ?? []).map { visit in
            var visit = visit
            visit["hospitalName"] = (visit["hospitalId"] as? String).flatMap { names[$0.lowercased()] }
            visit["sourceWords"] = (visit["source"] as? String).map { web.renderer.string("me.source.\($0)", in: context.language) }
            return visit
        }
        let allergies = (profile["allergies"] as? [[String: Any]] ?? []).map { allergy in
            var allergy = allergy
            allergy["severityWords"] = (allergy["severity"] as? String).map { web.renderer.string("me.severity.\($0)", in: context.language) }
            return allergy
        }
        profile["allergies"] = allergies
        profile["hasAddress"] = !(profile["address"] as? String ?? "").isEmpty
        if let pregnancy = profile["pregnancyStatus"] as? String {
            profile["pregnancyWords"] = web.renderer.string("me.pregnancy.\(pregnancy)", in: context.language)
        }
        var data: [String: Any] = [
            "base": record.base,
            "isOwn": record.isOwn,
            "profile": profile,
            "hasAllergies": !allergies.isEmpty,
            "hasConditions": !(profile["conditions"] as? [Any] ?? []).isEmpty,
            "encounters": encounters,
            "hasEncounters": !encounters.isEmpty,
            "hospitals": hospitals,
            "profileValues": ["address": profile["address"] ?? "", "pregnancyStatusIs": profile["pregnancyStatusIs"] ?? [:]],
        ]
        if let refused {
            data[refused.form + "Errors"] = refused.errors
            data[refused.form + "Values"] = refused.values
            if refused.form == "encounter", let chosen = refused.values["hospitalId"] as? String {
                data["hospitals"] = hospitals.map { hospital in
                    var hospital = hospital
                    hospital["selected"] = (hospital["id"] as? String)?.lowercased() == chosen.lowercased()
                    return hospital
                }
            }
        }
        return web.page("me-profile", title: record.isOwn ? "me.title" : "me.memberTitle", data, context: context, status: status)
    }

    /// The registered physical hospitals, where a prior in-person visit happens (at most 500).
    private func physicalHospitals(_ context: AppContext) async throws -> [[String: Any]] {
        var hospitals: [[String: Any]] = []
        var cursor: String?
        repeat {
            var query = [("kind", "physicalHospital"), ("limit", "100")]
            if let cursor { query.append(("cursor", cursor)) }
            let page = try web.object(await web.api.get("institutions", query: query, context: context), context: context)
            hospitals += page["items"] as? [[String: Any]] ?? []
            cursor = page["nextCursor"] as? String
        } while cursor != nil && hospitals.count < 500
        return hospitals
    }

    /// The signed-in patient's own record.
    static func patientId(_ context: AppContext) throws -> String {
        let caller = try context.requireSignedIn(.patient)
        guard let patient = caller.patientId else { throw AppError.notFound("patient") }
        return patient.text
    }

    /// An identifier in the page's address, checked before it goes into an API path.
    static func identifier(_ name: String, _ context: AppContext) throws -> String {
        guard let text = context.parameters.get(name), let id = UUID(uuidString: text) else { throw AppError.notFound("page") }
        return id.text
    }

    /// Sends a form's change of the record to the API: on success back to its section of the
    /// record's page, on a refusal the page again with the form's errors beside its fields.
    private func change(_ record: Record, _ method: HTTPRequest.Method, _ path: String, json: DocumentValue?, form: String,
                        fields: [String], section: String, context: AppContext) async throws -> Response {
        switch await web.api.send(method, "patients/\(record.patientId)" + path, json: json, context: context) {
        case .ok:
            return web.redirect("\(record.base)#\(section)")
        case .refused(let error) where [400, 409, 422].contains(error.status.code):
            let refused = Refused(form: form, errors: PatientFormErrors(web: web).values(error, context: context),
                                  values: context.browser.form.echoed(fields))
            return try await recordPage(record, refused: refused, context: context, status: error.status)
        case .refused(let error):
            throw error
        }
    }

    /// The form's non-blank fields as a JSON object; a blank one is left out, so the API says
    /// which required field is missing.
    private static func body(_ form: WebForm, _ names: [String]) -> DocumentValue {
        .map(Dictionary(uniqueKeysWithValues: names.compactMap { name in form[name].map { (name, DocumentValue.string($0)) } }))
    }

    @Sendable func updateProfile(_ request: Request, context: AppContext) async throws -> Response {
        let record = try Record(context)
        let form = context.browser.form
        // A blank address clears it.
        var body: [String: DocumentValue] = ["address": .string(form["address"] ?? "")]
        if let pregnancy = form["pregnancyStatus"] { body["pregnancyStatus"] = .string(pregnancy) }
        return try await change(record, .patch, "", json: .map(body), form: "profile",
                                fields: ["address", "pregnancyStatus"], section: "profile", context: context)
    }

    private static let allergyFields = ["substance", "reaction", "severity"]

    @Sendable func addAllergy(_ request: Request, context: AppContext) async throws -> Response {
        let record = try Record(context)
        return try await change(record, .post, "/allergies", json: Self.body(context.browser.form, Self.allergyFields),
                                form: "allergy", fields: Self.allergyFields, section: "allergies", context: context)
    }

    @Sendable func removeAllergy(_ request: Request, context: AppContext) async throws -> Response {
        let record = try Record(context)
        let item = try Self.identifier("itemId", context)
        _ = try web.require(await web.api.send(.delete, "patients/\(record.patientId)/allergies/\(item)", json: nil, context: context))
        return web.redirect("\(record.base)#allergies")
    }

    private static let conditionFields = ["icd10", "name", "diagnosedOn"]

    @Sendable func addCondition(_ request: Request, context: AppContext) async throws -> Response {
        let record = try Record(context)
        return try await change(record, .post, "/conditions", json: Self.body(context.browser.form, Self.conditionFields),
                                form: "condition", fields: Self.conditionFields, section: "conditions", context: context)
    }

    @Sendable func removeCondition(_ request: Request, context: AppContext) async throws -> Response {
        let record = try Record(context)
        let item = try Self.identifier("itemId", context)
        _ = try web.require(await web.api.send(.delete, "patients/\(record.patientId)/conditions/\(item)", json: nil, context: context))
        return web.redirect("\(record.base)#conditions")
    }

    private static let encounterFields = ["hospitalId", "date", "icd10"]

    @Sendable func addEncounter(_ request: Request, context: AppContext) async throws -> Response {
        let record = try Record(context)
        return try await change(record, .post, "/encounters", json: Self.body(context.browser.form, Self.encounterFields),
                                form: "encounter", fields: Self.encounterFields, section: "encounters", context: context)
    }
}
