import Foundation
import Hummingbird
import HummingbirdWebSocket
import MedLoopDomain
import MedLoopStore

/// Live chat of a consultation: `GET /api/v1/consultations/{id}/stream` upgrades to a WebSocket
/// for its two participants (bearer token in `Authorization`, or `?token=` where a browser cannot
/// set headers). The client sends `{"type": "message", "text": ...}`,
/// `{"type": "message", "imageId": ...}` or `{"type": "read", "upTo": ...}`; the server pushes
/// every new message and read receipt as `ChatEvent`s.
///
/// A connection that may not follow the consultation (no token, a bad, expired or revoked one, not
/// a participant) is still upgraded, so that the client can read why: its first and only frame is
/// the standard error (`{"type": "error", "error": {"code", "message", "requestId"}}`), then the
/// socket closes. (A browser cannot read the body of a refused handshake.)
struct ConsultationSocket: Sendable {
    let authentication: AuthenticationMiddleware
    let consultations: ConsultationStore
    let chat: Chat
    let hub: ConsultationHub
    let audit: AuditStore
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.ws("consultations/:id/stream", shouldUpgrade: { _, _ in .upgrade([:]) }, onUpgrade: { inbound, outbound, socket in
            var context = socket.requestContext
            let consultation: Consultation
            do {
                consultation = try await authorize(socket.request, context: &context)
            } catch {
                try await outbound.write(.text(ChatEvent.error(error, context: context).json))
                return
            }
            try await audit.recordRead("consultation.stream.open", of: "consultation", id: consultation.id.text,
                                       patient: consultation.patientId, by: context, at: clock.now())
            let subscription = hub.subscribe(consultation.id)
            defer { hub.cancel(subscription.id, of: consultation.id) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in subscription.events {
                        try await outbound.write(.text(event))
                    }
                }
                for try await message in inbound.messages(maxSize: 64 * 1024) {
                    guard case .text(let text) = message else { continue }
                    if let error = await handle(text, consultation: consultation.id, context: context) {
                        try await outbound.write(.text(error.json))
                    }
                }
                group.cancelAll()
            }
        })
    }

    /// The consultation the request's caller takes part in; throws 401 or 404 otherwise.
    private func authorize(_ request: Request, context: inout AppContext) async throws -> Consultation {
        try await authentication.authenticate(token: try token(of: request), context: &context)
        let caller = try context.requireCaller()
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
              let consultation = try await consultations.consultation(id, visibleTo: caller.accountId) else {
            throw AppError.notFound("consultation")
        }
        return consultation
    }

    /// The bearer token, `?token=`, or — from a page of the web app — the session cookie. A cookie
    /// is sent by the browser whichever site opened the socket, so it counts only when the socket
    /// was opened by a page of this very host (`Origin` matches `Host`).
    private func token(of request: Request) throws -> String {
        guard request.headers[.authorization] == nil, request.uri.queryParameters["token"] == nil,
              let cookie = request.cookies[BrowserSession.sessionCookie]?.value, !cookie.isEmpty else {
            return try request.sessionToken(acceptingQuery: true)
        }
        guard let origin = request.headers[.origin].flatMap(URL.init(string:)), let host = request.head.authority,
              origin.host.map({ $0 + (origin.port.map { ":\($0)" } ?? "") }) == host else {
            throw AppError.forbidden("A consultation opened from another site cannot use this session.")
        }
        return cookie
    }

    private struct Incoming: Decodable {
        var type: String
        var text: String?
        var imageId: UUID?
        var upTo: UUID?
    }

    /// Acts on one frame from the client; returns the error event to send back, if any.
    private func handle(_ text: String, consultation: UUID, context: AppContext) async -> ChatEvent? {
        do {
            let incoming = try JSONCoding.decoder.decode(Incoming.self, from: Data(text.utf8))
            switch incoming.type {
            case "message":
                _ = try await chat.send(consultation, text: incoming.text, imageId: incoming.imageId, context: context)
            case "read":
                guard let upTo = incoming.upTo else { throw AppError.invalid("upTo", code: "required", "upTo is required.") }
                _ = try await chat.markRead(consultation, upTo: upTo, context: context)
            default:
                throw AppError.invalid("type", code: "invalid_value", "type is message or read.")
            }
            return nil
        } catch {
            return .error(error, context: context)
        }
    }
}
