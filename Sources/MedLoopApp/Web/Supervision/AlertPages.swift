import Foundation
import Hummingbird
import MedLoopDomain

/// The regulator's alert queue and an alert with its evidence and notes (issue 20, part 3): the
/// queue by state and rule, kept current by `live.js`; an alert's facts, entities, evidence and
/// history, with the forms to move it on and to add a note.
struct AlertPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("supervision/alerts", use: queue)
        group.get("supervision/alerts/:id", use: show)
        group.post("supervision/alerts/:id/transitions", use: move)
        group.post("supervision/alerts/:id/notes", use: note)
    }

    @Sendable func queue(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator)
        let state = Self.query(request, "state") ?? AlertState.open.rawValue
        let rule = Self.query(request, "rule")
        var query: [(String, String)] = [("state", state), ("limit", "20")]
        if let rule { query.append(("rule", rule)) }
        if let cursor = Self.query(request, "cursor") { query.append(("cursor", cursor)) }
        let page = try web.object(await web.api.get("supervision/alerts", query: query, context: context), context: context)
        let filters = rule.map { [("rule", $0)] } ?? []
        var data: [String: Any] = [
            "alerts": (page["items"] as? [[String: Any]] ?? []).map { described($0, context: context) },
            "states": AlertState.allCases.map { value in
                ["label": words("alerts.state.\(value.rawValue)", context: context), "current": value.rawValue == state,
                 "href": Self.link("/supervision/alerts", [("state", value.rawValue)] + filters)] as [String: Any]
            },
            "rules": FraudRuleName.allCases.map { name in
                ["value": name.rawValue, "label": words("alerts.rule.\(name.rawValue)", context: context),
                 "selected": name.rawValue == rule] as [String: Any]
            },
            "state": state,
            "stateWords": words("alerts.state.\(state)", context: context, fallback: state),
        ]
        if let next = page["nextCursor"] as? String {
            data["nextPage"] = Self.link("/supervision/alerts", [("state", state)] + filters + [("cursor", next)])
        }
        return web.page("alert-queue", title: "alerts.queue.title", data, context: context)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await alertPage(context.parameters.require("id"), form: nil, errors: nil, context: context)
    }

    @Sendable func move(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        var body: [String: DocumentValue] = ["to": .string(form["to"] ?? "")]
        if let note = form["note"] { body["note"] = .string(note) }
        let answer = await web.api.send(.post, "supervision/alerts/\(id)/transitions", json: .map(body), context: context)
        if case .refused(let error) = answer {
            let echo: [String: Any] = ["to": form["to"] ?? "", "toIs": [form["to"] ?? "": true], "note": form["note"] ?? ""]
            return try await alertPage(id, form: ["move": echo], errors: web.formErrors(error, context: context), context: context,
                                       status: error.status)
        }
        return web.redirect("/supervision/alerts/\(id)")
    }

    @Sendable func note(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        let answer = await web.api.send(.post, "supervision/alerts/\(id)/notes", json: .map(["note": .string(form["note"] ?? "")]),
                                        context: context)
        if case .refused(let error) = answer {
            return try await alertPage(id, form: ["addNote": ["note": form["note"] ?? ""]], errors: web.formErrors(error, context: context),
                                       context: context, status: error.status)
        }
        return web.redirect("/supervision/alerts/\(id)")
    }

    /// The alert page; after a refused form, `form` holds what was typed (under `move` or
    /// `addNote`) and `errors` why.
    private func alertPage(_ id: String, form: [String: Any]?, errors: [String: Any]?, context: AppContext,
                           status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.regulator)
        let answer = try web.require(await web.api.get("supervision/alerts/\(id)", context: context))
        var alert = described(web.values(answer, context: context) as? [String: Any] ?? [:], context: context)
        alert["entityList"] = (alert["entities"] as? [[String: Any]] ?? []).map { entity in
            let type = entity["type"] as? String ?? ""
            return ["typeWords": words("alerts.entity.\(type)", context: context, fallback: type), "id": entity["id"] ?? "",
                    "isPrescription": type == "prescription"] as [String: Any]
        }
        // From the answer as sent: the template values add flags beside each word (`codeIs`).
        var evidence: [String: String] = [:]
        if case .map(let fields) = answer, case .map(let entries)? = fields["evidence"] {
            for case (let key, .string(let value)) in entries { evidence[key] = value }
        }
        alert["evidenceList"] = evidence.sorted { $0.key < $1.key }.map { key, value in
            ["name": words("alerts.evidence.\(key)", context: context, fallback: key),
             "value": words("alerts.evidenceValue.\(value)", context: context, fallback: value)]
        }
        alert["historyList"] = (alert["history"] as? [[String: Any]] ?? []).map { entry in
            var entry = entry
            if let from = entry["from"] as? String { entry["fromWords"] = words("alerts.state.\(from)", context: context) }
            if let to = entry["to"] as? String { entry["toWords"] = words("alerts.state.\(to)", context: context) }
            if let role = entry["actorRole"] as? String { entry["actorWords"] = words("role.\(role)", context: context) }
            entry["isRaised"] = entry["from"] == nil && entry["to"] != nil
            entry["isMove"] = entry["from"] != nil
            return entry
        }
        let next = alert["nextStates"] as? [String] ?? []
        var data: [String: Any] = ["alert": alert]
        if !next.isEmpty {
            var move = form?["move"] as? [String: Any] ?? [:]
            if form?["move"] != nil { move["fieldErrors"] = errors?["fields"] }
            move["choices"] = next.map { value in
                ["value": value, "label": words("alerts.state.\(value)", context: context),
                 "checked": (move["to"] as? String ?? next.first) == value] as [String: Any]
            }
            data["move"] = move
        }
        var addNote = form?["addNote"] as? [String: Any] ?? [:]
        if form?["addNote"] != nil { addNote["fieldErrors"] = errors?["fields"] }
        data["addNote"] = addNote
        if let errors { data["errors"] = errors }
        return web.page("alert-show", title: "alerts.alert.title", data, context: context, status: status)
    }

    /// An alert with the words of its rule, severity and state.
    private func described(_ alert: [String: Any], context: AppContext) -> [String: Any] {
        var alert = alert
        if let rule = alert["rule"] as? String { alert["ruleWords"] = words("alerts.rule.\(rule)", context: context, fallback: rule) }
        if let severity = alert["severity"] as? String {
            alert["severityWords"] = words("alerts.severity.\(severity)", context: context, fallback: severity)
        }
        if let state = alert["state"] as? String { alert["stateWords"] = words("alerts.state.\(state)", context: context, fallback: state) }
        return alert
    }

    private func words(_ path: String, context: AppContext, fallback: String? = nil) -> String {
        let words = web.renderer.string(path, in: context.language)
        return words == path ? fallback ?? String(path.split(separator: ".").last ?? "") : words
    }

    static func query(_ request: Request, _ name: String) -> String? {
        guard let value = request.uri.queryParameters[Substring(name)]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            return nil
        }
        return value
    }

    static func link(_ path: String, _ query: [(String, String)]) -> String {
        var components = URLComponents()
        components.path = path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        return components.string ?? path
    }
}
