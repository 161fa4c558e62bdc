import Foundation
import MedLoopDomain
import SQLKit

/// Daily clearing (the issue, item 8): a region's settlements and reversals of one Asia/Shanghai
/// day, with what the ledger moved for them, and the insurer's own totals kept as uploaded.
public struct ClearingStore: Sendable {
    let database: Database
    let audit: AuditStore

    public init(database: Database, audit: AuditStore) {
        self.database = database
        self.audit = audit
    }

    /// The clearing of `region` for `day`.
    public func report(region: RegionCode, day: CalendarDate) async throws -> ClearingReport {
        try await database.read { sql in
            let entries = try await sql.raw("""
                SELECT id, kind, reverses_id, institution_id, order_id, medicine_order_id, service_day, total_fen, fund_fen,
                       personal_account_fen, cash_fen, claim_id
                FROM settlements WHERE clearing_day = \(bind: day.description) AND region = \(bind: region.value)
                """).all().map { row in
                    ClearingEntry(settlementId: try row.uuid("id"), kind: try row.value("kind", as: SettlementKind.self),
                                  reversesId: try row.optionalUUID("reverses_id"), institutionId: try row.uuid("institution_id"),
                                  orderId: try row.optionalUUID("order_id"), medicineOrderId: try row.optionalUUID("medicine_order_id"),
                                  serviceDay: CalendarDate(iso: try row.text("service_day")) ?? day, totalFen: try row.int64("total_fen"),
                                  fundFen: try row.int64("fund_fen"), personalAccountFen: try row.int64("personal_account_fen"),
                                  cashFen: try row.int64("cash_fen"), isClaim: try row.optionalUUID("claim_id") != nil)
                }
            // PostgreSQL sums BIGINT as NUMERIC: cast back so both engines read Int64.
            let ledger = try await sql.raw("""
                SELECT s.institution_id, l.account, CAST(SUM(l.amount_fen) AS BIGINT) AS amount_fen
                FROM settlements s
                JOIN ledger_entries e ON e.settlement_id = s.id
                JOIN ledger_lines l ON l.entry_id = e.id
                WHERE s.clearing_day = \(bind: day.description) AND s.region = \(bind: region.value)
                GROUP BY s.institution_id, l.account
                """).all().map { row in
                    LedgerMovement(institutionId: try row.uuid("institution_id"), account: LedgerAccount(name: try row.text("account")),
                                   amountFen: try row.int64("amount_fen"))
                }
            return ClearingRule.report(region: region, day: day, entries: entries, ledger: ledger)
        }
    }

    /// The regions that settled anything on `day`.
    public func regions(on day: CalendarDate) async throws -> [RegionCode] {
        try await database.read { sql in
            try await sql.raw("SELECT DISTINCT region FROM settlements WHERE clearing_day = \(bind: day.description) ORDER BY region")
                .all().map { try RegionCode(try $0.text("region")) }
        }
    }

    /// Keeps the insurer's own totals for the day (audited) and returns every difference from MedLoop's.
    public func compare(region: RegionCode, day: CalendarDate, insurerTotals: [InsurerTotal],
                        context: AuditContext) async throws -> (report: ClearingReport, differences: [ClearingDifference]) {
        let report = try await report(region: region, day: day)
        let differences = ClearingRule.compare(report, with: insurerTotals)
        try await database.unitOfWork { tx in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try await tx.sql.raw("""
                INSERT INTO clearing_statements (id, region, day, totals, differences, uploaded_at, uploaded_by)
                VALUES (\(bind: UUID.v7(at: context.at).text), \(bind: region.value), \(bind: day.description),
                        \(bind: String(decoding: try encoder.encode(insurerTotals), as: UTF8.self)),
                        \(bind: differences.count), \(bind: context.at.epochMillis), \(bind: context.actorAccountId?.text))
                """).run()
            try await audit.append(AuditRecord(action: "clearing.compare", resourceType: "clearing",
                                               resourceId: "\(region.value)/\(day.description)"), context: context, in: tx)
        }
        return (report, differences)
    }
}
