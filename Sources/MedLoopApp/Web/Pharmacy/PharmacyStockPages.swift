import Foundation
import Hummingbird
import MedLoopDomain

/// A pharmacy's stock, kept by its staff: each drug's packages on hand and price set in place, a
/// whole stock list imported as CSV (pasted) with the report of every row refused; and the
/// pharmacy's profile (where it is, its hours, how it hands medicine over).
struct PharmacyStockPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("pharmacy/stock", use: stock)
        group.post("pharmacy/stock/import", use: importList)
        group.post("pharmacy/stock/:drugId", use: setLevel)
        group.get("pharmacy/profile", use: profile)
        group.post("pharmacy/profile", use: setProfile)
    }

    private var shared: PharmacyWebValues { PharmacyWebValues(web: web) }

    // MARK: Stock

    @Sendable func stock(_ request: Request, context: AppContext) async throws -> Response {
        try await stockPage(cursor: PharmacyWebValues.cursor(request), context: context)
    }

    /// A line that was refused: its drug, the errors and what was typed.
    private struct LineFailure {
        let drugId: String
        let errors: [String: Any]
        let onHand: String
        let price: String
    }

    private func stockPage(cursor: String?, line: LineFailure? = nil, importErrors: [String: Any]? = nil, csv: String = "",
                           report: [String: Any]? = nil, context: AppContext, status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacyStaff)
        var query: [(String, String)] = [("limit", "20")]
        if let cursor { query.append(("cursor", cursor)) }
        let page = try web.object(await web.api.get("pharmacies/me/stock", query: query, context: context), context: context)
        var levels: [[String: Any]] = []
        for var level in page["items"] as? [[String: Any]] ?? [] {
            let drugId = level["drugId"] as? String ?? ""
            if let drug = await shared.drug(drugId, context: context) {
                level["name"] = drug["name"]
                level["strength"] = drug["strength"]
            } else {
                level["name"] = level["genericNameZh"] ?? ""
            }
            level["onHandValue"] = String(level["onHand"] as? Int64 ?? 0)
            level["priceValue"] = level["priceYuan"] ?? ""
            if let line, line.drugId.lowercased() == drugId.lowercased() {
                level["errors"] = line.errors
                level["onHandValue"] = line.onHand
                level["priceValue"] = line.price
            }
            levels.append(level)
        }
        var data: [String: Any] = ["levels": levels, "cursor": cursor ?? "", "csv": csv]
        if let next = page["nextCursor"] as? String { data["nextPage"] = PharmacyWebValues.link("/pharmacy/stock", [("cursor", next)]) }
        if cursor != nil { data["firstPage"] = "/pharmacy/stock" }
        if let importErrors { data["importErrors"] = importErrors }
        if let report { data["report"] = report }
        return web.page("pharmacy-stock", title: "pharmacy.stock.title", data, context: context, status: status)
    }

    /// Sets one drug's packages on hand and its price (typed in yuan).
    @Sendable func setLevel(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacyStaff)
        let drugId = try context.parameters.require("drugId")
        let form = context.browser.form
        let cursor = form["cursor"]
        let answer: WebAPI.Answer
        do {
            var validator = FieldValidator()
            let onHand = Int(form["onHand"] ?? "")
            if onHand == nil { validator.add("onHand", code: "format", "Write a whole number of packages.") }
            let price = validator.check { () throws(DomainError) in
                try Yuan.fen(form["price"] ?? "", field: "priceFen", limitFen: StockRule.maximumPriceFen)
            }
            try validator.finish()
            answer = await web.api.send(.put, "pharmacies/me/stock/\(drugId)",
                                        json: .map(["onHand": .integer(Int64(onHand!)), "priceFen": .integer(price!)]), context: context)
        } catch {
            answer = .refused(AppError.from(error))
        }
        if case .refused(let error) = answer {
            let failure = LineFailure(drugId: drugId, errors: web.formErrors(error, context: context),
                                      onHand: form.all("onHand").first ?? "", price: form.all("price").first ?? "")
            return try await stockPage(cursor: cursor, line: failure, context: context, status: error.status)
        }
        return web.redirect(PharmacyWebValues.link("/pharmacy/stock", [("cursor", cursor ?? "")]) + "#stock-\(drugId)")
    }

    /// Imports a pasted stock list (`productCode,onHand,priceFen`) and shows what was applied and
    /// each row refused, with its line and why.
    @Sendable func importList(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacyStaff)
        let csv = context.browser.form.all("csv").first ?? ""
        let answer = await web.api.call(.post, "pharmacies/me/stock/import", query: [], body: Data(csv.utf8),
                                        contentType: "text/csv; charset=utf-8", context: context)
        switch answer {
        case .refused(let error):
            return try await stockPage(cursor: nil, importErrors: web.formErrors(error, context: context), csv: csv,
                                       context: context, status: error.status)
        case .ok(_, let body):
            var report = web.values(body, context: context) as? [String: Any] ?? [:]
            let refused = report["refused"] as? [[String: Any]] ?? []
            report["refusedCount"] = refused.count
            report["hasRefused"] = !refused.isEmpty
            report["refused"] = refused.map { row in
                var row = row
                let code = row["code"] as? String ?? ""
                let path = "pharmacy.import.reasons.\(code)"
                let words = web.renderer.string(path, in: context.language)
                row["reason"] = words == path ? code : words
                return row
            }
            return try await stockPage(cursor: nil, report: report, context: context)
        }
    }

    // MARK: Profile

    @Sendable func profile(_ request: Request, context: AppContext) async throws -> Response {
        try await profilePage(saved: request.uri.queryParameters["saved"] != nil, context: context)
    }

    private func profilePage(typed: WebForm? = nil, errors: [String: Any]? = nil, saved: Bool = false, context: AppContext,
                             status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacyStaff)
        var profile = try web.object(await web.api.get("pharmacies/me/profile", context: context), context: context)
        let modes = profile["modes"] as? [String] ?? []
        var values: [String: Any] = [
            "latitude": Self.number(profile["latitude"]), "longitude": Self.number(profile["longitude"]),
            "opensAt": Self.clock(profile["opensAt"]), "closesAt": Self.clock(profile["closesAt"]),
            "deliveryRadiusKm": Self.number(profile["deliveryRadiusKm"]), "zeroMarkup": profile["zeroMarkup"] as? Bool ?? false,
        ]
        var chosen = Set(modes)
        if let typed {
            for field in ["latitude", "longitude", "opensAt", "closesAt", "deliveryRadiusKm"] {
                values[field] = typed.all(field).first ?? ""
            }
            values["zeroMarkup"] = typed["zeroMarkup"] != nil
            chosen = Set(typed.all("modes"))
        }
        values["modes"] = FulfilmentMode.allCases.map { mode in
            ["value": mode.rawValue, "label": web.renderer.string("enum.\(mode.rawValue)", in: context.language),
             "checked": chosen.contains(mode.rawValue)]
        }
        profile["form"] = values
        profile["modesText"] = modes.map { web.renderer.string("enum.\($0)", in: context.language) }
        var data: [String: Any] = ["profile": profile, "saved": saved]
        if let errors { data["errors"] = errors }
        return web.page("pharmacy-profile", title: "pharmacy.profile.title", data, context: context, status: status)
    }

    /// Sets the profile from the form: coordinates and radius as decimals, hours as `HH:MM`.
    @Sendable func setProfile(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacyStaff)
        let form = context.browser.form
        let answer: WebAPI.Answer
        do {
            var validator = FieldValidator()
            func decimal(_ field: String) -> Double? {
                guard let value = form[field].flatMap(Double.init), value.isFinite else {
                    validator.add(field, code: "format", "Write a number, like 28.96.")
                    return nil
                }
                return value
            }
            func timeOfDay(_ field: String) -> Int? {
                guard let value = form[field].flatMap(Self.minutes) else {
                    validator.add(field, code: "time", "Write a time of day, like 08:30.")
                    return nil
                }
                return value
            }
            let latitude = decimal("latitude"), longitude = decimal("longitude"), radius = decimal("deliveryRadiusKm")
            let opensAt = timeOfDay("opensAt"), closesAt = timeOfDay("closesAt")
            try validator.finish()
            let body: [String: DocumentValue] = [
                "latitude": .number(latitude!), "longitude": .number(longitude!), "opensAt": .integer(Int64(opensAt!)),
                "closesAt": .integer(Int64(closesAt!)), "deliveryRadiusKm": .number(radius!),
                "modes": .list(form.all("modes").map(DocumentValue.string)), "zeroMarkup": .bool(form["zeroMarkup"] != nil),
            ]
            answer = await web.api.send(.put, "pharmacies/me/profile", json: .map(body), context: context)
        } catch {
            answer = .refused(AppError.from(error))
        }
        if case .refused(let error) = answer {
            var errors = web.formErrors(error, context: context)
            // The API names the coordinates `lat` and `lon`.
            if var fields = errors["fields"] as? [String: String] {
                if let issue = fields.removeValue(forKey: "lat") { fields["latitude"] = issue }
                if let issue = fields.removeValue(forKey: "lon") { fields["longitude"] = issue }
                errors["fields"] = fields
            }
            return try await profilePage(typed: form, errors: errors, context: context, status: error.status)
        }
        return web.redirect("/pharmacy/profile?saved=1")
    }

    /// Minutes after midnight as `HH:MM`.
    static func clock(_ value: Any?) -> String {
        let minutes = Int(value as? Int64 ?? 0)
        return String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }

    /// `HH:MM` (or `H:MM`, `24:00`) as minutes after midnight; nil when it is not a time of day.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
              let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...24).contains(hours), (0...59).contains(minutes),
              hours < 24 || minutes == 0 else { return nil }
        return hours * 60 + minutes
    }

    /// A coordinate or distance as the form shows it.
    static func number(_ value: Any?) -> String {
        switch value {
        case let whole as Int64: return String(whole)
        case let number as Double: return String(number)
        default: return ""
        }
    }
}
