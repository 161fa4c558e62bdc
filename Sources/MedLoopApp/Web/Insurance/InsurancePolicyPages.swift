import Foundation
import Hummingbird
import MedLoopDomain

/// A region's policy versions: the list, one version's terms in words and its document, adding a
/// version and superseding one with a YAML document; a refused document is shown with each bad
/// key's path beside its words. Insurers see and change their own region; regulators and
/// operators read the region they name.
struct InsurancePolicyPages: Sendable {
    let web: WebKit
    private var values: InsuranceWebValues { InsuranceWebValues(web: web) }

    func register(_ group: RouterGroup<AppContext>) {
        group.get("insurance/policies", use: list)
        group.get("insurance/policies/:region/:version", use: show)
        group.post("insurance/policies", use: add)
        group.post("insurance/policies/:region/:version/supersede", use: supersede)
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        try await listPage(region: InsuranceWebValues.query(request, "region"), form: nil, context: context)
    }

    private func listPage(region named: String?, form: [String: Any]?, context: AppContext,
                          status: HTTPResponse.Status = .ok) async throws -> Response {
        let caller = try context.requireSignedIn(.insurer, .regulator, .operator)
        let isInsurer = caller.role == .insurer
        let region = isInsurer ? try await values.insurerRegion(context: context) : named
        var data: [String: Any] = ["isInsurer": isInsurer, "region": region ?? ""]
        if let region {
            let page = try web.object(await web.api.get("insurance/policies", query: isInsurer ? [] : [("region", region)],
                                                        context: context), context: context)
            data["policies"] = (page["items"] as? [[String: Any]] ?? []).map { described($0, context: context) }
            data["listed"] = true
        }
        if isInsurer {
            var add = form ?? ["document": ""]
            add["action"] = "/insurance/policies"
            data["add"] = add
        }
        return web.page("insurance-policies", title: "insurance.policies.title", data, context: context, status: status)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await versionPage(region: context.parameters.require("region"), version: context.parameters.require("version"),
                              form: nil, context: context)
    }

    private func versionPage(region: String, version: String, form: [String: Any]?, context: AppContext,
                             status: HTTPResponse.Status = .ok) async throws -> Response {
        let caller = try context.requireSignedIn(.insurer, .regulator, .operator)
        let answer = await web.api.get("insurance/policies/\(InsuranceWebValues.segment(region))/\(InsuranceWebValues.segment(version))",
                                       context: context)
        let document = try web.require(answer)
        let text = InsurancePolicyDocument(document: document).yaml
        let policy = described(web.values(document, context: context) as? [String: Any] ?? [:], context: context)
        var data: [String: Any] = ["policy": policy, "yaml": text]
        if caller.role == .insurer {
            var supersede = form ?? ["document": text]
            supersede["action"] = (policy["href"] as? String ?? "") + "/supersede"
            supersede["isSupersede"] = true
            data["supersede"] = supersede
        }
        return web.page("insurance-policy", title: "insurance.policy.title", data, context: context, status: status)
    }

    @Sendable func add(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        let yaml = context.browser.form.all("document").first ?? ""
        switch await store(yaml, path: "insurance/policies", context: context) {
        case .refused(let error):
            return try await listPage(region: nil, form: refused(error, yaml: yaml, context: context), context: context,
                                      status: error.status)
        case .ok(_, let created):
            return web.redirect(href(created))
        }
    }

    @Sendable func supersede(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        let region = try context.parameters.require("region")
        let version = try context.parameters.require("version")
        let yaml = context.browser.form.all("document").first ?? ""
        let path = "insurance/policies/\(InsuranceWebValues.segment(region))/\(InsuranceWebValues.segment(version))/supersede"
        switch await store(yaml, path: path, context: context) {
        case .refused(let error):
            return try await versionPage(region: region, version: version, form: refused(error, yaml: yaml, context: context),
                                         context: context, status: error.status)
        case .ok(_, let created):
            return web.redirect(href(created))
        }
    }

    /// Posts a YAML document as it was typed.
    private func store(_ yaml: String, path: String, context: AppContext) async -> WebAPI.Answer {
        await web.api.call(.post, path, query: [], body: Data(yaml.utf8), contentType: "application/yaml", context: context)
    }

    /// A refused document's form: the text as typed, the message, and each issue with its path.
    private func refused(_ error: AppError, yaml: String, context: AppContext) -> [String: Any] {
        let message = values.formErrors(error, context: context)["message"] ?? ""
        let issues = values.issues(error, context: context)
        return ["document": yaml, "errors": ["message": message, "issues": issues, "hasIssues": !issues.isEmpty]]
    }

    /// A version's page, from the document the API answered.
    private func href(_ document: DocumentValue) -> String {
        guard case .map(let fields) = document, case .string(let region)? = fields["region"],
              case .string(let version)? = fields["version"] else { return "/insurance/policies" }
        return "/insurance/policies/\(InsuranceWebValues.segment(region))/\(InsuranceWebValues.segment(version))"
    }

    /// A version as the list and its page show it: its terms in words and its link.
    private func described(_ policy: [String: Any], context: AppContext) -> [String: Any] {
        var terms = InsurancePolicyDocument.terms(policy, words: { values.words($0, context: context) },
                                                     language: context.language)
        let region = policy["region"] as? String ?? ""
        let version = policy["version"] as? String ?? ""
        terms["href"] = "/insurance/policies/\(InsuranceWebValues.segment(region))/\(InsuranceWebValues.segment(version))"
        return terms
    }
}
