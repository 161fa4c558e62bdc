import Foundation
import Hummingbird
import HummingbirdWebSocket
import MedLoopDomain
import MedLoopStore

/// Live chat of a consultation: `GET /api/v1/consultations/{id}/stream` upgrades to a WebSocket
/// for its two participants (bearer token in `Authorization`, or `?token=` where a browser cannot
/// set headers). The client sends `{"type": "message", "text": ...}`,
/// `{"type": "message", "imageId": ...}` or `{"type": "read", "upTo": ...}`; the server pushes
/// every new message and read receipt as `ChatEvent`s. In a voice or video consultation the two
/// parties also exchange a call's WebRTC signalling, `{"type": "signal", "signal": {"kind": "offer"
/// | "answer" | "candidate" | "connected" | "hangup", ...}}`, which MedLoop relays to the other
/// party's streams only, as it was sent. (The relay is this server's: both parties of a call
/// connect to one server; across servers behind a load balancer the balancer must keep a
/// consultation's streams on one server.)
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
            let subscription = hub.subscribe(consultation.id, account: context.caller?.accountId)
            defer { hub.cancel(subscription.id, of: consultation.id) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in subscription.events {
                        try await outbound.write(.text(event))
                    }
                }
                for try await message in inbound.messages(maxSize: 64 * 1024) {
                    guard case .text(let text) = message else { continue }
                    if let error = await handle(text, consultation: consultation, context: context) {
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

    /// Passes a call's signalling message to the other party of the consultation, as it is now
    /// (read again, so a call never outlives its consultation).
    private func relay(_ signal: DocumentValue?, frameBytes: Int, consultation id: UUID, context: AppContext) async throws {
        guard case .map(let fields)? = signal, case .string(let kind)? = fields["kind"] else {
            throw AppError.invalid("signal.kind", code: "required", "A signal has a kind.")
        }
        try CallSignal.check(kind: kind, bytes: frameBytes)
        let caller = try context.requireCaller()
        guard let consultation = try await consultations.consultation(id) else { throw AppError.notFound("consultation") }
        try consultation.checkCallSignal(from: caller.accountId, at: clock.now())
        hub.publish(ChatEvent.signal(from: caller.role, payload: signal!).json, to: id,
                    recipients: { $0 != caller.accountId && consultation.isParticipant($0) })
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
        var signal: DocumentValue?
    }

    /// Acts on one frame from the client; returns the error event to send back, if any.
    private func handle(_ text: String, consultation: Consultation, context: AppContext) async -> ChatEvent? {
        do {
            let incoming = try JSONCoding.decoder.decode(Incoming.self, from: Data(text.utf8))
            switch incoming.type {
            case "message":
                _ = try await chat.send(consultation.id, text: incoming.text, imageId: incoming.imageId, context: context)
            case "read":
                guard let upTo = incoming.upTo else { throw AppError.invalid("upTo", code: "required", "upTo is required.") }
                _ = try await chat.markRead(consultation.id, upTo: upTo, context: context)
            case "signal":
                try await relay(incoming.signal, frameBytes: text.utf8.count, consultation: consultation.id, context: context)
            default:
                throw AppError.invalid("type", code: "invalid_value", "type is message or read.")
            }
            return nil
        } catch {
            return .error(error, context: context)
        }
    }
}
