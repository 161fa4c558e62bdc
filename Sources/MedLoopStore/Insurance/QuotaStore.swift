import Foundation
import MedLoopDomain
import SQLKit

/// One institution's insurance budget for a month and what settlements have drawn on it.
public struct QuotaUse: Sendable, Equatable {
    public var institutionId: UUID
    public var institutionName: String
    public var month: String
    public var budgetFen: Int64
    public var usedFen: Int64
}

/// Monthly quotas (DOMAIN.md, "Quotas"): set by the region's insurer, drawn by settlements
/// (`SettlementStore`), read live by insurers and regulators.
public struct QuotaStore: Sendable {
    let database: Database
    let audit: AuditStore

    public init(database: Database, audit: AuditStore) {
        self.database = database
        self.audit = audit
    }

    /// Sets the budget of `institution` for `month`; a budget below what is already drawn is refused.
    ///
    /// - Throws: 409 `quota_below_use` when settlements have drawn more than `budgetFen`; 400 on
    ///   `budgetFen` (`range`).
    public func set(_ institution: UUID, month: String, budgetFen: Int64, context: AuditContext) async throws -> QuotaUse {
        guard (0...100_000_000_000).contains(budgetFen) else {
            throw DomainError.invalidField("budgetFen", code: "range", "A budget is 0 to 1,000,000,000 yuan.")
        }
        return try await database.unitOfWork { tx in
            try await tx.sql.raw("""
                INSERT INTO insurance_quotas (institution_id, month, budget_fen, used_fen, updated_at)
                VALUES (\(bind: institution.text), \(bind: month), \(bind: budgetFen), 0, \(bind: context.at.epochMillis))
                ON CONFLICT (institution_id, month) DO NOTHING
                """).run()
            let changed = try await tx.sql.raw("""
                UPDATE insurance_quotas SET budget_fen = \(bind: budgetFen), updated_at = \(bind: context.at.epochMillis)
                WHERE institution_id = \(bind: institution.text) AND month = \(bind: month) AND used_fen <= \(bind: budgetFen)
                RETURNING institution_id
                """).first()
            guard changed != nil else {
                throw DomainError.conflict(code: "quota_below_use", message: "Settlements have already drawn more than this budget.")
            }
            try await audit.append(AuditRecord(action: "quota.set", resourceType: "quota", resourceId: "\(institution.text)/\(month)"),
                                   context: context, in: tx)
            guard let use = try await Self.uses(where: "q.institution_id = \(bind: institution.text) AND q.month = \(bind: month)",
                                                in: tx.sql).first else { throw DomainError.notFound(resource: "quota") }
            return use
        }
    }

    /// The quotas of `month` of the institutions in `regionPrefix` (every region when `nil`).
    public func uses(month: String, regionPrefix: String?) async throws -> [QuotaUse] {
        try await database.read { sql in
            var condition: SQLQueryString = "q.month = \(bind: month)"
            if let regionPrefix { condition += " AND i.region_code LIKE \(bind: regionPrefix + "%")" }
            return try await Self.uses(where: condition, in: sql)
        }
    }

    static func uses(where condition: SQLQueryString, in sql: any SQLDatabase) async throws -> [QuotaUse] {
        try await sql.raw("""
            SELECT q.*, i.name FROM insurance_quotas q JOIN institutions i ON i.id = q.institution_id
            WHERE \(condition) ORDER BY i.name
            """).all().map { row in
                QuotaUse(institutionId: try row.uuid("institution_id"), institutionName: try row.text("name"),
                         month: try row.text("month"), budgetFen: try row.int64("budget_fen"), usedFen: try row.int64("used_fen"))
            }
    }
}
