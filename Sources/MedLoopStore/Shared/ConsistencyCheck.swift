import Foundation
import MedLoopDomain
import SQLKit

/// The promises the database keeps after any run, crash or restart (`medloop check`, and the
/// crash test): the books balance, no idempotency key is claimed without its answer, and every
/// order's money in escrow is what its state says (`Escrow.heldFen`), every insurance
/// settlement adds up, every search term agrees with its doctor, and every doctor's kept daily
/// volume agrees with the consultations and prescriptions it counts.
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
        problems += try await SettlementStore.problems(in: database)
        problems += try await DoctorStore.termProblems(in: database)
        problems += try await DoctorVolumes.problems(in: database)
        return problems
    }

    /// Orders whose escrow lines do not add up to what their state holds.
    private func escrowProblems() async throws -> [String] {
        try await escrowProblems(of: "order", table: "orders", amountColumn: "price_fen", entryColumn: "order_id",
                                 account: .escrow) { state, amount in
            try Escrow.heldFen(for: OrderState.from(state), priceFen: amount)
        }
    }

    /// Medicine orders whose escrow lines do not add up to what their state holds.
    private func medicineEscrowProblems() async throws -> [String] {
        try await escrowProblems(of: "medicine order", table: "medicine_orders", amountColumn: "total_fen",
                                 entryColumn: "medicine_order_id", account: .medicineEscrow) { state, amount in
            try Escrow.heldFen(for: MedicineOrderState.from(state), totalFen: amount)
        }
    }

    /// The rows of `table` whose lines on `account` (entries naming them in `entryColumn`) do not
    /// add up to what `expected` says their state holds.
    private func escrowProblems(of noun: String, table: String, amountColumn: String, entryColumn: String, account: LedgerAccount,
                                expected: @escaping @Sendable (String, Int64) throws -> Int64) async throws -> [String] {
        try await database.read { sql in
            var problems: [String] = []
            for row in try await sql.raw("""
                SELECT o.id, o.state, o.\(unsafeRaw: amountColumn) AS amount,
                       CAST(COALESCE((SELECT SUM(l.amount_fen) FROM ledger_lines l JOIN ledger_entries e ON e.id = l.entry_id
                                      WHERE e.\(unsafeRaw: entryColumn) = o.id AND l.account = \(bind: account.name)), 0) AS BIGINT) AS held
                FROM \(unsafeRaw: table) o
                """).all() {
                let state = try row.text("state")
                let should = try expected(state, try row.int64("amount"))
                let held = try row.int64("held")
                if held != should {
                    problems.append("\(noun) \(try row.text("id")) is \(state) and escrow holds \(held) fen for it, not \(should)")
                }
            }
            return problems
        }
    }
}

extension RawRepresentable where RawValue == String {
    /// The stored state `text`, or the error that says the column holds something the code cannot read.
    static func from(_ text: String) throws -> Self {
        guard let value = Self(rawValue: text) else { throw StoredValueError(column: "state", value: text) }
        return value
    }
}
