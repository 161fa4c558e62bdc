import Foundation
import Hummingbird
import MedLoopDomain

/// The insurer's pages: claims, insured persons, policies, quotas, clearing files, the simulator.
/// Each group of pages is in a file of its own; they share `InsuranceWebValues`.
struct InsurerPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        InsuranceClaimPages(web: web).register(group)
        InsuredPersonPages(web: web).register(group)
        InsurancePolicyPages(web: web).register(group)
        InsuranceQuotaPages(web: web).register(group)
        InsuranceClearingPages(web: web).register(group)
        SettlementSimulatorPages(web: web).register(group)
    }
}

/// What the insurance pages show alike: the insurance catalogue's words for a value, amounts typed
/// in yuan, a refusal whose fields are paths (a policy document's keys), a settlement's figures and
/// sentences, and the region of the signed-in insurer.
struct InsuranceWebValues: Sendable {
    let web: WebKit

    /// The words at `path` in the page's language (`insurance.claimStates.filed`), or `fallback`
    /// (the last part of the path when none is given) when the catalogue has none.
    func words(_ path: String, context: AppContext, fallback: String? = nil) -> String {
        let words = web.renderer.string(path, in: context.language)
        return words == path ? fallback ?? String(path.split(separator: ".").last ?? "") : words
    }

    /// The fen of an amount typed in yuan (`Yuan.fen`), nil when the field was left blank. With
    /// `allowZero` a written zero is 0; with `allowNegative` a leading minus sign is kept (a net
    /// figure of a day with reversals).
    static func fen(_ text: String?, field: String, limitFen: Int64, allowZero: Bool = false,
                    allowNegative: Bool = false) throws(DomainError) -> Int64? {
        guard var text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        var sign: Int64 = 1
        if allowNegative, text.hasPrefix("-") {
            sign = -1
            text.removeFirst()
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        if allowZero, let whole = parts.first, !whole.isEmpty, whole.allSatisfy({ $0 == "0" }),
           parts.count == 1 || (1...2).contains(parts[1].count) && parts[1].allSatisfy({ $0 == "0" }) {
            return 0
        }
        return sign * (try Yuan.fen(text, field: field, limitFen: limitFen))
    }

    /// A refusal as a form shows it (`WebKit.formErrors`), each field's issue in this area's words
    /// (`insurance.fieldError.<code>`) when it has its own: the shared `fieldError` words are
    /// other forms' too.
    func formErrors(_ error: AppError, context: AppContext) -> [String: Any] {
        var errors = web.formErrors(error, context: context)
        var fields = errors["fields"] as? [String: String] ?? [:]
        var seen: Set<String> = []
        for issue in error.details where seen.insert(issue.field).inserted {
            if let words = areaWords(issue.code, context: context) { fields[issue.field] = words }
        }
        errors["fields"] = fields
        return errors
    }

    /// Every field issue of a refusal, in order, as `path` and its words: for forms whose fields are
    /// paths (`schemes.employee.ratioBp.tertiary`) that a template cannot look up by name.
    func issues(_ error: AppError, context: AppContext) -> [[String: String]] {
        error.details.map { issue in
            let path = "fieldError.\(issue.code)"
            let shared = web.renderer.string(path, in: context.language)
            let words = areaWords(issue.code, context: context) ?? (shared == path ? issue.message : shared)
            return ["field": issue.field, "code": issue.code, "message": words]
        }
    }

    private func areaWords(_ code: String, context: AppContext) -> String? {
        let path = "insurance.fieldError.\(code)"
        let words = web.renderer.string(path, in: context.language)
        return words == path ? nil : words
    }

    /// A settlement's figures in the order of INSURANCE.md's table ("What a settlement shows").
    private static let figures = ["totalFen", "fullOwnPayFen", "overLimitFen", "preSelfPayFen", "inScopeFen", "deductibleFen",
                                  "fixedFundFen", "fundFen", "coInsuranceFen", "overCapFen", "selfShareFen", "personalAccountFen", "cashFen"]

    /// A settlement (a simulation, a claim's) with every figure beside its words and its national
    /// field name, its reason, and each sentence in the page's language.
    func settlement(_ value: DocumentValue, context: AppContext) -> [String: Any] {
        var settlement = web.values(value, context: context) as? [String: Any] ?? [:]
        settlement["sentences"] = (settlement["explanation"] as? [[String: Any]] ?? []).map { sentence in
            context.language == .english ? sentence["en"] ?? "" : sentence["zh"] ?? ""
        }
        if let reason = settlement["notCoveredReason"] as? String {
            settlement["reasonWords"] = words("insurance.notCovered.\(reason)", context: context, fallback: reason)
        }
        if let level = settlement["level"] as? String {
            settlement["levelWords"] = words("insurance.level.\(level)", context: context)
        }
        if let scheme = settlement["scheme"] as? String {
            settlement["schemeWords"] = words("insurance.scheme.\(scheme)", context: context)
        }
        if let ratio = settlement["ratioBp"] as? Int64 { settlement["ratioText"] = Yuan.percent(Int(ratio)) }
        settlement["figures"] = Self.figures.map { name in
            var figure: [String: Any] = ["name": name, "label": words("insurance.figure.\(name)", context: context),
                                         "yuan": settlement[String(name.dropLast(3)) + "Yuan"] ?? ""]
            figure["national"] = Settlement.nationalFieldNames.first { $0.key == name }?.value
            return figure
        }
        let lines = settlement["lines"] as? [[String: Any]] ?? []
        settlement["hasLines"] = !lines.isEmpty
        settlement["lines"] = lines.map { line in
            var line = line
            let kind = line["kind"] as? String ?? ""
            let drugClass = line["drugClass"] as? String
            line["kindWords"] = drugClass.map { words("insurance.drugClass.\($0)", context: context, fallback: $0) }
                ?? words("insurance.lineKind.\(kind)", context: context, fallback: kind)
            return line
        }
        return settlement
    }

    /// The region code of the signed-in insurer's institution (`330800`).
    func insurerRegion(context: AppContext) async throws -> String {
        let me = try web.object(await web.api.get("me", context: context), context: context)
        guard let institution = me["institutionId"] as? String else { throw AppError.notFound("institution") }
        let found = try web.object(await web.api.get("institutions/\(institution)", context: context), context: context)
        guard let region = found["regionCode"] as? String else { throw AppError.notFound("institution") }
        return region
    }

    /// A query parameter of a page, trimmed; nil when absent or blank.
    static func query(_ request: Request, _ name: String) -> String? {
        guard let value = request.uri.queryParameters[Substring(name)]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            return nil
        }
        return value
    }

    /// A path of a list page with its query (the filters and the next cursor).
    static func link(_ path: String, _ query: [(String, String)]) -> String {
        var components = URLComponents()
        components.path = path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        return components.string ?? path
    }

    /// A value for a path segment of an API call (a month or a date typed in a form).
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_"))) ?? ""
    }
}
