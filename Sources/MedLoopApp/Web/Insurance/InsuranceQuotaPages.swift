import Foundation
import Hummingbird
import MedLoopDomain

/// Monthly quotas: each institution's budget, what it used and what is left, for a month; the
/// insurer sets a budget (typed in yuan) for an institution of its region. Regulators and
/// operators read every region's.
struct InsuranceQuotaPages: Sendable {
    let web: WebKit
    private var values: InsuranceWebValues { InsuranceWebValues(web: web) }

    func register(_ group: RouterGroup<AppContext>) {
        group.get("insurance/quotas", use: list)
        group.post("insurance/quotas", use: set)
    }

    /// The largest budget the form passes on (100 million yuan); the API keeps its own rules.
    private static let budgetLimitFen: Int64 = 10_000_000_000
    /// Institutions that hold no budget: they do not bill.
    private static let unbilled: Set<String> = ["insurer", "regulator"]

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        try await quotaPage(month: InsuranceWebValues.query(request, "month"), form: nil, errors: nil, context: context)
    }

    private func quotaPage(month: String?, form: [String: Any]?, errors: [String: Any]?, context: AppContext,
                           status: HTTPResponse.Status = .ok) async throws -> Response {
        let caller = try context.requireSignedIn(.insurer, .regulator, .operator)
        // This month, as the API takes it when none is named (Asia/Shanghai).
        let shown = month ?? InsuranceQuota.month(of: CalendarDate.shanghai(web.clock.now()))
        var data: [String: Any] = ["month": shown]
        var status = status
        switch await web.api.get("insurance/quotas", query: [("month", shown)], context: context) {
        case .ok(_, let body):
            let page = web.values(body, context: context) as? [String: Any] ?? [:]
            data["quotas"] = page["items"] ?? []
            data["listed"] = true
        case .refused(let error):
            data["monthErrors"] = values.formErrors(error, context: context)
            if status == .ok { status = error.status }
        }
        if caller.role == .insurer {
            var set = form ?? ["month": shown]
            let chosen = set["institutionId"] as? String
            set["institutions"] = try await institutions(context: context).map { institution in
                var institution = institution
                institution["selected"] = (institution["id"] as? String).map { $0.lowercased() == chosen?.lowercased() } ?? false
                return institution
            }
            data["set"] = set
        }
        if let errors { data["errors"] = errors }
        return web.page("insurance-quotas", title: "insurance.quotas.title", data, context: context, status: status)
    }

    /// The institutions of the insurer's region that bill, for the budget form.
    private func institutions(context: AppContext) async throws -> [[String: Any]] {
        let region = try RegionCode(try await values.insurerRegion(context: context))
        let page = try web.object(await web.api.get("institutions", query: [("region", region.poolPrefix), ("limit", "100")],
                                                    context: context), context: context)
        return (page["items"] as? [[String: Any]] ?? []).filter { !Self.unbilled.contains($0["kind"] as? String ?? "") }
    }

    @Sendable func set(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        let form = context.browser.form
        let month = form["month"] ?? ""
        let answer: WebAPI.Answer
        do {
            guard let institution = form["institutionId"] else {
                throw AppError.invalid("institutionId", code: "required", "Choose the institution.")
            }
            guard !month.isEmpty else { throw AppError.invalid("month", code: "required", "Name the month, YYYY-MM.") }
            guard let fen = try InsuranceWebValues.fen(form["budget"], field: "budget", limitFen: Self.budgetLimitFen, allowZero: true) else {
                throw AppError.invalid("budget", code: "required", "Write the budget in yuan.")
            }
            let path = "insurance/quotas/\(InsuranceWebValues.segment(institution))/\(InsuranceWebValues.segment(month))"
            answer = await web.api.send(.put, path, json: .map(["budgetFen": .integer(fen)]), context: context)
        } catch {
            answer = .refused(AppError.from(error))
        }
        if case .refused(let error) = answer {
            let echo: [String: Any] = ["institutionId": form["institutionId"] ?? "", "month": month, "budget": form["budget"] ?? ""]
            return try await quotaPage(month: nil, form: echo, errors: values.formErrors(error, context: context), context: context,
                                       status: error.status)
        }
        return web.redirect(InsuranceWebValues.link("/insurance/quotas", [("month", month)]))
    }
}
