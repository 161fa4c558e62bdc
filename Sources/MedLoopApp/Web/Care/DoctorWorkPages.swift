import Foundation
import Hummingbird
import MedLoopDomain

/// The doctor's own business: the service menu with its prices (typed in yuan), pauses and daily
/// caps; the in-person appointment slots; and the earnings.
struct DoctorWorkPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("doctor/services", use: services)
        group.post("doctor/services/:kind", use: setService)
        group.post("doctor/slots", use: openSlot)
        group.get("doctor/earnings", use: earnings)
    }

    /// The signed-in doctor's directory id (the earnings view names it).
    private func doctorId(_ context: AppContext) async throws -> String {
        let earnings = try web.object(await web.api.get("doctors/me/earnings", context: context), context: context)
        guard let id = earnings["doctorId"] as? String else { throw AppError.notFound("doctor") }
        return id
    }

    @Sendable func services(_ request: Request, context: AppContext) async throws -> Response {
        try await servicesPage(errors: nil, context: context)
    }

    private func servicesPage(errors: [String: Any]?, failedKind: String? = nil, context: AppContext,
                              status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let id = try await doctorId(context)
        let profile = try web.object(await web.api.get("doctors/\(id)", context: context), context: context)
        let offered = Dictionary((profile["services"] as? [[String: Any]] ?? []).compactMap { service in
            (service["kind"] as? String).map { ($0, service) }
        }, uniquingKeysWith: { first, _ in first })
        // Every kind of service, offered or not, so that a doctor can start offering one.
        let menu: [[String: Any]] = ServiceKind.allCases.map { kind in
            var line = offered[kind.rawValue] ?? ["kind": kind.rawValue, "isNew": true]
            line["kindText"] = web.renderer.string("enum.\(kind.rawValue)", in: context.language)
            line["priceText"] = (line["priceYuan"] as? String) ?? ""
            if kind.rawValue == failedKind, let errors { line["errors"] = errors }
            return line
        }
        let slots = try web.object(await web.api.get("doctors/\(id)/slots", context: context), context: context)
        var data: [String: Any] = ["menu": menu, "slots": slots["items"] ?? [], "doctorId": id]
        if failedKind == nil, let errors { data["errors"] = errors }
        return web.page("doctor-services", title: "services.title", data, context: context, status: status)
    }

    @Sendable func setService(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let kind = try context.parameters.require("kind")
        let form = context.browser.form
        let answer: WebAPI.Answer
        do {
            let fen = try Yuan.fen(form["price"] ?? "", field: "price", limitFen: 10_000_000)
            var body: [String: DocumentValue] = ["priceFen": .integer(fen), "isPaused": .bool(form["paused"] != nil)]
            if let cap = form["dailyCap"] {
                guard let value = Int64(cap) else { throw AppError.invalid("dailyCap", code: "format", "A daily cap is a number.") }
                body["dailyCap"] = .integer(value)
            }
            answer = await web.api.send(.put, "doctors/me/services/\(kind)", json: .map(body), context: context)
        } catch {
            answer = .refused(AppError.from(error))
        }
        if case .refused(let error) = answer {
            return try await servicesPage(errors: web.formErrors(error, context: context), failedKind: kind, context: context,
                                          status: error.status)
        }
        return web.redirect("/doctor/services")
    }

    @Sendable func openSlot(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let form = context.browser.form
        // The doctor picks a day and a time in China Standard Time.
        let startsAt = "\(form["date"] ?? "")T\(form["time"] ?? ""):00+08:00"
        var body: [String: DocumentValue] = ["startsAt": .string(startsAt)]
        body["minutes"] = form["minutes"].flatMap(Int64.init).map(DocumentValue.integer) ?? .string(form["minutes"] ?? "")
        body["capacity"] = form["capacity"].flatMap(Int64.init).map(DocumentValue.integer) ?? .string(form["capacity"] ?? "")
        let answer = await web.api.send(.post, "doctors/me/slots", json: .map(body), context: context)
        if case .refused(let error) = answer {
            return try await servicesPage(errors: web.formErrors(error, context: context), context: context, status: error.status)
        }
        return web.redirect("/doctor/services#slots")
    }

    @Sendable func earnings(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let earnings = try web.object(await web.api.get("doctors/me/earnings", context: context), context: context)
        return web.page("doctor-earnings", title: "earnings.title", ["earnings": earnings], context: context)
    }
}
