import Foundation
import Hummingbird
import MedLoopDomain

/// The operator's pages: institutions (the list by kind and region, registering one, changing its
/// name, its two regulatory flags and the platform's commission rate on its fees) and, in
/// `OperatorAccountPages`, staff accounts.
struct OperatorPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("institutions", use: list)
        group.post("institutions", use: create)
        group.get("institutions/:id", use: show)
        group.post("institutions/:id", use: update)
        OperatorAccountPages(web: web).register(group)
    }

    static let kinds = ["physicalHospital", "internetHospital", "platformInternetHospital", "pharmacy", "insurer", "regulator"]
    static let levels = ["tertiary", "secondary", "primary"]

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        try await listPage(request.uri.queryParameters, form: nil, errors: nil, context: context)
    }

    private func listPage(_ parameters: Parameters, form: [String: Any]?, errors: [String: Any]?,
                          context: AppContext, status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.operator)
        var filter: [String: String] = [:]
        var query: [(String, String)] = [("limit", "50")]
        for name in ["kind", "region"] {
            if let value = parameters[Substring(name)].map(String.init), !value.isEmpty {
                filter[name] = value
                query.append((name, value))
            }
        }
        var data: [String: Any] = [:]
        if let cursor = parameters["cursor"].map(String.init), !cursor.isEmpty { query.append(("cursor", cursor)) }
        switch await web.api.get("institutions", query: query, context: context) {
        case .refused(let error):
            data["filterErrors"] = Self.formErrors(error, web: web, context: context)
        case .ok(_, let body):
            let page = web.values(body, context: context) as? [String: Any] ?? [:]
            data["institutions"] = (page["items"] as? [[String: Any]] ?? []).map { described($0, context: context) }
            if let next = page["nextCursor"] as? String {
                var components = URLComponents()
                components.path = "/institutions"
                components.queryItems = filter.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
                    + [URLQueryItem(name: "cursor", value: next)]
                data["nextPage"] = components.string ?? "/institutions"
            }
            data["listed"] = true
        }
        data["filter"] = ["region": filter["region"] ?? "",
                          "kinds": choices(Self.kinds, selected: filter["kind"], group: "operator.kind", context: context)]
        var add = form ?? [:]
        add["kinds"] = choices(Self.kinds, selected: add["kind"] as? String, group: "operator.kind", context: context)
        add["levels"] = choices(Self.levels, selected: add["level"] as? String, group: "operator.level", context: context)
        let hospitals = try web.object(await web.api.get("institutions", query: [("kind", "physicalHospital"), ("limit", "100")],
                                                         context: context), context: context)
        add["hospitals"] = (hospitals["items"] as? [[String: Any]] ?? []).map { hospital in
            ["id": hospital["id"] ?? "", "name": hospital["name"] ?? "",
             "selected": (hospital["id"] as? String)?.lowercased() == (add["physicalHospitalId"] as? String)?.lowercased()] as [String: Any]
        }
        data["add"] = add
        if let errors { data["errors"] = errors }
        return web.page("operator-institutions", title: "operator.institutions.title", data, context: context, status: status)
    }

    @Sendable func create(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.operator)
        let form = context.browser.form
        var body: [String: DocumentValue] = [
            "kind": .string(form["kind"] ?? ""), "name": .string(form["name"] ?? ""), "regionCode": .string(form["regionCode"] ?? ""),
            "insuranceDesignated": .bool(form["insuranceDesignated"] != nil),
            "internetHospitalLicensed": .bool(form["internetHospitalLicensed"] != nil),
        ]
        if let level = form["level"] { body["level"] = .string(level) }
        if let hospital = form["physicalHospitalId"] { body["physicalHospitalId"] = .string(hospital) }
        switch await web.api.send(.post, "institutions", json: .map(body), context: context) {
        case .refused(let error):
            var echo: [String: Any] = [:]
            for name in ["kind", "name", "regionCode", "level", "physicalHospitalId"] { echo[name] = form[name] ?? "" }
            echo["insuranceDesignated"] = form["insuranceDesignated"] != nil
            echo["internetHospitalLicensed"] = form["internetHospitalLicensed"] != nil
            return try await listPage(request.uri.queryParameters, form: echo, errors: Self.formErrors(error, web: web, context: context),
                                      context: context, status: error.status)
        case .ok(_, let created):
            guard case .map(let fields) = created, case .string(let id)? = fields["id"] else { throw AppError.notFound("institution") }
            return web.redirect("/institutions/\(id)")
        }
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await institutionPage(context.parameters.require("id"), form: nil, errors: nil, context: context)
    }

    private func institutionPage(_ id: String, form: [String: Any]?, errors: [String: Any]?, context: AppContext,
                                 status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.operator)
        let institution = described(try web.object(await web.api.get("institutions/\(id)", context: context), context: context),
                                    context: context)
        var data: [String: Any] = ["institution": institution]
        if let hospital = institution["physicalHospitalId"] as? String,
           case .ok(_, .map(let fields)) = await web.api.get("institutions/\(hospital)", context: context),
           case .string(let name)? = fields["name"] {
            data["hospitalName"] = name
        }
        data["edit"] = form ?? [
            "name": institution["name"] ?? "", "insuranceDesignated": institution["insuranceDesignated"] ?? false,
            "internetHospitalLicensed": institution["internetHospitalLicensed"] ?? false,
            "commissionRate": institution["commissionText"] ?? "",
        ]
        if let errors { data["errors"] = errors }
        return web.page("operator-institution", title: "operator.institution.title", data, context: context, status: status)
    }

    @Sendable func update(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.operator)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        var body: [String: DocumentValue] = [
            "name": .string(form["name"] ?? ""), "insuranceDesignated": .bool(form["insuranceDesignated"] != nil),
            "internetHospitalLicensed": .bool(form["internetHospitalLicensed"] != nil),
        ]
        let answer: WebAPI.Answer
        do {
            if let rate = try Self.basisPoints(percent: form["commissionRate"], field: "commissionRateBasisPoints") {
                body["commissionRateBasisPoints"] = .integer(Int64(rate))
            }
            answer = await web.api.send(.patch, "institutions/\(id)", json: .map(body), context: context)
        } catch {
            answer = .refused(AppError.from(error))
        }
        if case .refused(let error) = answer {
            let echo: [String: Any] = ["name": form["name"] ?? "", "insuranceDesignated": form["insuranceDesignated"] != nil,
                                       "internetHospitalLicensed": form["internetHospitalLicensed"] != nil,
                                       "commissionRate": form["commissionRate"] ?? ""]
            return try await institutionPage(id, form: echo, errors: Self.formErrors(error, web: web, context: context), context: context,
                                             status: error.status)
        }
        return web.redirect("/institutions/\(id)")
    }

    /// A percentage typed in the form (`10`, `12.5`, `12.50`) in basis points; nil when blank.
    /// Whether the rate is allowed is the API's to say.
    static func basisPoints(percent text: String?, field: String) throws -> Int? {
        guard let text = text?.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%", with: ""), !text.isEmpty else {
            return nil
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, (1...5).contains(whole.count), whole.allSatisfy({ $0.isASCII && $0.isNumber }),
              parts.count == 1 || (1...2).contains(parts[1].count) && parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
              let percent = Int(whole) else {
            throw AppError.invalid(field, code: "format", "Write a percentage, like 10 or 12.5.")
        }
        let decimals = parts.count == 2 ? String(parts[1]).padding(toLength: 2, withPad: "0", startingAt: 0) : "00"
        return percent * 100 + (Int(decimals) ?? 0)
    }

    /// An institution with the words of its kind and level and its commission as a percentage.
    private func described(_ institution: [String: Any], context: AppContext) -> [String: Any] {
        var institution = institution
        let language = context.language
        if let kind = institution["kind"] as? String { institution["kindWords"] = web.renderer.string("operator.kind.\(kind)", in: language) }
        if let level = institution["level"] as? String {
            institution["levelWords"] = web.renderer.string("operator.level.\(level)", in: language)
        }
        if let rate = institution["commissionRateBasisPoints"] as? Int64 {
            institution["commissionPercent"] = Yuan.percent(Int(rate))
            institution["commissionText"] = String(Yuan.percent(Int(rate)).dropLast())
        }
        return institution
    }

    /// A refusal as a form shows it (`WebKit.formErrors`), each field's issue in the operator's
    /// words (`operator.fieldError.<code>`) when they have their own.
    static func formErrors(_ error: AppError, web: WebKit, context: AppContext) -> [String: Any] {
        var errors = web.formErrors(error, context: context)
        var fields = errors["fields"] as? [String: String] ?? [:]
        var seen: Set<String> = []
        for issue in error.details where seen.insert(issue.field).inserted {
            let path = "operator.fieldError.\(issue.code)"
            let words = web.renderer.string(path, in: context.language)
            if words != path { fields[issue.field] = words }
        }
        errors["fields"] = fields
        return errors
    }

    /// The options of a select: each value with its words, the chosen one marked.
    func choices(_ values: [String], selected: String?, group: String, context: AppContext) -> [[String: Any]] {
        values.map { value in
            ["value": value, "label": web.renderer.string("\(group).\(value)", in: context.language), "selected": value == selected]
        }
    }
}
