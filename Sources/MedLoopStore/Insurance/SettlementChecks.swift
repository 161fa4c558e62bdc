import Foundation
import MedLoopDomain
import SQLKit

/// What `medloop check` asks of the written settlements: every one's figures add up and its lines
/// sum to its bill, and every person's year to date is exactly what their settlements added and
/// their reversals took back.
extension SettlementStore {
    static func problems(in database: Database) async throws -> [String] {
        try await database.read { sql in
            // A database part-way through its migrations has no settlements yet.
            guard try await sql.raw("SELECT version FROM schema_migrations WHERE version = \(bind: Migrations.insurance.version)")
                .first() != nil else { return [] }
            var problems: [String] = []
            for row in try await sql.raw("""
                SELECT s.*, CAST((SELECT COALESCE(SUM(l.amount_fen), 0) FROM settlement_lines l WHERE l.settlement_id = s.id) AS BIGINT)
                       AS lines_fen
                FROM settlements s
                """).all() {
                let figures = try SettlementFigures(row: row)
                let id = try row.text("id")
                if !SettledAmounts.addUp(totalFen: figures.totalFen, fullOwnPayFen: figures.fullOwnPayFen, overLimitFen: figures.overLimitFen,
                                         preSelfPayFen: figures.preSelfPayFen, deductibleFen: figures.deductibleFen,
                                         coInsuranceFen: figures.coInsuranceFen, overCapFen: figures.overCapFen, fundFen: figures.fundFen,
                                         selfShareFen: figures.selfShareFen, personalAccountFen: figures.personalAccountFen,
                                         cashFen: figures.cashFen) {
                    problems.append("settlement \(id): its figures do not add up")
                }
                if try row.text("kind") == SettlementKind.settlement.rawValue, try row.int64("lines_fen") != figures.totalFen {
                    problems.append("settlement \(id): its lines sum to \(try row.int64("lines_fen")), not \(figures.totalFen)")
                }
            }
            for row in try await sql.raw("""
                SELECT y.insured_person_id, y.year, y.deductible_used_fen, y.fund_paid_fen,
                       CAST(COALESCE(SUM(CASE WHEN s.kind = 'settlement' THEN s.deductible_fen ELSE -s.deductible_fen END), 0) AS BIGINT) AS deductible,
                       CAST(COALESCE(SUM(CASE WHEN s.kind = 'settlement' THEN s.fund_fen ELSE -s.fund_fen END), 0) AS BIGINT) AS fund
                FROM insurance_year_to_date y
                LEFT JOIN settlements s ON s.insured_person_id = y.insured_person_id AND s.year = y.year
                GROUP BY y.insured_person_id, y.year, y.deductible_used_fen, y.fund_paid_fen
                """).all() {
                if try row.int64("deductible_used_fen") != row.int64("deductible") || row.int64("fund_paid_fen") != row.int64("fund") {
                    problems.append("insured person \(try row.text("insured_person_id")) in \(try row.int64("year")): the year to date "
                                    + "does not match the settlements")
                }
            }
            // The home fund's reserve holds exactly the shares still reserved: a step run twice, or
            // one lost, shows here.
            for row in try await sql.raw("""
                SELECT home_region, CAST(COALESCE(SUM(CASE WHEN state = 'reserved' THEN fund_fen ELSE 0 END), 0) AS BIGINT) AS reserved
                FROM cross_region_settlements GROUP BY home_region
                """).all() {
                let region = try RegionCode(try row.text("home_region"))
                let held = try await sql.raw("""
                    SELECT balance_fen FROM ledger_balances WHERE account = \(bind: LedgerAccount.crossRegionReserved(region).name)
                    """).first()?.int64("balance_fen") ?? 0
                if held != -(try row.int64("reserved")) {
                    problems.append("region \(region.value): the cross-region reserve holds \(held) fen, "
                                    + "but \(try row.int64("reserved")) fen are reserved")
                }
            }
            return problems
        }
    }
}
