import Foundation
import Hummingbird
import MedLoopDomain

/// What the pharmacist's, the pharmacy's and the courier's pages show alike: drug names in the
/// page's language, a medicine order's lines with their drugs, its delivery updates with their
/// times.
struct PharmacyWebValues: Sendable {
    let web: WebKit

    /// The catalogue's drug (`drugs/{id}`) as a template sees it, with `name` in the page's language.
    func drug(_ id: String, context: AppContext) async -> [String: Any]? {
        guard case .ok(_, let value) = await web.api.get("drugs/\(id)", context: context),
              var drug = web.values(value, context: context) as? [String: Any] else { return nil }
        drug["name"] = Self.name(drug, context: context)
        return drug
    }

    /// The generic name of a drug or prescription item in the page's language (Chinese when the
    /// English one is missing).
    static func name(_ item: [String: Any], context: AppContext) -> String {
        let chinese = item["genericNameZh"] as? String ?? ""
        guard context.language == .english, let english = item["genericNameEn"] as? String, !english.isEmpty else { return chinese }
        return english
    }

    /// A medicine order's values with each line's `drug`, the number of packages, and `hasUpdates`
    /// when it has a delivery update (whose `atText` the renderer gives).
    func order(_ order: [String: Any], context: AppContext) async -> [String: Any] {
        var order = order
        var lines: [[String: Any]] = []
        var packages = 0
        for var line in order["lines"] as? [[String: Any]] ?? [] {
            if let id = line["drugId"] as? String { line["drug"] = await drug(id, context: context) }
            packages += max(0, Int(line["quantity"] as? Int64 ?? 0))
            lines.append(line)
        }
        order["lines"] = lines
        order["packages"] = packages
        order["shortId"] = Self.shortId(order["id"])
        order["hasUpdates"] = !(order["deliveryUpdates"] as? [Any] ?? []).isEmpty
        return order
    }

    /// The last eight characters of an identifier, as staff read an order's number aloud (the
    /// first ones of a time-ordered identifier are the same for everything made in the same hour).
    static func shortId(_ id: Any?) -> String {
        String((id as? String ?? "").suffix(8)).uppercased()
    }

    /// A link to a page of this site with its query (values percent-encoded; empty ones left out).
    static func link(_ path: String, _ query: [(String, String)]) -> String {
        var components = URLComponents()
        components.path = path
        let items = query.filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) }
        if !items.isEmpty { components.queryItems = items }
        return components.string ?? path
    }

    /// The `cursor` query parameter of a list page, if any.
    static func cursor(_ request: Request) -> String? {
        request.uri.queryParameters["cursor"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }
}
