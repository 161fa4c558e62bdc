import Foundation
import Hummingbird
import MedLoopDomain

/// A patient's orders: the list, one order with its insurance quote line by line before paying,
/// paying from the wallet, and cancelling.
struct OrderPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("orders", use: list)
        group.get("orders/:id", use: show)
        group.post("orders/:id/pay", use: pay)
        group.post("orders/:id/cancel", use: cancel)
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        var query: [(String, String)] = [("limit", "20")]
        if let cursor = request.uri.queryParameters["cursor"] { query.append(("cursor", String(cursor))) }
        let page = try web.object(await web.api.get("orders", query: query, context: context), context: context)
        var data: [String: Any] = ["orders": page["items"] ?? []]
        if let next = page["nextCursor"] as? String { data["nextPage"] = "/orders?cursor=\(next)" }
        return web.page("orders", title: "orders.title", data, context: context)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await orderPage(context.parameters.require("id"), errors: nil, context: context)
    }

    private func orderPage(_ id: String, errors: [String: Any]?, context: AppContext,
                           status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let order = try web.object(await web.api.get("orders/\(id)", context: context), context: context)
        var data: [String: Any] = ["order": order, "idempotencyKey": WebKit.idempotencyKey()]
        if let doctorId = order["doctorId"] as? String,
           case .ok(_, let doctor) = await web.api.get("doctors/\(doctorId)", context: context) {
            data["doctor"] = web.values(doctor, context: context)
        }
        if let consultation = order["consultationId"] as? String,
           (order["service"] as? String).flatMap(ServiceKind.init(rawValue:))?.isMetered == true,
           case .ok(_, let calls) = await web.api.get("consultations/\(consultation)/calls", context: context) {
            let items = (web.values(calls, context: context) as? [String: Any])?["items"] as? [Any] ?? []
            data["calls"] = items
            data["hasCalls"] = !items.isEmpty
        }
        if (order["stateIs"] as? [String: Bool])?["created"] == true {
            let wallet = try web.object(await web.api.get("wallet", context: context), context: context)
            data["wallet"] = wallet
            if case .ok(_, let quote) = await web.api.get("orders/\(id)/insurance-quote", context: context) {
                data["quote"] = web.settlementValues(quote, context: context)
            }
        }
        if let errors { data["errors"] = errors }
        return web.page("order", title: "order.title", data, context: context, status: status)
    }

    @Sendable func pay(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let id = try context.parameters.require("id")
        let answer = await web.api.send(.post, "orders/\(id)/pay", json: nil,
                                        idempotencyKey: context.browser.form["idempotencyKey"], context: context)
        switch answer {
        case .refused(let error):
            return try await orderPage(id, errors: web.formErrors(error, context: context), context: context, status: error.status)
        case .ok(_, let body):
            if case .map(let order) = body, case .string(let consultation)? = order["consultationId"] {
                return web.redirect("/consultations/\(consultation)")
            }
            return web.redirect("/orders/\(id)")
        }
    }

    @Sendable func cancel(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let id = try context.parameters.require("id")
        let answer = await web.api.send(.post, "orders/\(id)/cancel", json: nil,
                                        idempotencyKey: context.browser.form["idempotencyKey"], context: context)
        if case .refused(let error) = answer {
            return try await orderPage(id, errors: web.formErrors(error, context: context), context: context, status: error.status)
        }
        return web.redirect("/orders/\(id)")
    }
}
