import Foundation
import Hummingbird
import MedLoopDomain

/// The insurer's claims: the review queue by state, one claim with its decision and, once
/// decided, the settlement it was paid under; approving, adjusting (an amount typed in yuan) or
/// rejecting with a reason.
struct InsuranceClaimPages: Sendable {
    let web: WebKit
    private var values: InsuranceWebValues { InsuranceWebValues(web: web) }

    func register(_ group: RouterGroup<AppContext>) {
        group.get("insurance/claims", use: list)
        group.get("insurance/claims/:id", use: show)
        group.post("insurance/claims/:id/review", use: review)
    }

    /// The states a claim is listed by, first the ones waiting for a decision.
    private static let states = ["filed", "approved", "adjusted", "rejected"]
    /// The largest adjusted amount the form passes on; the API holds it under the engine's figure.
    private static let amountLimitFen: Int64 = 100_000_000

    @Sendable func list(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        let state = InsuranceWebValues.query(request, "state") ?? "filed"
        var query: [(String, String)] = [("state", state), ("limit", "20")]
        if let cursor = InsuranceWebValues.query(request, "cursor") { query.append(("cursor", cursor)) }
        let page = try web.object(await web.api.get("insurance/claims", query: query, context: context), context: context)
        var data: [String: Any] = [
            "claims": (page["items"] as? [[String: Any]] ?? []).map { described($0, context: context) },
            "states": Self.states.map { value in
                ["value": value, "label": values.words("insurance.claimStates.\(value)", context: context),
                 "current": value == state, "href": "/insurance/claims?state=\(value)"] as [String: Any]
            },
            "stateWords": values.words("insurance.claimStates.\(state)", context: context, fallback: state),
        ]
        if let next = page["nextCursor"] as? String {
            data["nextPage"] = InsuranceWebValues.link("/insurance/claims", [("state", state), ("cursor", next)])
        }
        return web.page("insurance-claims", title: "insurance.claims.title", data, context: context)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await claimPage(context.parameters.require("id"), form: nil, errors: nil, context: context)
    }

    private func claimPage(_ id: String, form: [String: Any]?, errors: [String: Any]?, context: AppContext,
                           status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        let claim = described(try web.object(await web.api.get("claims/\(id)", context: context), context: context),
                          context: context)
        var data: [String: Any] = ["claim": claim, "idempotencyKey": WebKit.idempotencyKey()]
        if (claim["stateIs"] as? [String: Bool])?["filed"] == true {
            data["review"] = form ?? [:]
        }
        if let settlementId = claim["settlementId"] as? String,
           case .ok(_, let settlement) = await web.api.get("settlements/\(settlementId)", context: context) {
            data["settlement"] = values.settlement(settlement, context: context)
        }
        if let errors { data["errors"] = errors }
        return web.page("insurance-claim", title: "insurance.claim.title", data, context: context, status: status)
    }

    @Sendable func review(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.insurer)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        let decision = form["decision"] ?? ""
        var body: [String: DocumentValue] = ["decision": .string(decision)]
        if let reason = form["reason"] { body["reason"] = .string(reason) }
        let answer: WebAPI.Answer
        do {
            if decision == "adjust" {
                // An adjustment names its amount; an empty one is the API's to refuse.
                if let fen = try InsuranceWebValues.fen(form["approvedAmount"], field: "approvedFen", limitFen: Self.amountLimitFen) {
                    body["approvedFen"] = .integer(fen)
                }
            }
            answer = await web.api.send(.post, "insurance/claims/\(id)/review", json: .map(body),
                                        idempotencyKey: form["idempotencyKey"], context: context)
        } catch {
            answer = .refused(AppError.from(error))
        }
        if case .refused(let error) = answer {
            let echo: [String: Any] = ["decision": decision, "decisionIs": [decision: true],
                                       "approvedAmount": form["approvedAmount"] ?? "", "reason": form["reason"] ?? ""]
            return try await claimPage(id, form: echo, errors: values.formErrors(error, context: context), context: context,
                                       status: error.status)
        }
        return web.redirect("/insurance/claims/\(id)")
    }

    /// A claim with the words of its state and mode.
    private func described(_ claim: [String: Any], context: AppContext) -> [String: Any] {
        var claim = claim
        if let state = claim["state"] as? String {
            claim["stateWords"] = values.words("insurance.claimStates.\(state)", context: context, fallback: state)
        }
        if let mode = claim["mode"] as? String {
            claim["modeWords"] = values.words("insurance.claimModes.\(mode)", context: context, fallback: mode)
        }
        return claim
    }
}
