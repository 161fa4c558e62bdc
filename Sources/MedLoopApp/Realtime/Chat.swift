import Foundation
import MedLoopDomain
import MedLoopStore

/// Sending and reading consultation messages, for REST and WebSocket alike: each change is stored
/// with its audit entry and its event; the event reaches the streams open on the consultation in
/// every server (`ChatFanOut`).
struct Chat: Sendable {
    let messages: ConsultationMessageStore
    let clock: any MedLoopClock

    func send(_ consultation: UUID, text: String?, imageId: UUID?, context: AppContext) async throws -> MessageView {
        let caller = try context.requireCaller()
        let kind: MessageKind
        let body: String?
        switch (text, imageId) {
        case (let text?, nil):
            kind = .text
            body = try MessageRule.text(text)
        case (nil, .some):
            kind = .image
            body = nil
        default:
            throw AppError.invalid("text", code: "one_of", "Send either text or an imageId.")
        }
        let message = try await messages.send(consultation, from: caller, kind: kind, text: body, imageId: imageId,
                                              context: context.auditContext(at: clock.now()))
        return MessageView(message)
    }

    func markRead(_ consultation: UUID, upTo: UUID, context: AppContext) async throws -> Int {
        let caller = try context.requireCaller()
        return try await messages.markRead(consultation, by: caller.accountId, upTo: upTo, at: clock.now())
    }
}

/// A message as clients see it.
struct MessageView: APIView, Encodable {
    var id: UUID
    var consultationId: UUID
    var senderAccountId: UUID
    var senderRole: Role
    var kind: MessageKind
    var text: String?
    var imageId: UUID?
    var sentAt: Date
    var readAt: Date?

    init(_ message: ConsultationMessage) {
        id = message.id
        consultationId = message.consultationId
        senderAccountId = message.senderAccountId
        senderRole = message.senderRole
        kind = message.kind
        text = message.text
        imageId = message.imageId
        sentAt = message.sentAt
        readAt = message.readAt
    }
}

/// A read receipt: the reader has read the other side's messages up to `upTo`.
struct ReadView: Encodable, Sendable {
    var readerAccountId: UUID
    var upTo: UUID
}

/// A change of the consultation itself: accepted, completed, refunded, a call started or ended.
struct StateView: Encodable, Sendable {
    /// The event kind, e.g. `consultation.accepted`.
    var event: String
    var state: String
    var callId: UUID?
    var at: Date
    /// The prescription or medicine order of a `prescription.*` or `medicine_order.*` event.
    var subjectId: UUID? = nil
}

/// What the consultation stream sends: `{"type": "message", "message": {...}}`,
/// `{"type": "read", "read": {...}}`, `{"type": "state", "state": {...}}` or
/// `{"type": "error", "error": {"code", "message", "requestId"}}` (the standard error shape, in the
/// language of the connection).
enum ChatEvent: Encodable {
    case message(MessageView)
    case read(ReadView)
    case state(StateView)
    /// A call's signalling from the other party (`from`: its role).
    case signal(from: Role, payload: DocumentValue)
    case error(code: String, message: String, requestId: String)

    /// The error event for `error`, its message in the connection's language.
    static func error(_ error: any Error, context: AppContext) -> ChatEvent {
        let appError = (error as? DecodingError).map { AppError.decoding($0) } ?? AppError.from(error)
        return .error(code: appError.code,
                      message: Catalogue.shared.message(for: appError.code, in: context.language, fallback: appError.message),
                      requestId: context.requestId)
    }

    enum CodingKeys: String, CodingKey { case type, message, read, state, error, signal, from }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .message(let view):
            try container.encode("message", forKey: .type)
            try container.encode(view, forKey: .message)
        case .read(let view):
            try container.encode("read", forKey: .type)
            try container.encode(view, forKey: .read)
        case .state(let view):
            try container.encode("state", forKey: .type)
            try container.encode(view, forKey: .state)
        case .signal(let from, let payload):
            try container.encode("signal", forKey: .type)
            try container.encode(from, forKey: .from)
            try container.encode(payload, forKey: .signal)
        case .error(let code, let message, let requestId):
            try container.encode("error", forKey: .type)
            try container.encode(["code": code, "message": message, "requestId": requestId], forKey: .error)
        }
    }

    var json: String {
        (try? String(decoding: JSONCoding.encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}
