import Foundation
import MedLoopDomain
import SQLKit

/// A settlement as computed, before or after it is written: the figures, the policy that decided
/// them, and their explanation.
public struct SettlementQuote: Sendable {
    public var settlement: Settlement
    public var policy: RegionPolicy
    public var explanation: [ExplanationSentence]
}

/// Real-time settlement (the issue, "Real-time settlement at payment"): a bill is settled in the
/// unit of work that pays it, and reversed — never changed — in the one that refunds it. Bills
/// of one person are settled one at a time (a row lock on PostgreSQL, the single writer on
/// SQLite), so two never both use the last of a deductible or a cap; quotas are drawn with a
/// conditional update, so concurrent settlements never overrun one.
public struct SettlementStore: Sendable {
    let database: Database
    let cipher: FieldCipher
    let audit: AuditStore
    let ledger: LedgerStore
    let policies: PolicyStore

    public init(database: Database, cipher: FieldCipher, audit: AuditStore, ledger: LedgerStore, policies: PolicyStore) {
        self.database = database
        self.cipher = cipher
        self.audit = audit
        self.ledger = ledger
        self.policies = policies
    }

    /// The pre-settlement of an order the patient has not paid yet: every figure it would have now.
    ///
    /// - Throws: 404 when `account` did not place the order; 422 `coverage_required` when the
    ///   patient has linked no coverage; 422 `not_settleable` for a bill that is paid without
    ///   settlement (an in-person appointment, a call billed by the minute, a free service).
    public func quote(order id: UUID, account: UUID, now: Date) async throws -> SettlementQuote {
        try await database.read { sql in
            guard let owner = try await sql.raw("SELECT account_id FROM orders WHERE id = \(bind: id.text)").first()?.uuid("account_id"),
                  owner == account else { throw DomainError.notFound(resource: "order") }
            return try await quote(try await subject(ofOrder: id, in: sql), now: now, in: sql)
        }
    }

    /// The pre-settlement of a medicine order.
    public func quote(medicineOrder id: UUID, account: UUID, now: Date) async throws -> SettlementQuote {
        try await database.read { sql in
            guard let subject = try await subject(ofMedicineOrder: id, in: sql), subject.accountId == account else {
                throw DomainError.notFound(resource: "medicine_order")
            }
            return try await quote(subject, now: now, in: sql)
        }
    }

    private func quote(_ subject: BillSubject?, now: Date, in sql: any SQLDatabase) async throws -> SettlementQuote {
        guard let subject else {
            throw DomainError.refused(code: "not_settleable", message: "This order is paid without insurance settlement.")
        }
        guard let prepared = try await prepare(subject, on: CalendarDate.shanghai(now), in: sql) else {
            throw DomainError.refused(code: "coverage_required", message: "Link your insurance coverage with an e-voucher first.")
        }
        let settlement = try SettlementRule.settle(prepared.request)
        return SettlementQuote(settlement: settlement, policy: prepared.request.policy,
                               explanation: settlement.explanation(policy: prepared.request.policy))
    }

    /// Settles the bill of a consultation order inside the unit of work that pays it, posts the
    /// payment and issues the bill's invoice; `nil` when the order is paid without settlement (no
    /// coverage linked, or a bill that is not settled), and the caller charges the wallet as before.
    func settle(order id: UUID, context: AuditContext, in tx: Transaction) async throws -> UUID? {
        guard let subject = try await subject(ofOrder: id, in: tx.sql) else { return nil }
        try await issueInvoice(for: subject, context: context, in: tx)
        return try await settle(subject, context: context, in: tx)
    }

    /// Settles the bill of a medicine order inside the unit of work that pays it.
    func settle(medicineOrder id: UUID, context: AuditContext, in tx: Transaction) async throws -> UUID? {
        guard let subject = try await subject(ofMedicineOrder: id, in: tx.sql) else { return nil }
        try await issueInvoice(for: subject, context: context, in: tx)
        return try await settle(subject, context: context, in: tx)
    }

    private func settle(_ subject: BillSubject, context: AuditContext, in tx: Transaction) async throws -> UUID? {
        guard let coverage = try await InsuredPersonStore.coverage(of: subject.patientId, in: tx.sql, cipher: cipher) else { return nil }
        // One person's bills settle one at a time: the year to date read below is the latest.
        if tx.engine == .postgres {
            try await tx.sql.raw("SELECT id FROM insured_persons WHERE id = \(bind: coverage.person.id.text) FOR UPDATE").run()
        }
        let day = CalendarDate.shanghai(context.at)
        guard var prepared = try await prepare(subject, on: day, in: tx.sql) else { return nil }
        var settlement = try SettlementRule.settle(prepared.request)
        // Across regions the home insurer settles in two steps.
        let crossRegion = settlement.coverage.isCovered
            && prepared.policy.map { CoverageRule.isCrossRegion(subject.facts, policy: $0) } == true
        let quotaInstitution = try await drawQuota(for: &settlement, prepared: &prepared, crossRegion: crossRegion, at: context.at, in: tx)
        let id = UUID.v7(at: context.at)
        let person = prepared.coverage.person
        try await write(settlement, id: id, kind: .settlement, reverses: nil, prepared: prepared, quotaInstitution: quotaInstitution,
                        explanation: settlement.explanation(policy: prepared.request.policy), at: context.at, in: tx)
        try await changeYearToDate(person.id, year: day.year, by: settlement.yearToDateChange, sign: 1, in: tx)
        var accounts = accounts(of: subject, person: person)
        if crossRegion {
            accounts.fundPayable = .crossRegionReserved(person.region)
            try await reserveAtHome(id, home: person.region, visited: subject.facts.institutionRegion,
                                    institution: subject.facts.institutionId, fundFen: settlement.fundFen, context: context, in: tx)
        }
        if let entry = try settlement.amounts.posting(to: accounts, settlementId: id, orderId: subject.orderId,
                                                     medicineOrderId: subject.medicineOrderId) {
            try await ledger.post(entry, at: context.at, in: tx)
        }
        try await audit.append(AuditRecord(action: "settlement.create", resourceType: "settlement", resourceId: id.text,
                                           patientId: subject.patientId), context: context, in: tx)
        try await EventStore.append(.settlement(.insuranceSettled, id, region: person.region, institution: subject.facts.institutionId,
                                                fundFen: settlement.fundFen, at: context.at), in: tx)
        return id
    }

    /// Draws the fund's share on the monthly quota `InsuranceQuota.holder` names. A quota that the
    /// share would pass leaves the bill self-paid with the reason `quotaExhausted`. Returns the
    /// institution whose quota was drawn.
    private func drawQuota(for settlement: inout Settlement, prepared: inout PreparedBill, crossRegion: Bool, at now: Date,
                           in tx: Transaction) async throws -> UUID? {
        guard let holder = InsuranceQuota.holder(of: prepared.subject.facts, policy: prepared.policy, fundFen: settlement.fundFen,
                                                 isCrossRegion: crossRegion) else { return nil }
        let month = InsuranceQuota.month(of: CalendarDate.shanghai(now))
        guard try await tx.sql.raw("""
            SELECT budget_fen FROM insurance_quotas WHERE institution_id = \(bind: holder.text) AND month = \(bind: month)
            """).first() != nil else { return nil }
        let drawn = try await tx.sql.raw("""
            UPDATE insurance_quotas SET used_fen = used_fen + \(bind: settlement.fundFen), updated_at = \(bind: now.epochMillis)
            WHERE institution_id = \(bind: holder.text) AND month = \(bind: month) AND used_fen + \(bind: settlement.fundFen) <= budget_fen
            RETURNING institution_id
            """).first()
        if drawn != nil { return holder }
        prepared.request.coverage = .notCovered(.quotaExhausted)
        settlement = try SettlementRule.settle(prepared.request)
        return nil
    }

    /// Reverses the settlements of an order being refunded, inside the refund's unit of work:
    /// a reversal row with the same figures, the year to date, quota and personal account given
    /// back exactly, and the payment's ledger lines turned; a paid claim's reimbursement goes back
    /// to the fund. Returns whether the bill's money went back to the wallet here (if not, the
    /// caller refunds the wallet as before).
    func reverse(orderId: UUID?, medicineOrderId: UUID?, context: AuditContext, in tx: Transaction) async throws -> Bool {
        // Direct settlements first: their reversal returns the bill, which a claim's then draws on.
        let originals = try await tx.sql.raw("""
            SELECT * FROM settlements s WHERE \(Self.bill(orderId: orderId, medicineOrderId: medicineOrderId)) AND s.kind = 'settlement'
              AND NOT EXISTS (SELECT 1 FROM settlements r WHERE r.reverses_id = s.id)
            ORDER BY CASE WHEN s.claim_id IS NULL THEN 0 ELSE 1 END, s.id
            """).all().map { try SettlementRecord(row: $0, lines: []) }
        var refunded = false
        for original in originals {
            try await reverse(original, refundingBill: !refunded, context: context, in: tx)
            refunded = true
        }
        return refunded
    }

    /// The rows of settlements of one bill: an order's or a medicine order's.
    static func bill(orderId: UUID?, medicineOrderId: UUID?) -> SQLQueryString {
        if let orderId { return "order_id = \(bind: orderId.text)" }
        return "medicine_order_id = \(bind: medicineOrderId?.text ?? "")"
    }

    /// Reverses a written settlement (a refund's, or an operator's correction).
    ///
    /// - Throws: 409 `reversal_not_reversible` for a reversal, 409 `settlement_reversed` when it
    ///   was reversed already.
    func reverse(_ original: SettlementRecord, refundingBill: Bool = true, context: AuditContext, in tx: Transaction) async throws {
        // The person's lock first, as a settlement takes it, so that a payment and a refund of one
        // person never wait on each other's rows in opposite orders.
        if tx.engine == .postgres {
            try await tx.sql.raw("SELECT id FROM insured_persons WHERE id = \(bind: original.insuredPersonId.text) FOR UPDATE").run()
        }
        let reversed = try await tx.sql.raw("SELECT id FROM settlements WHERE reverses_id = \(bind: original.id.text)").first() != nil
        try original.kind.checkReversible(alreadyReversed: reversed)
        let id = UUID.v7(at: context.at)
        try await tx.sql.raw("""
            INSERT INTO settlements (id, kind, reverses_id, order_id, medicine_order_id, patient_id, account_id, insured_person_id, region,
                policy_version, scheme, level, institution_id, quota_institution_id, year, service_day, clearing_day, covered, reason,
                ratio_bp, total_fen, full_own_pay_fen, over_limit_fen, pre_self_pay_fen, in_scope_fen, deductible_fen, fixed_fund_fen,
                fund_fen, co_insurance_fen, over_cap_fen, self_share_fen, personal_account_fen, cash_fen, explanation, claim_id, created_at)
            SELECT \(bind: id.text), 'reversal', id, order_id, medicine_order_id, patient_id, account_id, insured_person_id, region,
                policy_version, scheme, level, institution_id, quota_institution_id, year, service_day,
                \(bind: CalendarDate.shanghai(context.at).description), covered, reason, ratio_bp, total_fen, full_own_pay_fen,
                over_limit_fen, pre_self_pay_fen, in_scope_fen, deductible_fen, fixed_fund_fen, fund_fen, co_insurance_fen,
                over_cap_fen, self_share_fen, personal_account_fen, cash_fen, explanation, claim_id, \(bind: context.at.epochMillis)
            FROM settlements WHERE id = \(bind: original.id.text)
            """).run()
        try await changeYearToDate(original.insuredPersonId, year: original.year,
                                   by: YearToDate(deductibleUsedFen: original.figures.deductibleFen, fundPaidFen: original.figures.fundFen),
                                   sign: -1, in: tx)
        if let holder = original.quotaInstitutionId {
            try await tx.sql.raw("""
                UPDATE insurance_quotas SET used_fen = used_fen - \(bind: original.figures.fundFen), updated_at = \(bind: context.at.epochMillis)
                WHERE institution_id = \(bind: holder.text) AND month = \(bind: InsuranceQuota.month(of: original.serviceDay))
                """).run()
        }
        if original.claimId != nil {
            try await reverseClaim(original, reversal: id, refundingBill: refundingBill, context: context, in: tx)
            return
        }
        // A cross-region share still reserved at home is released there; a confirmed one is owed
        // to the institution like any other.
        let stillReserved = try await releaseAtHome(original.id, context: context, in: tx)
        let accounts = SettledAmounts.Accounts(
            wallet: .wallet(original.accountId), personalAccount: .personalAccount(original.insuredPersonId),
            fundPayable: stillReserved ? .crossRegionReserved(original.region) : .fundPayable(original.region, to: original.institutionId),
            escrow: original.medicineOrderId == nil ? .escrow : .medicineEscrow)
        if let entry = try original.amounts.reversal(of: accounts, settlementId: id, orderId: original.orderId,
                                                     medicineOrderId: original.medicineOrderId) {
            try await ledger.post(entry, at: context.at, in: tx)
        }
        try await audit.append(AuditRecord(action: "settlement.reverse", resourceType: "settlement", resourceId: id.text,
                                           patientId: original.patientId), context: context, in: tx)
        try await EventStore.append(.settlement(.insuranceReversed, id, region: original.region, institution: original.institutionId,
                                                fundFen: original.figures.fundFen, at: context.at), in: tx)
    }

    private func accounts(of subject: BillSubject, person: InsuredPerson) -> SettledAmounts.Accounts {
        // The home insurer settles (crossRegion.homeSettles): its fund owes the institution.
        SettledAmounts.Accounts(wallet: .wallet(subject.accountId), personalAccount: .personalAccount(person.id),
                                fundPayable: .fundPayable(person.region, to: subject.facts.institutionId), escrow: subject.escrow)
    }

    private func changeYearToDate(_ person: UUID, year: Int, by change: YearToDate, sign: Int64, in tx: Transaction) async throws {
        guard change != .zero else { return }
        // A reversal only ever gives back what a settlement added, so its row exists (and an
        // insert of negative figures would fail the table's check before the conflict clause).
        guard sign > 0 else {
            try await tx.sql.raw("""
                UPDATE insurance_year_to_date SET deductible_used_fen = deductible_used_fen - \(bind: change.deductibleUsedFen),
                    fund_paid_fen = fund_paid_fen - \(bind: change.fundPaidFen)
                WHERE insured_person_id = \(bind: person.text) AND year = \(bind: year)
                """).run()
            return
        }
        try await tx.sql.raw("""
            INSERT INTO insurance_year_to_date (insured_person_id, year, deductible_used_fen, fund_paid_fen)
            VALUES (\(bind: person.text), \(bind: year), \(bind: change.deductibleUsedFen), \(bind: change.fundPaidFen))
            ON CONFLICT (insured_person_id, year) DO UPDATE SET
                deductible_used_fen = insurance_year_to_date.deductible_used_fen + excluded.deductible_used_fen,
                fund_paid_fen = insurance_year_to_date.fund_paid_fen + excluded.fund_paid_fen
            """).run()
    }

    private func write(_ settlement: Settlement, id: UUID, kind: SettlementKind, reverses: UUID?, prepared: PreparedBill,
                       quotaInstitution: UUID?, explanation: [ExplanationSentence], claim: UUID? = nil, at now: Date,
                       in tx: Transaction) async throws {
        let subject = prepared.subject
        let person = prepared.coverage.person
        let reason: String? = if case .notCovered(let why) = settlement.coverage { why.rawValue } else { nil }
        // The service day (and its year) is the bill's; the clearing day is the day the settlement is written.
        let day = subject.facts.serviceDay
        let clearingDay = CalendarDate.shanghai(now)
        try await tx.sql.raw("""
            INSERT INTO settlements (id, kind, reverses_id, order_id, medicine_order_id, patient_id, account_id, insured_person_id, region,
                policy_version, scheme, level, institution_id, quota_institution_id, year, service_day, clearing_day, covered, reason,
                ratio_bp, total_fen, full_own_pay_fen, over_limit_fen, pre_self_pay_fen, in_scope_fen, deductible_fen, fixed_fund_fen,
                fund_fen, co_insurance_fen, over_cap_fen, self_share_fen, personal_account_fen, cash_fen, explanation, claim_id,
                created_at)
            VALUES (\(bind: id.text), \(bind: kind.rawValue), \(bind: reverses?.text), \(bind: subject.orderId?.text),
                \(bind: subject.medicineOrderId?.text), \(bind: subject.patientId.text), \(bind: subject.accountId.text), \(bind: person.id.text), \(bind: person.region.value),
                \(bind: prepared.request.policy.version), \(bind: settlement.scheme.rawValue), \(bind: settlement.level.rawValue),
                \(bind: subject.facts.institutionId.text), \(bind: quotaInstitution?.text), \(bind: day.year), \(bind: day.description),
                \(bind: clearingDay.description), \(bind: settlement.coverage.isCovered), \(bind: reason), \(bind: settlement.ratioBp),
                \(bind: settlement.totalFen), \(bind: settlement.fullOwnPayFen), \(bind: settlement.overLimitFen),
                \(bind: settlement.preSelfPayFen), \(bind: settlement.inScopeFen), \(bind: settlement.deductibleFen),
                \(bind: settlement.fixedFundFen), \(bind: settlement.fundFen), \(bind: settlement.coInsuranceFen),
                \(bind: settlement.overCapFen), \(bind: settlement.selfShareFen), \(bind: settlement.personalAccountFen),
                \(bind: settlement.cashFen), \(bind: try SettlementRecord.json(explanation)), \(bind: claim?.text), \(bind: now.epochMillis))
            """).run()
        for (index, line) in settlement.lines.enumerated() {
            try await tx.sql.raw("""
                INSERT INTO settlement_lines (settlement_id, line, kind, drug_class, drug_id, amount_fen, full_own_pay_fen,
                    over_limit_fen, pre_self_pay_fen, in_scope_fen, fixed_fund_fen)
                VALUES (\(bind: id.text), \(bind: index), \(bind: line.kind), \(bind: line.drugClass?.rawValue), \(bind: line.drugId?.text),
                    \(bind: line.amountFen), \(bind: line.fullOwnPayFen), \(bind: line.overLimitFen), \(bind: line.preSelfPayFen),
                    \(bind: line.inScopeFen), \(bind: line.fixedFundFen))
                """).run()
        }
    }

    /// Writes the settlement of a decided claim and pays the fund's share to the wallet (inside
    /// the review's unit of work). Returns the settlement's id.
    func settleClaim(_ claim: UUID, settlement: Settlement, prepared: PreparedBill, context: AuditContext,
                     in tx: Transaction) async throws -> UUID {
        let person = prepared.coverage.person
        if tx.engine == .postgres {
            try await tx.sql.raw("SELECT id FROM insured_persons WHERE id = \(bind: person.id.text) FOR UPDATE").run()
        }
        let id = UUID.v7(at: context.at)
        try await write(settlement, id: id, kind: .settlement, reverses: nil, prepared: prepared, quotaInstitution: nil,
                        explanation: settlement.explanation(policy: prepared.request.policy), claim: claim, at: context.at, in: tx)
        try await changeYearToDate(person.id, year: prepared.subject.facts.serviceDay.year, by: settlement.yearToDateChange, sign: 1,
                                   in: tx)
        if settlement.fundFen > 0 {
            try await ledger.post(try JournalEntry(kind: .insuranceSettlement, lines: [
                LedgerLine(.claimsPaid(person.region), -settlement.fundFen), LedgerLine(.wallet(prepared.subject.accountId), settlement.fundFen),
            ], orderId: prepared.subject.orderId, medicineOrderId: prepared.subject.medicineOrderId, settlementId: id), at: context.at, in: tx)
        }
        try await EventStore.append(.settlement(.insuranceSettled, id, region: person.region, institution: prepared.subject.facts.institutionId,
                                                fundFen: settlement.fundFen, at: context.at), in: tx)
        return id
    }

    /// A refunded bill whose claim was paid: the wallet gets the whole bill back from escrow (unless
    /// a direct settlement's reversal did) and returns the fund's reimbursement, in entries of
    /// their own so that the clearing sees the claim's.
    private func reverseClaim(_ original: SettlementRecord, reversal: UUID, refundingBill: Bool, context: AuditContext,
                              in tx: Transaction) async throws {
        let escrow: LedgerAccount = original.medicineOrderId == nil ? .escrow : .medicineEscrow
        // A bill paid in full is refunded here; one settled at payment (the fund paying nothing) was by its own reversal.
        if refundingBill && original.figures.totalFen > 0 {
            try await ledger.post(try .transfer(.refund, amountFen: original.figures.totalFen, from: escrow, to: .wallet(original.accountId),
                                                orderId: original.orderId, medicineOrderId: original.medicineOrderId),
                                  at: context.at, in: tx)
        }
        if original.figures.fundFen > 0 {
            try await ledger.post(try JournalEntry(kind: .insuranceReversal, lines: [
                LedgerLine(.wallet(original.accountId), -original.figures.fundFen), LedgerLine(.claimsPaid(original.region), original.figures.fundFen),
            ], orderId: original.orderId, medicineOrderId: original.medicineOrderId, settlementId: reversal), at: context.at, in: tx)
        }
        try await audit.append(AuditRecord(action: "settlement.reverse", resourceType: "settlement", resourceId: reversal.text,
                                           patientId: original.patientId), context: context, in: tx)
        try await EventStore.append(.settlement(.insuranceReversed, reversal, region: original.region, institution: original.institutionId,
                                                fundFen: original.figures.fundFen, at: context.at), in: tx)
    }
}
