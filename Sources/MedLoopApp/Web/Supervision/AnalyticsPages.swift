import Foundation
import Hummingbird
import MedLoopDomain
import NIOCore

/// Usage figures and charts for the operator and the regulator (issue 20, part 7): `/analytics`
/// with a period and region form, every figure as a chart drawn by the server (the API's own SVG,
/// inline, labelled in the page's language, no script) with its CSV file a link away
/// (`/analytics/{figure}.csv`, passed on from the API).
struct AnalyticsPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("analytics", use: show)
        group.get("analytics/:file", use: download)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.operator, .regulator)
        let query = Self.query(request)
        var data: [String: Any] = ["from": query.from, "to": query.to, "region": query.region]
        var charts: [[String: Any]] = []
        for figure in AnalyticsFigure.allCases {
            switch await web.api.exchange(.get, "analytics/\(figure.rawValue)", query: query.pairs + [("format", "svg")], context: context) {
            case .failure(let error):
                data["errors"] = web.formErrors(error, context: context)
                return web.page("analytics", title: "analytics.title", data, context: context, status: error.status)
            case .success(let (_, _, bytes)):
                var svg = String(decoding: bytes, as: UTF8.self)
                // Inline in HTML the SVG goes without its XML declaration.
                if svg.hasPrefix("<?xml"), let end = svg.range(of: "?>\n") { svg = String(svg[end.upperBound...]) }
                var components = URLComponents()
                components.path = "/analytics/\(figure.rawValue).csv"
                components.queryItems = query.pairs.map { URLQueryItem(name: $0.0, value: $0.1) }
                charts.append(["figure": figure.rawValue, "svg": svg, "csvHref": components.string ?? "/analytics",
                               "label": web.renderer.string("analytics.figures.\(figure.rawValue)", in: context.language)])
            }
        }
        data["charts"] = charts
        return web.page("analytics", title: "analytics.title", data, context: context)
    }

    /// A figure's CSV file as the API writes it.
    @Sendable func download(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.operator, .regulator)
        let file = try context.parameters.require("file")
        guard file.hasSuffix(".csv"), let figure = AnalyticsFigure(rawValue: String(file.dropLast(4))) else {
            throw AppError.notFound("figure")
        }
        switch await web.api.exchange(.get, "analytics/\(figure.rawValue)", query: Self.query(request).pairs + [("format", "csv")],
                                      context: context) {
        case .failure(let error):
            throw error
        case .success(let (_, headers, bytes)):
            var fields: HTTPFields = [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store"]
            fields[.contentDisposition] = headers[.contentDisposition] ?? "attachment; filename=\"\(figure.rawValue).csv\""
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// The form's fields as they were sent, and the ones to pass on to the API (empty ones left out).
    static func query(_ request: Request) -> (from: String, to: String, region: String, pairs: [(String, String)]) {
        let parameters = request.uri.queryParameters
        func parameter(_ name: String) -> String {
            parameters[Substring(name)].map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        }
        let from = parameter("from"), to = parameter("to"), region = parameter("region")
        let pairs = [("from", from), ("to", to), ("region", region)].filter { !$0.1.isEmpty }
        return (from, to, region, pairs)
    }
}
