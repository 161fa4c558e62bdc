import Foundation

/// Which clinical check raised a finding.
public enum FindingRule: String, Sendable, Hashable, Codable, CaseIterable {
    case allergy, interaction, duplicateTherapy, dose, age, pregnancy, controlled, longSupply, tooManyItems
}

/// One concern the clinical checks raise about a prescription, in both languages.
public struct Finding: Sendable, Hashable, Codable {
    public let severity: FindingSeverity
    public let rule: FindingRule
    /// The products concerned, in the order of the items (an active medication after them).
    public let drugIds: [UUID]
    public let messageZh: String
    public let messageEn: String

    public init(severity: FindingSeverity, rule: FindingRule, drugIds: [UUID], messageZh: String, messageEn: String) {
        self.severity = severity
        self.rule = rule
        self.drugIds = drugIds
        self.messageZh = messageZh
        self.messageEn = messageEn
    }

    /// What identifies the finding for an override: the rule and the products, in any order.
    public var key: FindingKey { FindingKey(rule: rule, drugIds: drugIds) }

    /// Whether a doctor may sign over it with a written reason. A controlled drug may not be
    /// prescribed online, whatever the reason (DOMAIN.md, "Prescription rules").
    public var isOverridable: Bool { rule != .controlled }
}

/// The rule and products of a finding, the products in a stable order, so that an override written
/// against a draft's finding still names it when the checks run again at signing.
public struct FindingKey: Sendable, Hashable, Codable {
    public let rule: FindingRule
    public let drugIds: [UUID]

    public init(rule: FindingRule, drugIds: [UUID]) {
        self.rule = rule
        self.drugIds = drugIds.sorted()
    }
}

/// One item as the checks see it; the dose fields are optional, and the rules that need them are
/// skipped without them.
public struct CheckItem: Sendable, Hashable {
    public let drug: Drug
    public let dose: Double?
    public let timesPerDay: Int?
    public let days: Int?

    public init(drug: Drug, dose: Double? = nil, timesPerDay: Int? = nil, days: Int? = nil) {
        self.drug = drug
        self.dose = dose
        self.timesPerDay = timesPerDay
        self.days = days
    }

    /// The dose per day, when the dose and its frequency are known.
    public var dailyDose: Double? {
        guard let dose, let timesPerDay else { return nil }
        return dose * Double(timesPerDay)
    }
}

/// Whether a patient is pregnant or breastfeeding, as their profile says.
public enum PregnancyStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case none, pregnant, lactating
}

/// What the checks need to know of the patient.
public struct PatientFacts: Sendable, Hashable {
    public let ageYears: Int
    /// The substances of the patient's allergy records, as entered (`青霉素`, `sulfa`).
    public let allergies: [String]
    public let pregnancy: PregnancyStatus
    /// The products the patient takes now (approved prescriptions whose supply has not run out).
    public let activeMedications: [Drug]

    public init(ageYears: Int, allergies: [String], pregnancy: PregnancyStatus, activeMedications: [Drug]) {
        self.ageYears = ageYears
        self.allergies = allergies
        self.pregnancy = pregnancy
        self.activeMedications = activeMedications
    }
}

/// The clinical checks run on every draft and offered alone to doctors and pharmacists: the
/// items against each other and against the patient (allergies, age, pregnancy, what they take).
public struct ClinicalChecks: Sendable {
    public let table: InteractionTable

    public init(table: InteractionTable) {
        self.table = table
    }

    /// Every finding for `items`, most serious first (then in rule order). Without `patient`, the
    /// rules about the patient are skipped; without a dose or days, the dose and supply rules.
    public func findings(for items: [CheckItem], patient: PatientFacts?) -> [Finding] {
        var found: [Finding] = []
        if items.count > PrescriptionRules.maximumItems {
            found.append(Finding(severity: .high, rule: .tooManyItems, drugIds: items.map(\.drug.id),
                                 messageZh: "处方药品\(items.count)种，超过每张处方最多\(PrescriptionRules.maximumItems)种的规定",
                                 messageEn: "\(items.count) drugs on one prescription; at most \(PrescriptionRules.maximumItems) are allowed"))
        }
        for item in items {
            found += single(item, patient: patient)
        }
        for (i, p) in items.enumerated() {
            for q in items[(i + 1)...] {
                found += interactions(p.drug, q.drug)
                found += duplicates(p.drug, q.drug, withActive: false)
            }
            // A product on the prescription is checked against the items already; what the patient
            // takes of the same product is the supply this one renews.
            let prescribed = Set(items.map(\.drug.productCode))
            for active in patient?.activeMedications ?? [] where !prescribed.contains(active.productCode) {
                found += interactions(p.drug, active, activeMedication: true)
                found += duplicates(p.drug, active, withActive: true)
            }
        }
        return Self.ordered(found)
    }

    /// Findings about one item alone: controlled class, dose, supply, age, pregnancy, allergy.
    private func single(_ item: CheckItem, patient: PatientFacts?) -> [Finding] {
        let drug = item.drug
        var found: [Finding] = []
        if drug.controlledClass != .none {
            found.append(Finding(severity: .contraindicated, rule: .controlled, drugIds: [drug.id],
                                 messageZh: "\(drug.genericNameZh)属于\(drug.controlledClass.nameZh)，不得在线开具",
                                 messageEn: "\(drug.genericNameEn) is a \(drug.controlledClass.nameEn) drug and may not be prescribed online"))
        }
        if let daily = item.dailyDose, let maximum = drug.maximumDailyDose, daily > maximum {
            found.append(Finding(severity: .high, rule: .dose, drugIds: [drug.id],
                                 messageZh: "\(drug.genericNameZh)日剂量\(Self.amount(daily))\(drug.doseUnit.rawValue)，超过成人最大日剂量\(Self.amount(maximum))\(drug.doseUnit.rawValue)",
                                 messageEn: "\(drug.genericNameEn): \(Self.amount(daily)) \(drug.doseUnit.rawValue) a day is above the adult maximum of \(Self.amount(maximum)) \(drug.doseUnit.rawValue)"))
        }
        if let days = item.days, days > PrescriptionRules.usualSupplyDays {
            let excluded = PrescriptionRules.isExcludedFromLongPrescriptions(drug)
            found.append(Finding(severity: excluded || days > PrescriptionRules.longSupplyDays ? .high : .moderate,
                                 rule: .longSupply, drugIds: [drug.id],
                                 messageZh: excluded ? "\(drug.genericNameZh)不得开具长处方，用药\(days)天超过\(PrescriptionRules.usualSupplyDays)天"
                                     : "\(drug.genericNameZh)用药\(days)天，超过\(PrescriptionRules.usualSupplyDays)天须作为长处方并注明理由（最长\(PrescriptionRules.longSupplyDays / 7)周）",
                                 messageEn: excluded ? "\(drug.genericNameEn) may not be given on a long prescription; \(days) days is over \(PrescriptionRules.usualSupplyDays)"
                                     : "\(drug.genericNameEn) for \(days) days: over \(PrescriptionRules.usualSupplyDays) days needs a long prescription with a reason (at most \(PrescriptionRules.longSupplyDays / 7) weeks)"))
        }
        guard let patient else { return found }
        if patient.ageYears < drug.minimumAgeYears {
            found.append(Finding(severity: .high, rule: .age, drugIds: [drug.id],
                                 messageZh: "\(drug.genericNameZh)适用于\(drug.minimumAgeYears)岁及以上，患者\(patient.ageYears)岁",
                                 messageEn: "\(drug.genericNameEn) is for patients aged \(drug.minimumAgeYears) and over; the patient is \(patient.ageYears)"))
        }
        let caution = patient.pregnancy == .pregnant ? drug.pregnancy : patient.pregnancy == .lactating ? drug.lactation : .none
        if caution != .none {
            let stateZh = patient.pregnancy == .pregnant ? "妊娠期" : "哺乳期"
            let stateEn = patient.pregnancy == .pregnant ? "pregnancy" : "breastfeeding"
            found.append(Finding(severity: caution == .contraindicated ? .contraindicated : .moderate, rule: .pregnancy, drugIds: [drug.id],
                                 messageZh: caution == .contraindicated ? "\(stateZh)禁用\(drug.genericNameZh)" : "\(stateZh)慎用\(drug.genericNameZh)",
                                 messageEn: caution == .contraindicated ? "\(drug.genericNameEn) must not be used in \(stateEn)"
                                     : "\(drug.genericNameEn) needs caution in \(stateEn)"))
        }
        for allergy in patient.allergies {
            guard let matched = allergen(allergy, in: drug) else { continue }
            found.append(Finding(severity: .contraindicated, rule: .allergy, drugIds: [drug.id],
                                 messageZh: "患者对\(allergy)过敏，\(drug.genericNameZh)含\(matched.zh)",
                                 messageEn: "The patient is allergic to \(allergy); \(drug.genericNameEn) contains \(matched.en)"))
        }
        return found
    }

    /// What in `drug` the allergy record `substance` names: an ingredient (in either language) or
    /// a group whose allergy terms it uses (`青霉素` for every penicillin).
    private func allergen(_ substance: String, in drug: Drug) -> (zh: String, en: String)? {
        let term = substance.trimmingCharacters(in: .whitespaces).lowercased()
        guard term.count >= 2 else { return nil }
        for ingredient in drug.ingredients where [ingredient.name, ingredient.nameZh].contains(where: { Self.names($0, term) }) {
            return (ingredient.nameZh, ingredient.name)
        }
        for group in table.groups where table.isMember(drug, of: group) {
            let terms = (group.allergyTermsZh ?? []) + (group.allergyTermsEn ?? [])
            if terms.contains(where: { Self.names($0.lowercased(), term) }) {
                return (group.nameZh, group.nameEn)
            }
        }
        return nil
    }

    /// Whether an allergy entry and a name speak of the same substance: one contains the other
    /// ("amoxicillin allergy" and "amoxicillin"; "磺胺" and "磺胺类").
    private static func names(_ name: String, _ term: String) -> Bool {
        let name = name.lowercased()
        return !name.isEmpty && (term.contains(name) || (term.count >= 3 || !term.allSatisfy(\.isASCII)) && name.contains(term))
    }

    private func interactions(_ p: Drug, _ q: Drug, activeMedication: Bool = false) -> [Finding] {
        table.interactions(between: p, and: q).map { interaction in
            let takenZh = activeMedication ? "（患者正在服用）" : ""
            let takenEn = activeMedication ? " (which the patient takes)" : ""
            return Finding(severity: interaction.severity, rule: .interaction, drugIds: [p.id, q.id],
                           messageZh: "\(p.genericNameZh)与\(q.genericNameZh)\(takenZh)：\(interaction.mechanismZh)\(interaction.adviceZh)",
                           messageEn: "\(p.genericNameEn) with \(q.genericNameEn)\(takenEn): \(interaction.mechanismEn) \(interaction.adviceEn)")
        }
    }

    /// Two products with a shared ingredient, or of one listed therapeutic class. Against what the
    /// patient already takes, a product of exactly the same ingredients is a renewal (another
    /// pack of the same medicine), not a duplicate.
    private func duplicates(_ p: Drug, _ q: Drug, withActive: Bool) -> [Finding] {
        let shared = p.ingredients.filter { ingredient in q.ingredients.contains { $0.name == ingredient.name } }
        if let first = shared.first {
            guard !withActive || Set(p.ingredients.map(\.name)) != Set(q.ingredients.map(\.name)) else { return [] }
            return [Finding(severity: .high, rule: .duplicateTherapy, drugIds: [p.id, q.id],
                            messageZh: "\(p.genericNameZh)与\(q.genericNameZh)都含\(first.nameZh)，重复用药",
                            messageEn: "\(p.genericNameEn) and \(q.genericNameEn) both contain \(first.name): duplicate therapy")]
        }
        guard p.therapeuticClass == q.therapeuticClass, let listed = table.therapeuticClass(p.therapeuticClass) else { return [] }
        let takenZh = withActive ? "（患者正在服用）" : ""
        let takenEn = withActive ? " (which the patient takes)" : ""
        return [Finding(severity: listed.severity, rule: .duplicateTherapy, drugIds: [p.id, q.id],
                        messageZh: "\(p.genericNameZh)与\(q.genericNameZh)\(takenZh)同属\(listed.nameZh)，重复用药",
                        messageEn: "\(p.genericNameEn) and \(q.genericNameEn)\(takenEn) are both \(listed.nameEn): duplicate therapy")]
    }

    private static func ordered(_ findings: [Finding]) -> [Finding] {
        let rules = FindingRule.allCases
        return findings.enumerated().sorted { l, r in
            if l.element.severity != r.element.severity { return l.element.severity > r.element.severity }
            let (lr, rr) = (rules.firstIndex(of: l.element.rule)!, rules.firstIndex(of: r.element.rule)!)
            return lr != rr ? lr < rr : l.offset < r.offset
        }.map(\.element)
    }

    /// A dose as people write it: no trailing zeros.
    static func amount(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

extension ControlledClass {
    public var nameZh: String {
        switch self {
        case .none: return "非特殊管理药品"
        case .narcotic: return "麻醉药品"
        case .psychotropicI: return "第一类精神药品"
        case .psychotropicII: return "第二类精神药品"
        case .toxic: return "医疗用毒性药品"
        case .radioactive: return "放射性药品"
        case .otherSpecial: return "其他特殊管理药品"
        }
    }

    public var nameEn: String {
        switch self {
        case .none: return "not specially controlled"
        case .narcotic: return "narcotic"
        case .psychotropicI: return "class I psychotropic"
        case .psychotropicII: return "class II psychotropic"
        case .toxic: return "toxic-control"
        case .radioactive: return "radioactive"
        case .otherSpecial: return "specially controlled"
        }
    }
}
