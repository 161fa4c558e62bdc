import Foundation
import MedLoopDomain
import SQLKit

/// An electronic invoice as issued: the signed document and the signature.
public struct InvoiceRecord: Sendable {
    public var id: UUID
    public var document: InvoiceDocument
    public var signature: DocumentSignature
    public var accountId: UUID
    public var patientId: UUID
    public var issuedAt: Date

    /// Whether the signature holds over the document (a changed copy fails).
    public var verifies: Bool { DocumentSigning.fault(of: signature, over: document.canonical) == nil }
}

/// Electronic invoices (the issue, item 5): every bill paid gets one, numbered and signed with
/// the charging institution's key, in the payment's unit of work; a patient who paid in full
/// files a claim with it.
extension SettlementStore {
    /// Issues the invoice of a bill being paid (inside the payment's unit of work).
    func issueInvoice(for subject: BillSubject, context: AuditContext, in tx: Transaction) async throws {
        let institution = subject.facts.institutionId
        let name = try await tx.sql.raw("SELECT name FROM institutions WHERE id = \(bind: institution.text)").first()?.text("name") ?? ""
        let payer = try await tx.sql.raw("SELECT real_name FROM patients WHERE id = \(bind: subject.patientId.text)").first()?
            .text("real_name") ?? ""
        var lines: [InvoiceDocument.Line] = []
        for line in subject.lines {
            switch line.kind {
            case .consultation: lines.append(.init(description: "互联网医院复诊诊查费 (online follow-up consultation)", quantity: 1,
                                                   amountFen: line.amountFen))
            case .delivery: lines.append(.init(description: "配送费 (delivery)", quantity: 1, amountFen: line.amountFen))
            case .drug:
                let drug = try await tx.sql.raw("""
                    SELECT d.generic_name_zh, l.quantity FROM medicine_order_lines l JOIN drugs d ON d.id = l.drug_id
                    WHERE l.order_id = \(bind: subject.medicineOrderId?.text ?? "") AND l.drug_id = \(bind: line.drugId?.text ?? "")
                    """).first()
                lines.append(.init(description: try drug?.text("generic_name_zh") ?? "", quantity: Int(try drug?.int64("quantity") ?? 1),
                                   amountFen: line.amountFen))
            }
        }
        let id = UUID.v7(at: context.at)
        let document = InvoiceDocument(number: InvoiceDocument.number(day: CalendarDate.shanghai(context.at), id: id),
                                       institutionId: institution, institutionName: name, payer: payer, orderId: subject.orderId,
                                       medicineOrderId: subject.medicineOrderId, lines: lines, issuedAt: Timestamp.format(context.at))
        let key = try await KeyRing(cipher: cipher).key(KeyRing.invoices(institution), at: context.at, in: tx)
        let signature = try DocumentSigning.sign(document.canonical, role: "institution", accountId: institution, key: key, at: context.at)
        try await tx.sql.raw("""
            INSERT INTO invoices (id, number, order_id, medicine_order_id, institution_id, patient_id, account_id, total_fen, document,
                                  signature, issued_at)
            VALUES (\(bind: id.text), \(bind: document.number), \(bind: subject.orderId?.text), \(bind: subject.medicineOrderId?.text),
                    \(bind: institution.text), \(bind: subject.patientId.text), \(bind: subject.accountId.text), \(bind: document.totalFen),
                    \(bind: document.canonical), \(bind: CanonicalJSON.text(of: signature)), \(bind: context.at.epochMillis))
            """).run()
    }

    public func invoice(_ id: UUID) async throws -> InvoiceRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM invoices WHERE id = \(bind: id.text)").first().map(Self.invoice(from:))
        }
    }

    /// The invoices of the bills `account` paid, newest first.
    public func invoices(ofAccount account: UUID, limit: Int, cursor: String?) async throws -> Page<InvoiceRecord> {
        var condition: SQLQueryString = "account_id = \(bind: account.text)"
        if let cursor { condition += " AND id < \(bind: try Cursor.decode(cursor))" }
        let whereClause = condition
        let invoices = try await database.read { sql in
            try await sql.raw("SELECT * FROM invoices WHERE \(whereClause) ORDER BY id DESC LIMIT \(literal: limit + 1)")
                .all().map(Self.invoice(from:))
        }
        let next = invoices.count > limit ? Cursor.encode(invoices[limit - 1].id.text) : nil
        return Page(items: Array(invoices.prefix(limit)), nextCursor: next)
    }

    static func invoice(from row: any SQLRow) throws -> InvoiceRecord {
        let decoder = JSONDecoder()
        return InvoiceRecord(id: try row.uuid("id"),
                             document: try decoder.decode(InvoiceDocument.self, from: Data(try row.text("document").utf8)),
                             signature: try decoder.decode(DocumentSignature.self, from: Data(try row.text("signature").utf8)),
                             accountId: try row.uuid("account_id"), patientId: try row.uuid("patient_id"),
                             issuedAt: try row.instant("issued_at"))
    }
}
