import Foundation

/// One common symptom of the triage table: the words patients use for it in zh and en, and the
/// departments that usually see it, weighted.
public struct TriageRule: Sendable, Hashable, Codable {
    public let id: String
    /// Chinese words and phrases, colloquial ones included (拉肚子, 嗓子疼).
    public let keywordsZh: [String]
    /// English words and phrases, lower-case.
    public let keywordsEn: [String]
    /// One to three departments, each with its weight and the reason it fits.
    public let departments: [DepartmentWeight]

    /// Every keyword, in either language.
    public var keywords: [String] { keywordsZh + keywordsEn }
}

/// How strongly a symptom points at a department, and why, in zh and en.
public struct DepartmentWeight: Sendable, Hashable, Codable {
    /// A code of `Department.all`.
    public let code: String
    public let weight: Int
    public let reasonZh: String
    public let reasonEn: String
}

/// A combination of symptoms that makes a case unsuitable for online care (DOMAIN.md, the care
/// market: the system must send those to in-person care). It matches when every group matches;
/// one keyword of a group is enough for that group.
public struct RedFlagRule: Sendable, Hashable, Codable {
    public let id: String
    public let groups: [[String]]
    /// What to tell the patient: go to an emergency department now, or call 120.
    public let messageZh: String
    public let messageEn: String
}

/// The triage rule table, shipped as data (`Resources/triage-rules.json`): the common symptoms,
/// the red flags, checked in order, and the department suggested when no symptom is recognised.
public struct TriageRules: Sendable, Hashable, Codable {
    public let symptoms: [TriageRule]
    public let redFlags: [RedFlagRule]
    public let fallback: DepartmentWeight

    public init(symptoms: [TriageRule], redFlags: [RedFlagRule], fallback: DepartmentWeight) {
        self.symptoms = symptoms
        self.redFlags = redFlags
        self.fallback = fallback
    }
}

/// A department triage suggests, with the symptoms that point to it and why.
public struct DepartmentSuggestion: Sendable, Hashable, Codable {
    /// A code of `Department.all`.
    public let department: String
    /// The sum of the weights of the matched symptoms that point here (0 for the fallback).
    public let score: Int
    /// The ids of the matched symptom rules that point here, in table order.
    public let symptoms: [String]
    public let reasonZh: String
    public let reasonEn: String
}

/// A red flag that fired: the patient must go to an emergency department, not online care.
public struct RedFlag: Sendable, Hashable, Codable {
    public let id: String
    public let messageZh: String
    public let messageEn: String
}

/// What triage makes of a description of symptoms.
public struct TriageAssessment: Sendable, Hashable {
    /// At most five departments, best first (score descending, then department code); never empty.
    public let departments: [DepartmentSuggestion]
    /// The first red flag of the table that matched, if any.
    public let emergency: RedFlag?

    /// A red flag sends the patient to in-person emergency care, so online booking is refused.
    public var blocksOnlineBooking: Bool { emergency != nil }
}

extension TriageRules {
    /// The longest description accepted, in characters.
    public static let maximumLength = 500
    /// How many departments an assessment suggests at most.
    public static let maximumSuggestions = 5

    /// The name of the shipped table in the MedLoopDomain resources.
    static let shippedFileName = "triage-rules.json"

    /// Reads and decodes the table shipped with MedLoop (`Resources/triage-rules.json`). The app
    /// loads it once at start-up and refuses to start when it fails.
    ///
    /// - Throws: `ShippedDataError`, naming the file, when it is missing or is not a triage table.
    public static func loadShipped() throws(ShippedDataError) -> TriageRules {
        try ShippedData.load(TriageRules.self, from: shippedFileName)
    }

    /// Decodes a table from its JSON document.
    ///
    /// - Throws: `ShippedDataError.unreadable`, naming what is wrong, when `data` is not a table.
    public static func decode(_ data: Data) throws(ShippedDataError) -> TriageRules {
        try ShippedData.decode(TriageRules.self, from: data, file: shippedFileName)
    }

    /// Assesses a free-text description of symptoms (zh or en). A keyword counts when it occurs in
    /// the text and is not negated ("没有发烧", "no fever"); see `SymptomText`. Departments are
    /// ranked by the summed weights of the matched symptoms; with no symptom recognised, the
    /// fallback department is suggested. The first matching red flag is the `emergency`.
    ///
    /// - Throws: `DomainError.invalid` on the field `symptoms` when the text is blank (`required`)
    ///   or longer than `maximumLength` characters (`length`).
    public func assess(_ description: String) throws(DomainError) -> TriageAssessment {
        let trimmed = description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw .invalidField("symptoms", code: "required", "Describe the symptoms.")
        }
        guard description.count <= Self.maximumLength else {
            throw .invalidField("symptoms", code: "length",
                                "A description of symptoms has at most \(Self.maximumLength) characters.")
        }
        let text = SymptomText(trimmed)
        let emergency = redFlags.first { flag in
            !flag.groups.isEmpty && flag.groups.allSatisfy { text.mentionsAny(of: $0) }
        }
        let matched = symptoms.filter { text.mentionsAny(of: $0.keywords) }
        return TriageAssessment(
            departments: rank(matched),
            emergency: emergency.map { RedFlag(id: $0.id, messageZh: $0.messageZh, messageEn: $0.messageEn) })
    }

    /// The departments the matched symptoms point to, best first, or the fallback when none matched.
    private func rank(_ matched: [TriageRule]) -> [DepartmentSuggestion] {
        guard !matched.isEmpty else {
            return [DepartmentSuggestion(department: fallback.code, score: fallback.weight, symptoms: [],
                                         reasonZh: fallback.reasonZh, reasonEn: fallback.reasonEn)]
        }
        var tallies: [String: Tally] = [:]
        for rule in matched {
            for entry in rule.departments {
                tallies[entry.code, default: Tally()].add(entry, from: rule.id)
            }
        }
        let suggestions = tallies.map { code, tally in tally.suggestion(for: code) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.department < $1.department }
        return Array(suggestions.prefix(Self.maximumSuggestions))
    }
}

/// The running total of one department while ranking.
private struct Tally {
    var score = 0
    var symptoms: [String] = []
    var reasonsZh: [String] = []
    var reasonsEn: [String] = []

    mutating func add(_ entry: DepartmentWeight, from symptom: String) {
        score += entry.weight
        symptoms.append(symptom)
        reasonsZh.append(entry.reasonZh)
        reasonsEn.append(entry.reasonEn)
    }

    func suggestion(for code: String) -> DepartmentSuggestion {
        DepartmentSuggestion(department: code, score: score, symptoms: symptoms,
                             reasonZh: reasonsZh.joined(separator: "；"), reasonEn: reasonsEn.joined(separator: "; "))
    }
}
