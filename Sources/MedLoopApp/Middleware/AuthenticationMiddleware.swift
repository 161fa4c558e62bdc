import Foundation
import Hummingbird
import HummingbirdAuth
import MedLoopDomain
import MedLoopStore

/// Resolves `Authorization: Bearer <token>` to the caller for the routes behind it; a missing,
/// unknown, expired or revoked token is a 401. A web page's in-process call to the API arrives with
/// its caller already resolved from the same token in the session cookie (`WebPageMiddleware`).
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let accounts: AccountStore
    let clock: any MedLoopClock

    func handle(_ request: Request, context: AppContext,
                next: (Request, AppContext) async throws -> Response) async throws -> Response {
        if context.caller != nil, context.tokenHash != nil { return try await next(request, context) }
        var context = context
        try await authenticate(token: try request.sessionToken(), context: &context)
        return try await next(request, context)
    }

    /// Resolves a bearer token into `context`'s caller, or throws the 401 that says why not.
    func authenticate(token: String, context: inout AppContext) async throws {
        guard !token.isEmpty, token.utf8.count <= 256 else { throw AppError.unauthenticated(code: "token_invalid") }
        let tokenHash = SessionToken.hash(token)
        switch try await accounts.session(tokenHash: tokenHash, now: clock.now()) {
        case .valid(let caller, _):
            context.caller = caller
            context.tokenHash = tokenHash
            context.logger[metadataKey: "account_id"] = .string(caller.accountId.text)
        case .expired: throw AppError.unauthenticated(code: "token_expired")
        case .revoked: throw AppError.unauthenticated(code: "token_revoked")
        case .unknown: throw AppError.unauthenticated(code: "token_invalid")
        }
    }
}

/// Bearer tokens: 32 random bytes, base64url; only their SHA-256 is stored.
enum SessionToken {
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "ml_" + Base64URL.encode(Data(bytes))
    }

    static func hash(_ token: String) -> String {
        Hashing.sha256Hex(token)
    }
}

extension Request {
    /// The session token the request carries: `Authorization: Bearer <token>`, or — with
    /// `acceptingQuery`, for a browser's WebSocket, which cannot set headers — `?token=`. Throws
    /// the 401 `token_missing` when there is none and `token_invalid` when the `Authorization`
    /// header is not a bearer token.
    func sessionToken(acceptingQuery: Bool = false) throws -> String {
        if let bearer = headers.bearer { return bearer.token }
        // The scheme is case-insensitive (RFC 9110 §11.1); HummingbirdAuth matches "Bearer" only.
        if let value = headers[.authorization], value.prefix(7).lowercased() == "bearer ", value.count > 7 {
            return String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        if acceptingQuery, let token = uri.queryParameters["token"] { return String(token) }
        if headers[.authorization] != nil { throw AppError.unauthenticated(code: "token_invalid") }
        throw AppError.unauthenticated(code: "token_missing")
    }
}
