import Foundation

/// How search results are ordered.
public enum DoctorSort: String, Codable, Sendable, CaseIterable {
    /// Best text match first, then by rank score (the default when there is a query).
    case relevance
    /// Highest rating first.
    case rating
    /// Lowest price of the chosen service (the text package unless `service` is given).
    case price
    /// Most patients served first.
    case patientsServed
}

/// A directory search as a patient asks it: free text plus filters.
public struct DoctorSearch: Sendable, Hashable {
    public var text: String?
    public var department: String?
    /// An ICD-10 code or a condition name (zh/en, or a synonym).
    public var condition: String?
    /// A region code: a 6-digit city code (`330800`) or a province prefix.
    public var city: String?
    public var hospitalId: UUID?
    public var service: ServiceKind?
    public var sort: DoctorSort
    public var limit: Int
    public var offset: Int

    public init(text: String? = nil, department: String? = nil, condition: String? = nil, city: String? = nil,
                hospitalId: UUID? = nil, service: ServiceKind? = nil, sort: DoctorSort? = nil, limit: Int = 20, offset: Int = 0) {
        self.text = text
        self.department = department
        self.condition = condition
        self.city = city
        self.hospitalId = hospitalId
        self.service = service
        self.sort = sort ?? (text == nil ? .rating : .relevance)
        self.limit = limit
        self.offset = offset
    }

    /// The distinct lower-cased words of the free text, each at most 40 characters.
    private var words: [String] {
        guard let text else { return [] }
        var seen: [String] = []
        for word in text.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == "，" }) {
            let term = String(word.prefix(40))
            if !seen.contains(term) { seen.append(term) }
        }
        return seen
    }

    /// At most 5 words of the free text that every doctor found must match; a city's name is not
    /// one of them but a filter (`textCity`).
    public var terms: [String] {
        Array(words.filter { CityCatalogue.city(named: $0) == nil }.prefix(5))
    }

    /// The city the free text names (`高血压 杭州`, `hangzhou`): doctors working there.
    public var textCity: City? {
        words.lazy.compactMap { CityCatalogue.city(named: $0) }.first
    }

    /// The ICD-10 codes the `condition` filter stands for; empty when it names nothing known
    /// (then nothing matches, rather than everything).
    public var conditionCodes: [String] {
        guard let condition else { return [] }
        if let code = try? ICD10Code(condition) { return [code.value] }
        return ConditionCatalogue.conditions(matching: condition).map(\.icd10)
    }

    /// Checks the filters; bad ones are 400s that name the parameter.
    public func validate() throws(DomainError) {
        var validator = FieldValidator()
        if let text, text.count > 100 { validator.add("q", code: "length", "A query has at most 100 characters.") }
        if let department { _ = validator.check { () throws(DomainError) in try Department.check(department) } }
        if let city, CityCatalogue.city(named: city) == nil, !RegionCode.isPrefix(city) {
            validator.add("city", code: "format", "city is a region code of 2 to 6 digits or the name of a known city.")
        }
        if !(1...100).contains(limit) { validator.add("limit", code: "range", "limit is a number from 1 to 100.") }
        if offset < 0 || offset > DoctorSearch.maximumOffset {
            validator.add("cursor", code: "invalid", "The cursor is not one this server gave out.")
        }
        try validator.finish()
    }

    /// How deep a result list may be paged.
    public static let maximumOffset = 2000

    /// The region prefix doctors' city codes must start with: `330800` → `3308`, `330000` → `33`.
    /// The `city` parameter (a code or a name) and a city named in the text narrow each other.
    public var cityPrefix: String? {
        let (asked, named) = cityPrefixes
        guard let asked, let named else { return asked ?? named }
        return named.count >= asked.count ? named : asked
    }

    /// Whether the `city` parameter and the city named in the text exclude each other
    /// (`city=310100&q=杭州`): then no doctor matches.
    public var citiesContradict: Bool {
        let (asked, named) = cityPrefixes
        guard let asked, let named else { return false }
        return !named.hasPrefix(asked) && !asked.hasPrefix(named)
    }

    /// The region prefixes of the `city` parameter (a code or a name) and of the city in the text.
    private var cityPrefixes: (asked: String?, named: String?) {
        (city.map { Self.prefix(of: CityCatalogue.city(named: $0)?.code ?? $0) }, textCity.map { Self.prefix(of: $0.code) })
    }

    private static func prefix(of code: String) -> String {
        var prefix = code
        while prefix.count > 2 && prefix.hasSuffix("00") { prefix.removeLast(2) }
        return prefix
    }
}

/// What the directory indexes about a doctor for search.
public enum DoctorIndex {
    /// The exact terms a doctor is found by: name, department names and code, specialties, the
    /// codes, names and synonyms of the conditions treated, and the hospital's name. (A city named
    /// in a search is a filter on the doctor's city, not a term: `DoctorSearch.textCity`.)
    public static func terms(name: String, department: String, specialties: [String], conditions: [String],
                             hospitalName: String) -> Set<String> {
        var terms: Set<String> = [name.lowercased(), department.lowercased(), hospitalName.lowercased()]
        if let department = Department.named(department) {
            terms.insert(department.nameZh.lowercased())
            terms.insert(department.nameEn.lowercased())
        }
        for specialty in specialties { terms.insert(specialty.lowercased()) }
        for code in conditions {
            terms.insert(code.lowercased())
            if let condition = ConditionCatalogue.condition(icd10: code) {
                terms.formUnion(condition.searchTerms)
            }
        }
        return terms.filter { !$0.isEmpty }
    }

    /// The text substring search runs over: every term, separated by spaces, lower-cased.
    public static func text(terms: Set<String>, training: String) -> String {
        (terms.sorted() + [training.lowercased()]).joined(separator: " ")
    }

    /// The default order of the directory: rating weighted by how many ratings back it, then
    /// patients served. Integer so that both engines sort it the same way.
    public static func rankScore(ratingTotal: Int64, ratingCount: Int64, patientsServed: Int64) -> Int64 {
        // Bayesian average towards 4.0 with the weight of 10 ratings, in thousandths.
        let average = (ratingTotal * 1000 + 4000 * 10) / (ratingCount + 10)
        return average * 1_000_000 + min(patientsServed, 999_999)
    }
}
