import Foundation

/// How serious a clinical-check finding is, from least to most.
public enum FindingSeverity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case low, moderate, high, contraindicated

    public static func < (lhs: FindingSeverity, rhs: FindingSeverity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// A high or contraindicated finding blocks signing unless the doctor overrides it with a
    /// written reason (issue 17, "E-prescription").
    public var blocksSigning: Bool { self >= .high }
}

/// Which products a rule of the interaction table speaks of: any product with one of the named
/// ingredients, one whose ATC code starts with one of the prefixes, or one in a named group.
public struct DrugSelector: Sendable, Hashable, Codable {
    public let ingredients: [String]?
    public let atc: [String]?
    public let groups: [String]?

    public init(ingredients: [String]? = nil, atc: [String]? = nil, groups: [String]? = nil) {
        self.ingredients = ingredients
        self.atc = atc
        self.groups = groups
    }
}

/// A named set of products that share a property the table needs more than once (strong CYP3A4
/// inhibitors, QT-prolonging drugs, penicillins), with the words a patient's allergy may use for it.
public struct DrugGroup: Sendable, Hashable, Codable {
    public let id: String
    public let nameZh: String
    public let nameEn: String
    /// Other words for the group in an allergy record (`青霉素`, `penicillin`, `sulfa`).
    public let allergyTermsZh: [String]?
    public let allergyTermsEn: [String]?
    public let ingredients: [String]?
    public let atc: [String]?
}

/// One clinically established drug–drug interaction: products matching `a` taken with products
/// matching `b`, how serious it is, why, and what to do.
public struct Interaction: Sendable, Hashable, Codable {
    public let id: String
    public let a: DrugSelector
    public let b: DrugSelector
    public let severity: FindingSeverity
    public let mechanismZh: String
    public let mechanismEn: String
    public let adviceZh: String
    public let adviceEn: String
    /// True for a pair of the ONC high-priority list (Phansalkar et al., 2012).
    public let isHighPriority: Bool?
}

/// A therapeutic class (ATC level 4) in which two products at once are duplicate therapy.
public struct TherapeuticClass: Sendable, Hashable, Codable {
    /// The ATC code at level 4 (`C09AA`).
    public let atc: String
    public let nameZh: String
    public let nameEn: String
    public let severity: FindingSeverity
}

/// The interaction and duplicate-therapy table shipped as `Resources/interactions.json`.
public struct InteractionTable: Sendable, Hashable, Codable {
    /// The references the table was compiled from, as named in the file.
    public let sources: [String]
    public let groups: [DrugGroup]
    public let interactions: [Interaction]
    public let therapeuticClasses: [TherapeuticClass]
}
