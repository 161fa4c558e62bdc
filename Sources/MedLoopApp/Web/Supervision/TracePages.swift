import Foundation
import Hummingbird
import MedLoopDomain

/// The regulator's trace of a prescription (issue 20, part 5): searched by prescription number,
/// traceability code, patient or doctor; one page shows the whole chain — consultation,
/// prescription with findings and overrides, review, pharmacy, reservation, payment, settlement,
/// dispense with codes, delivery, receipt — each step present or missing, and the hash-chained
/// trail with whether each link and the whole chain verify. The page prints as it reads.
struct TracePages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("traces", use: trace)
    }

    /// What a search may be by, in the order the form offers them.
    static let kinds = ["prescription", "code", "patient", "doctor"]

    @Sendable func trace(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator)
        let parameters = request.uri.queryParameters
        func parameter(_ name: String) -> String {
            parameters[Substring(name)].map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        }
        // `?prescription=ID` (links, the trail's own address) or `?by=KIND&q=TEXT` (the form, whose
        // text field keeps the id `prescription` so that a refusal is shown beside it either way).
        var kind = Self.kinds.contains(parameter("by")) ? parameter("by") : "prescription"
        var asked = parameter("q")
        if asked.isEmpty, !parameter("prescription").isEmpty {
            kind = "prescription"
            asked = parameter("prescription")
        }
        var data: [String: Any] = [
            "q": asked,
            "kinds": Self.kinds.map { ["value": $0, "label": web.renderer.string("traceChain.by.\($0)", in: context.language),
                                       "selected": $0 == kind] },
        ]
        guard !asked.isEmpty else { return web.page("trace", title: "trace.title", data, context: context) }
        if kind != "code", UUID(uuidString: asked) == nil {
            data["errors"] = web.formErrors(AppError.invalid("prescription", code: "format", "This is not an identifier."), context: context)
            return web.page("trace", title: "trace.title", data, context: context, status: .badRequest)
        }
        if kind == "prescription" {
            switch await web.api.get("supervision/traces/\(asked)", context: context) {
            case .ok(_, let trace):
                data["trace"] = chain(web.values(trace, context: context) as? [String: Any] ?? [:], context: context)
            case .refused(let error):
                data["errors"] = web.formErrors(error, context: context)
                return web.page("trace", title: "trace.title", data, context: context, status: error.status)
            }
        } else {
            var query: [(String, String)] = [(kind, asked), ("limit", "50")]
            if let cursor = parameters["cursor"].map(String.init), !cursor.isEmpty { query.append(("cursor", cursor)) }
            switch await web.api.get("supervision/traces", query: query, context: context) {
            case .ok(_, let page):
                let shown = web.values(page, context: context) as? [String: Any] ?? [:]
                data["found"] = shown["items"] as? [[String: Any]] ?? []
                data["searched"] = true
                if let next = shown["nextCursor"] as? String {
                    var components = URLComponents()
                    components.path = "/traces"
                    components.queryItems = [URLQueryItem(name: "by", value: kind), URLQueryItem(name: "q", value: asked),
                                             URLQueryItem(name: "cursor", value: next)]
                    data["nextPage"] = components.string ?? "/traces"
                }
            case .refused(let error):
                data["errors"] = web.formErrors(error, context: context)
                return web.page("trace", title: "trace.title", data, context: context, status: error.status)
            }
        }
        return web.page("trace", title: "trace.title", data, context: context)
    }

    /// The trace as the template shows it: each step and status in words, each trail event in words.
    private func chain(_ trace: [String: Any], context: AppContext) -> [String: Any] {
        var shown = trace
        let language = context.language
        shown["steps"] = (trace["steps"] as? [[String: Any]] ?? []).map { step in
            var step = step
            let status = step["status"] as? String ?? ""
            step["stepText"] = web.renderer.string("traceChain.step.\(step["step"] as? String ?? "")", in: language)
            step["statusText"] = web.renderer.string("traceChain.status.\(status)", in: language)
            step["isMissing"] = status == "missing"
            return step
        }
        shown["trail"] = (trace["trail"] as? [[String: Any]] ?? []).map { entry in
            var entry = entry
            entry["eventText"] = web.renderer.string("trace.event.\(entry["event"] as? String ?? "")", in: language)
            return entry
        }
        if var prescription = trace["prescription"] as? [String: Any] {
            prescription["findingCount"] = (prescription["findings"] as? [Any])?.count ?? 0
            prescription["signatureVerifies"] = (prescription["signatureProblems"] as? [Any])?.isEmpty ?? false
            prescription["items"] = (prescription["items"] as? [[String: Any]] ?? []).map { item in
                var item = item
                item["name"] = (language == .english ? item["nameEn"] : item["nameZh"]) ?? item["drugId"]
                return item
            }
            shown["prescription"] = prescription
        }
        return shown
    }
}
