import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// A browser's session with the web app. The session cookie holds the same bearer token the API
/// issues (HttpOnly, SameSite=Lax, Secure behind TLS), so signing out in the browser revokes it
/// like `POST /auth/sign-out`. Every state-changing form carries a CSRF token bound to the
/// session — or, before sign-in, to a random visitor cookie — so a form from another site or
/// another session is refused.
struct BrowserSession: Sendable {
    /// The token of the session cookie, when the request carried one that is still valid.
    var token: String?
    /// Whether the request carried a session cookie that has expired or been revoked.
    var hasEnded = false
    /// The visitor nonce: from the cookie, or new (then the response sets it).
    var visitor = ""
    var isNewVisitor = false
    /// Whether cookies get `Secure` (the request came through a TLS proxy MedLoop trusts).
    var isSecure = false
    /// The page's path, and with its query (to come back to after signing in).
    var path = "/"
    var pathWithQuery = "/"
    /// The POSTed form (after its CSRF token was checked).
    var form = WebForm("")

    static let sessionCookie = "medloop_session"
    static let visitorCookie = "medloop_visitor"
    static let languageCookie = "medloop_lang"
    /// The form field (or, from scripts, the `X-CSRF-Token` header) that carries the token.
    static let csrfField = "csrf"

    /// What a CSRF token is bound to: the session's token hash, or the visitor nonce.
    var csrfBinding: String {
        token.map { "session:" + SessionToken.hash($0) } ?? "visitor:" + visitor
    }

    /// The cookie that opens a session with `token` until `expiresAt`.
    func sessionCookie(_ token: String, expiresAt: Date, now: Date) -> Cookie {
        Cookie(name: Self.sessionCookie, value: token, maxAge: max(0, Int(expiresAt.timeIntervalSince(now))), path: "/",
               secure: isSecure, httpOnly: true, sameSite: .lax)
    }

    /// The cookie that ends the session in the browser.
    func clearedSessionCookie() -> Cookie {
        Cookie(name: Self.sessionCookie, value: "", maxAge: 0, path: "/", secure: isSecure, httpOnly: true, sameSite: .lax)
    }

    func visitorCookie() -> Cookie {
        Cookie(name: Self.visitorCookie, value: visitor, maxAge: 30 * 24 * 3600, path: "/", secure: isSecure, httpOnly: true,
               sameSite: .lax)
    }

    func languageCookie(_ language: Language) -> Cookie {
        Cookie(name: Self.languageCookie, value: language.rawValue, maxAge: 365 * 24 * 3600, path: "/", secure: isSecure,
               httpOnly: true, sameSite: .lax)
    }

    static func newVisitor() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode(Data((0..<18).map { _ in UInt8.random(in: .min ... .max, using: &generator) }))
    }
}

/// CSRF tokens: a keyed hash (the data key's, under its own purpose) of the session binding, so
/// every server of a city computes the same token and a token of one session is useless in another.
struct CSRFTokens: Sendable {
    let cipher: FieldCipher

    func token(for session: BrowserSession) -> String {
        cipher.lookupHash(session.csrfBinding, field: "web.csrf")
    }

    func isValid(_ presented: String?, for session: BrowserSession) -> Bool {
        guard let presented, !presented.isEmpty else { return false }
        let expected = token(for: session)
        // Compared in constant time: the token is a secret of the session.
        return presented.utf8.count == expected.utf8.count
            && zip(presented.utf8, expected.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// A form body (`application/x-www-form-urlencoded`), every value of each field in order.
struct WebForm: Sendable {
    private(set) var fields: [String: [String]] = [:]

    init(_ body: String) {
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            fields[name, default: []].append(value)
        }
    }

    init(fields: [String: [String]]) { self.fields = fields }

    /// The field's first value, trimmed; nil when it is absent or blank.
    subscript(_ name: String) -> String? {
        guard let value = fields[name]?.first?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    func all(_ name: String) -> [String] { fields[name] ?? [] }

    private static func decode(_ text: Substring) -> String {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
    }
}

extension Request {
    /// The form of a POST from a page (at most `limit` bytes); empty for another content type.
    func webForm(limit: Int) async throws -> WebForm {
        guard headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else { return WebForm("") }
        let buffer = try await body.collect(upTo: limit)
        return WebForm(String(buffer: buffer))
    }
}
