import Foundation
import Hummingbird
import MedLoopDomain

/// Staff accounts, for the operator: the list by role and institution, and creating an account
/// for a role at an institution (API.md: staff accounts are created by an operator).
struct OperatorAccountPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("accounts", use: list)
        group.post("accounts", use: create)
    }

    /// Every role but the patient's: patients sign themselves up.
    static let roles = ["doctor", "pharmacist", "pharmacyStaff", "courier", "insurer", "regulator", "operator"]

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        try await listPage(request.uri.queryParameters, form: nil, errors: nil, context: context)
    }

    private func listPage(_ parameters: Parameters, form: [String: Any]?, errors: [String: Any]?,
                          context: AppContext, status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.operator)
        let institutions = try web.object(await web.api.get("institutions", query: [("limit", "100")], context: context),
                                          context: context)["items"] as? [[String: Any]] ?? []
        var names: [String: String] = [:]
        for institution in institutions {
            if let id = institution["id"] as? String { names[id.lowercased()] = institution["name"] as? String }
        }
        var filter: [String: String] = [:]
        var query: [(String, String)] = [("limit", "50")]
        for name in ["role", "institutionId"] {
            if let value = parameters[Substring(name)].map(String.init), !value.isEmpty {
                filter[name] = value
                query.append((name, value))
            }
        }
        if let cursor = parameters["cursor"].map(String.init), !cursor.isEmpty { query.append(("cursor", cursor)) }
        let page = try web.object(await web.api.get("accounts", query: query, context: context), context: context)
        var data: [String: Any] = [
            "accounts": (page["items"] as? [[String: Any]] ?? []).map { described($0, names: names, context: context) },
        ]
        if let next = page["nextCursor"] as? String {
            var components = URLComponents()
            components.path = "/accounts"
            components.queryItems = filter.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
                + [URLQueryItem(name: "cursor", value: next)]
            data["nextPage"] = components.string ?? "/accounts"
        }
        if let created = parameters["created"].map(String.init).flatMap(UUID.init(uuidString:)),
           case .ok(_, let account) = await web.api.get("accounts/\(created.uuidString)", context: context) {
            data["created"] = described(web.values(account, context: context) as? [String: Any] ?? [:], names: names, context: context)
        }
        data["filter"] = ["roles": roleChoices(selected: filter["role"], context: context),
                          "institutions": institutionChoices(institutions, selected: filter["institutionId"])]
        var add = form ?? [:]
        add["roles"] = roleChoices(selected: add["role"] as? String, context: context)
        add["institutions"] = institutionChoices(institutions, selected: add["institutionId"] as? String)
        data["add"] = add
        if let errors { data["errors"] = errors }
        return web.page("operator-accounts", title: "operator.accounts.title", data, context: context, status: status)
    }

    @Sendable func create(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.operator)
        let form = context.browser.form
        var body: [String: DocumentValue] = [
            "role": .string(form["role"] ?? ""), "phone": .string(form["phone"] ?? ""),
            // A password is taken as typed: its spaces are part of it.
            "password": .string(form.all("password").first ?? ""), "displayName": .string(form["displayName"] ?? ""),
        ]
        if let institution = form["institutionId"] { body["institutionId"] = .string(institution) }
        switch await web.api.send(.post, "accounts", json: .map(body), context: context) {
        case .refused(let error):
            var echo: [String: Any] = [:]
            for name in ["role", "phone", "displayName", "institutionId"] { echo[name] = form[name] ?? "" }
            return try await listPage(Parameters(), form: echo, errors: OperatorPages.formErrors(error, web: web, context: context), context: context,
                                      status: error.status)
        case .ok(_, let created):
            guard case .map(let fields) = created, case .string(let id)? = fields["id"] else { throw AppError.notFound("account") }
            return web.redirect("/accounts?created=\(id)")
        }
    }

    /// An account with its role's words and its institution's name.
    private func described(_ account: [String: Any], names: [String: String], context: AppContext) -> [String: Any] {
        var account = account
        if let role = account["role"] as? String { account["roleWords"] = web.renderer.string("role.\(role)", in: context.language) }
        if let status = account["status"] as? String {
            account["statusWords"] = web.renderer.string("operator.accountStatus.\(status)", in: context.language)
        }
        if let institution = account["institutionId"] as? String {
            account["institutionName"] = names[institution.lowercased()] ?? institution
        }
        return account
    }

    private func roleChoices(selected: String?, context: AppContext) -> [[String: Any]] {
        Self.roles.map { role in
            ["value": role, "label": web.renderer.string("role.\(role)", in: context.language), "selected": role == selected]
        }
    }

    private func institutionChoices(_ institutions: [[String: Any]], selected: String?) -> [[String: Any]] {
        institutions.map { institution in
            ["value": institution["id"] ?? "", "label": institution["name"] ?? "",
             "selected": (institution["id"] as? String)?.lowercased() == selected?.lowercased()]
        }
    }
}
