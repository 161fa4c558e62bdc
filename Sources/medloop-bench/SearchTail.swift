import AsyncHTTPClient
import Foundation

/// The search-tail scenario: many distinct searches, as a city's patients type them over a day,
/// so that the server's kept pages (`DirectoryCache.searches`, 2,000 pages for 10 s) rarely answer.
///
/// Every term comes from what the server itself knows: its departments, its conditions (ICD-10 code,
/// names in zh and en, and three-character pieces of the Chinese names, which only the trigram index
/// finds), and a sample of its directory (doctors' names, cities, hospitals). The searches combine
/// them with cities, departments, services, the four sorts and page sizes 10–40, drawn from `--seed`:
/// the same seed and the same server give the same list. A quarter of them also ask for the next one
/// to three pages while the answer has a `nextCursor`.
enum SearchTail {
    /// The four sort orders of the directory.
    static let sorts = ["relevance", "rating", "price", "patientsServed"]
    /// The service kinds a search may filter on.
    static let services = ["textPackage", "voicePerMinute", "videoPerMinute", "appointment"]

    static func plan(on server: LoopbackServer, client: HTTPClient, options: ScenarioOptions) async throws -> LoadPlan {
        let vocabulary = try await DirectoryVocabulary.gather(on: server, client: client)
        var random = SeededRandom(seed: options.seed)
        let queries = Self.queries(count: options.requests, from: vocabulary, using: &random)
        note("medloop-bench: search-tail: \(vocabulary.terms.count) terms, \(vocabulary.conditions.count) conditions, "
             + "\(vocabulary.departments.count) departments, \(vocabulary.cities.count) cities, "
             + "\(queries.filter { $0.followPages > 0 }.count) searches follow their cursor")
        let targets = queries.map { Target(url: server.url("/api/v1/doctors?" + $0.query), followPages: $0.followPages) }
        return LoadPlan(lanes: [Lane(name: "reads", connections: options.connections, targets: targets)])
    }

    /// `count` distinct search query strings (percent-encoded) and how many pages each follows.
    static func queries(count: Int, from vocabulary: DirectoryVocabulary,
                        using random: inout SeededRandom) -> [(query: String, followPages: Int)] {
        var seen = Set<String>()
        var queries: [(query: String, followPages: Int)] = []
        var attempts = 0
        while queries.count < count && attempts < count * 20 {
            attempts += 1
            var parts: [String] = []
            if random.percent(70) {
                var text = random.pick(vocabulary.terms)
                if random.percent(10) { text += " " + random.pick(vocabulary.terms) }
                parts.append("q=" + Scenario.encodedValue(String(text.prefix(100))))
            }
            if random.percent(15) {
                let condition = random.pick(vocabulary.conditions)
                parts.append("condition=" + Scenario.encodedValue(random.percent(60) ? condition.icd10 : condition.nameZh))
            }
            if random.percent(45), !vocabulary.cities.isEmpty {
                let city = random.pick(vocabulary.cities)
                // Now and then a whole province (`city=33`), which a code prefix stands for.
                parts.append("city=" + (random.percent(10) ? String(city.prefix(2)) : city))
            }
            if random.percent(30) { parts.append("department=" + random.pick(vocabulary.departments).code) }
            if random.percent(15) { parts.append("service=" + random.pick(services)) }
            if random.percent(3), !vocabulary.hospitals.isEmpty { parts.append("hospital=" + random.pick(vocabulary.hospitals)) }
            if random.percent(65) { parts.append("sort=" + random.pick(sorts)) }
            parts.append("limit=\(random.int(in: 10...40))")
            let followPages = random.percent(25) ? (random.percent(30) ? random.int(in: 2...3) : 1) : 0
            let query = parts.joined(separator: "&")
            if seen.insert(query).inserted { queries.append((query, followPages)) }
        }
        return queries
    }
}

/// What the server knows that patients search for, read over its public API.
struct DirectoryVocabulary: Sendable {
    struct Department: Decodable, Sendable {
        var code: String
        var nameZh: String
        var nameEn: String
    }

    struct Condition: Decodable, Sendable {
        var icd10: String
        var nameZh: String
        var nameEn: String
    }

    private struct List<Item: Decodable>: Decodable {
        var items: [Item]
    }

    var departments: [Department]
    var conditions: [Condition]
    /// City codes of the sampled doctors, sorted.
    var cities: [String]
    /// Hospital ids of the sampled doctors, sorted.
    var hospitals: [String]
    /// Free-text terms: condition codes and names, pieces of the Chinese names, department names and
    /// some doctors' names, in a fixed order.
    var terms: [String]

    /// Reads departments (`/api/v1/departments`), conditions (`/api/v1/conditions?q=A` … `Z`, the codes
    /// of each chapter letter) and a sample of the directory (1,500 doctors in two sort orders).
    static func gather(on server: LoopbackServer, client: HTTPClient) async throws -> DirectoryVocabulary {
        let departments = try await Scenario.fetch(List<Department>.self, from: server.url("/api/v1/departments"),
                                                   client: client).items
        var conditions: [String: Condition] = [:]
        for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
            let page = try await Scenario.fetch(List<Condition>.self, from: server.url("/api/v1/conditions?q=\(letter)"),
                                                client: client)
            for condition in page.items where condition.icd10.hasPrefix(String(letter)) { conditions[condition.icd10] = condition }
        }
        let sample = try await Scenario.listedPage(on: server, client: client, limit: 1000)
            + Scenario.listedPage(on: server, client: client, query: "&sort=price", limit: 500)
        guard !departments.isEmpty, !conditions.isEmpty, !sample.isEmpty else {
            throw BenchError("the server lists no departments, conditions or doctors; seed a directory first "
                             + "(medloop seed --doctors N)")
        }
        let sortedConditions = conditions.values.sorted { $0.icd10 < $1.icd10 }
        var terms: [String] = []
        for condition in sortedConditions {
            terms += [condition.icd10, condition.nameZh, condition.nameEn.lowercased()]
            let characters = Array(condition.nameZh)
            // A three-character piece inside a longer name: no exact term, so the trigram index answers.
            if characters.count >= 5 { terms.append(String(characters[1..<4])) }
        }
        for department in departments { terms += [department.nameZh, department.nameEn.lowercased()] }
        terms += Array(Set(sample.map(\.name))).sorted().prefix(200)
        return DirectoryVocabulary(departments: departments, conditions: sortedConditions,
                                   cities: Set(sample.map(\.cityCode)).sorted(), hospitals: Set(sample.map(\.hospitalId)).sorted(),
                                   terms: terms)
    }
}
