import Foundation
import MedLoopDomain
import SQLKit

extension DoctorStore {
    /// The statements `search(_:)` may run for `search`, in the order it runs them: the one that
    /// answers it, or for a one-word search of 3+ characters the exact-term walk and then the
    /// substring matches that follow the exact ones (at the top of the list, as when the exact
    /// matches are fewer than a page). Substring matches are the lookup of the word's pieces and
    /// their walks when `pieces` (what the lookup found) are walked (`walksVocabulary`); else, on
    /// SQLite, a text walk and then the word's trigram matches. Tests and the benchmark show their plans.
    public static func searchStatements(_ search: DoctorSearch, engine: Engine, pieces: [String]?) -> [SQLQueryString] {
        if walksServiceInPriceOrder(search) { return [priceWalkQuery(search, engine: engine)] }
        guard walksTermInOrder(search) else { return textStatements(search, engine: engine, substringOnly: false, pieces: pieces) }
        guard let term = search.terms.first, term.count >= 3 else { return [rankedTermQuery(search, engine: engine)] }
        var rest = search
        rest.offset = 0
        return [rankedTermQuery(search, engine: engine)] + textStatements(rest, engine: engine, substringOnly: true, pieces: pieces)
    }

    /// The substring matches' statements: the pieces' lookup and walks, or a text walk and the
    /// query that answers when it does not fill the page.
    private static func textStatements(_ search: DoctorSearch, engine: Engine, substringOnly: Bool,
                                       pieces: [String]?) -> [SQLQueryString] {
        var lookup: [SQLQueryString] = []
        if walksVocabulary(search) {
            lookup = [vocabularyQuery(search.terms[0], engine: engine)]
            if let pieces {
                let walked = substringOnly ? pieces.filter { $0 != search.terms[0] } : pieces
                return lookup + (walked.isEmpty ? [] : [vocabularyWalkQuery(search, terms: walked, substringOnly: substringOnly, engine: engine)])
            }
        }
        let query = searchQuery(search, engine: engine, substringOnly: substringOnly)
        return lookup + (walksTextFirst(search, engine: engine) ? [textWalkQuery(search, substringOnly: substringOnly), query] : [query])
    }

    /// The statements `search(_:)` may run for `search` on this database, its word's pieces looked up.
    public func statements(of search: DoctorSearch) async throws -> [SQLQueryString] {
        let pieces = Self.walksVocabulary(search) ? try await termsContaining(search.terms[0]) : nil
        return Self.searchStatements(search, engine: database.engine, pieces: pieces)
    }

    /// The plans of every statement `search(_:)` may run for `search` (see `searchStatements`).
    public func plans(of search: DoctorSearch, hints: Set<Database.PlannerHint> = []) async throws -> [[String]] {
        var plans: [[String]] = []
        for statement in try await statements(of: search) {
            plans.append(try await database.plan(of: statement, hints: hints))
        }
        return plans
    }
}
