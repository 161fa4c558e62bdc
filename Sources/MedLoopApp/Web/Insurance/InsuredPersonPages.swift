import Foundation
import Hummingbird
import MedLoopDomain

/// The insurer's registry of insured persons: the list, adding (or updating) one person, importing
/// a registry file pasted as CSV with the report of every refused row, and issuing an e-voucher
/// to hand to a person.
struct InsuredPersonPages: Sendable {
    let web: WebKit
    private var values: InsuranceWebValues { InsuranceWebValues(web: web) }

    func register(_ group: RouterGroup<AppContext>) {
        group.get("insurance/persons", use: list)
        group.post("insurance/persons", use: add)
        group.post("insurance/persons/import", use: importList)
        group.post("insurance/persons/:id/vouchers", use: issueVoucher)
    }

    /// The most a personal account holds that the form passes on; the API holds the real limit.
    private static let accountLimitFen: Int64 = 1_000_000_000
    /// What the import field shows before anything is pasted: the header the API reads.
    private static let header = "nationalId,scheme,insuredNumber,status,personalAccountFen"

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        var extra: [String: Any] = [:]
        // After adding: the person as saved, above the list.
        if let saved = InsuranceWebValues.query(request, "saved"),
           case .ok(_, let person) = await web.api.get("insurance/insured-persons/\(InsuranceWebValues.segment(saved))", context: context) {
            extra["saved"] = described(web.values(person, context: context) as? [String: Any] ?? [:], context: context)
        }
        return try await listPage(InsuranceWebValues.query(request, "cursor"), extra: extra, context: context)
    }

    /// The list with `extra` (a form's values and errors, an import's report).
    private func listPage(_ cursor: String?, extra: [String: Any], context: AppContext,
                          status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        var query: [(String, String)] = [("limit", "50")]
        if let cursor { query.append(("cursor", cursor)) }
        let page = try web.object(await web.api.get("insurance/insured-persons", query: query, context: context), context: context)
        var data: [String: Any] = [
            "persons": (page["items"] as? [[String: Any]] ?? []).map { described($0, context: context) },
            "add": ["schemeIs": ["employee": true], "statusIs": ["active": true]],
            "import": ["csv": Self.header],
        ]
        if let next = page["nextCursor"] as? String {
            data["nextPage"] = InsuranceWebValues.link("/insurance/persons", [("cursor", next)])
        }
        data.merge(extra) { _, new in new }
        return web.page("insurance-persons", title: "insurance.persons.title", data, context: context, status: status)
    }

    @Sendable func add(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        let form = context.browser.form
        var body: [String: DocumentValue] = [
            "nationalId": .string(form["nationalId"] ?? ""), "scheme": .string(form["scheme"] ?? ""),
            "insuredNumber": .string(form["insuredNumber"] ?? ""), "status": .string(form["status"] ?? "active"),
        ]
        let answer: WebAPI.Answer
        do {
            if let fen = try InsuranceWebValues.fen(form["personalAccount"], field: "personalAccountFen",
                                                    limitFen: Self.accountLimitFen, allowZero: true) {
                body["personalAccountFen"] = .integer(fen)
            }
            answer = await web.api.send(.post, "insurance/insured-persons", json: .map(body), context: context)
        } catch {
            answer = .refused(AppError.from(error))
        }
        switch answer {
        case .refused(let error):
            var echo: [String: Any] = [:]
            for name in ["nationalId", "insuredNumber", "personalAccount"] { echo[name] = form[name] ?? "" }
            echo["schemeIs"] = [form["scheme"] ?? "": true]
            echo["statusIs"] = [form["status"] ?? "active": true]
            return try await listPage(nil, extra: ["add": echo, "addErrors": values.formErrors(error, context: context)],
                                      context: context, status: error.status)
        case .ok(_, let person):
            guard case .map(let fields) = person, case .string(let id)? = fields["id"] else { throw AppError.notFound("insured_person") }
            return web.redirect(InsuranceWebValues.link("/insurance/persons", [("saved", id)]))
        }
    }

    @Sendable func importList(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        // The pasted text as it was typed: a CSV file's blank lines and spaces are its own.
        let csv = context.browser.form.all("csv").first ?? ""
        let answer = await web.api.call(.post, "insurance/insured-persons/import", query: [], body: Data(csv.utf8),
                                        contentType: "text/csv", context: context)
        switch answer {
        case .refused(let error):
            return try await listPage(nil, extra: ["import": ["csv": csv], "importErrors": values.formErrors(error, context: context)],
                                      context: context, status: error.status)
        case .ok(_, let value):
            var report = web.values(value, context: context) as? [String: Any] ?? [:]
            let refused = report["refused"] as? [[String: Any]] ?? []
            report["hasRefused"] = !refused.isEmpty
            report["refused"] = refused.map { row in
                var row = row
                let code = row["code"] as? String ?? ""
                row["words"] = values.words("insurance.importRefusals.\(code)", context: context, fallback: code)
                return row
            }
            return try await listPage(nil, extra: ["import": ["csv": csv], "report": report], context: context)
        }
    }

    /// Issues a voucher and shows it once: it is valid for minutes, so the page is not a redirect
    /// to something that could be shown again.
    @Sendable func issueVoucher(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        let id = try context.parameters.require("id")
        let person = try web.object(await web.api.get("insurance/insured-persons/\(id)", context: context), context: context)
        let voucher = try web.object(await web.api.send(.post, "insurance/insured-persons/\(id)/vouchers", json: nil, context: context),
                                     context: context)
        return web.page("insurance-voucher", title: "insurance.voucher.title",
                        ["person": described(person, context: context), "voucher": voucher], context: context)
    }

    /// A person with the words of their scheme and status.
    private func described(_ person: [String: Any], context: AppContext) -> [String: Any] {
        var person = person
        if let scheme = person["scheme"] as? String {
            person["schemeWords"] = values.words("insurance.scheme.\(scheme)", context: context)
        }
        if let status = person["status"] as? String {
            person["statusWords"] = values.words("insurance.personStatus.\(status)", context: context)
        }
        return person
    }
}
