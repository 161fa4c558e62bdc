import Foundation
import Hummingbird
import MedLoopDomain

/// A courier's deliveries and their status updates.
///
/// The list refreshes itself and offers each delivery's next step (picked up, on the way,
/// delivered); a delivery's page has the same step and the report of a failed delivery, which
/// says why.
struct CourierPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("deliveries", use: list)
        group.get("deliveries/:id", use: show)
        group.post("deliveries/:id/status", use: report)
    }

    private var shared: PharmacyWebValues { PharmacyWebValues(web: web) }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.courier)
        var query: [(String, String)] = [("limit", "20")]
        if let cursor = PharmacyWebValues.cursor(request) { query.append(("cursor", cursor)) }
        let page = try web.object(await web.api.get("couriers/me/deliveries", query: query, context: context), context: context)
        var deliveries: [[String: Any]] = []
        for order in page["items"] as? [[String: Any]] ?? [] {
            deliveries.append(withNextStep(await shared.order(order, context: context), context: context))
        }
        var data: [String: Any] = ["deliveries": deliveries]
        if let next = page["nextCursor"] as? String { data["nextPage"] = PharmacyWebValues.link("/deliveries", [("cursor", next)]) }
        return web.page("courier-deliveries", title: "courier.deliveries.title", data, context: context)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await deliveryPage(try context.parameters.require("id"), errors: nil, note: "", context: context)
    }

    private func deliveryPage(_ id: String, errors: [String: Any]?, note: String, context: AppContext,
                              status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.courier)
        let found = try web.object(await web.api.get("medicine-orders/\(id)", context: context), context: context)
        var data: [String: Any] = ["delivery": withNextStep(await shared.order(found, context: context), context: context),
                                   "typedNote": note]
        if let errors { data["errors"] = errors }
        return web.page("courier-delivery", title: "courier.delivery.title", data, context: context, status: status)
    }

    /// A delivery with the step the courier can report next and whether it can still fail, as
    /// `DeliveryStatus` allows the moves (the API decides; the page only offers them).
    private func withNextStep(_ order: [String: Any], context: AppContext) -> [String: Any] {
        var order = order
        guard order["state"] as? String == "dispensed",
              let current = (order["deliveryStatus"] as? String).flatMap(DeliveryStatus.init(rawValue:)) else { return order }
        if let next = [DeliveryStatus.pickedUp, .inTransit, .delivered].first(where: { (try? current.after($0)) != nil }) {
            order["next"] = ["status": next.rawValue, "label": web.renderer.string("courier.step.\(next.rawValue)", in: context.language)]
        }
        order["mayFail"] = (try? current.after(.failed)) != nil
        return order
    }

    /// The courier's report: the next step, or a failure with its reason (`note`).
    @Sendable func report(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.courier)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        var body: [String: DocumentValue] = ["status": .string(form["status"] ?? "")]
        if let note = form["note"] { body["note"] = .string(note) }
        let answer = await web.api.send(.post, "medicine-orders/\(id)/delivery", json: .map(body), context: context)
        if case .refused(let error) = answer {
            return try await deliveryPage(id, errors: web.formErrors(error, context: context), note: form.all("note").first ?? "",
                                          context: context, status: error.status)
        }
        return web.redirect(form["back"] == "list" ? "/deliveries" : "/deliveries/\(id)")
    }
}
