import Foundation
import Hummingbird
import MedLoopDomain

/// Finding a doctor and booking: the search with its filters and sorts, the profile with its
/// reputation and priced menu, and the booking form (a prior in-person visit for a follow-up).
struct DoctorPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("doctors", use: search)
        group.get("doctors/:id", use: profile)
        group.post("doctors/:id/book", use: book)
    }

    /// The query of a search page as the API takes it, blank fields left out.
    private static let searchFields = ["q", "department", "city", "service", "sort", "cursor"]

    @Sendable func search(_ request: Request, context: AppContext) async throws -> Response {
        let query = request.uri.queryParameters
        var asked: [(String, String)] = []
        var echo: [String: Any] = [:]
        for name in Self.searchFields {
            guard let value = query[Substring(name)].map(String.init)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { continue }
            asked.append((name, value))
            if name != "cursor" { echo[name] = value; echo[name + "Is"] = [value: true] }
        }
        asked.append(("limit", "20"))
        var data: [String: Any] = ["query": echo, "departments": try await departments(context, selected: echo["department"] as? String)]
        switch await web.api.get("doctors", query: asked, context: context) {
        case .ok(_, let body):
            let page = web.values(body, context: context) as? [String: Any] ?? [:]
            data["results"] = page["items"] ?? []
            if let next = page["nextCursor"] as? String {
                var components = URLComponents()
                components.path = "/doctors"
                components.queryItems = asked.filter { $0.0 != "cursor" && $0.0 != "limit" }.map { URLQueryItem(name: $0.0, value: $0.1) }
                    + [URLQueryItem(name: "cursor", value: next)]
                data["nextPage"] = components.string ?? "/doctors"
            }
            data["searched"] = true
        case .refused(let error):
            data["errors"] = web.formErrors(error, context: context)
        }
        return web.page("doctor-search", title: "search.title", data, context: context)
    }

    private func departments(_ context: AppContext, selected: String?) async throws -> [[String: Any]] {
        let list = try web.object(await web.api.get("departments", context: context), context: context)
        return (list["items"] as? [[String: Any]] ?? []).map { department in
            var department = department
            department["name"] = context.language == .english ? department["nameEn"] : department["nameZh"]
            department["selected"] = selected != nil && department["code"] as? String == selected
            return department
        }
    }

    @Sendable func profile(_ request: Request, context: AppContext) async throws -> Response {
        try await profilePage(context.parameters.require("id"), for: request.uri.queryParameters["for"].map(String.init),
                              errors: nil, context: context)
    }

    /// The profile; for a signed-in patient, the booking form for themselves or (`person`) a family
    /// member they act for, with that person's prior visits.
    private func profilePage(_ id: String, for person: String?, errors: [String: Any]?, context: AppContext,
                             status: HTTPResponse.Status = .ok) async throws -> Response {
        let doctor = try web.object(await web.api.get("doctors/\(id)", context: context), context: context)
        var data: [String: Any] = ["doctor": doctor, "idempotencyKey": WebKit.idempotencyKey()]
        if case .ok(_, let reputation) = await web.api.get("doctors/\(id)/reputation", context: context) {
            data["reputation"] = web.values(reputation, context: context)
        }
        if let errors { data["errors"] = errors }
        if let caller = context.caller, caller.role == .patient, let patientId = caller.patientId {
            let family = try web.object(await web.api.get("patients/\(patientId.text)/family", context: context), context: context)
            let members = family["items"] as? [[String: Any]] ?? []
            let chosen = members.first { ($0["patientId"] as? String)?.lowercased() == person?.lowercased() }
            let booked = (chosen?["patientId"] as? String) ?? patientId.text
            let visits = try web.object(await web.api.get("patients/\(booked)/encounters", context: context), context: context)
            var sites: [[String: Any]] = []
            for site in doctor["practiceSites"] as? [String] ?? [] {
                let institution = try? web.object(await web.api.get("institutions/\(site)", context: context), context: context)
                sites.append(["id": site, "name": institution?["name"] as? String ?? site])
            }
            data["booking"] = ["visits": visits["items"] ?? [], "sites": sites, "hasSites": sites.count > 1,
                               "members": members.map { member in
                                   var member = member
                                   member["selected"] = (member["patientId"] as? String) == (chosen?["patientId"] as? String)
                                   return member
                               },
                               "hasMembers": !members.isEmpty, "forPatient": chosen?["patientId"] ?? "",
                               "forMinor": chosen?["isMinor"] as? Bool ?? false]
        }
        return web.page("doctor-profile", title: "profile.title", data, context: context, status: status)
    }

    @Sendable func book(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        var order: [String: DocumentValue] = ["doctorId": .string(id), "service": .string(form["service"] ?? "")]
        if let visit = form["encounterId"] { order["encounterId"] = .string(visit) }
        if let symptoms = form["symptoms"] { order["symptoms"] = .string(symptoms) }
        if let site = form["siteId"] { order["siteId"] = .string(site) }
        if let person = form["patientId"] { order["patientId"] = .string(person) }
        if form["guardianPresent"] != nil { order["guardianPresent"] = .bool(true) }
        if let minutes = form["prepaidMinutes"].flatMap(Int.init) { order["prepaidMinutes"] = .integer(Int64(minutes)) }
        let answer = await web.api.send(.post, "orders", json: .map(order), idempotencyKey: form["idempotencyKey"], context: context)
        switch answer {
        case .refused(let error):
            return try await profilePage(id, for: form["patientId"], errors: web.formErrors(error, context: context), context: context,
                                         status: error.status)
        case .ok(_, let body):
            guard case .map(let fields) = body, case .string(let orderId)? = fields["id"] else { throw AppError.notFound("order") }
            return web.redirect("/orders/\(orderId)")
        }
    }
}
