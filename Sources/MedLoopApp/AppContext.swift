import Foundation
import Hummingbird
import HummingbirdWebSocket
import MedLoopDomain
import MedLoopStore
import NIOCore

/// The per-request context: request id, language, client address and — after authentication —
/// the caller.
public struct AppContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestId: String
    public var language: Language = .chinese
    public var clientAddress: String?
    public var caller: Caller?
    /// The hash of the bearer token this request was authenticated with.
    public var tokenHash: String?
    public var maxBodyBytes = 1 << 20
    /// The browser session of a web page's request (cookies, CSRF binding); unused by the API.
    var browser = BrowserSession()
    /// Set when the request upgrades to a WebSocket (consultation chat).
    public let webSocket = WebSocketHandlerReference<AppContext>()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestId = ""
        clientAddress = source.channel.remoteAddress?.ipAddress
    }

    public var maxUploadSize: Int { maxBodyBytes }

    /// The signed-in caller; routes behind authentication always have one.
    public func requireCaller() throws -> Caller {
        guard let caller else { throw AppError.unauthenticated(code: "token_missing") }
        return caller
    }

    /// The audit stamp of this request at `now`.
    public func auditContext(at now: Date) -> AuditContext {
        AuditContext(actorAccountId: caller?.accountId, actorRole: caller?.role, clientAddress: clientAddress,
                     requestId: requestId, at: now)
    }
}

/// The languages of human-readable messages (`Accept-Language`).
public enum Language: String, Sendable {
    case chinese = "zh-CN"
    case english = "en"

    /// The first supported language of an `Accept-Language` header; Chinese by default.
    init(acceptLanguage header: String?) {
        guard let header else { self = .chinese; return }
        for part in header.split(separator: ",") {
            let tag = part.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            if tag.hasPrefix("en") { self = .english; return }
            if tag.hasPrefix("zh") { self = .chinese; return }
        }
        self = .chinese
    }
}
