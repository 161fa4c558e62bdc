import Foundation
import Hummingbird
import MedLoopDomain

/// Pharmacy staff: orders to dispense with traceability codes, stock and its CSV import.
///
/// The orders list refreshes itself; an order's page dispenses it (one code per package, typed
/// or scanned — `pharmacy-scan.js` moves to the next package on a scanner's Enter), hands it over
/// (the pickup code at the counter, or a shipped order delivered), refunds one the pharmacy
/// cannot fill with the reason, and gives a failed O2O delivery to a courier again. Stock and the
/// pharmacy's profile are `PharmacyStockPages`.
struct PharmacyPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("pharmacy/orders", use: list)
        group.get("pharmacy/orders/:id", use: show)
        group.post("pharmacy/orders/:id/dispense", use: dispense)
        group.post("pharmacy/orders/:id/handover", use: handOver)
        group.post("pharmacy/orders/:id/cancel", use: cancel)
        group.post("pharmacy/orders/:id/courier", use: assignCourier)
        PharmacyStockPages(web: web).register(group)
    }

    private var shared: PharmacyWebValues { PharmacyWebValues(web: web) }

    /// The pharmacy's orders, by default those paid or dispensed (the work to do), or those in one
    /// state.
    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacyStaff)
        let state = request.uri.queryParameters["state"].map(String.init) ?? ""
        var query: [(String, String)] = [("limit", "20")]
        if !state.isEmpty { query.append(("state", state)) }
        if let cursor = PharmacyWebValues.cursor(request) { query.append(("cursor", cursor)) }
        let page = try web.object(await web.api.get("pharmacies/me/orders", query: query, context: context), context: context)
        let orders = (page["items"] as? [[String: Any]] ?? []).map { order in
            var order = order
            let lines = order["lines"] as? [[String: Any]] ?? []
            order["shortId"] = PharmacyWebValues.shortId(order["id"])
            order["packages"] = lines.reduce(0) { $0 + Int($1["quantity"] as? Int64 ?? 0) }
            return order
        }
        var data: [String: Any] = [
            "orders": orders,
            "states": MedicineOrderState.allCases.map { option in
                ["value": option.rawValue, "label": web.renderer.string("enum.\(option.rawValue)", in: context.language),
                 "selected": option.rawValue == state]
            },
        ]
        if let next = page["nextCursor"] as? String {
            data["nextPage"] = PharmacyWebValues.link("/pharmacy/orders", [("state", state), ("cursor", next)])
        }
        return web.page("pharmacy-orders", title: "pharmacy.orders.title", data, context: context)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await orderPage(try context.parameters.require("id"), failure: nil, context: context)
    }

    /// A form that was refused: which one, its errors, and what was typed in it.
    private struct Failure {
        let form: String
        let errors: [String: Any]
        let typed: WebForm
    }

    private func orderPage(_ id: String, failure: Failure?, context: AppContext,
                           status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacyStaff)
        let found = try web.object(await web.api.get("medicine-orders/\(id)", context: context), context: context)
        let order = await shared.order(found, context: context)
        var data: [String: Any] = ["order": order, "idempotencyKey": WebKit.idempotencyKey()]
        let fieldErrors = failure?.form == "dispense" ? failure?.errors["fields"] as? [String: String] ?? [:] : [:]
        let typedCodes = failure?.form == "dispense" ? failure?.typed.all("codes") ?? [] : []
        var packages: [[String: Any]] = []
        for line in order["lines"] as? [[String: Any]] ?? [] {
            let quantity = Int(line["quantity"] as? Int64 ?? 0)
            let drug = line["drug"] as? [String: Any] ?? [:]
            for number in stride(from: 1, through: quantity, by: 1) {
                let index = packages.count
                var package: [String: Any] = [
                    "id": "code-\(index)", "name": drug["name"] ?? "", "productCode": drug["productCode"] ?? "",
                    "number": number, "of": quantity, "value": index < typedCodes.count ? typedCodes[index] : "",
                ]
                if let error = fieldErrors["codes[\(index)]"] { package["error"] = error }
                packages.append(package)
            }
        }
        // The first package to scan, or the first refused, takes the focus.
        if let first = packages.firstIndex(where: { $0["error"] != nil }) ?? (packages.isEmpty ? nil : 0) {
            packages[first]["autofocus"] = true
        }
        data["scanPackages"] = packages
        let deliveryStatus = order["deliveryStatus"] as? String
        data["mayAssignCourier"] = order["state"] as? String == "dispensed" && order["mode"] as? String == "o2o"
            && (deliveryStatus == nil || deliveryStatus == "failed")
        if let failure {
            data["\(failure.form)Errors"] = failure.errors
            data["typed"] = ["carrier": failure.typed["carrier"] ?? "", "trackingNumber": failure.typed["trackingNumber"] ?? "",
                             "reason": failure.typed["reason"] ?? "", "pickupCode": failure.typed["pickupCode"] ?? ""]
        }
        return web.page("pharmacy-order", title: "pharmacy.order.title", data, context: context, status: status)
    }

    /// Dispenses the order with the codes scanned, in the order of the packages on the page (a
    /// blank one is sent as it is, so its error lands beside it).
    @Sendable func dispense(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacyStaff)
        let form = context.browser.form
        var body: [String: DocumentValue] = [
            "codes": .list(form.all("codes").map { .string($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
        ]
        if form["carrier"] != nil || form["trackingNumber"] != nil {
            body["carrier"] = .string(form["carrier"] ?? "")
            body["trackingNumber"] = .string(form["trackingNumber"] ?? "")
        }
        return try await act("dispense", path: "dispense", body: body, context: context)
    }

    @Sendable func handOver(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacyStaff)
        var body: [String: DocumentValue] = [:]
        if let code = context.browser.form["pickupCode"] { body["pickupCode"] = .string(code) }
        return try await act("handover", path: "handover", body: body, context: context)
    }

    /// Refunds a paid order the pharmacy cannot fill; the reason is the pharmacy's to give.
    @Sendable func cancel(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacyStaff)
        var body: [String: DocumentValue] = [:]
        if let reason = context.browser.form["reason"] { body["reason"] = .string(reason) }
        return try await act("cancel", path: "cancel", body: body, idempotencyKey: context.browser.form["idempotencyKey"],
                             context: context)
    }

    /// Gives a dispensed O2O order whose delivery failed to the pharmacy's least busy courier.
    @Sendable func assignCourier(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacyStaff)
        return try await act("courier", path: "courier", body: [:], context: context)
    }

    /// Posts one of the order's forms to the API: back to the order when done, or the order again
    /// with the refusal beside that form.
    private func act(_ form: String, path: String, body: [String: DocumentValue], idempotencyKey: String? = nil,
                     context: AppContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let answer = await web.api.send(.post, "medicine-orders/\(id)/\(path)", json: .map(body), idempotencyKey: idempotencyKey,
                                        context: context)
        if case .refused(let error) = answer {
            let failure = Failure(form: form, errors: web.formErrors(error, context: context), typed: context.browser.form)
            return try await orderPage(id, failure: failure, context: context, status: error.status)
        }
        return web.redirect("/pharmacy/orders/\(id)")
    }
}
