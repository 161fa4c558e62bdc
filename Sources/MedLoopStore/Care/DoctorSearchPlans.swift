import Foundation
import MedLoopDomain
import SQLKit

extension DoctorStore {
    /// The statements `search(_:)` may run for `search`, in the order it runs them: the one that
    /// answers it, or for a one-word search of 3+ characters the exact-term walk and then the
    /// substring matches that follow the exact ones (at the top of the list, as when the exact
    /// matches are fewer than a page); on SQLite a text walk before a word's trigram matches. Tests and the benchmark show their plans.
    public static func searchStatements(_ search: DoctorSearch, engine: Engine) -> [SQLQueryString] {
        if walksServiceInPriceOrder(search) { return [priceWalkQuery(search, engine: engine)] }
        guard walksTermInOrder(search) else { return textStatements(search, engine: engine, substringOnly: false) }
        guard let term = search.terms.first, term.count >= 3 else { return [rankedTermQuery(search, engine: engine)] }
        var rest = search
        rest.offset = 0
        return [rankedTermQuery(search, engine: engine)] + textStatements(rest, engine: engine, substringOnly: true)
    }

    /// A text walk (`walksTextFirst`) and the query that answers when it does not fill the page.
    private static func textStatements(_ search: DoctorSearch, engine: Engine, substringOnly: Bool) -> [SQLQueryString] {
        let query = searchQuery(search, engine: engine, substringOnly: substringOnly)
        return walksTextFirst(search, engine: engine) ? [textWalkQuery(search, substringOnly: substringOnly), query] : [query]
    }

    /// The plans of every statement `search(_:)` may run for `search` (see `searchStatements`).
    public func plans(of search: DoctorSearch, hints: Set<Database.PlannerHint> = []) async throws -> [[String]] {
        var plans: [[String]] = []
        for statement in Self.searchStatements(search, engine: database.engine) {
            plans.append(try await database.plan(of: statement, hints: hints))
        }
        return plans
    }
}
