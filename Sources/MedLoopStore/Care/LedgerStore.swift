import Foundation
import MedLoopDomain
import SQLKit

/// One posted line as a statement shows it.
public struct LedgerStatementLine: Sendable {
    public var entryId: UUID
    public var kind: LedgerEntryKind
    public var orderId: UUID?
    public var amountFen: Int64
    public var at: Date
}

/// The double-entry ledger: balanced entries, running balances, and the checks that prove it.
public struct LedgerStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Posts a balanced entry inside `tx`. A wallet may not go below zero: the debit is a
    /// conditional update, so of two racing charges only the affordable ones succeed.
    @discardableResult
    public func post(_ entry: JournalEntry, at now: Date, in tx: Transaction) async throws -> UUID {
        let id = UUID.v7(at: now)
        if let settlement = entry.settlementId {
            try await tx.sql.raw("""
                INSERT INTO ledger_entries (id, kind, order_id, medicine_order_id, settlement_id, at)
                VALUES (\(bind: id.text), \(bind: entry.kind.rawValue), \(bind: entry.orderId?.text), \(bind: entry.medicineOrderId?.text),
                        \(bind: settlement.text), \(bind: now.epochMillis))
                """).run()
        } else if let medicineOrder = entry.medicineOrderId {
            try await tx.sql.raw("""
                INSERT INTO ledger_entries (id, kind, order_id, medicine_order_id, at)
                VALUES (\(bind: id.text), \(bind: entry.kind.rawValue), \(bind: entry.orderId?.text), \(bind: medicineOrder.text),
                        \(bind: now.epochMillis))
                """).run()
        } else {
            // Written as before medicine orders existed (a database part-way through its migrations).
            try await tx.sql.raw("""
                INSERT INTO ledger_entries (id, kind, order_id, at)
                VALUES (\(bind: id.text), \(bind: entry.kind.rawValue), \(bind: entry.orderId?.text), \(bind: now.epochMillis))
                """).run()
        }
        // A person's balance rows are updated at once, in one order, by account name, whatever
        // the entry: two entries that touch the same accounts then wait on each other in turn on
        // PostgreSQL instead of deadlocking. A shared account's balance (the platform's, a fund's,
        // an institution's: rows every payment of a city touches) changes when the unit is about
        // to commit (`PendingWrites`), so its row is locked for the unit's last statements only.
        let ordered = entry.lines.enumerated().sorted { $0.element.account.name < $1.element.account.name }
        for (index, line) in ordered {
            try await tx.sql.raw("""
                INSERT INTO ledger_lines (entry_id, line, account, amount_fen)
                VALUES (\(bind: id.text), \(bind: index), \(bind: line.account.name), \(bind: line.amountFen))
                """).run()
            if !line.account.isPersonal {
                tx.pending.add(line.amountFen, toBalanceOf: line.account.name)
            } else if line.amountFen < 0 {
                let debited = try await tx.sql.raw("""
                    UPDATE ledger_balances SET balance_fen = balance_fen + \(bind: line.amountFen)
                    WHERE account = \(bind: line.account.name) AND balance_fen + \(bind: line.amountFen) >= 0
                    RETURNING account
                    """).first()
                if debited == nil {
                    throw DomainError.refused(code: "insufficient_balance", message: "The wallet balance is too low. Top up first.")
                }
            } else {
                try await tx.sql.raw("""
                    INSERT INTO ledger_balances (account, balance_fen) VALUES (\(bind: line.account.name), \(bind: line.amountFen))
                    ON CONFLICT (account) DO UPDATE SET balance_fen = ledger_balances.balance_fen + excluded.balance_fen
                    """).run()
            }
        }
        return id
    }

    /// Adds each shared account's pending change to its running balance, in the order of the
    /// accounts' names, in one statement (`PendingWrites`).
    static func write(_ balances: [String: Int64], in tx: Transaction) async throws {
        for chunk in balances.sorted(by: { $0.key < $1.key }).chunks(of: 100) {
            var rows: SQLQueryString = ""
            for (index, balance) in chunk.enumerated() {
                if index > 0 { rows += ", " }
                rows += "(\(bind: balance.key), \(bind: balance.value))"
            }
            try await tx.sql.raw("""
                INSERT INTO ledger_balances (account, balance_fen) VALUES \(rows)
                ON CONFLICT (account) DO UPDATE SET balance_fen = ledger_balances.balance_fen + excluded.balance_fen
                """).run()
        }
    }

    /// The balance of `account`. Inside a unit of work, a shared account's does not yet count
    /// the unit's own postings: they are added as it commits.
    public func balance(of account: LedgerAccount) async throws -> Int64 {
        try await database.read { sql in
            try await sql.raw("SELECT balance_fen FROM ledger_balances WHERE account = \(bind: account.name)").first()?
                .int64("balance_fen") ?? 0
        }
    }

    /// The lines posted to `account`, newest first.
    public func statement(of account: LedgerAccount, limit: Int, cursor: String?) async throws -> Page<LedgerStatementLine> {
        var condition: SQLQueryString = "l.account = \(bind: account.name)"
        if let cursor { condition += " AND l.entry_id < \(bind: try Cursor.decode(cursor))" }
        let whereClause = condition
        let lines = try await database.read { sql in
            try await sql.raw("""
                SELECT l.entry_id, l.amount_fen, e.kind, e.order_id, e.at FROM ledger_lines l
                JOIN ledger_entries e ON e.id = l.entry_id
                WHERE \(whereClause) ORDER BY l.entry_id DESC LIMIT \(literal: limit + 1)
                """).all().map { row in
                    LedgerStatementLine(entryId: try row.uuid("entry_id"), kind: try row.value("kind", as: LedgerEntryKind.self),
                                        orderId: try row.optionalUUID("order_id"), amountFen: try row.int64("amount_fen"),
                                        at: try row.instant("at"))
                }
        }
        let next = lines.count > limit ? lines[limit - 1].entryId.text : nil
        return Page(items: Array(lines.prefix(limit)), nextCursor: next.map(Cursor.encode))
    }

    /// What is wrong with the books, if anything: an entry whose lines do not sum to zero, a
    /// running balance that differs from its lines, or balances that do not sum to zero.
    public func problems() async throws -> [String] {
        try await database.read { sql in
            var problems: [String] = []
            // PostgreSQL sums BIGINT as NUMERIC: cast back so both engines read Int64.
            for row in try await sql.raw("""
                SELECT entry_id, CAST(SUM(amount_fen) AS BIGINT) AS total FROM ledger_lines GROUP BY entry_id HAVING SUM(amount_fen) <> 0
                """).all() {
                problems.append("entry \(try row.text("entry_id")) sums to \(try row.int64("total"))")
            }
            for row in try await sql.raw("""
                SELECT b.account, b.balance_fen, CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) AS lines_total
                FROM ledger_balances b LEFT JOIN ledger_lines l ON l.account = b.account
                GROUP BY b.account, b.balance_fen HAVING b.balance_fen <> COALESCE(SUM(l.amount_fen), 0)
                """).all() {
                problems.append("account \(try row.text("account")) holds \(try row.int64("balance_fen")) but its lines sum to \(try row.int64("lines_total"))")
            }
            let total = try await sql.raw("SELECT CAST(COALESCE(SUM(balance_fen), 0) AS BIGINT) AS total FROM ledger_balances").first()?.int64("total") ?? 0
            if total != 0 { problems.append("balances sum to \(total)") }
            return problems
        }
    }
}
