import Foundation
import MedLoopDomain
import SQLKit

/// The promises the database keeps after any run, crash or restart (`medloop check`, and the
/// crash test): the books balance, no idempotency key is claimed without its answer, and every
/// order's money in escrow is what its state says (`Escrow.heldFen`).
public struct ConsistencyCheck: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Every broken promise, in words; empty when all hold.
    public func problems() async throws -> [String] {
        var problems = try await LedgerStore(database: database).problems()
        let unanswered = try await IdempotencyStore(database: database).unansweredCount()
        if unanswered > 0 { problems.append("\(unanswered) idempotency keys are claimed without an answer") }
        problems += try await escrowProblems()
        problems += try await medicineEscrowProblems()
        return problems
    }

    /// Orders whose escrow lines do not add up to what their state holds.
    private func escrowProblems() async throws -> [String] {
        try await database.read { sql in
            var problems: [String] = []
            for row in try await sql.raw("""
                SELECT o.id, o.state, o.price_fen,
                       CAST(COALESCE((SELECT SUM(l.amount_fen) FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id
                                      WHERE e.order_id = o.id AND l.account = \(bind: LedgerAccount.escrow.name)), 0) AS BIGINT) AS held
                FROM orders o
                """).all() {
                let state = try row.value("state", as: OrderState.self)
                let expected = Escrow.heldFen(for: state, priceFen: try row.int64("price_fen"))
                let held = try row.int64("held")
                if held != expected {
                    problems.append("order \(try row.text("id")) is \(state.rawValue) and escrow holds \(held) fen for it, not \(expected)")
                }
            }
            return problems
        }
    }

    /// Medicine orders whose escrow lines do not add up to what their state holds.
    private func medicineEscrowProblems() async throws -> [String] {
        try await database.read { sql in
            var problems: [String] = []
            for row in try await sql.raw("""
                SELECT o.id, o.state, o.total_fen,
                       CAST(COALESCE((SELECT SUM(l.amount_fen) FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id
                                      WHERE e.medicine_order_id = o.id AND l.account = \(bind: LedgerAccount.medicineEscrow.name)), 0)
                            AS BIGINT) AS held
                FROM medicine_orders o
                """).all() {
                let state = try row.value("state", as: MedicineOrderState.self)
                let expected = Escrow.heldFen(for: state, totalFen: try row.int64("total_fen"))
                let held = try row.int64("held")
                if held != expected {
                    problems.append("medicine order \(try row.text("id")) is \(state.rawValue) and escrow holds \(held) fen for it, not \(expected)")
                }
            }
            return problems
        }
    }
}
