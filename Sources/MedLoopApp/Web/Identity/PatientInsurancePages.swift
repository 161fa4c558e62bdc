import Crypto
import Foundation
import Hummingbird
import MedLoopDomain

/// A patient's insurance at `/me/insurance`: the coverage linked with an e-voucher (and linking
/// one), the settlements of their bills with every figure and its sentence, the invoices of bills
/// (each printable), and the claims filed with an invoice of a bill paid in full (deferred
/// reimbursement by mail-in, appointment or online).
struct PatientInsurancePages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("me/insurance", use: show)
        group.post("me/insurance/coverage", use: link)
        group.post("me/claims", use: file)
        group.get("me/invoices/:id/print", use: printable)
    }

    /// Each list's own cursor in the page's address.
    private static let lists = [("settlements", "me/settlements", "settlementCursor"), ("invoices", "me/invoices", "invoiceCursor"),
                                ("claims", "me/claims", "claimCursor")]

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await insurancePage(request, refused: nil, context: context)
    }

    private func insurancePage(_ request: Request, refused: (form: String, errors: [String: Any], values: [String: Any])?,
                               context: AppContext, status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try PatientProfilePages.patientId(context)
        let language = context.language
        var data: [String: Any] = ["idempotencyKey": WebKit.idempotencyKey()]
        switch await web.api.get("me/insurance/coverage", context: context) {
        case .ok(_, let body):
            var coverage = web.values(body, context: context) as? [String: Any] ?? [:]
            coverage["schemeWords"] = (coverage["scheme"] as? String).map { web.renderer.string("me.scheme.\($0)", in: language) }
            coverage["statusWords"] = (coverage["status"] as? String).map { web.renderer.string("me.coverageStatus.\($0)", in: language) }
            data["coverage"] = coverage
        case .refused(let error) where error.status == .notFound:
            data["noCoverage"] = true
        case .refused(let error):
            throw error
        }
        var lists: [String: [[String: Any]]] = [:]
        for (name, path, cursorName) in Self.lists {
            var query = [("limit", "20")]
            if let cursor = request.uri.queryParameters[Substring(cursorName)], !cursor.isEmpty { query.append(("cursor", String(cursor))) }
            let page = try web.object(await web.api.get(path, query: query, context: context), context: context)
            lists[name] = page["items"] as? [[String: Any]] ?? []
            if let next = page["nextCursor"] as? String {
                var components = URLComponents()
                components.path = "/me/insurance"
                components.queryItems = [URLQueryItem(name: cursorName, value: next)]
                data[name + "More"] = (components.string ?? "/me/insurance") + "#\(name)"
            }
        }
        let invoices = lists["invoices"] ?? []
        let numbers = Dictionary(invoices.compactMap { invoice in
            (invoice["id"] as? String).map { ($0.lowercased(), invoice["number"] as? String ?? "") }
        }, uniquingKeysWith: { first, _ in first })
        let claims = (lists["claims"] ?? []).map { claim in
            var claim = claim
            claim["modeWords"] = (claim["mode"] as? String).map { web.renderer.string("me.claimMode.\($0)", in: language) }
            claim["stateWords"] = (claim["state"] as? String).map { web.renderer.string("me.claimState.\($0)", in: language) }
            claim["invoiceNumber"] = (claim["invoiceId"] as? String).flatMap { numbers[$0.lowercased()] }
            return claim
        }
        let claimed = Set(claims.compactMap { ($0["invoiceId"] as? String)?.lowercased() })
        data["settlements"] = (lists["settlements"] ?? []).map { described($0, context: context) }
        data["hasSettlements"] = !(lists["settlements"] ?? []).isEmpty
        data["invoices"] = invoices.map { invoice in
            var invoice = invoice
            invoice["claimed"] = (invoice["id"] as? String).map { claimed.contains($0.lowercased()) } ?? false
            return invoice
        }
        data["hasInvoices"] = !invoices.isEmpty
        data["claims"] = claims
        data["hasClaims"] = !claims.isEmpty
        let chosenInvoice = (refused?.values["invoiceId"] as? String)?.lowercased()
        let unclaimed = invoices.filter { ($0["id"] as? String).map { !claimed.contains($0.lowercased()) } ?? false }
        data["claimable"] = unclaimed.map { invoice in
            var option = invoice
            option["selected"] = (invoice["id"] as? String)?.lowercased() == chosenInvoice
            return option
        }
        data["canClaim"] = !unclaimed.isEmpty
        data["modes"] = ClaimMode.allCases.map { mode in
            ["value": mode.rawValue, "label": web.renderer.string("me.claimMode.\(mode.rawValue)", in: language),
             "hint": web.renderer.string("me.claimModeHint.\(mode.rawValue)", in: language),
             "checked": refused?.values["mode"] as? String == mode.rawValue]
        }
        if let refused {
            data[refused.form + "Errors"] = refused.errors
            data[refused.form + "Values"] = refused.values
        }
        return web.page("me-insurance", title: "me.insurance.title", data, context: context, status: status)
    }

    /// A settlement with its words: the sentences of its explanation in the page's language, and
    /// whether it is a reversal.
    private func described(_ settlement: [String: Any], context: AppContext) -> [String: Any] {
        var settlement = settlement
        settlement["sentences"] = (settlement["explanation"] as? [[String: Any]] ?? []).map { sentence in
            context.language == .english ? sentence["en"] ?? "" : sentence["zh"] ?? ""
        }
        settlement["isReversal"] = settlement["kind"] as? String == SettlementKind.reversal.rawValue
        settlement["schemeWords"] = (settlement["scheme"] as? String).map { web.renderer.string("me.scheme.\($0)", in: context.language) }
        return settlement
    }

    @Sendable func link(_ request: Request, context: AppContext) async throws -> Response {
        _ = try PatientProfilePages.patientId(context)
        let form = context.browser.form
        // The voucher is sent as it was pasted but for surrounding space; a blank one is left out.
        let body = DocumentValue.map(form["voucher"].map { ["voucher": .string($0)] } ?? [:])
        switch await web.api.send(.post, "me/insurance/coverage", json: body, context: context) {
        case .ok:
            return web.redirect("/me/insurance#coverage")
        case .refused(let error) where [400, 409, 422].contains(error.status.code):
            // Every refusal of a link is about the voucher: forged, expired, used, another's.
            let errors = PatientFormErrors(web: web).values(error, context: context, fieldOf: ["*": "voucher"])
            return try await insurancePage(request, refused: ("link", errors, form.echoed(["voucher"])), context: context,
                                           status: error.status)
        case .refused(let error):
            throw error
        }
    }

    @Sendable func file(_ request: Request, context: AppContext) async throws -> Response {
        _ = try PatientProfilePages.patientId(context)
        let form = context.browser.form
        var body: [String: DocumentValue] = [:]
        if let invoice = form["invoiceId"] { body["invoiceId"] = .string(invoice) }
        if let mode = form["mode"] { body["mode"] = .string(mode) }
        switch await web.api.send(.post, "claims", json: .map(body), idempotencyKey: form["idempotencyKey"], context: context) {
        case .ok:
            return web.redirect("/me/insurance#claims")
        case .refused(let error) where [400, 404, 409, 422].contains(error.status.code):
            // A bill settled at payment, unpaid, or claimed already: about the invoice chosen.
            let errors = PatientFormErrors(web: web).values(error, context: context, fieldOf: ["*": "invoiceId"])
            return try await insurancePage(request, refused: ("claim", errors, form.echoed(["invoiceId", "mode"])), context: context,
                                           status: error.status)
        case .refused(let error):
            throw error
        }
    }

    /// The invoice's printable page as the API renders it, passed on with its content type.
    @Sendable func printable(_ request: Request, context: AppContext) async throws -> Response {
        _ = try PatientProfilePages.patientId(context)
        let id = try PatientProfilePages.identifier("id", context)
        switch await web.api.exchange(.get, "invoices/\(id)/print", context: context) {
        case .failure(let error):
            throw error
        case .success(let (status, headers, body)):
            var fields: HTTPFields = [.contentType: headers[.contentType] ?? "text/html; charset=utf-8"]
            // A standalone document: no script at all, and its own inline stylesheet by its hash.
            fields[.contentSecurityPolicy] = "default-src 'none'; style-src \(Self.styleHashes(body)); img-src 'self' data:; "
                + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    /// The CSP sources that allow exactly the `<style>` elements of a document.
    static func styleHashes(_ document: Data) -> String {
        let text = String(decoding: document, as: UTF8.self)
        var sources: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<style>"), let close = rest.range(of: "</style>", range: open.upperBound..<rest.endIndex) {
            let css = rest[open.upperBound..<close.lowerBound]
            sources.append("'sha256-\(Data(SHA256.hash(data: Data(css.utf8))).base64EncodedString())'")
            rest = rest[close.upperBound...]
        }
        return sources.isEmpty ? "'none'" : sources.joined(separator: " ")
    }
}
