import Foundation
import Hummingbird
import MedLoopDomain

/// Random prescription audits: drawing a sample, judging it, results per doctor (issue 20, part 4).
/// A regulator or the operator draws a sample by period and filters and follows its verdicts; a
/// pharmacist judges the prescriptions assigned to them; a doctor reads their own results.
struct AuditSamplePages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("supervision/samples", use: list)
        group.post("supervision/samples", use: draw)
        group.get("supervision/samples/:id", use: show)
        group.get("audit-samples", use: assigned)
        group.post("audit-samples/:id/items/:prescriptionId/verdict", use: judge)
        group.get("doctor/audits", use: ownResults)
    }

    /// The departments the draw form offers (the directory's).
    static let departments = ["cardiology", "endocrinology", "respiratory", "pediatrics", "neurology", "gastroenterology",
                              "generalSurgery", "orthopedics", "obstetrics", "gynecology", "dermatology", "psychiatry",
                              "nephrology", "generalPractice", "traditionalChineseMedicine"]

    // MARK: Supervisors

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        try await listPage(request, form: nil, errors: nil, context: context)
    }

    /// The samples, newest first, and the draw form (filled again after a refusal).
    private func listPage(_ request: Request, form: [String: String]?, errors: [String: Any]?, context: AppContext,
                          status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.regulator, .operator)
        var query: [(String, String)] = [("limit", "20")]
        if let cursor = AlertPages.query(request, "cursor") { query.append(("cursor", cursor)) }
        let page = try web.object(await web.api.get("audit-samples", query: query, context: context), context: context)
        let today = Self.day(web.clock.now())
        let monthAgo = Self.day(web.clock.now().addingTimeInterval(-30 * 86_400))
        var typed = form ?? ["from": monthAgo, "to": today, "size": "20", "seed": "", "doctorId": "", "department": "", "drugClass": ""]
        typed["idempotencyKey"] = WebKit.idempotencyKey()
        var data: [String: Any] = [
            "samples": (page["items"] as? [[String: Any]] ?? []).map { described($0, context: context) },
            "draw": typed,
            "departments": Self.departments.map { value in
                ["value": value, "label": words("samples.department.\(value)", context: context, fallback: value),
                 "selected": value == form?["department"]] as [String: Any]
            },
        ]
        if let next = page["nextCursor"] as? String { data["nextPage"] = AlertPages.link("/supervision/samples", [("cursor", next)]) }
        if let errors { data["errors"] = errors }
        return web.page("audit-sample-list", title: "samples.list.title", data, context: context, status: status)
    }

    @Sendable func draw(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator, .operator)
        let form = context.browser.form
        let typed = ["seed", "from", "to", "doctorId", "department", "drugClass", "size"].reduce(into: [String: String]()) { typed, name in
            typed[name] = form[name]?.trimmingCharacters(in: .whitespaces) ?? ""
        }
        var body: [String: DocumentValue] = [:]
        var issues = FieldValidator()
        if let seed = typed["seed"], !seed.isEmpty {
            if let value = Int64(seed) { body["seed"] = .integer(value) } else { issues.add("seed", code: "format", "A seed is a whole number.") }
        }
        if let from = Self.instant(typed["from"]) { body["from"] = .string(from) } else { issues.add("from", code: "format", "Pick a day.") }
        if let to = Self.instant(typed["to"], nextDay: true) { body["to"] = .string(to) } else { issues.add("to", code: "format", "Pick a day.") }
        if let size = Int64(typed["size"] ?? "") { body["size"] = .integer(size) } else { issues.add("size", code: "format", "A size is a whole number.") }
        for name in ["doctorId", "department", "drugClass"] {
            if let value = typed[name], !value.isEmpty { body[name] = .string(value) }
        }
        let answer: WebAPI.Answer
        if issues.issues.isEmpty {
            answer = await web.api.send(.post, "audit-samples", json: .map(body), idempotencyKey: form["idempotencyKey"], context: context)
        } else {
            answer = .refused(AppError.from(DomainError.invalid(issues.issues)))
        }
        switch answer {
        case .refused(let error):
            return try await listPage(request, form: typed, errors: web.formErrors(error, context: context), context: context,
                                      status: error.status)
        case .ok(_, let value):
            guard case .map(let sample) = value, case .string(let id)? = sample["id"] else { return web.redirect("/supervision/samples") }
            return web.redirect("/supervision/samples/\(id)")
        }
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator, .operator)
        let id = try context.parameters.require("id")
        var sample = described(try web.object(await web.api.get("audit-samples/\(id)", context: context), context: context),
                               context: context)
        sample["itemList"] = (sample["items"] as? [[String: Any]] ?? []).map { judged($0, context: context) }
        // Every doctor of the sample: at most one a prescription, so at most 500, in pages of 100.
        var results: [[String: Any]] = []
        var cursor: String?
        repeat {
            let query = [("sample", id), ("limit", "100")] + (cursor.map { [("cursor", $0)] } ?? [])
            let page = try web.object(await web.api.get("audit-samples/results", query: query, context: context), context: context)
            results += (page["items"] as? [[String: Any]] ?? []).map { result($0, context: context) }
            cursor = page["nextCursor"] as? String
        } while cursor != nil
        return web.page("audit-sample-show", title: "samples.sample.title", ["sample": sample, "results": results], context: context)
    }

    // MARK: Pharmacists

    @Sendable func assigned(_ request: Request, context: AppContext) async throws -> Response {
        try await assignedPage(request, form: nil, errors: nil, context: context)
    }

    /// The caller's assigned prescriptions, those waiting first, each with its verdict form.
    private func assignedPage(_ request: Request, form: [String: Any]?, errors: [String: Any]?, context: AppContext,
                              status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacist)
        let showAll = AlertPages.query(request, "all") == "true"
        var query: [(String, String)] = [("limit", "50"), ("pending", showAll ? "false" : "true")]
        if let cursor = AlertPages.query(request, "cursor") { query.append(("cursor", cursor)) }
        let page = try web.object(await web.api.get("audit-samples/assigned", query: query, context: context), context: context)
        let failed = form?["prescriptionId"] as? String
        let items = (page["items"] as? [[String: Any]] ?? []).map { item -> [String: Any] in
            var item = judged(item, context: context)
            let id = (item["prescriptionId"] as? String ?? "").lowercased()
            item["lines"] = (item["items"] as? [[String: Any]] ?? []).map { line in
                var line = line
                line["name"] = context.language == .english ? line["genericNameEn"] ?? "" : line["genericNameZh"] ?? ""
                return line
            }
            if item["verdict"] == nil {
                // Every key set, so that the form never shows a value of the prescription around it.
                var verdict: [String: Any] = failed == id ? form ?? [:] : ["category": "", "notes": "", "verdictIs": [String: Bool]()]
                if failed == id {
                    // The form's own ids are the item's; the echo only says which form was refused.
                    verdict["prescriptionId"] = nil
                    verdict["fieldErrors"] = errors?["fields"]
                }
                verdict["categories"] = RejectionReason.allCases.map { value in
                    ["value": value.rawValue, "label": words("samples.category.\(value.rawValue)", context: context),
                     "selected": value.rawValue == verdict["category"] as? String] as [String: Any]
                }
                item["form"] = verdict
            }
            return item
        }
        var data: [String: Any] = ["items": items, "showAll": showAll]
        if let next = page["nextCursor"] as? String {
            data["nextPage"] = AlertPages.link("/audit-samples", (showAll ? [("all", "true")] : []) + [("cursor", next)])
        }
        if let errors { data["errors"] = errors }
        return web.page("audit-sample-assigned", title: "samples.assigned.title", data, context: context, status: status)
    }

    @Sendable func judge(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacist)
        let sample = try context.parameters.require("id")
        let prescription = try context.parameters.require("prescriptionId")
        let form = context.browser.form
        var body: [String: DocumentValue] = ["verdict": .string(form["verdict"] ?? ""), "notes": .string(form["notes"] ?? "")]
        if let category = form["category"], !category.isEmpty { body["category"] = .string(category) }
        let answer = await web.api.send(.post, "audit-samples/\(sample)/items/\(prescription)/verdict", json: .map(body),
                                        context: context)
        if case .refused(let error) = answer {
            let echo: [String: Any] = ["prescriptionId": prescription.lowercased(), "verdictIs": [form["verdict"] ?? "": true],
                                       "category": form["category"] ?? "", "notes": form["notes"] ?? ""]
            return try await assignedPage(request, form: echo, errors: web.formErrors(error, context: context), context: context,
                                          status: error.status)
        }
        return web.redirect("/audit-samples")
    }

    // MARK: Doctors

    @Sendable func ownResults(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let own = try web.object(await web.api.get("doctors/me/audit-results", context: context), context: context)
        return web.page("audit-sample-mine", title: "samples.mine.title", [
            "result": result(own["result"] as? [String: Any] ?? [:], context: context),
            "items": (own["items"] as? [[String: Any]] ?? []).map { judged($0, context: context) },
        ], context: context)
    }

    // MARK: Values

    /// A sample with the words of its filters.
    private func described(_ sample: [String: Any], context: AppContext) -> [String: Any] {
        var sample = sample
        if let department = sample["department"] as? String {
            sample["departmentWords"] = words("samples.department.\(department)", context: context, fallback: department)
        }
        return sample
    }

    /// An item with the words of its verdict and category.
    private func judged(_ item: [String: Any], context: AppContext) -> [String: Any] {
        var item = item
        if let verdict = item["verdict"] as? String {
            item["verdictWords"] = words("samples.verdict.\(verdict)", context: context, fallback: verdict)
            item["isInappropriate"] = verdict == AuditVerdict.inappropriate.rawValue
        }
        if let category = item["category"] as? String {
            item["categoryWords"] = words("samples.category.\(category)", context: context, fallback: category)
        }
        return item
    }

    /// A doctor's result with its rate as a percentage and its categories in words.
    private func result(_ result: [String: Any], context: AppContext) -> [String: Any] {
        var result = result
        // Template values carry integers as the renderer made them (Int64 or text).
        let basisPoints = result["inappropriateRateBasisPoints"].flatMap { Int("\($0)") } ?? 0
        result["ratePercent"] = String(format: "%d.%02d", basisPoints / 100, basisPoints % 100)
        result["categoryList"] = (result["byCategory"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { key, value in
            ["label": words("samples.category.\(key)", context: context, fallback: key), "count": "\(value)"]
        }
        return result
    }

    private func words(_ path: String, context: AppContext, fallback: String? = nil) -> String {
        let words = web.renderer.string(path, in: context.language)
        return words == path ? fallback ?? String(path.split(separator: ".").last ?? "") : words
    }

    /// A day `YYYY-MM-DD` in China time.
    static func day(_ instant: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// The start of a day typed as `YYYY-MM-DD` (or of the next day, for a period's inclusive last
    /// day) in China time, as RFC 3339.
    static func instant(_ day: String?, nextDay: Bool = false) -> String? {
        guard let day, CalendarDate(iso: day) != nil, let start = Timestamp.parse("\(day)T00:00:00+08:00") else { return nil }
        return Timestamp.format(start.addingTimeInterval(nextDay ? 86_400 : 0))
    }
}
