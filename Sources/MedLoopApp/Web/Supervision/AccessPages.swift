import Foundation
import Hummingbird
import MedLoopDomain

/// Who read which patient's data, for the regulator (issue 20, part 6): `/supervision/access`,
/// filtered by patient, reader and days, each access with when, who, what, from where and for
/// which purpose.
struct AccessPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("supervision/access", use: list)
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator)
        let parameters = request.uri.queryParameters
        func parameter(_ name: String) -> String {
            parameters[Substring(name)].map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        }
        var filter: [String: String] = [:]
        var query: [(String, String)] = [("limit", "50")]
        for name in ["patient", "actor"] where !parameter(name).isEmpty {
            filter[name] = parameter(name)
            query.append((name, parameter(name)))
        }
        // Days are Asia/Shanghai days: from the start of `from` to the end of `to`.
        for (name, offset) in [("from", 0.0), ("to", 86_400.0)] where !parameter(name).isEmpty {
            filter[name] = parameter(name)
            if let day = CalendarDate(iso: parameter(name)) {
                query.append((name, Timestamp.format(ProvincialReport.window(of: day).start.addingTimeInterval(offset))))
            } else {
                query.append((name, parameter(name)))
            }
        }
        if !parameter("cursor").isEmpty { query.append(("cursor", parameter("cursor"))) }
        var data: [String: Any] = ["filter": filter]
        switch await web.api.get("supervision/access-log", query: query, context: context) {
        case .ok(_, let page):
            let shown = web.values(page, context: context) as? [String: Any] ?? [:]
            data["entries"] = (shown["items"] as? [[String: Any]] ?? []).map { entry in
                var entry = entry
                entry["purposeText"] = web.renderer.string("dataAccess.purposes.\(entry["purpose"] as? String ?? "other")",
                                                           in: context.language)
                return entry
            }
            if let next = shown["nextCursor"] as? String {
                var components = URLComponents()
                components.path = "/supervision/access"
                components.queryItems = filter.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
                    + [URLQueryItem(name: "cursor", value: next)]
                data["nextPage"] = components.string ?? "/supervision/access"
            }
            return web.page("access-supervision", title: "dataAccess.title", data, context: context)
        case .refused(let error):
            data["errors"] = web.formErrors(error, context: context)
            return web.page("access-supervision", title: "dataAccess.title", data, context: context, status: error.status)
        }
    }
}
