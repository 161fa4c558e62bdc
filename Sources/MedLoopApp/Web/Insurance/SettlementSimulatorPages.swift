import Foundation
import Hummingbird
import MedLoopDomain

/// The settlement simulator (INSURANCE.md, "Simulation"): a bill's lines, the scheme, the level,
/// the year to date and the personal account, settled under a stored policy version or a YAML
/// document typed in, without side effects; every figure of the settlement is shown with its
/// national field name, the lines' four columns and the explanation in the page's language.
struct SettlementSimulatorPages: Sendable {
    let web: WebKit
    private var values: InsuranceWebValues { InsuranceWebValues(web: web) }

    func register(_ group: RouterGroup<AppContext>) {
        group.get("insurance/simulator", use: show)
        group.post("insurance/simulator", use: simulate)
    }

    /// The rows of the bill's form; an empty row is left out.
    private static let rows = 4
    /// The largest amount a row passes on (1 million yuan).
    private static let limitFen: Int64 = 100_000_000
    /// What the form shows first: the worked example of INSURANCE.md, "Simulation".
    private static let example: [String: String] = [
        "scheme": "employee", "kind": "internetHospital", "level": "tertiary", "condition": "I10",
        "deductibleUsed": "0", "fundPaid": "0", "balance": "0",
        "line-0-kind": "consultation", "line-0-amount": "20.00",
        "line-1-kind": "drug", "line-1-class": "B", "line-1-amount": "32.00", "line-1-reference": "32.00",
        "line-2-kind": "delivery", "line-2-amount": "6.00",
    ]

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await simulatorPage(Self.example, result: nil, error: nil, rowOfLine: [], context: context)
    }

    private func simulatorPage(_ form: [String: String], result: DocumentValue?, error: AppError?, rowOfLine: [Int],
                               context: AppContext, status: HTTPResponse.Status = .ok) async throws -> Response {
        let caller = try context.requireSignedIn(.insurer, .regulator, .operator)
        var fields: [String: String] = [:]
        var documentIssues: [[String: String]] = []
        var data: [String: Any] = [:]
        if let error {
            // The API names a bill's line by its place among the lines sent; the form, by its row.
            for issue in values.issues(error, context: context) {
                let path = issue["field"] ?? ""
                if let name = formField(path, rowOfLine: rowOfLine) {
                    fields[name] = fields[name] ?? issue["message"]
                } else {
                    documentIssues.append(issue)
                }
            }
            data["errors"] = ["message": values.formErrors(error, context: context)["message"] ?? "", "fields": fields,
                              "issues": documentIssues, "hasIssues": !documentIssues.isEmpty]
        }
        var echo: [String: Any] = form
        for name in ["scheme", "kind", "level"] { echo[name + "Is"] = [form[name] ?? "": true] }
        echo["rows"] = (0..<Self.rows).map { row in
            var line: [String: Any] = ["index": row, "number": row + 1]
            for part in ["kind", "class", "amount", "reference"] {
                line[part] = form["line-\(row)-\(part)"] ?? ""
                line[part + "Error"] = fields["line-\(row)-\(part)"]
            }
            line["kindIs"] = [form["line-\(row)-kind"] ?? "": true]
            line["classIs"] = [form["line-\(row)-class"] ?? "": true]
            return line
        }
        if caller.role == .insurer {
            let region = try await values.insurerRegion(context: context)
            let page = try web.object(await web.api.get("insurance/policies", context: context), context: context)
            echo["policyRegion"] = region
            echo["versions"] = (page["items"] as? [[String: Any]] ?? []).map { policy in
                let version = policy["version"] as? String ?? ""
                let name = policy["name"] as? [String: Any] ?? [:]
                return ["version": version, "selected": version == form["policyVersion"],
                        "title": (context.language == .english ? name["en"] : name["zh"]) ?? ""] as [String: Any]
            }
        }
        data["isInsurer"] = caller.role == .insurer
        data["form"] = echo
        if let result {
            data["result"] = values.settlement(result, context: context)
        }
        return web.page("insurance-simulator", title: "insurance.simulator.title", data, context: context, status: status)
    }

    /// The form field an API path names (`lines[1].amountFen` of the second line sent), or nil
    /// for a path of the policy document.
    private func formField(_ path: String, rowOfLine: [Int]) -> String? {
        switch path {
        case "scheme": return "scheme"
        case "institution.kind", "institution": return "kind"
        case "institution.level": return "level"
        case "conditionIcd10": return "condition"
        case "policyVersion.region", "policyVersion.version", "policyVersion": return "policyVersion"
        case "yearToDate.deductibleUsedFen", "deductibleUsed": return "deductibleUsed"
        case "yearToDate.fundPaidFen", "fundPaid": return "fundPaid"
        case "personalAccountBalanceFen", "balance": return "balance"
        case "lines": return "line-0-kind"
        default: break
        }
        if path.hasPrefix("line-") { return path }
        guard path.hasPrefix("lines["), let close = path.firstIndex(of: "]"),
              let sent = Int(path[path.index(path.startIndex, offsetBy: 6)..<close]) else { return nil }
        let row = sent < rowOfLine.count ? rowOfLine[sent] : sent
        let part: String = switch path[path.index(after: close)...] {
        case ".drugClass": "class"
        case ".referenceFen": "reference"
        case ".amountFen": "amount"
        default: "kind"
        }
        return "line-\(row)-\(part)"
    }

    @Sendable func simulate(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try context.requireSignedIn(.insurer, .regulator, .operator)
        let form = context.browser.form
        var echo: [String: String] = [:]
        for name in ["scheme", "kind", "level", "condition", "deductibleUsed", "fundPaid", "balance", "policyRegion", "policyVersion"] {
            echo[name] = form[name] ?? ""
        }
        echo["document"] = form.all("document").first ?? ""
        for row in 0..<Self.rows {
            for part in ["kind", "class", "amount", "reference"] { echo["line-\(row)-\(part)"] = form["line-\(row)-\(part)"] ?? "" }
        }
        var rowOfLine: [Int] = []
        let answer: WebAPI.Answer
        do {
            var body = try simulation(form, rowOfLine: &rowOfLine)
            if let yaml = form["document"] {
                body["policy"] = try DocumentValue.yaml(yaml)
            } else {
                let region = caller.role == .insurer ? try await values.insurerRegion(context: context) : form["policyRegion"] ?? ""
                body["policyVersion"] = .map(["region": .string(region), "version": .string(form["policyVersion"] ?? "")])
            }
            answer = await web.api.send(.post, "insurance/simulations", json: .map(body), context: context)
        } catch {
            answer = .refused(AppError.from(error))
        }
        switch answer {
        case .refused(let error):
            return try await simulatorPage(echo, result: nil, error: error, rowOfLine: rowOfLine, context: context, status: error.status)
        case .ok(_, let result):
            return try await simulatorPage(echo, result: result, error: nil, rowOfLine: rowOfLine, context: context)
        }
    }

    /// The simulation's body but the policy, from the form; amounts typed in yuan. Every amount
    /// that is not one is reported at once, beside its field.
    private func simulation(_ form: WebForm, rowOfLine: inout [Int]) throws -> [String: DocumentValue] {
        var issues: [FieldIssue] = []
        func fen(_ name: String, allowZero: Bool = true) -> Int64? {
            do {
                return try InsuranceWebValues.fen(form[name], field: name, limitFen: Self.limitFen, allowZero: allowZero)
            } catch {
                issues += AppError.from(error).details
                return nil
            }
        }
        var institution: [String: DocumentValue] = ["kind": .string(form["kind"] ?? "")]
        if let level = form["level"] { institution["level"] = .string(level) }
        var body: [String: DocumentValue] = [
            "scheme": .string(form["scheme"] ?? ""), "institution": .map(institution),
            "yearToDate": .map(["deductibleUsedFen": .integer(fen("deductibleUsed") ?? 0), "fundPaidFen": .integer(fen("fundPaid") ?? 0)]),
            "personalAccountBalanceFen": .integer(fen("balance") ?? 0),
        ]
        if let condition = form["condition"] { body["conditionIcd10"] = .string(condition) }
        var lines: [DocumentValue] = []
        for row in 0..<Self.rows {
            guard let kind = form["line-\(row)-kind"] else { continue }
            var line: [String: DocumentValue] = ["kind": .string(kind)]
            guard let amount = fen("line-\(row)-amount") else {
                if form["line-\(row)-amount"] == nil {
                    issues.append(FieldIssue(field: "line-\(row)-amount", code: "required", message: "Write the amount in yuan."))
                }
                continue
            }
            line["amountFen"] = .integer(amount)
            if kind == "drug" {
                if let drugClass = form["line-\(row)-class"] { line["drugClass"] = .string(drugClass) }
                if let reference = fen("line-\(row)-reference") { line["referenceFen"] = .integer(reference) }
            }
            rowOfLine.append(row)
            lines.append(.map(line))
        }
        body["lines"] = .list(lines)
        if !issues.isEmpty {
            throw AppError(.badRequest, code: "invalid_request", message: "The request has invalid fields.", details: issues)
        }
        return body
    }
}
