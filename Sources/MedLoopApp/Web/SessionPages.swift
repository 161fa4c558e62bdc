import Foundation
import Hummingbird
import MedLoopDomain

/// The front door: home, sign-in, sign-up, sign-out and the language switch.
struct SessionPages: Sendable {
    let web: WebKit
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("", use: home)
        group.get("sign-in", use: signInForm)
        group.post("sign-in", use: signIn)
        group.get("sign-up", use: signUpForm)
        group.post("sign-up", use: signUp)
        group.post("sign-out", use: signOut)
        group.get("language/:language", use: switchLanguage)
    }

    @Sendable func home(_ request: Request, context: AppContext) async throws -> Response {
        if let caller = context.caller { return web.redirect(WebNavigation.home(for: caller.role)) }
        return web.page("home", title: "home.title", context: context)
    }

    @Sendable func signInForm(_ request: Request, context: AppContext) async throws -> Response {
        signInPage(next: request.uri.queryParameters["next"].map(String.init), ended: request.uri.queryParameters["ended"] != nil,
                   phone: nil, errors: nil, context: context)
    }

    private func signInPage(next: String?, ended: Bool, phone: String?, errors: [String: Any]?, context: AppContext,
                            status: HTTPResponse.Status = .ok) -> Response {
        var data: [String: Any] = ["next": next.flatMap(WebRedirect.localPath) ?? "", "ended": ended]
        if let phone { data["phone"] = phone }
        if let errors { data["errors"] = errors }
        return web.page("sign-in", title: "signIn.title", data, context: context, status: status)
    }

    @Sendable func signIn(_ request: Request, context: AppContext) async throws -> Response {
        let form = context.browser.form
        let next = form["next"].flatMap(WebRedirect.localPath)
        let answer = await web.api.send(.post, "auth/sign-in", json: .map(["phone": .string(form["phone"] ?? ""),
                                                                           "password": .string(form.all("password").first ?? "")]),
                                        context: context)
        switch answer {
        case .refused(let error):
            return signInPage(next: next, ended: false, phone: form["phone"], errors: web.formErrors(error, context: context),
                              context: context, status: error.status)
        case .ok(_, let body):
            return opened(body, next: next, context: context)
        }
    }

    /// The response that opens the session the API answered with and goes on to `next`, or to
    /// the home of the account's role.
    private func opened(_ body: DocumentValue, next: String?, context: AppContext) -> Response {
        guard case .map(let fields) = body, case .string(let token)? = fields["token"],
              case .string(let expires)? = fields["expiresAt"], let expiresAt = Timestamp.parse(expires),
              case .map(let account)? = fields["account"], case .string(let roleName)? = account["role"],
              let role = Role(rawValue: roleName) else {
            return web.errorPage(AppError(.internalServerError, code: "internal_error", message: "Something went wrong on our side."),
                                 context: context)
        }
        var response = web.redirect(next ?? WebNavigation.home(for: role))
        response.setCookie(context.browser.sessionCookie(token, expiresAt: expiresAt, now: clock.now()))
        return response
    }

    @Sendable func signUpForm(_ request: Request, context: AppContext) async throws -> Response {
        web.page("sign-up", title: "signUp.title", context: context)
    }

    @Sendable func signUp(_ request: Request, context: AppContext) async throws -> Response {
        let form = context.browser.form
        let password = form.all("password").first ?? ""
        let fields: [String: DocumentValue] = ["phone": .string(form["phone"] ?? ""), "password": .string(password),
                                               "realName": .string(form["realName"] ?? ""),
                                               "nationalId": .string(form["nationalId"] ?? "")]
        let answer = await web.api.send(.post, "auth/sign-up", json: .map(fields), context: context)
        if case .refused(let error) = answer {
            return web.page("sign-up", title: "signUp.title",
                            ["errors": web.formErrors(error, context: context),
                             "values": ["phone": form["phone"] ?? "", "realName": form["realName"] ?? "",
                                        "nationalId": form["nationalId"] ?? ""]],
                            context: context, status: error.status)
        }
        let signedIn = await web.api.send(.post, "auth/sign-in", json: .map(["phone": fields["phone"]!, "password": .string(password)]),
                                          context: context)
        return opened(try web.require(signedIn), next: nil, context: context)
    }

    @Sendable func signOut(_ request: Request, context: AppContext) async throws -> Response {
        if context.caller != nil {
            _ = await web.api.send(.post, "auth/sign-out", json: nil, context: context)
        }
        var response = web.redirect("/")
        response.setCookie(context.browser.clearedSessionCookie())
        return response
    }

    /// Switches the language of every page and goes back to the page the switch was on.
    @Sendable func switchLanguage(_ request: Request, context: AppContext) async throws -> Response {
        guard let language = context.parameters.get("language").flatMap(Language.init(rawValue:)) else {
            throw AppError.notFound("language")
        }
        let back = request.uri.queryParameters["back"].map(String.init).flatMap(WebRedirect.localPath) ?? "/"
        var response = web.redirect(back)
        response.setCookie(context.browser.languageCookie(language))
        return response
    }
}
