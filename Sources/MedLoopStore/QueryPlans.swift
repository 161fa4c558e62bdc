import SQLKit

/// How the database would run a statement, for the tests that show each query shape walks an
/// index (issue 21) and for the benchmark.
extension Database {
    /// A planner setting to show a plan under, on PostgreSQL (SQLite plans alike either way). A
    /// test table of a few thousand rows is small enough that PostgreSQL rightly scans or sorts
    /// it whole; turned off, a scan or a sort is still taken when no index can replace it, so the
    /// plan shows the index path a table of a city's size takes.
    public enum PlannerHint: String, Sendable {
        case avoidSequentialScans = "enable_seqscan"
        case avoidSorts = "enable_sort"
    }

    /// How the database would run `statement`, one line per step: SQLite's `EXPLAIN QUERY PLAN`
    /// details, or PostgreSQL's `EXPLAIN` text (nodes indented under their parent). Nothing is run.
    public func plan(of statement: SQLQueryString, hints: Set<PlannerHint> = []) async throws -> [String] {
        switch engine {
        case .sqlite:
            return try await read { sql in
                try await sql.raw("EXPLAIN QUERY PLAN " + statement).all().map { try $0.text("detail") }
            }
        case .postgres:
            guard !hints.isEmpty else {
                return try await read { sql in
                    try await sql.raw("EXPLAIN " + statement).all().map { try $0.text("QUERY PLAN") }
                }
            }
            // SET LOCAL lasts as long as the transaction: the hints end with this plan.
            return try await unitOfWork { tx in
                for hint in hints.sorted(by: { $0.rawValue < $1.rawValue }) {
                    try await tx.sql.raw("SET LOCAL \(unsafeRaw: hint.rawValue) = off").run()
                }
                return try await tx.sql.raw("EXPLAIN " + statement).all().map { try $0.text("QUERY PLAN") }
            }
        }
    }
}
