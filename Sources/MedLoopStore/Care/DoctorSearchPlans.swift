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
        guard walksTermInRankOrder(search) else { return textStatements(search, engine: engine, substringOnly: false) }
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

    /// A planner setting to show a plan under, on PostgreSQL (SQLite plans alike either way). A
    /// test table of a few thousand doctors is small enough that PostgreSQL rightly scans or sorts
    /// it whole; turned off, a scan or a sort is still taken when no index can replace it, so the
    /// plan shows the index path a directory of 150,000 doctors takes.
    public enum PlannerHint: String, Sendable {
        case avoidSequentialScans = "enable_seqscan"
        case avoidSorts = "enable_sort"
    }

    /// How the database would run `statement`, one line per step: SQLite's `EXPLAIN QUERY PLAN`
    /// details, or PostgreSQL's `EXPLAIN` text (nodes indented under their parent). Nothing is run.
    public func plan(of statement: SQLQueryString, hints: Set<PlannerHint> = []) async throws -> [String] {
        switch database.engine {
        case .sqlite:
            return try await database.read { sql in
                try await sql.raw("EXPLAIN QUERY PLAN " + statement).all().map { try $0.text("detail") }
            }
        case .postgres:
            guard !hints.isEmpty else {
                return try await database.read { sql in
                    try await sql.raw("EXPLAIN " + statement).all().map { try $0.text("QUERY PLAN") }
                }
            }
            // SET LOCAL lasts as long as the transaction: the hints end with this plan.
            return try await database.unitOfWork { tx in
                for hint in hints.sorted(by: { $0.rawValue < $1.rawValue }) {
                    try await tx.sql.raw("SET LOCAL \(unsafeRaw: hint.rawValue) = off").run()
                }
                return try await tx.sql.raw("EXPLAIN " + statement).all().map { try $0.text("QUERY PLAN") }
            }
        }
    }

    /// The plans of every statement `search(_:)` may run for `search` (see `searchStatements`).
    public func plans(of search: DoctorSearch, hints: Set<PlannerHint> = []) async throws -> [[String]] {
        var plans: [[String]] = []
        for statement in Self.searchStatements(search, engine: database.engine) {
            plans.append(try await plan(of: statement, hints: hints))
        }
        return plans
    }
}
