import Foundation
import Hummingbird
import MedLoopDomain

/// The regulator's view of the audit log: who read which patient's data, when, from where and for
/// which action, filtered by actor, patient and time, a page at a time. Reading the log is itself
/// audited (by the API).
struct AuditPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("audit", use: list)
    }

    /// The filters of the page, as the API takes them.
    private static let filters = ["actorId", "patientId", "from", "to"]

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator)
        let parameters = request.uri.queryParameters
        var filter: [String: String] = [:]
        var query: [(String, String)] = []
        for name in Self.filters {
            guard let value = parameters[Substring(name)].map(String.init)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
                continue
            }
            filter[name] = value
            query.append((name, Self.instant(value, endOfDay: name == "to")))
        }
        var shown: [String: Any] = filter
        // A day picker cannot hold what is not a day: such a value is shown as typed, to correct.
        for name in ["from", "to"] {
            shown[name + "Type"] = filter[name].map { CalendarDate(iso: $0) != nil } ?? true ? "date" : "text"
        }
        var data: [String: Any] = ["filter": shown, "filtered": !filter.isEmpty]
        var asked = query + [("limit", "50")]
        if let cursor = parameters["cursor"].map(String.init), !cursor.isEmpty { asked.append(("cursor", cursor)) }
        switch await web.api.get("audit", query: asked, context: context) {
        case .refused(let error):
            data["errors"] = web.formErrors(error, context: context)
            return web.page("audit-log", title: "audit.title", data, context: context, status: error.status)
        case .ok(_, let body):
            let page = web.values(body, context: context) as? [String: Any] ?? [:]
            data["entries"] = (page["items"] as? [[String: Any]] ?? []).map { described($0, context: context) }
            if let next = page["nextCursor"] as? String {
                var components = URLComponents()
                components.path = "/audit"
                components.queryItems = Self.filters.compactMap { name in filter[name].map { URLQueryItem(name: name, value: $0) } }
                    + [URLQueryItem(name: "cursor", value: next)]
                data["nextPage"] = components.string ?? "/audit"
            }
            return web.page("audit-log", title: "audit.title", data, context: context)
        }
    }

    /// A day picked in the form as the API's instant: its first moment in China Standard Time,
    /// or for `to` its last; anything else is passed on for the API to judge.
    static func instant(_ value: String, endOfDay: Bool) -> String {
        guard CalendarDate(iso: value) != nil else { return value }
        return value + (endOfDay ? "T23:59:59.999+08:00" : "T00:00:00+08:00")
    }

    /// An entry with its words: the actor's role, the action (when the catalogue words it), the
    /// outcome, and links that filter by its actor and its patient.
    private func described(_ entry: [String: Any], context: AppContext) -> [String: Any] {
        var entry = entry
        let language = context.language
        if let role = entry["actorRole"] as? String { entry["roleWords"] = web.renderer.string("role.\(role)", in: language) }
        if let action = entry["action"] as? String {
            let path = "audit.actions.\(action)"
            let words = web.renderer.string(path, in: language)
            if words != path { entry["actionWords"] = words }
        }
        if let outcome = entry["outcome"] as? String {
            entry["outcomeWords"] = web.renderer.string("audit.outcomes.\(outcome)", in: language)
            entry["refused"] = outcome != "success"
        }
        if let actor = entry["actorAccountId"] as? String { entry["actorHref"] = "/audit?actorId=\(actor)" }
        if let patient = entry["patientId"] as? String { entry["patientHref"] = "/audit?patientId=\(patient)" }
        return entry
    }
}
