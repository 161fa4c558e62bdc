import Foundation
import Hummingbird
import MedLoopDomain

/// The insurer's daily clearing: a day's settlements and reversals per institution, reconciled to
/// the ledger; the clearing file to download (CSV); and the insurer's own totals compared with
/// MedLoop's, every difference listed.
struct InsuranceClearingPages: Sendable {
    let web: WebKit
    private var values: InsuranceWebValues { InsuranceWebValues(web: web) }

    func register(_ group: RouterGroup<AppContext>) {
        group.get("insurance/clearings", use: show)
        group.get("insurance/clearings/:date/file", use: download)
        group.post("insurance/clearings/:date/statements", use: compare)
    }

    /// The largest figure a statement row passes on (100 million yuan either way).
    private static let limitFen: Int64 = 10_000_000_000

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        // Today in Asia/Shanghai, the day a clearing belongs to, unless one is picked.
        let date = InsuranceWebValues.query(request, "date") ?? CalendarDate.shanghai(web.clock.now()).description
        return try await clearingPage(date: date, answer: nil, form: nil, context: context)
    }

    /// The day's clearing; `answer` is a comparison's (the clearing with its differences).
    private func clearingPage(date: String, answer: WebAPI.Answer?, form: [String: Any]?, context: AppContext,
                              status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        var data: [String: Any] = ["date": date]
        let shown: WebAPI.Answer
        if let answer, case .ok = answer { shown = answer } else {
            shown = await web.api.get("insurance/clearings/\(InsuranceWebValues.segment(date))", context: context)
        }
        switch shown {
        case .refused(let error):
            data["dateErrors"] = values.formErrors(error, context: context)
            return web.page("insurance-clearing", title: "insurance.clearing.title", data, context: context, status: error.status)
        case .ok(_, let body):
            var clearing = web.values(body, context: context) as? [String: Any] ?? [:]
            let names = await institutionNames(clearing, context: context)
            let echo = form ?? [:]
            var errors: [String: Any]?
            if let answer, case .refused(let error) = answer { errors = values.formErrors(error, context: context) }
            let fields = errors?["fields"] as? [String: String] ?? [:]
            clearing["institutions"] = (clearing["institutions"] as? [[String: Any]] ?? []).enumerated().map { index, total in
                var total = total
                let id = total["institutionId"] as? String ?? ""
                total["name"] = names[id.lowercased()] ?? id
                total["index"] = index
                total["fund"] = echo["fund-\(index)"] ?? ""
                total["account"] = echo["account-\(index)"] ?? ""
                total["fundError"] = fields["fund-\(index)"]
                total["accountError"] = fields["account-\(index)"]
                return total
            }
            clearing["hasInstitutions"] = !((clearing["institutions"] as? [Any])?.isEmpty ?? true)
            if let differences = clearing["differences"] as? [[String: Any]] {
                clearing["compared"] = true
                clearing["differences"] = differences.map { difference in
                    var difference = difference
                    let id = difference["institutionId"] as? String ?? ""
                    difference["name"] = names[id.lowercased()] ?? id
                    difference["fieldWords"] = values.words("insurance.clearing.field.\(difference["field"] as? String ?? "")",
                                                            context: context)
                    return difference
                }
            }
            clearing["reconciledWords"] = values.words((clearing["reconciled"] as? Bool) == true
                                                       ? "insurance.clearing.reconciled" : "insurance.clearing.unreconciled",
                                                       context: context)
            data["clearing"] = clearing
            data["fileHref"] = "/insurance/clearings/\(InsuranceWebValues.segment(date))/file"
            if let errors { data["errors"] = errors }
            return web.page("insurance-clearing", title: "insurance.clearing.title", data, context: context, status: status)
        }
    }

    /// The names of the clearing's institutions, by lower-case identifier.
    private func institutionNames(_ clearing: [String: Any], context: AppContext) async -> [String: String] {
        var names: [String: String] = [:]
        let ids = (clearing["institutions"] as? [[String: Any]] ?? []).compactMap { $0["institutionId"] as? String }
        for id in Set(ids.map { $0.lowercased() }) {
            if case .ok(_, .map(let fields)) = await web.api.get("institutions/\(id)", context: context),
               case .string(let name)? = fields["name"] {
                names[id] = name
            }
        }
        return names
    }

    /// The clearing file as the API writes it, downloaded under the API's file name.
    @Sendable func download(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        let date = try context.parameters.require("date")
        let result = await web.api.exchange(.get, "insurance/clearings/\(InsuranceWebValues.segment(date))",
                                            query: [("format", "csv")], context: context)
        switch result {
        case .failure(let error):
            throw error
        case .success(let (_, headers, bytes)):
            var fields: HTTPFields = [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store"]
            fields[.contentDisposition] = headers[.contentDisposition] ?? "attachment; filename=\"clearing-\(date).csv\""
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    @Sendable func compare(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        let date = try context.parameters.require("date")
        let form = context.browser.form
        var echo: [String: Any] = [:]
        let answer: WebAPI.Answer
        do {
            var totals: [DocumentValue] = []
            var refusals: [FieldIssue] = []
            for (index, institution) in form.all("institutionId").enumerated() {
                echo["fund-\(index)"] = form["fund-\(index)"] ?? ""
                echo["account-\(index)"] = form["account-\(index)"] ?? ""
                // An institution left blank is not on the statement.
                guard form["fund-\(index)"] != nil || form["account-\(index)"] != nil else { continue }
                var row: [String: DocumentValue] = ["institutionId": .string(institution)]
                for (name, key) in [("fund-\(index)", "fundFen"), ("account-\(index)", "personalAccountFen")] {
                    do {
                        guard let fen = try InsuranceWebValues.fen(form[name], field: name, limitFen: Self.limitFen, allowZero: true,
                                                                   allowNegative: true) else {
                            refusals.append(FieldIssue(field: name, code: "required", message: "Write the figure in yuan."))
                            continue
                        }
                        row[key] = .integer(fen)
                    } catch {
                        refusals += AppError.from(error).details
                    }
                }
                totals.append(.map(row))
            }
            if !refusals.isEmpty {
                throw AppError(.badRequest, code: "invalid_request", message: "The request has invalid fields.", details: refusals)
            }
            answer = await web.api.send(.post, "insurance/clearings/\(InsuranceWebValues.segment(date))/statements",
                                        json: .map(["totals": .list(totals)]), context: context)
        } catch {
            answer = .refused(AppError.from(error))
        }
        let status: HTTPResponse.Status = if case .refused(let error) = answer { error.status } else { .ok }
        return try await clearingPage(date: date, answer: answer, form: echo, context: context, status: status)
    }
}
