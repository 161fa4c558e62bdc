import Foundation
import Hummingbird
import MedLoopDomain

/// Who accessed a patient's record, as the patient sees it at `/me/access-log` (personal data
/// security, DOMAIN.md): when, who (their role, or "you"), what, from where, and whether it was
/// allowed, newest first, a page at a time.
struct PatientAccessLogPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("me/access-log", use: list)
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        _ = try PatientProfilePages.patientId(context)
        var query = [("limit", "20")]
        if let cursor = request.uri.queryParameters["cursor"], !cursor.isEmpty { query.append(("cursor", String(cursor))) }
        let page = try web.object(await web.api.get("me/access-log", query: query, context: context), context: context)
        let entries = (page["items"] as? [[String: Any]] ?? []).map { described($0, context: context) }
        var data: [String: Any] = ["entries": entries, "hasEntries": !entries.isEmpty,
                                   "older": request.uri.queryParameters["cursor"] != nil]
        if let next = page["nextCursor"] as? String {
            var components = URLComponents()
            components.path = "/me/access-log"
            components.queryItems = [URLQueryItem(name: "cursor", value: next)]
            data["nextPage"] = components.string ?? "/me/access-log"
        }
        return web.page("me-access-log", title: "me.access.title", data, context: context)
    }

    /// An entry with its words: who (the role's name, "you", or nobody signed in), the action as
    /// the catalogue words it (the regulator's audit words next, its code otherwise), and the outcome.
    private func described(_ entry: [String: Any], context: AppContext) -> [String: Any] {
        var entry = entry
        let language = context.language
        func words(_ path: String) -> String? {
            let words = web.renderer.string(path, in: language)
            return words == path ? nil : words
        }
        if entry["isSelf"] as? Bool == true {
            entry["who"] = words("me.access.you")
        } else if let role = entry["actorRole"] as? String {
            entry["who"] = words("role.\(role)") ?? role
        } else {
            entry["who"] = words("me.access.nobody")
        }
        if let action = entry["action"] as? String {
            entry["what"] = words("me.access.actions.\(action)") ?? words("audit.actions.\(action)") ?? action
        }
        if let resource = entry["resourceType"] as? String {
            entry["resourceWords"] = words("me.access.resources.\(resource)") ?? resource
        }
        if let outcome = entry["outcome"] as? String {
            entry["outcomeWords"] = words("me.access.outcomes.\(outcome)") ?? outcome
            entry["allowed"] = outcome == AuditOutcome.success.rawValue
        }
        return entry
    }
}
