import Foundation
import MedLoopDomain
import SQLKit

extension DoctorStore {
    /// The statements `search(_:)` may run for `search`, in the order it runs them: the one that
    /// answers it, or for a one-word search of 3+ characters by relevance the exact-term walk and then
    /// the substring matches that follow the exact ones (at the top of the list, as when the exact
    /// matches are fewer than a page). A search answered from its groups of terms (`walksVocabulary`)
    /// first looks them up; `groups` are what the lookup found. Otherwise, on SQLite, a text walk and
    /// then the word's trigram matches. Tests and the benchmark show their plans.
    static func searchStatements(_ search: DoctorSearch, engine: Engine, groups: [TermGroup]?,
                                 gatheredEntries: Int64 = mostGatheredEntries) -> [SQLQueryString] {
        if walksServiceInPriceOrder(search) { return [priceWalkQuery(search, engine: engine)] }
        guard walksTermInOrder(search) else {
            if ranksFromTerms(search), let groups,
               let ranked = relevanceStatements(search, engine: engine, groups: groups, gatheredEntries: gatheredEntries) {
                return lookupStatements(search, engine: engine) + ranked
            }
            return (ranksFromTerms(search) ? lookupStatements(search, engine: engine) : [])
                + textStatements(search, engine: engine, substringOnly: false, groups: groups, gatheredEntries: gatheredEntries)
        }
        guard let term = search.terms.first, term.count >= 3 else { return [rankedTermQuery(search, engine: engine)] }
        var rest = search
        rest.offset = 0
        return [rankedTermQuery(search, engine: engine)]
            + textStatements(rest, engine: engine, substringOnly: true, groups: groups, gatheredEntries: gatheredEntries)
    }

    /// The statements of the matches that are not a word's exact ones: the lookup of the groups of
    /// terms and the statement they answer with; or a text walk and the query that answers when it
    /// does not fill the page.
    private static func textStatements(_ search: DoctorSearch, engine: Engine, substringOnly: Bool, groups: [TermGroup]?,
                                       gatheredEntries: Int64) -> [SQLQueryString] {
        var lookup: [SQLQueryString] = []
        if walksVocabulary(search, substringOnly: substringOnly) {
            lookup = lookupStatements(search, engine: engine)
            if let groups, let plan = termPlan(search, groups: groups, gatheredEntries: gatheredEntries) {
                lookup += termStatements(search, groups: groups, plan: plan, excluded: substringOnly ? search.terms.first : nil,
                                         engine: engine)
                // A price walk of a group too large to gather is followed by the trigram index.
                guard case .priceWalk(let driving) = plan, groups[driving].entries > largestGatheredGroup else { return lookup }
            }
        }
        let query = searchQuery(search, engine: engine, substringOnly: substringOnly)
        return lookup + (walksTextFirst(search, engine: engine) ? [textWalkQuery(search, substringOnly: substringOnly), query] : [query])
    }

    /// The statements of `relevanceRows` after the lookups (the exact matches' count aside), or nil
    /// when it leaves the search to the trigram index.
    private static func relevanceStatements(_ search: DoctorSearch, engine: Engine, groups: [TermGroup],
                                            gatheredEntries: Int64) -> [SQLQueryString]? {
        func statement(_ search: DoctorSearch, _ groups: [TermGroup], excluded: String?) -> [SQLQueryString]? {
            guard let plan = termPlan(search, groups: groups, gatheredEntries: gatheredEntries) else { return nil }
            return termStatements(search, groups: groups, plan: plan, excluded: excluded, engine: engine)
        }
        switch relevanceOrder(of: search, groups: groups) {
        case .byCount:
            return nil
        case .rank:
            return statement(search, groups, excluded: nil)
        case .exactFirst(let word, let index):
            let (exact, others) = split(groups, at: index, word: word)
            var rest = search
            rest.offset = 0
            guard let first = statement(search, exact, excluded: nil), let then = statement(rest, others, excluded: word) else { return nil }
            return first + then
        }
    }

    /// The lookups of `termGroups`: the hospital's name, the counts of the exact terms, then each long word's pieces.
    static func lookupStatements(_ search: DoctorSearch, engine: Engine) -> [SQLQueryString] {
        var exact = search.terms.filter { $0.count < 3 } + (search.condition == nil ? [] : search.conditionCodes.map { $0.lowercased() })
        var hospital: [SQLQueryString] = []
        if let id = search.hospitalId {
            hospital = [hospitalNameQuery(id)]
            exact.append("")
        }
        return hospital + (exact.isEmpty ? [] : [entriesQuery(exact)])
            + search.terms.filter { $0.count >= 3 }.map { vocabularyQuery($0, engine: engine) }
    }

    /// The statements `search(_:)` may run for `search` on this database, its groups of terms looked up.
    public func statements(of search: DoctorSearch) async throws -> [SQLQueryString] {
        let substringOnly = Self.walksTermInOrder(search)
        let groups = Self.walksVocabulary(search, substringOnly: substringOnly) || Self.ranksFromTerms(search)
            ? try await termGroups(of: search, substringOnly: substringOnly) : nil
        return Self.searchStatements(search, engine: database.engine, groups: groups, gatheredEntries: mostGatheredEntries)
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
