import Foundation
import Hummingbird
import MedLoopDomain

/// A patient's medicine orders: pharmacy options, reserving, paying with the insurance quote, delivery.
///
/// The pharmacies that can fill an approved prescription are listed for a way of getting the
/// medicine (O2O delivery, B2C shipping, pickup) and a place, with distance, time and price; the
/// patient reserves at one, sees the insurance quote line by line, pays from the wallet, follows
/// the delivery on the order's page (its tracking region refreshed by `live.js`), confirms receipt
/// and then sees the settlement.
struct MedicineOrderPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("prescriptions/:id/pharmacies", use: options)
        group.post("prescriptions/:id/medicine-orders", use: reserve)
        group.get("medicine-orders/:id", use: show)
        group.post("medicine-orders/:id/pay", use: pay)
        group.post("medicine-orders/:id/cancel", use: cancel)
        group.post("medicine-orders/:id/receipt", use: receipt)
    }

    // MARK: Pharmacy options and reserving

    /// The search form, and once it is sent (`mode` present) the options the API finds.
    @Sendable func options(_ request: Request, context: AppContext) async throws -> Response {
        let query = request.uri.queryParameters
        let search = query["mode"].map { mode in
            Search(mode: String(mode), lat: query["lat"].map(String.init) ?? "", lon: query["lon"].map(String.init) ?? "")
        }
        return try await optionsPage(try context.parameters.require("id"), search: search, errors: nil, context: context)
    }

    /// The way of getting the medicine and the place the patient searched with, as typed.
    struct Search {
        var mode: String
        var lat: String
        var lon: String
    }

    private func optionsPage(_ id: String, search: Search?, errors: [String: Any]?, context: AppContext,
                             status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let prescription = web.prescribingValues(
            try web.object(await web.api.get("prescriptions/\(id)", context: context), context: context), context: context)
        let names = drugNames(prescription)
        let chosen = search?.mode ?? FulfilmentMode.o2o.rawValue
        var data: [String: Any] = [
            "prescription": prescription, "lat": search?.lat ?? "", "lon": search?.lon ?? "",
            "modes": FulfilmentMode.allCases.map { mode in
                ["value": mode.rawValue, "text": web.renderer.string("enum.\(mode.rawValue)", in: context.language),
                 "checked": mode.rawValue == chosen]
            },
        ]
        var shown = errors
        var status = status
        if let search {
            let answer = await web.api.get("prescriptions/\(id)/pharmacy-options",
                                           query: [("lat", search.lat), ("lon", search.lon), ("mode", search.mode)], context: context)
            switch answer {
            case .ok(_, let found):
                let options = ((web.values(found, context: context) as? [String: Any])?["items"] as? [[String: Any]] ?? [])
                    .map { option in
                        var option = option
                        option["lines"] = named(option["lines"], names)
                        option["idempotencyKey"] = WebKit.idempotencyKey()
                        option["eta"] = eta(option["estimatedMinutes"] as? Int64 ?? 0, context: context)
                        return option
                    }
                data["options"] = options
                data["searched"] = true
            case .refused(let error):
                shown = shown ?? web.formErrors(error, context: context)
                if status == .ok { status = error.status }
            }
        }
        if let shown { data["errors"] = shown }
        return web.page("prescription-pharmacies", title: "prescribing.pharmacies.title", data, context: context, status: status)
    }

    /// Reserves the stock at the chosen pharmacy: the order's page follows.
    @Sendable func reserve(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        let search = Search(mode: form["mode"] ?? "", lat: form["lat"] ?? "", lon: form["lon"] ?? "")
        var body: [String: DocumentValue] = ["pharmacyId": .string(form["pharmacyId"] ?? ""), "mode": .string(search.mode)]
        body["lat"] = Double(search.lat).map(DocumentValue.number) ?? .string(search.lat)
        body["lon"] = Double(search.lon).map(DocumentValue.number) ?? .string(search.lon)
        let answer = await web.api.send(.post, "prescriptions/\(id)/medicine-orders", json: .map(body),
                                        idempotencyKey: form["idempotencyKey"], context: context)
        switch answer {
        case .refused(let error):
            return try await optionsPage(id, search: search, errors: web.formErrors(error, context: context), context: context,
                                         status: error.status)
        case .ok(_, let created):
            guard case .map(let order) = created, case .string(let orderId)? = order["id"] else {
                return web.redirect("/prescriptions/\(id)")
            }
            return web.redirect("/medicine-orders/\(orderId)")
        }
    }

    // MARK: The order

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await orderPage(context.parameters.require("id"), errors: nil, context: context)
    }

    private func orderPage(_ id: String, errors: [String: Any]?, context: AppContext,
                           status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        var order = try web.object(await web.api.get("medicine-orders/\(id)", context: context), context: context)
        var names: [String: String] = [:]
        if let prescriptionId = order["prescriptionId"] as? String,
           case .ok(_, let prescription) = await web.api.get("prescriptions/\(prescriptionId)", context: context),
           let values = web.values(prescription, context: context) as? [String: Any] {
            names = drugNames(web.prescribingValues(values, context: context))
        }
        order["lines"] = named(order["lines"], names)
        order["reservedUntilText"] = WebKit.chinaTime(order["reservedUntil"])
        let states = order["stateIs"] as? [String: Bool] ?? [:]
        var data: [String: Any] = ["order": order, "idempotencyKey": WebKit.idempotencyKey(),
                                   // The pharmacy and the courier still move a paid order on; the page follows them.
                                   "isLive": states["paid"] == true || states["dispensed"] == true || states["delivered"] == true,
                                   "mayCancel": states["reserved"] == true || states["paid"] == true,
                                   "mayConfirm": states["delivered"] == true]
        if let pharmacyId = order["pharmacyId"] as? String,
           case .ok(_, let pharmacy) = await web.api.get("institutions/\(pharmacyId)", context: context) {
            data["pharmacy"] = web.values(pharmacy, context: context)
        }
        if states["reserved"] == true {
            data["wallet"] = try web.object(await web.api.get("wallet", context: context), context: context)
            switch await web.api.get("medicine-orders/\(id)/insurance-quote", context: context) {
            case .ok(_, let quote):
                var values = web.settlementValues(quote, context: context)
                values["lines"] = named(values["lines"], names)
                data["quote"] = values
            case .refused(let error):
                data["noQuote"] = web.formErrors(error, context: context)["message"]
            }
        } else {
            data["settlements"] = await settlements(of: id, names: names, context: context)
        }
        if let errors { data["errors"] = errors }
        return web.page("medicine-order-show", title: "prescribing.order.title", data, context: context, status: status)
    }

    /// The settlements (and reversals) of the order among the patient's, line by line with their sentences.
    private func settlements(of id: String, names: [String: String], context: AppContext) async -> [[String: Any]] {
        guard case .ok(_, .map(let page)) = await web.api.get("me/settlements", query: [("limit", "100")], context: context),
              case .list(let items)? = page["items"] else { return [] }
        return items.compactMap { item in
            guard case .map(let settlement) = item, case .string(let orderId)? = settlement["medicineOrderId"],
                  orderId.lowercased() == id.lowercased() else { return nil }
            var values = web.settlementValues(item, context: context)
            values["lines"] = named(values["lines"], names)
            return values
        }
    }

    @Sendable func pay(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let id = try context.parameters.require("id")
        let answer = await web.api.send(.post, "medicine-orders/\(id)/pay", json: nil,
                                        idempotencyKey: context.browser.form["idempotencyKey"], context: context)
        if case .refused(let error) = answer {
            var errors = web.formErrors(error, context: context)
            errors["at"] = ["pay": true]
            return try await orderPage(id, errors: errors, context: context, status: error.status)
        }
        return web.redirect("/medicine-orders/\(id)")
    }

    @Sendable func cancel(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let id = try context.parameters.require("id")
        var body: [String: DocumentValue] = [:]
        if let reason = context.browser.form["reason"] { body["reason"] = .string(reason) }
        if case .refused(let error) = await web.api.send(.post, "medicine-orders/\(id)/cancel", json: .map(body), context: context) {
            var errors = web.formErrors(error, context: context)
            errors["at"] = ["cancel": true]
            errors["reason"] = context.browser.form["reason"] ?? ""
            return try await orderPage(id, errors: errors, context: context, status: error.status)
        }
        return web.redirect("/medicine-orders/\(id)")
    }

    @Sendable func receipt(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let id = try context.parameters.require("id")
        if case .refused(let error) = await web.api.send(.post, "medicine-orders/\(id)/receipt", json: nil, context: context) {
            var errors = web.formErrors(error, context: context)
            errors["at"] = ["receipt": true]
            return try await orderPage(id, errors: errors, context: context, status: error.status)
        }
        return web.redirect("/medicine-orders/\(id)")
    }

    /// A delivery time as a person says it: minutes within the hour, then hours, then days.
    private func eta(_ minutes: Int64, context: AppContext) -> String {
        let words = { (key: String) in web.renderer.string("prescribing.pharmacies.\(key)", in: context.language) }
        let (count, unit): (Int64, String) = switch minutes {
        case ..<60: (minutes, "minutes")
        case ..<1440: ((minutes + 59) / 60, "hours")
        default: ((minutes + 1439) / 1440, "days")
        }
        return "\(words("about")) \(count) \(words(unit))"
    }

    // MARK: Drug names

    /// The prescription's drugs by id (lower case), named in the page's language with their strength.
    private func drugNames(_ prescription: [String: Any]) -> [String: String] {
        var names: [String: String] = [:]
        for item in prescription["items"] as? [[String: Any]] ?? [] {
            guard let drugId = item["drugId"] as? String else { continue }
            names[drugId.lowercased()] = [item["name"] as? String, item["strength"] as? String].compactMap { $0 }.joined(separator: " · ")
        }
        return names
    }

    /// Bill or settlement lines with the name of their drug.
    private func named(_ lines: Any?, _ names: [String: String]) -> [[String: Any]] {
        (lines as? [[String: Any]] ?? []).map { line in
            var line = line
            if let drugId = line["drugId"] as? String { line["name"] = names[drugId.lowercased()] ?? drugId }
            return line
        }
    }
}
