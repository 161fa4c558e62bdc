import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Deferred reimbursement: the invoices of bills paid (JSON and a printable page), claims filed
/// with them, and the insurer's review queue and decisions.
struct ClaimRoutes {
    let claims: ClaimStore
    let settlements: SettlementStore
    let regions: InsuranceRegions
    let audit: AuditStore
    let authorizer: Authorizer
    let idempotent: IdempotentPost
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("me/invoices", use: invoices)
        group.get("invoices/:id", use: invoice)
        group.get("invoices/:id/print", use: printable)
        group.post("claims", use: file)
        group.get("me/claims", use: mine)
        group.get("claims/:id", use: show)
        group.get("insurance/claims", use: queue)
        group.post("insurance/claims/:id/review", use: review)
    }

    @Sendable func invoices(_ request: Request, context: AppContext) async throws -> ListView<InvoiceView> {
        let caller = try await authorizer.require(.buyServices, context, action: "invoice.list", resourceType: "invoice")
        let paging = try Paging(request)
        let page = try await settlements.invoices(ofAccount: caller.accountId, limit: paging.limit, cursor: paging.cursor)
        return ListView(items: page.items.map(InvoiceView.init), nextCursor: page.nextCursor)
    }

    @Sendable func invoice(_ request: Request, context: AppContext) async throws -> InvoiceView {
        let invoice = try await ownInvoice(context)
        try await audit.recordRead("invoice.read", of: "invoice", id: invoice.id.text, patient: invoice.patientId, by: context,
                                   at: clock.now())
        return InvoiceView(invoice)
    }

    /// The invoice as one printable page (zh-CN, amounts in yuan).
    @Sendable func printable(_ request: Request, context: AppContext) async throws -> Response {
        let invoice = try await ownInvoice(context)
        let document = invoice.document
        let rows = document.lines.map { line in
            "<tr><td>\(Self.escaped(line.description))</td><td>\(line.quantity)</td><td>\(Yuan.text(line.amountFen))</td></tr>"
        }.joined()
        let html = """
            <!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>电子票据 \(Self.escaped(document.number))</title>
            <style>body{font-family:sans-serif;max-width:40em;margin:2em auto}table{width:100%;border-collapse:collapse}
            td,th{border:1px solid #999;padding:.3em;text-align:left}</style></head><body>
            <h1>医疗收费电子票据</h1>
            <p>票据号码 Number: \(Self.escaped(document.number))<br>开票单位 Issuer: \(Self.escaped(document.institutionName))<br>
            交款人 Payer: \(Self.escaped(document.payer))<br>开票时间 Issued: \(Self.escaped(document.issuedAt))</p>
            <table><tr><th>项目 Item</th><th>数量 Qty</th><th>金额（元）Amount (yuan)</th></tr>\(rows)
            <tr><th colspan="2">合计 Total</th><th>\(Yuan.text(document.totalFen))</th></tr></table>
            <p>电子签名 Signature (P-256, SHA-256 \(Self.escaped(invoice.signature.hash))): \(invoice.verifies ? "有效 valid" : "无效 INVALID")</p>
            </body></html>
            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    struct FileBody: Decodable {
        var invoiceId: UUID
        var mode: ClaimMode
    }

    @Sendable func file(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try await authorizer.require(.buyServices, context, action: "claim.file", resourceType: "claim")
        return try await idempotent.respond(to: request, context: context) { request in
            let body = try await request.decodeJSON(as: FileBody.self, context: context)
            let claim = try await claims.file(invoice: body.invoiceId, mode: body.mode, account: caller.accountId,
                                              context: context.auditContext(at: clock.now()))
            return (.created, ClaimView(claim))
        }
    }

    @Sendable func mine(_ request: Request, context: AppContext) async throws -> ListView<ClaimView> {
        let caller = try await authorizer.require(.buyServices, context, action: "claim.list", resourceType: "claim")
        let paging = try Paging(request)
        let page = try await claims.claims(ofAccount: caller.accountId, limit: paging.limit, cursor: paging.cursor)
        return ListView(items: page.items.map(ClaimView.init), nextCursor: page.nextCursor)
    }

    /// The patient who filed it, or the insurer of its region.
    @Sendable func show(_ request: Request, context: AppContext) async throws -> ClaimView {
        let caller = try context.requireCaller()
        let id = try context.parameters.uuid("id")
        guard let claim = try await claims.claim(id) else { throw AppError.notFound("claim") }
        let readable = switch caller.role {
        case .patient: claim.accountId == caller.accountId
        case .insurer: try await regions.own(context, action: "claim.read") == claim.region
        case .regulator, .operator: true
        case .doctor, .pharmacist, .pharmacyStaff, .courier: false
        }
        guard readable else { throw AppError.notFound("claim") }
        try await audit.recordRead("claim.read", of: "claim", id: id.text, patient: claim.patientId, by: context, at: clock.now())
        return ClaimView(claim)
    }

    @Sendable func queue(_ request: Request, context: AppContext) async throws -> ListView<ClaimView> {
        let region = try await regions.own(context, action: "claim.list")
        let state = try request.uri.queryParameters.get("state").map { text in
            guard let state = ClaimState(rawValue: text) else {
                throw AppError.invalid("state", code: "unknown_value", "A state is filed, approved, adjusted or rejected.")
            }
            return state
        } ?? .filed
        let paging = try Paging(request)
        let page = try await claims.claims(of: region, state: state, limit: paging.limit, cursor: paging.cursor)
        try await audit.recordRead("claim.list", of: "claim_queue", id: region.value, by: context, at: clock.now())
        return ListView(items: page.items.map(ClaimView.init), nextCursor: page.nextCursor)
    }

    struct ReviewBody: Decodable {
        var decision: ClaimDecision
        var approvedFen: Int64?
        var reason: String?
    }

    @Sendable func review(_ request: Request, context: AppContext) async throws -> Response {
        let region = try await regions.own(context, action: "claim.review")
        let id = try context.parameters.uuid("id")
        return try await idempotent.respond(to: request, context: context) { request in
            let body = try await request.decodeJSON(as: ReviewBody.self, context: context)
            let claim = try await claims.review(id, decision: body.decision, approvedFen: body.approvedFen, reason: body.reason,
                                                region: region, context: context.auditContext(at: clock.now()))
            return (.ok, ClaimView(claim))
        }
    }

    private func ownInvoice(_ context: AppContext) async throws -> InvoiceRecord {
        let caller = try await authorizer.require(.buyServices, context, action: "invoice.read", resourceType: "invoice")
        guard let invoice = try await settlements.invoice(try context.parameters.uuid("id")), invoice.accountId == caller.accountId else {
            throw AppError.notFound("invoice")
        }
        return invoice
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// An invoice: its document, signature and whether the signature holds.
struct InvoiceView: APIView, Encodable {
    var id: UUID
    var number: String
    var institutionId: UUID
    var institutionName: String
    var orderId: UUID?
    var medicineOrderId: UUID?
    var lines: [InvoiceDocument.Line]
    var totalFen: Int64
    var issuedAt: Date
    var document: String
    var signature: DocumentSignature
    var verified: Bool

    init(_ invoice: InvoiceRecord) {
        id = invoice.id
        number = invoice.document.number
        institutionId = invoice.document.institutionId
        institutionName = invoice.document.institutionName
        orderId = invoice.document.orderId
        medicineOrderId = invoice.document.medicineOrderId
        lines = invoice.document.lines
        totalFen = invoice.document.totalFen
        issuedAt = invoice.issuedAt
        document = invoice.document.canonical
        signature = invoice.signature
        verified = invoice.verifies
    }
}

/// A claim with its state and times.
struct ClaimView: APIView, Encodable {
    var id: UUID
    var invoiceId: UUID
    var mode: ClaimMode
    var state: ClaimState
    var reason: String?
    var approvedFen: Int64?
    var settlementId: UUID?
    var filedAt: Date
    var decidedAt: Date?

    init(_ claim: ClaimRecord) {
        id = claim.id
        invoiceId = claim.invoiceId
        mode = claim.mode
        state = claim.state
        reason = claim.reason
        approvedFen = claim.approvedFen
        settlementId = claim.settlementId
        filedAt = claim.filedAt
        decidedAt = claim.decidedAt
    }
}
