import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MedLoopDomain

/// The middleware of every web page: reads the language and session cookies, resolves the
/// session to its caller (an ended one is cleared and sends the next page that needs it to
/// sign-in), refuses a POST whose CSRF token is not its session's, and renders any error as a
/// page rather than JSON.
struct WebPageMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let authentication: AuthenticationMiddleware
    let web: WebKit
    let trustForwardedFor: Bool

    func handle(_ request: Request, context: AppContext,
                next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var context = context
        var request = request
        context.browser.path = request.uri.path
        context.browser.pathWithQuery = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        let cookies = request.cookies
        if let language = cookies[BrowserSession.languageCookie].flatMap({ Language(rawValue: $0.value) }) {
            context.language = language
        }
        context.browser.isSecure = trustForwardedFor && request.headers[.xForwardedProto]?.lowercased() == "https"
        if let visitor = cookies[BrowserSession.visitorCookie]?.value, (16...64).contains(visitor.utf8.count) {
            context.browser.visitor = visitor
        } else {
            context.browser.visitor = BrowserSession.newVisitor()
            context.browser.isNewVisitor = true
        }
        if let token = cookies[BrowserSession.sessionCookie]?.value, !token.isEmpty {
            do {
                try await authentication.authenticate(token: token, context: &context)
                context.browser.token = token
            } catch {
                context.browser.hasEnded = true
            }
        }
        var response: Response
        do {
            if request.method == .post {
                request = try await checkForm(request, context: &context)
            }
            response = try await next(request, context)
        } catch let redirect as WebRedirect {
            response = redirect.response
        } catch let refusal as WebJSONError {
            response = refusal.response(context: context)
        } catch {
            response = web.errorPage(error, context: context)
        }
        if context.browser.isNewVisitor { response.setCookie(context.browser.visitorCookie()) }
        if context.browser.hasEnded { response.setCookie(context.browser.clearedSessionCookie()) }
        return response
    }

    /// Checks the CSRF token of a POST — the form's `csrf` field, or `X-CSRF-Token` from a
    /// script — and keeps the parsed form for the handler. A POST from an ended session goes to
    /// sign-in first: nothing it asked for is done.
    private func checkForm(_ request: Request, context: inout AppContext) async throws -> Request {
        if context.browser.hasEnded {
            let referer = request.headers[.referer].flatMap(URL.init(string:)).map { $0.path + ($0.query.map { "?" + $0 } ?? "") }
            throw WebRedirect.signIn(next: referer ?? "/", ended: true)
        }
        var request = request
        var presented = request.headers[.csrfToken]
        if request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true {
            let buffer = try await request.bodyBytes(upTo: context.maxBodyBytes)
            context.browser.form = WebForm(String(buffer: buffer))
            presented = presented ?? context.browser.form[BrowserSession.csrfField]
            request = Request(head: request.head, body: .init(buffer: buffer))
        }
        guard web.csrf.isValid(presented, for: context.browser) else {
            throw AppError(.forbidden, code: "csrf_invalid", message: "This form has expired. Go back, reload the page and try again.")
        }
        return request
    }
}

/// A refusal of a route that scripts call: the standard JSON error, not a page.
struct WebJSONError: Error {
    let error: AppError
    init(_ error: AppError) { self.error = error }

    func response(context: AppContext) -> Response {
        let message = Catalogue.shared.message(for: error.code, in: context.language, fallback: error.message)
        let body = ErrorBody(error: .init(code: error.code, message: message, requestId: context.requestId,
                                          details: error.details.isEmpty ? nil : error.details))
        let data = (try? JSONCoding.encoder.encode(body)) ?? Data()
        return Response(status: error.status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A page's answer that is a redirect (303, so a POSTed form is followed by a GET).
struct WebRedirect: Error {
    let location: String

    var response: Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// To sign-in, then back to `next` (a path of this site).
    static func signIn(next: String, ended: Bool = false) -> WebRedirect {
        var components = URLComponents()
        components.path = "/sign-in"
        components.queryItems = [URLQueryItem(name: "next", value: localPath(next) ?? "/")]
            + (ended ? [URLQueryItem(name: "ended", value: "1")] : [])
        return WebRedirect(location: components.string ?? "/sign-in")
    }

    /// `target` when it is a path of this site (`/…`; never `//host…` or a URL of another site).
    static func localPath(_ target: String) -> String? {
        guard target.hasPrefix("/"), !target.hasPrefix("//"), !target.contains("\\"),
              !target.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return nil }
        return target
    }
}

extension AppContext {
    /// The signed-in caller of a page, in one of `roles` (any role when empty); otherwise to
    /// sign-in and back, or the 403 page.
    func requireSignedIn(_ roles: Role...) throws -> Caller {
        guard let caller else { throw WebRedirect.signIn(next: browser.pathWithQuery, ended: browser.hasEnded) }
        guard roles.isEmpty || roles.contains(caller.role) else { throw AppError.forbidden() }
        return caller
    }
}

extension HTTPField.Name {
    static let csrfToken = HTTPField.Name("X-CSRF-Token")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
