import Foundation
import MedLoopDomain

/// A policy document as the insurer's pages show it: as YAML text in the order of INSURANCE.md
/// (to read, and to start the next version from), and as its terms in words.
struct InsurancePolicyDocument: Sendable {
    let document: DocumentValue

    /// The keys of INSURANCE.md in their order there; a key not listed follows, by name.
    private static let order = [
        "region", "version", "effectiveFrom", "effectiveTo", "name", "zh", "en", "coveredConditions", "institutions", "kinds", "only",
        "platformLevel", "priorVisit", "windowDays", "sameHospital", "prescribedForCondition", "sources", "consultationFee",
        "fundPaysFixedFen", "inScopeLimitFen", "drugs", "classBSelfPayFirstBp", "deliveryCovered", "schemes", "employee",
        "resident", "deductibleFen", "capFen", "ratioBp", "tertiary", "secondary", "primary", "personalAccount", "quota",
        "shareWithPhysicalHospital", "crossRegion", "homeSettles",
    ]

    /// The document as block YAML: every string quoted (so `330800` stays text and `no` stays a
    /// word), lists in flow style.
    var yaml: String {
        var lines: [String] = []
        Self.emit(document, indent: 0, into: &lines)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func emit(_ value: DocumentValue, indent: Int, into lines: inout [String]) {
        guard case .map(let entries) = value else {
            lines.append(String(repeating: " ", count: indent) + scalar(value))
            return
        }
        let pad = String(repeating: " ", count: indent)
        for key in sortedKeys(entries) {
            guard let entry = entries[key] else { continue }
            switch entry {
            case .map(let nested) where nested.isEmpty:
                lines.append("\(pad)\(key): {}")
            case .map:
                lines.append("\(pad)\(key):")
                emit(entry, indent: indent + 2, into: &lines)
            default:
                lines.append("\(pad)\(key): \(scalar(entry))")
            }
        }
    }

    private static func sortedKeys(_ entries: [String: DocumentValue]) -> [String] {
        entries.keys.sorted { left, right in
            switch (order.firstIndex(of: left), order.firstIndex(of: right)) {
            case (let l?, let r?): l < r
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): left < right
            }
        }
    }

    private static func scalar(_ value: DocumentValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .number(let number): return String(number)
        case .string(let text): return quoted(text)
        case .list(let items): return "[" + items.map(scalar).joined(separator: ", ") + "]"
        case .map(let entries): return "{" + sortedKeys(entries).map { "\($0): \(scalar(entries[$0] ?? .null))" }.joined(separator: ", ") + "}"
        }
    }

    /// A double-quoted YAML string (JSON's escapes are YAML's).
    private static func quoted(_ text: String) -> String {
        guard let data = try? JSONEncoder().encode(text), let json = String(data: data, encoding: .utf8) else { return "\"\"" }
        return json
    }

    /// The terms as a template shows them: `values` is the document as the renderer gives it
    /// (amounts in yuan beside their fen); to it are added the name in the page's language, the
    /// ratios as percentages and every enumeration's words (`insurance.*` of the catalogue).
    static func terms(_ values: [String: Any], words: (String) -> String, language: Language) -> [String: Any] {
        var terms = values
        if let name = values["name"] as? [String: Any] {
            terms["title"] = (language == .english ? name["en"] : name["zh"]) ?? name["zh"] ?? ""
        }
        let conditions = values["coveredConditions"] as? [Any] ?? []
        terms["everyCondition"] = conditions.isEmpty
        if let institutions = values["institutions"] as? [String: Any] {
            terms["kindWords"] = (institutions["kinds"] as? [String] ?? []).map { words("insurance.kind.\($0)") }
            terms["onlyListed"] = !(institutions["only"] as? [Any] ?? []).isEmpty
        }
        if let level = values["platformLevel"] as? String { terms["platformLevelWords"] = words("insurance.level.\(level)") }
        if var prior = values["priorVisit"] as? [String: Any] {
            prior["sameHospitalWords"] = yesNo(prior["sameHospital"], words)
            prior["prescribedWords"] = yesNo(prior["prescribedForCondition"], words)
            prior["sourceWords"] = (prior["sources"] as? [String] ?? []).map { words("insurance.source.\($0)") }
                .joined(separator: language == .english ? ", " : "、")
            terms["priorVisit"] = prior
        }
        if let drugs = values["drugs"] as? [String: Any], let first = drugs["classBSelfPayFirstBp"] as? Int64 {
            terms["classBFirstText"] = Yuan.percent(Int(first))
        }
        terms["deliveryWords"] = yesNo(values["deliveryCovered"], words)
        if let quota = values["quota"] as? [String: Any] { terms["quotaSharedWords"] = yesNo(quota["shareWithPhysicalHospital"], words) }
        if let cross = values["crossRegion"] as? [String: Any] { terms["homeSettlesWords"] = yesNo(cross["homeSettles"], words) }
        let schemes = values["schemes"] as? [String: Any] ?? [:]
        terms["schemeList"] = ["employee", "resident"].compactMap { name -> [String: Any]? in
            guard var scheme = schemes[name] as? [String: Any] else { return nil }
            scheme["nameWords"] = words("insurance.scheme.\(name)")
            let ratios = scheme["ratioBp"] as? [String: Any] ?? [:]
            scheme["ratios"] = ["tertiary", "secondary", "primary"].map { level in
                ["levelWords": words("insurance.level.\(level)"),
                 "percent": (ratios[level] as? Int64).map { Yuan.percent(Int($0)) } ?? ""] as [String: Any]
            }
            if let account = scheme["personalAccount"] as? String {
                scheme["personalAccountWords"] = words("insurance.personalAccount.\(account)")
            }
            return scheme
        }
        return terms
    }

    private static func yesNo(_ flag: Any?, _ words: (String) -> String) -> String {
        words((flag as? Bool) == true ? "insurance.yes" : "insurance.no")
    }
}
