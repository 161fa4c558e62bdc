import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MedLoopApp
import MedLoopDomain
import MedLoopStore
import NIOCore

/// A browser as the web tests drive it: it keeps the cookies the server sets, sends them back,
/// posts forms and reads the CSRF token of the last page.
final class WebBrowser: @unchecked Sendable {
    let app: Harness
    private(set) var cookies: [String: String] = [:]
    private(set) var lastPage = ""

    init(_ app: Harness) { self.app = app }

    /// GETs `path` (not following redirects).
    @discardableResult
    func get(_ path: String, headers: HTTPFields = [:]) async throws -> Reply {
        try await request(.get, path, body: nil, headers: headers)
    }

    /// POSTs `fields` as a form; the page's CSRF token is added unless `csrf` says otherwise
    /// (`.none` for none, `.token(...)` for another).
    @discardableResult
    func post(_ path: String, _ fields: [(String, String)], csrf: CSRF = .page) async throws -> Reply {
        var all = fields
        switch csrf {
        case .page: all.append(("csrf", csrfToken ?? ""))
        case .token(let token): all.append(("csrf", token))
        case .none: break
        }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await request(.post, path, body: body, headers: [.contentType: "application/x-www-form-urlencoded"])
    }

    enum CSRF { case page, none, token(String) }

    /// The CSRF token of the last page rendered.
    var csrfToken: String? { Self.first(#"name="csrf" value="([^"]+)""#, in: lastPage) }

    /// Signs in through the sign-in form.
    func signIn(_ phone: String, next: String = "") async throws -> Reply {
        try await get("/sign-in")
        return try await post("/sign-in", [("phone", phone), ("password", DemoWorld.password), ("next", next)])
    }

    private func request(_ method: HTTPRequest.Method, _ path: String, body: String?, headers: HTTPFields) async throws -> Reply {
        var headers = headers
        if !cookies.isEmpty {
            headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        let response = try await app.client.executeRequest(uri: path, method: method, headers: headers,
                                                           body: body.map { ByteBuffer(string: $0) })
        for header in response.headers[values: .setCookie] {
            guard let pair = header.split(separator: ";").first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals]).trimmingCharacters(in: .whitespaces)
            let value = String(pair[pair.index(after: equals)...])
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        let reply = Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        if reply.headers[.contentType]?.hasPrefix("text/html") == true { lastPage = reply.text }
        return reply
    }

    static func first(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), match.numberOfRanges > 1,
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }

    private static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension Reply {
    var location: String? { headers[.location] }
}
