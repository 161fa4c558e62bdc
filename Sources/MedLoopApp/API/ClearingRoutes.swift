import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Daily clearing for a region's insurer: the day's settlements and reversals per institution as
/// a CSV file or JSON, reconciled to the ledger, and the insurer's own totals compared with them.
struct ClearingRoutes {
    let clearings: ClearingStore
    let regions: InsuranceRegions
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("insurance/clearings/:date", use: show)
        group.post("insurance/clearings/:date/statements", use: compare)
    }

    struct ClearingView: APIView, Encodable {
        var region: String
        var date: String
        var reconciled: Bool
        var institutions: [ClearingTotal]
        var problems: [String]
        var settlements: Int
        var reversals: Int
        var differences: [ClearingDifference]?

        init(_ report: ClearingReport, differences: [ClearingDifference]? = nil) {
            region = report.region.value
            date = report.day.description
            reconciled = report.isReconciled
            institutions = report.totals
            problems = report.problems
            settlements = report.entries.filter { $0.kind == .settlement }.count
            reversals = report.entries.filter { $0.kind == .reversal }.count
            self.differences = differences
        }
    }

    /// `?format=csv` gives the clearing file; a regulator or operator names `?region=`.
    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        let region = try await regions.readable(request.uri.queryParameters.get("region"), context, action: "clearing.read",
                                                resource: "clearing")
        let report = try await clearings.report(region: region, day: try Self.day(context))
        switch request.uri.queryParameters.get("format") {
        case nil: return try ClearingView(report).response(from: request, context: context)
        case "csv":
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"clearing-\(region.value)-\(report.day).csv\""],
                            body: .init(byteBuffer: ByteBuffer(string: ClearingRule.csv(report))))
        default: throw AppError.invalid("format", code: "unknown_value", "The format is csv, or none.")
        }
    }

    struct StatementBody: Decodable {
        var totals: [InsurerTotal]
    }

    /// The insurer uploads its own totals for the day; the answer lists every difference.
    @Sendable func compare(_ request: Request, context: AppContext) async throws -> ClearingView {
        let region = try await regions.own(context, action: "clearing.compare")
        let body = try await request.decodeJSON(as: StatementBody.self, context: context)
        let (report, differences) = try await clearings.compare(region: region, day: try Self.day(context), insurerTotals: body.totals,
                                                                context: context.auditContext(at: clock.now()))
        return ClearingView(report, differences: differences)
    }

    private static func day(_ context: AppContext) throws -> CalendarDate {
        guard let day = CalendarDate(iso: try context.parameters.require("date")) else {
            throw AppError.invalid("date", code: "format", "A date is YYYY-MM-DD.")
        }
        return day
    }
}
