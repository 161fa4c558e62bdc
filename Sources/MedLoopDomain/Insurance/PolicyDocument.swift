import Foundation
import Yams

/// A policy document as parsed, before validation: the plain tree that YAML and JSON share, so
/// that one validator reads both and names every bad key by its path.
public indirect enum DocumentValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case list([DocumentValue])
    case map([String: DocumentValue])

    /// Parses a JSON document.
    ///
    /// - Throws: 400 `document` / `malformed` when it is not JSON.
    public static func json(_ data: Data) throws(DomainError) -> DocumentValue {
        do {
            return try JSONDecoder().decode(DocumentValue.self, from: data)
        } catch {
            throw .invalidField("document", code: "malformed", "The document is not valid JSON.")
        }
    }

    /// Parses a YAML document; dates, numbers, booleans and nulls as YAML 1.1 resolves them.
    ///
    /// - Throws: 400 `document` / `malformed` when it is not YAML or holds an alias.
    public static func yaml(_ text: String) throws(DomainError) -> DocumentValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw .invalidField("document", code: "malformed", "The document is not valid YAML: \(error)")
        }
        guard let node, let value = DocumentValue(node) else {
            throw .invalidField("document", code: "malformed", "The document is empty or uses a YAML alias.")
        }
        return value
    }

    private init?(_ node: Node) {
        switch node {
        case .scalar:
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: self = .null
            case .bool: self = node.bool.map(DocumentValue.bool) ?? .string(node.string ?? "")
            case .int: self = node.int.map { .integer(Int64($0)) } ?? .string(node.string ?? "")
            case .float: self = node.float.map(DocumentValue.number) ?? .string(node.string ?? "")
            default: self = .string(node.string ?? "")
            }
        case .mapping(let mapping):
            var entries: [String: DocumentValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string, let parsed = DocumentValue(value) else { return nil }
                entries[name] = parsed
            }
            self = .map(entries)
        case .sequence(let sequence):
            var items: [DocumentValue] = []
            for element in sequence {
                guard let parsed = DocumentValue(element) else { return nil }
                items.append(parsed)
            }
            self = .list(items)
        case .alias:
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([DocumentValue].self) {
            self = .list(value)
        } else {
            self = .map(try container.decode([String: DocumentValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        case .map(let value): try container.encode(value)
        }
    }
}

extension RegionPolicy {
    /// Reads a policy document (INSURANCE.md, "Policy documents"), checking every key: unknown
    /// keys, wrong types, ratios outside 0–10000 basis points, negative amounts, ICD-10 prefixes
    /// that are not code prefixes, both or neither consultation-fee rules.
    ///
    /// - Throws: `DomainError.invalid` with one issue per bad key, its `field` the key's path
    ///   (`schemes.employee.ratioBp.tertiary`).
    public init(document: DocumentValue) throws(DomainError) {
        var reader = DocumentReader()
        let root = reader.map(document, at: "")
        reader.allow(root, at: "", keys: ["region", "version", "effectiveFrom", "effectiveTo", "name", "coveredConditions",
                                          "institutions", "platformLevel", "priorVisit", "consultationFee", "drugs",
                                          "deliveryCovered", "schemes", "quota", "crossRegion"])
        let region = reader.string(root, "region", at: "").flatMap { text in
            reader.check("region") { () throws(DomainError) in try RegionCode(text, field: "region") }
        }
        let version = reader.string(root, "version", at: "").flatMap { text -> String? in
            guard (1...40).contains(text.count), text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }) else {
                reader.fail("version", "format", "A version is 1 to 40 letters, digits, dots, dashes or underscores.")
                return nil
            }
            return text
        }
        let effectiveFrom = reader.day(root, "effectiveFrom", at: "", required: true)
        let effectiveTo = reader.day(root, "effectiveTo", at: "", required: false)
        if let effectiveFrom, let effectiveTo, effectiveTo < effectiveFrom {
            reader.fail("effectiveTo", "before_start", "A version ends on or after the day it starts.")
        }
        let nameMap = reader.map(root["name"], at: "name")
        reader.allow(nameMap, at: "name", keys: ["zh", "en"])
        let nameZh = reader.string(nameMap, "zh", at: "name")
        let nameEn = reader.string(nameMap, "en", at: "name")
        var conditions: [String] = []
        for (index, item) in reader.list(root["coveredConditions"], at: "coveredConditions").enumerated() {
            let path = "coveredConditions[\(index)]"
            guard case .string(let text) = item else { reader.fail(path, "type", "Expected an ICD-10 code or prefix."); continue }
            let code = text.trimmingCharacters(in: .whitespaces).uppercased()
            if Self.isConditionPrefix(code) { conditions.append(code) } else {
                reader.fail(path, "icd10_prefix", "\(text) is not an ICD-10 code or prefix (a letter and one or two digits, or a code).")
            }
        }
        let institutions = reader.map(root["institutions"], at: "institutions")
        reader.allow(institutions, at: "institutions", keys: ["kinds", "only"])
        var kinds: Set<AdmittedKind> = []
        for (index, item) in reader.list(institutions["kinds"], at: "institutions.kinds").enumerated() {
            if let kind: AdmittedKind = reader.enumeration(item, at: "institutions.kinds[\(index)]") { kinds.insert(kind) }
        }
        if kinds.isEmpty && institutions["kinds"] != nil {
            reader.fail("institutions.kinds", "empty", "A policy admits at least one kind of institution.")
        }
        var only: [UUID] = []
        if let listed = institutions["only"] {
            for (index, item) in reader.list(listed, at: "institutions.only").enumerated() {
                if case .string(let text) = item, let id = UUID(uuidString: text) { only.append(id) } else {
                    reader.fail("institutions.only[\(index)]", "type", "Expected an institution id.")
                }
            }
        }
        let platformLevel: HospitalLevel? = root["platformLevel"].flatMap { value in
            value == .null ? nil : reader.enumeration(value, at: "platformLevel")
        }
        if kinds.contains(.platformInternetHospital) && platformLevel == nil {
            reader.fail("platformLevel", "required", "A policy that admits platform internet hospitals names the level they are reimbursed at.")
        }
        let priorVisit = Self.priorVisit(root["priorVisit"], reader: &reader)
        let fee = reader.map(root["consultationFee"], at: "consultationFee")
        reader.allow(fee, at: "consultationFee", keys: ["fundPaysFixedFen", "inScopeLimitFen"])
        var consultationFee: ConsultationFeeRule?
        // A rule given as null is a rule not given.
        switch (fee["fundPaysFixedFen"].flatMap { $0 == .null ? nil : $0 }, fee["inScopeLimitFen"].flatMap { $0 == .null ? nil : $0 }) {
        case (.some(let fixed), nil):
            consultationFee = reader.amount(fixed, at: "consultationFee.fundPaysFixedFen").map(ConsultationFeeRule.fundPaysFixed)
        case (nil, .some(let limit)):
            consultationFee = reader.amount(limit, at: "consultationFee.inScopeLimitFen").map(ConsultationFeeRule.inScopeLimit)
        case (.some, .some):
            reader.fail("consultationFee", "both", "Give exactly one of fundPaysFixedFen and inScopeLimitFen, not both.")
        case (nil, nil):
            if root["consultationFee"] != nil {
                reader.fail("consultationFee", "neither", "Give exactly one of fundPaysFixedFen and inScopeLimitFen.")
            }
        }
        let drugs = reader.map(root["drugs"], at: "drugs")
        reader.allow(drugs, at: "drugs", keys: ["classBSelfPayFirstBp"])
        let classB = reader.ratio(drugs["classBSelfPayFirstBp"], at: "drugs.classBSelfPayFirstBp")
        let deliveryCovered = root["deliveryCovered"].flatMap { reader.flag($0, at: "deliveryCovered") } ?? false
        let schemesMap = reader.map(root["schemes"], at: "schemes")
        reader.allow(schemesMap, at: "schemes", keys: InsuranceScheme.allCases.map(\.rawValue))
        var schemes: [InsuranceScheme: SchemeTerms] = [:]
        for scheme in InsuranceScheme.allCases {
            if let value = schemesMap[scheme.rawValue], let terms = Self.terms(value, at: "schemes.\(scheme.rawValue)", reader: &reader) {
                schemes[scheme] = terms
            }
        }
        if schemesMap.isEmpty && root["schemes"] != nil {
            reader.fail("schemes", "empty", "A policy has the terms of at least one scheme.")
        }
        var shared = false
        if let quota = root["quota"] {
            let map = reader.map(quota, at: "quota")
            reader.allow(map, at: "quota", keys: ["shareWithPhysicalHospital"])
            shared = map["shareWithPhysicalHospital"].flatMap { reader.flag($0, at: "quota.shareWithPhysicalHospital") } ?? false
        }
        var homeSettles = false
        if let crossRegion = root["crossRegion"] {
            let map = reader.map(crossRegion, at: "crossRegion")
            reader.allow(map, at: "crossRegion", keys: ["homeSettles"])
            homeSettles = map["homeSettles"].flatMap { reader.flag($0, at: "crossRegion.homeSettles") } ?? false
        }
        try reader.finish()
        guard let region, let version, let effectiveFrom, let nameZh, let nameEn, let consultationFee, let classB else {
            throw .invalidField("document", code: "invalid", "The policy document is incomplete.")
        }
        self.init(region: region, version: version, effectiveFrom: effectiveFrom, effectiveTo: effectiveTo,
                  name: LocalizedText(zh: nameZh, en: nameEn), coveredConditions: conditions, admittedKinds: kinds,
                  onlyInstitutions: only, platformLevel: platformLevel, priorVisit: priorVisit, consultationFee: consultationFee,
                  classBSelfPayFirstBp: classB, deliveryCovered: deliveryCovered, schemes: schemes,
                  quotaSharedWithPhysicalHospital: shared, homeSettles: homeSettles)
    }

    /// Whether `code` may stand in `coveredConditions`: a letter and one or two digits, or a whole code.
    static func isConditionPrefix(_ code: String) -> Bool {
        let characters = Array(code)
        if (2...3).contains(characters.count), characters[0].isASCII, characters[0].isLetter,
           characters.dropFirst().allSatisfy(\.isASCIIDigit) {
            return true
        }
        return (try? ICD10Code(code)) != nil
    }

    private static func priorVisit(_ value: DocumentValue?, reader: inout DocumentReader) -> PriorVisitRule? {
        guard let value, value != .null else { return nil }
        let map = reader.map(value, at: "priorVisit")
        reader.allow(map, at: "priorVisit", keys: ["windowDays", "sameHospital", "prescribedForCondition", "sources"])
        let window = reader.amount(map["windowDays"], at: "priorVisit.windowDays").flatMap { days -> Int? in
            guard (1...3660).contains(days) else {
                reader.fail("priorVisit.windowDays", "range", "A window is 1 to 3660 days.")
                return nil
            }
            return Int(days)
        }
        var sources: Set<EncounterSource> = []
        for (index, item) in reader.list(map["sources"], at: "priorVisit.sources").enumerated() {
            let path = "priorVisit.sources[\(index)]"
            guard let source: EncounterSource = reader.enumeration(item, at: path) else { continue }
            if source.isSelfReported {
                reader.fail(path, "not_allowed", "A visit the patient entered never counts as the prior visit.")
            } else {
                sources.insert(source)
            }
        }
        if map["sources"] != nil && sources.isEmpty {
            reader.fail("priorVisit.sources", "empty", "Name at least one kind of record that counts as the prior visit.")
        }
        let sameHospital = map["sameHospital"].flatMap { reader.flag($0, at: "priorVisit.sameHospital") } ?? false
        let prescribed = map["prescribedForCondition"].flatMap { reader.flag($0, at: "priorVisit.prescribedForCondition") } ?? false
        guard let window else { return nil }
        return PriorVisitRule(windowDays: window, sameHospital: sameHospital, prescribedForCondition: prescribed, sources: sources)
    }

    private static func terms(_ value: DocumentValue, at path: String, reader: inout DocumentReader) -> SchemeTerms? {
        let map = reader.map(value, at: path)
        reader.allow(map, at: path, keys: ["deductibleFen", "capFen", "ratioBp", "personalAccount"])
        let deductible = reader.amount(map["deductibleFen"], at: "\(path).deductibleFen")
        let cap = reader.amount(map["capFen"], at: "\(path).capFen")
        let ratios = reader.map(map["ratioBp"], at: "\(path).ratioBp")
        reader.allow(ratios, at: "\(path).ratioBp", keys: HospitalLevel.allCases.map(\.rawValue))
        var ratioBp: [HospitalLevel: Int] = [:]
        for level in HospitalLevel.allCases {
            if let ratio = reader.ratio(ratios[level.rawValue], at: "\(path).ratioBp.\(level.rawValue)") { ratioBp[level] = ratio }
        }
        let account: PersonalAccountUse = map["personalAccount"].flatMap { reader.enumeration($0, at: "\(path).personalAccount") } ?? .none
        guard let deductible, let cap, ratioBp.count == HospitalLevel.allCases.count else { return nil }
        return SchemeTerms(deductibleFen: deductible, capFen: cap, ratioBp: ratioBp, personalAccount: account)
    }

    /// The policy as a document, with the keys of INSURANCE.md: what the API shows and stores.
    public var document: DocumentValue {
        var root: [String: DocumentValue] = [
            "region": .string(region.value), "version": .string(version),
            "effectiveFrom": .string(effectiveFrom.description),
            "effectiveTo": effectiveTo.map { .string($0.description) } ?? .null,
            "name": .map(["zh": .string(name.zh), "en": .string(name.en)]),
            "coveredConditions": .list(coveredConditions.map(DocumentValue.string)),
            "institutions": .map(["kinds": .list(AdmittedKind.allCases.filter(admittedKinds.contains).map { .string($0.rawValue) }),
                                  "only": .list(onlyInstitutions.map { .string($0.text) })]),
            "platformLevel": platformLevel.map { .string($0.rawValue) } ?? .null,
            "drugs": .map(["classBSelfPayFirstBp": .integer(Int64(classBSelfPayFirstBp))]),
            "deliveryCovered": .bool(deliveryCovered),
            "quota": .map(["shareWithPhysicalHospital": .bool(quotaSharedWithPhysicalHospital)]),
            "crossRegion": .map(["homeSettles": .bool(homeSettles)]),
        ]
        switch consultationFee {
        case .fundPaysFixed(let fen): root["consultationFee"] = .map(["fundPaysFixedFen": .integer(fen)])
        case .inScopeLimit(let fen): root["consultationFee"] = .map(["inScopeLimitFen": .integer(fen)])
        }
        if let priorVisit {
            root["priorVisit"] = .map([
                "windowDays": .integer(Int64(priorVisit.windowDays)), "sameHospital": .bool(priorVisit.sameHospital),
                "prescribedForCondition": .bool(priorVisit.prescribedForCondition),
                "sources": .list(EncounterSource.allCases.filter(priorVisit.sources.contains).map { .string($0.rawValue) }),
            ])
        } else {
            root["priorVisit"] = .null
        }
        var schemeMap: [String: DocumentValue] = [:]
        for (scheme, terms) in schemes {
            schemeMap[scheme.rawValue] = .map([
                "deductibleFen": .integer(terms.deductibleFen), "capFen": .integer(terms.capFen),
                "ratioBp": .map(Dictionary(uniqueKeysWithValues: terms.ratioBp.map { ($0.key.rawValue, DocumentValue.integer(Int64($0.value))) })),
                "personalAccount": .string(terms.personalAccount.rawValue),
            ])
        }
        root["schemes"] = .map(schemeMap)
        return .map(root)
    }
}

extension RegionPolicy {
    /// The policy files MedLoop ships, one per region of the demo world (DOMAIN.md, the three modes).
    public static let shippedFiles = ["policy-440100.yaml", "policy-330800.yaml", "policy-420100.yaml"]

    /// Reads and validates the shipped policies.
    ///
    /// - Throws: `ShippedDataError.unreadable` naming the file and every bad key by its path.
    public static func shipped() throws(ShippedDataError) -> [RegionPolicy] {
        var policies: [RegionPolicy] = []
        for file in shippedFiles {
            let text = try ShippedData.text(of: file)
            do {
                policies.append(try RegionPolicy(document: try DocumentValue.yaml(text)))
            } catch {
                let report = if case .invalid(let issues) = error {
                    issues.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
                } else { "\(error)" }
                throw .unreadable(file: file, reason: report)
            }
        }
        return policies
    }
}
