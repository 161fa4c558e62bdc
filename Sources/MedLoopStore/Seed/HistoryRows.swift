import Foundation
import MedLoopDomain
import SQLKit

/// A nullable integer as SQL.
func nullableInteger(_ value: Int64?) -> SQLQueryString {
    SQLQueryString(value.map(String.init) ?? "NULL")
}

struct YearKey: Hashable {
    var person: String
    var year: Int
}

/// The rows of one chunk, table by table, in the order their references need.
struct HistoryRows: Sendable {
    var accounts = RowInsert("INSERT INTO accounts (id, role, phone_hash, phone_cipher, password_hash, display_name, status, created_at) VALUES", bindsPerRow: 4)
    var patients = RowInsert("""
        INSERT INTO patients (id, account_id, real_name, national_id_cipher, national_id_hash, sex, birth_date, phone_cipher, created_at, updated_at) VALUES
        """, bindsPerRow: 7)
    var insured = RowInsert("""
        INSERT INTO insured_persons (id, region, national_id_cipher, national_id_hash, insured_number, scheme, status, created_at, updated_at) VALUES
        """, bindsPerRow: 6)
    var coverages = RowInsert("INSERT INTO insurance_coverages (patient_id, insured_person_id, verified_at) VALUES", bindsPerRow: 2)
    var orders = RowInsert("""
        INSERT INTO orders (id, account_id, patient_id, doctor_id, service, price_fen, state, service_day, created_at, paid_at, updated_at,
                            unit_price_fen, prepaid_minutes, site_id) VALUES
        """, bindsPerRow: 7)
    var consultations = RowInsert("""
        INSERT INTO consultations (id, order_id, account_id, patient_id, doctor_id, doctor_account_id, service, state, queued_at, accepted_at,
                                   closes_at, completed_at, diagnosis_icd10, outcome) VALUES
        """, bindsPerRow: 9)
    var prescriptions = RowInsert("""
        INSERT INTO prescriptions (id, consultation_id, patient_id, doctor_account_id, institution_id, diagnosis_icd10, state, valid_days,
                                   findings, overrides, created_at, updated_at, signed_at, valid_until, reviewed_at, reviewer_account_id,
                                   rejection_reason) VALUES
        """, bindsPerRow: 9)
    var items = RowInsert("""
        INSERT INTO prescription_items (prescription_id, position, drug_id, dose, dose_unit, times_per_day, route, days, quantity) VALUES
        """, bindsPerRow: 2)
    var settlements = RowInsert("""
        INSERT INTO settlements (id, kind, order_id, patient_id, account_id, insured_person_id, region, policy_version, scheme, level,
            institution_id, year, service_day, clearing_day, covered, ratio_bp, total_fen, full_own_pay_fen, over_limit_fen, pre_self_pay_fen,
            in_scope_fen, deductible_fen, fixed_fund_fen, fund_fen, co_insurance_fen, over_cap_fen, self_share_fen, personal_account_fen,
            cash_fen, explanation, created_at) VALUES
        """, bindsPerRow: 13)
    var settlementLines = RowInsert("""
        INSERT INTO settlement_lines (settlement_id, line, kind, amount_fen, full_own_pay_fen, over_limit_fen, pre_self_pay_fen, in_scope_fen,
                                      fixed_fund_fen) VALUES
        """, bindsPerRow: 1)
    var entries = RowInsert("INSERT INTO ledger_entries (id, kind, order_id, settlement_id, at) VALUES", bindsPerRow: 4)
    var lines = RowInsert("INSERT INTO ledger_lines (entry_id, line, account, amount_fen) VALUES", bindsPerRow: 2)
    var balances: [String: Int64] = [:]
    var yearToDate: [YearKey: Int64] = [:]
    var prescriptionCount = 0
    var settlementCount = 0

    mutating func post(id: UUID, kind: LedgerEntryKind, order: UUID, settlement: UUID?, lines entryLines: [LedgerLine], at: Int64) {
        entries.add("(\(bind: id.text), \(bind: kind.rawValue), \(bind: order.text), \(bind: settlement?.text), \(literal: at))")
        for (index, line) in entryLines.enumerated() {
            lines.add("(\(bind: id.text), \(literal: index), \(bind: line.account.name), \(literal: line.amountFen))")
            balances[line.account.name, default: 0] += line.amountFen
        }
    }

    mutating func statements() -> [SQLQueryString] {
        var balanceRows = RowInsert("INSERT INTO ledger_balances (account, balance_fen) VALUES", bindsPerRow: 1,
                                    tail: " ON CONFLICT (account) DO UPDATE SET balance_fen = ledger_balances.balance_fen + excluded.balance_fen")
        // In account order, as every posting updates balances (two writers then never deadlock).
        for (account, delta) in balances.sorted(by: { $0.key < $1.key }) {
            balanceRows.add("(\(bind: account), \(literal: delta))")
        }
        var years = RowInsert("INSERT INTO insurance_year_to_date (insured_person_id, year, deductible_used_fen, fund_paid_fen) VALUES",
                              bindsPerRow: 1,
                              tail: " ON CONFLICT (insured_person_id, year) DO UPDATE SET fund_paid_fen = insurance_year_to_date.fund_paid_fen + excluded.fund_paid_fen")
        for (key, fund) in yearToDate.sorted(by: { ($0.key.person, $0.key.year) < ($1.key.person, $1.key.year) }) {
            years.add("(\(bind: key.person), \(literal: key.year), 0, \(literal: fund))")
        }
        return accounts.statements() + patients.statements() + insured.statements() + coverages.statements() + orders.statements()
            + consultations.statements() + prescriptions.statements() + items.statements() + settlements.statements()
            + settlementLines.statements() + years.statements() + entries.statements() + lines.statements() + balanceRows.statements()
    }
}

/// Rows of one table gathered into `INSERT ... VALUES (...), (...)` statements (with an optional
/// tail such as an upsert clause), a new statement whenever the next row would pass the
/// bound-value limit of either engine.
struct RowInsert: Sendable {
    let head: String
    let tail: String
    let bindsPerRow: Int
    private var finished: [SQLQueryString] = []
    private var pending: SQLQueryString = ""
    private var pendingRows = 0

    init(_ head: String, bindsPerRow: Int, tail: String = "") {
        self.head = head
        self.bindsPerRow = max(1, bindsPerRow)
        self.tail = tail
    }

    mutating func add(_ row: SQLQueryString) {
        pending = pendingRows == 0 ? SQLQueryString(head + " ") : pending + ", "
        pending += row
        pendingRows += 1
        if (pendingRows + 1) * bindsPerRow > DirectoryGenerator.maximumBinds || pendingRows >= 2000 { flush() }
    }

    mutating func statements() -> [SQLQueryString] {
        flush()
        return finished
    }

    private mutating func flush() {
        guard pendingRows > 0 else { return }
        finished.append(pending + SQLQueryString(tail))
        pending = ""
        pendingRows = 0
    }
}
