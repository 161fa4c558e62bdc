import Foundation
import Hummingbird
import MedLoopDomain

/// The regulator's trace of a prescription: every recorded step of its hash-chained trail, in
/// order, with whether each link and the whole chain verify.
struct TracePages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("traces", use: trace)
    }

    @Sendable func trace(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator)
        let asked = request.uri.queryParameters["prescription"].map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        var data: [String: Any] = ["prescription": asked]
        if !asked.isEmpty {
            guard UUID(uuidString: asked) != nil else {
                data["errors"] = web.formErrors(AppError.invalid("prescription", code: "format", "This is not a prescription number."),
                                                context: context)
                return web.page("trace", title: "trace.title", data, context: context, status: .badRequest)
            }
            switch await web.api.get("prescriptions/\(asked)/trace", context: context) {
            case .ok(_, let trace):
                var shown = web.values(trace, context: context) as? [String: Any] ?? [:]
                shown["entries"] = (shown["entries"] as? [[String: Any]] ?? []).map { entry in
                    var entry = entry
                    entry["details"] = (entry["detail"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }
                        .map { ["name": $0.key, "value": "\($0.value)"] }
                    entry["eventText"] = web.renderer.string("trace.event.\(entry["event"] as? String ?? "")", in: context.language)
                    return entry
                }
                data["trace"] = shown
            case .refused(let error):
                data["errors"] = web.formErrors(error, context: context)
                return web.page("trace", title: "trace.title", data, context: context, status: error.status)
            }
        }
        return web.page("trace", title: "trace.title", data, context: context)
    }
}
