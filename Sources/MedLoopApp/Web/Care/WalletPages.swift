import Foundation
import Hummingbird
import MedLoopDomain

/// A patient's wallet: the balance, its statement, and adding money through the payment
/// provider (an amount typed in yuan).
struct WalletPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("wallet", use: show)
        group.post("wallet/top-ups", use: topUp)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await walletPage(errors: nil, amount: nil, back: request.uri.queryParameters["back"].map(String.init), context: context)
    }

    private func walletPage(errors: [String: Any]?, amount: String?, back: String?, context: AppContext,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        var data = try web.object(await web.api.get("wallet", context: context), context: context)
        let entries = try web.object(await web.api.get("wallet/entries", query: [("limit", "20")], context: context), context: context)
        data["entries"] = entries["items"] ?? []
        data["idempotencyKey"] = WebKit.idempotencyKey()
        data["back"] = back.flatMap(WebRedirect.localPath) ?? ""
        if let amount { data["amount"] = amount }
        if let errors { data["errors"] = errors }
        return web.page("wallet", title: "wallet.title", data, context: context, status: status)
    }

    @Sendable func topUp(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let form = context.browser.form
        let back = form["back"].flatMap(WebRedirect.localPath)
        let answer: WebAPI.Answer
        do {
            let fen = try Yuan.fen(form["amount"] ?? "", field: "amount", limitFen: TopUpRule.limitFen)
            answer = await web.api.send(.post, "wallet/top-ups", json: .map(["amountFen": .integer(fen)]),
                                        idempotencyKey: form["idempotencyKey"], context: context)
        } catch {
            answer = .refused(AppError.from(error))
        }
        if case .refused(let error) = answer {
            return try await walletPage(errors: web.formErrors(error, context: context), amount: form["amount"], back: back,
                                        context: context, status: error.status)
        }
        return web.redirect(back ?? "/wallet")
    }
}
