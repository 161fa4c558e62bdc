import Foundation
import MedLoopDomain
import SQLKit

/// A claim as filed and decided.
public struct ClaimRecord: Sendable, Equatable {
    public var id: UUID
    public var invoiceId: UUID
    public var accountId: UUID
    public var patientId: UUID
    public var region: RegionCode
    public var mode: ClaimMode
    public var state: ClaimState
    public var reason: String?
    public var approvedFen: Int64?
    public var settlementId: UUID?
    public var filedAt: Date
    public var decidedAt: Date?
}

/// Deferred reimbursement (the issue, item 5): a patient who paid a bill in full files a claim
/// with its invoice; the insurer of the patient's region approves it with the engine's figures,
/// adjusts it or rejects it, with a reason; an approved amount is paid to the wallet at once and
/// written as a settlement of the claim, so the year to date, the ledger and the clearing see it.
public struct ClaimStore: Sendable {
    let database: Database
    let cipher: FieldCipher
    let audit: AuditStore
    let ledger: LedgerStore
    let settlements: SettlementStore

    public init(database: Database, cipher: FieldCipher, audit: AuditStore, ledger: LedgerStore, settlements: SettlementStore) {
        self.database = database
        self.cipher = cipher
        self.audit = audit
        self.ledger = ledger
        self.settlements = settlements
    }

    /// Files a claim with an invoice of the caller's.
    ///
    /// - Throws: 404 for an invoice that is not the caller's; 409 `settled_directly`, `not_paid`,
    ///   `claim_exists`; 422 `coverage_required` without linked coverage.
    public func file(invoice invoiceId: UUID, mode: ClaimMode, account: UUID, context: AuditContext) async throws -> ClaimRecord {
        try await database.unitOfWork { tx in
            guard let invoice = try await tx.sql.raw("SELECT * FROM invoices WHERE id = \(bind: invoiceId.text)").first(),
                  try invoice.uuid("account_id") == account else { throw DomainError.notFound(resource: "invoice") }
            let orderId = try invoice.optionalUUID("order_id")
            let medicineOrderId = try invoice.optionalUUID("medicine_order_id")
            let patient = try invoice.uuid("patient_id")
            // Settled directly: the fund took part at payment. A bill the fund paid nothing for (not
            // covered then, or the quota used up) may still be claimed.
            let settledDirectly = try await tx.sql.raw("""
                SELECT id FROM settlements WHERE kind = 'settlement' AND claim_id IS NULL AND covered = \(bind: true)
                  AND \(SettlementStore.bill(orderId: orderId, medicineOrderId: medicineOrderId))
                """).first() != nil
            try ClaimRule.checkClaimable(settledDirectly: settledDirectly,
                                         isPaid: try await Self.holdsPayment(orderId: orderId, medicineOrderId: medicineOrderId, in: tx.sql))
            guard let coverage = try await InsuredPersonStore.coverage(of: patient, in: tx.sql, cipher: cipher) else {
                throw DomainError.refused(code: "coverage_required", message: "Link your insurance coverage with an e-voucher first.")
            }
            if try await tx.sql.raw("SELECT id FROM claims WHERE invoice_id = \(bind: invoiceId.text)").first() != nil {
                throw DomainError.conflict(code: "claim_exists", message: "A claim was filed with this invoice already.")
            }
            let claim = ClaimRecord(id: .v7(at: context.at), invoiceId: invoiceId, accountId: account, patientId: patient,
                                    region: coverage.person.region, mode: mode, state: .filed, reason: nil, approvedFen: nil,
                                    settlementId: nil, filedAt: context.at, decidedAt: nil)
            try await tx.sql.raw("""
                INSERT INTO claims (id, invoice_id, patient_id, account_id, insured_person_id, region, mode, state, filed_at)
                VALUES (\(bind: claim.id.text), \(bind: invoiceId.text), \(bind: patient.text), \(bind: account.text),
                        \(bind: coverage.person.id.text), \(bind: claim.region.value), \(bind: mode.rawValue),
                        \(bind: ClaimState.filed.rawValue), \(bind: context.at.epochMillis))
                """).run()
            try await audit.append(AuditRecord(action: "claim.file", resourceType: "claim", resourceId: claim.id.text, patientId: patient),
                                   context: context, in: tx)
            return claim
        }
    }

    /// Decides a filed claim of `region`: the engine settles the bill as the policy in force on its
    /// service day says (the personal account is not drawn after the fact); an approval pays the
    /// fund's share to the wallet, an adjustment pays the amount given, a rejection nothing.
    ///
    /// - Throws: 404 for a claim of another region; 409 `claim_state` for one decided already; 400
    ///   on `approvedFen` or `reason` (`ClaimRule.checkReview`).
    public func review(_ id: UUID, decision: ClaimDecision, approvedFen: Int64?, reason: String?, region: RegionCode,
                       context: AuditContext) async throws -> ClaimRecord {
        try await database.unitOfWork { tx in
            guard let row = try await tx.sql.raw("SELECT * FROM claims WHERE id = \(bind: id.text)").first(),
                  try row.text("region") == region.value else { throw DomainError.notFound(resource: "claim") }
            var claim = try Self.claim(from: row)
            guard let invoice = try await tx.sql.raw("SELECT * FROM invoices WHERE id = \(bind: claim.invoiceId.text)").first() else {
                throw DomainError.notFound(resource: "invoice")
            }
            let orderId = try invoice.optionalUUID("order_id")
            let medicineOrderId = try invoice.optionalUUID("medicine_order_id")
            // A refund racing the review waits for it, then reverses what it paid.
            if tx.engine == .postgres {
                let table: SQLQueryString = orderId == nil ? "medicine_orders" : "orders"
                try await tx.sql.raw("SELECT id FROM \(table) WHERE id = \(bind: (orderId ?? medicineOrderId ?? id).text) FOR UPDATE").run()
            }
            if decision != .reject {
                try ClaimRule.checkClaimable(settledDirectly: false,
                                             isPaid: try await Self.holdsPayment(orderId: orderId, medicineOrderId: medicineOrderId, in: tx.sql))
            }
            let subject = if let orderId { try await settlements.subject(ofOrder: orderId, in: tx.sql) } else {
                try await settlements.subject(ofMedicineOrder: medicineOrderId ?? id, in: tx.sql)
            }
            // The claim is settled under the coverage it was filed with, by that region's insurer.
            guard let subject, var prepared = try await settlements.prepare(subject, on: subject.facts.serviceDay,
                                                                            insuredPerson: try row.uuid("insured_person_id"),
                                                                            in: tx.sql) else {
                throw DomainError.notFound(resource: "insured_person")
            }
            prepared.request.personalAccountBalanceFen = 0
            let engine = try SettlementRule.settle(prepared.request)
            try ClaimRule.checkReview(decision, approvedFen: approvedFen, reason: reason, engineFundFen: engine.fundFen)
            claim.state = try await tx.move("claims", id: id, from: claim.state, by: decision)
            claim.reason = reason
            claim.decidedAt = context.at
            if decision != .reject {
                let settlement = decision == .adjust ? engine.adjusted(toFundFen: approvedFen ?? engine.fundFen) : engine
                claim.approvedFen = settlement.fundFen
                claim.settlementId = try await settlements.settleClaim(id, settlement: settlement, prepared: prepared,
                                                                       context: context, in: tx)
            }
            try await tx.sql.raw("""
                UPDATE claims SET reason = \(bind: claim.reason), approved_fen = \(bind: claim.approvedFen),
                    settlement_id = \(bind: claim.settlementId?.text), decided_at = \(bind: context.at.epochMillis),
                    decided_by = \(bind: context.actorAccountId?.text)
                WHERE id = \(bind: id.text)
                """).run()
            try await audit.append(AuditRecord(action: "claim.\(decision.rawValue)", resourceType: "claim", resourceId: id.text,
                                               patientId: claim.patientId), context: context, in: tx)
            return claim
        }
    }

    public func claim(_ id: UUID) async throws -> ClaimRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM claims WHERE id = \(bind: id.text)").first().map(Self.claim(from:))
        }
    }

    /// The claims `account` filed, newest first.
    public func claims(ofAccount account: UUID, limit: Int, cursor: String?) async throws -> Page<ClaimRecord> {
        try await page(condition: "account_id = \(bind: account.text)", order: "id DESC", limit: limit, cursor: cursor, before: true)
    }

    /// The claims of `region` in `state`, oldest first: the insurer's queue.
    public func claims(of region: RegionCode, state: ClaimState, limit: Int, cursor: String?) async throws -> Page<ClaimRecord> {
        try await page(condition: "region = \(bind: region.value) AND state = \(bind: state.rawValue)", order: "id", limit: limit,
                       cursor: cursor, before: false)
    }

    private func page(condition: SQLQueryString, order: String, limit: Int, cursor: String?, before: Bool) async throws -> Page<ClaimRecord> {
        var filter = condition
        if let cursor { filter += before ? " AND id < \(bind: try Cursor.decode(cursor))" : " AND id > \(bind: try Cursor.decode(cursor))" }
        let whereClause = filter
        let claims = try await database.read { sql in
            try await sql.raw("SELECT * FROM claims WHERE \(whereClause) ORDER BY \(unsafeRaw: order) LIMIT \(literal: limit + 1)")
                .all().map(Self.claim(from:))
        }
        let next = claims.count > limit ? Cursor.encode(claims[limit - 1].id.text) : nil
        return Page(items: Array(claims.prefix(limit)), nextCursor: next)
    }

    static func holdsPayment(orderId: UUID?, medicineOrderId: UUID?, in sql: any SQLDatabase) async throws -> Bool {
        if let orderId {
            return try await sql.raw("SELECT state FROM orders WHERE id = \(bind: orderId.text)").first()?
                .value("state", as: OrderState.self).holdsPayment ?? false
        }
        return try await sql.raw("SELECT state FROM medicine_orders WHERE id = \(bind: medicineOrderId?.text ?? "")").first()?
            .value("state", as: MedicineOrderState.self).holdsPayment ?? false
    }

    static func claim(from row: any SQLRow) throws -> ClaimRecord {
        ClaimRecord(id: try row.uuid("id"), invoiceId: try row.uuid("invoice_id"), accountId: try row.uuid("account_id"),
                    patientId: try row.uuid("patient_id"), region: try RegionCode(try row.text("region")),
                    mode: try row.value("mode", as: ClaimMode.self), state: try row.value("state", as: ClaimState.self),
                    reason: try row.optionalText("reason"), approvedFen: try row.optionalInt64("approved_fen"),
                    settlementId: try row.optionalUUID("settlement_id"), filedAt: try row.instant("filed_at"),
                    decidedAt: try row.optionalInstant("decided_at"))
    }
}
