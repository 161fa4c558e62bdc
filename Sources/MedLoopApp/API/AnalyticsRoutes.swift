import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore
import NIOCore

/// Usage figures as JSON, CSV and SVG charts (issue 20, part 7):
///
/// `GET /api/v1/analytics/{figure}?from=YYYY-MM-DD&to=YYYY-MM-DD&region=330800&format=json|csv|svg`
/// for each `AnalyticsFigure`. The period defaults to the 30 days ending today (Asia/Shanghai).
/// An operator reads any region or all of them; a regulator its own region only (another
/// region's is a 403, audited). Charts are labelled in the request's language.
struct AnalyticsRoutes: SupervisionRouteGroup {
    let dependencies: SupervisionDependencies

    func register(_ authenticated: RouterGroup<AppContext>) {
        authenticated.get("analytics/:figure", use: show)
    }

    /// A figure's rows as JSON.
    struct AnalyticsView: APIView, Encodable {
        var figure: String
        var from: String
        var to: String
        var region: String?
        var items: [[String: AnalyticsValue]]

        init(_ report: AnalyticsReport, period: AnalyticsPeriod, region: RegionCode?) {
            figure = report.figure.rawValue
            from = period.from.description
            to = period.to.description
            self.region = region?.value
            items = report.table.rows.map { Dictionary(uniqueKeysWithValues: zip(report.table.columns, $0)) }
        }
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        let scope = try await regions.scope(.readAnalytics, context, action: "analytics.read", resourceType: "analytics")
        guard let figure = AnalyticsFigure(rawValue: try context.parameters.require("figure")) else {
            throw AppError.notFound("figure")
        }
        let query = request.uri.queryParameters
        let format = query.get("format") ?? "json"
        guard ["json", "csv", "svg"].contains(format) else {
            throw AppError.invalid("format", code: "unknown_value", "The format is json, csv or svg.")
        }
        let period = try Self.period(from: query.get("from"), to: query.get("to"), today: CalendarDate.shanghai(clock.now()))
        let region = try await regions.named(query.get("region"), within: scope, context, action: "analytics.read",
                                             resourceType: "analytics")
        let data = try await stores.analytics.data(figure, period: period, regionPrefix: region?.coveredPrefix)
        let report = AnalyticsReport(figure, data: data, period: period, language: context.language == .english ? .english : .chinese)
        let name = "\(figure.rawValue)-\(region?.value ?? "all")-\(period.from)-\(period.to)"
        switch format {
        case "csv":
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"\(name).csv\""],
                            body: .init(byteBuffer: ByteBuffer(string: report.table.csv)))
        case "svg":
            return Response(status: .ok, headers: [.contentType: "image/svg+xml; charset=utf-8", .contentLanguage: context.language.rawValue],
                            body: .init(byteBuffer: ByteBuffer(string: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + report.chart.svg(id: figure.rawValue))))
        default:
            return try AnalyticsView(report, period: period, region: region).response(from: request, context: context)
        }
    }

    /// The period of `?from=&to=` (`AnalyticsPeriod.requested`).
    static func period(from: String?, to: String?, today: CalendarDate) throws -> AnalyticsPeriod {
        func day(_ text: String?, field: String) throws -> CalendarDate? {
            guard let text, !text.isEmpty else { return nil }
            guard let date = CalendarDate(iso: text) else { throw AppError.invalid(field, code: "format", "A date is YYYY-MM-DD.") }
            return date
        }
        return try AnalyticsPeriod.requested(from: try day(from, field: "from"), to: try day(to, field: "to"), today: today)
    }
}
