import Foundation
import HTTPTypes
import Hummingbird
import MedLoopDomain
import NIOCore

/// The regulator's live dashboard (issue 20, part 2): the figures of `GET /supervision/dashboard`,
/// readable without JavaScript, kept current by `monitor.js`, which listens to the same-origin
/// stream `/supervision/stream` (the API's stream, as the page's signed-in caller) and, on fresh
/// figures, fetches the page again and swaps the live region.
struct MonitorPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("supervision", use: dashboard)
        group.get("supervision/stream", use: stream)
    }

    @Sendable func dashboard(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator, .operator)
        let region = Self.region(request)
        let figures = try web.object(await web.api.get("supervision/dashboard", query: region.map { [("region", $0)] } ?? [],
                                                       context: context), context: context)
        var data: [String: Any] = ["figures": figures, "region": region ?? ""]
        // Minutes as text: a wait of 0 minutes is still a wait to show (a number 0 would read as "none").
        data["oldestWaitMinutes"] = (figures["oldestReviewWaitSeconds"] as? Int).map { String($0 / 60) }
        data["settlements"] = (figures["settlements"] as? [[String: Any]] ?? []).map { row in
            var row = row
            row["schemeWords"] = web.renderer.string("monitor.scheme.\(row["scheme"] as? String ?? "")", in: context.language)
            return row
        }
        data["streamPath"] = "/supervision/stream" + (region.map { "?region=\($0)" } ?? "")
        return web.page("monitor-dashboard", title: "monitor.title", data, context: context)
    }

    /// The API's event stream, passed through as it comes (not collected, as other calls are).
    @Sendable func stream(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator, .operator)
        var components = URLComponents()
        components.path = "/api/v1/supervision/stream"
        if let region = Self.region(request) { components.queryItems = [URLQueryItem(name: "region", value: region)] }
        var head = HTTPRequest(method: .get, scheme: "http", authority: "medloop", path: components.percentEncodedPath
                               + (components.percentEncodedQuery.map { "?" + $0 } ?? ""))
        head.headerFields[.acceptLanguage] = context.language.rawValue
        return try await web.api.responder.respond(to: Request(head: head, body: RequestBody(buffer: ByteBuffer())), context: context)
    }

    private static func region(_ request: Request) -> String? {
        request.uri.queryParameters["region"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }
}
