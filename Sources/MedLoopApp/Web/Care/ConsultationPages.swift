import Foundation
import Hummingbird
import MedLoopDomain

/// A consultation as its patient and its doctor see it: the conversation (live through the
/// consultation's WebSocket, `consultation.js`; a plain form without scripts), the queue position
/// while waiting, and the doctor's queue, accept and complete.
struct ConsultationPages: Sendable {
    let web: WebKit
    /// The ICE servers of calls (`Configuration.iceServers`, JSON), handed to `call.js`.
    let iceServers: String

    func register(_ group: RouterGroup<AppContext>) {
        group.get("queue", use: queue)
        group.get("consultations/:id", use: show)
        group.post("consultations/:id/messages", use: send)
        group.post("consultations/:id/accept", use: accept)
        group.post("consultations/:id/complete", use: complete)
        group.post("consultations/:id/rating", use: rate)
        group.post("consultations/:id/gifts", use: thank)
        group.post("consultations/:id/images", use: upload)
        group.get("images/:id", use: image)
        group.post("consultations/:id/calls", use: callConnected)
        group.post("consultations/:id/calls/:callId/end", use: callEnded)
    }

    @Sendable func queue(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let waiting = try web.object(await web.api.get("doctors/me/queue", context: context), context: context)
        let active = try web.object(await web.api.get("doctors/me/consultations", query: [("state", "active"), ("limit", "50")],
                                                      context: context), context: context)
        let me = try web.object(await web.api.get("me", context: context), context: context)
        return web.page("queue", title: "queue.title", ["waiting": waiting["items"] ?? [], "active": active["items"] ?? [], "me": me],
                        context: context)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        let query = request.uri.queryParameters
        return try await consultationPage(context.parameters.require("id"), errors: nil,
                                          notice: query["gift"] != nil ? "rating.giftSent" : query["rated"] != nil ? "rating.rated" : nil,
                                          context: context)
    }

    private func consultationPage(_ id: String, errors: [String: Any]?, notice: String? = nil, context: AppContext,
                                  status: HTTPResponse.Status = .ok) async throws -> Response {
        let caller = try context.requireSignedIn(.patient, .doctor)
        let consultation = try web.object(await web.api.get("consultations/\(id)", context: context), context: context)
        let history = try web.object(await web.api.get("consultations/\(id)/messages", query: [("limit", "100")], context: context),
                                     context: context)
        let me = caller.accountId.text
        let messages = (history["items"] as? [[String: Any]] ?? []).map { message in
            var message = message
            message["mine"] = (message["senderAccountId"] as? String)?.lowercased() == me
            return message
        }
        var data: [String: Any] = ["consultation": consultation, "messages": messages, "idempotencyKey": WebKit.idempotencyKey(),
                                   "isDoctor": caller.role == .doctor, "isPatient": caller.role == .patient]
        if let doctorId = consultation["doctorId"] as? String,
           case .ok(_, let doctor) = await web.api.get("doctors/\(doctorId)", context: context) {
            data["doctor"] = web.values(doctor, context: context)
        }
        let service = (consultation["service"] as? String).flatMap(ServiceKind.init(rawValue:))
        if let service, service.isMetered {
            let calls = try web.object(await web.api.get("consultations/\(id)/calls", context: context), context: context)
            data["call"] = ["iceServers": iceServers, "calls": calls["items"] ?? [],
                            "isVideo": service == .videoPerMinute]
        }
        if caller.role == .doctor, (consultation["stateIs"] as? [String: Bool])?["active"] == true,
           case .ok(_, let conditions) = await web.api.get("conditions", query: [("q", "")], context: context) {
            data["conditions"] = (web.values(conditions, context: context) as? [String: Any])?["items"] ?? []
        }
        if caller.role == .doctor, case .ok(_, let patient) = await web.api.get("consultations/\(id)/patient", context: context) {
            data["patient"] = web.values(patient, context: context)
        }
        if caller.role == .patient {
            data["gifts"] = GiftKind.allCases.map { gift in
                ["kind": gift.rawValue, "priceYuan": Yuan.text(gift.priceFen),
                 "kindText": web.renderer.string("enum.\(gift.rawValue)", in: context.language)]
            }
        }
        if let errors { data["errors"] = errors }
        if let notice { data["notice"] = web.renderer.string(notice, in: context.language) }
        return web.page("consultation", title: "consultation.title", data, context: context, status: status)
    }

    /// A message from the plain form (a page without scripts); the live page sends on the socket.
    @Sendable func send(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient, .doctor)
        let id = try context.parameters.require("id")
        let answer = await web.api.send(.post, "consultations/\(id)/messages",
                                        json: .map(["text": .string(context.browser.form["text"] ?? "")]), context: context)
        if case .refused(let error) = answer {
            return try await consultationPage(id, errors: web.formErrors(error, context: context), context: context, status: error.status)
        }
        return web.redirect("/consultations/\(id)#composer")
    }

    @Sendable func accept(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let id = try context.parameters.require("id")
        let answer = await web.api.send(.post, "consultations/\(id)/accept", json: nil,
                                        idempotencyKey: context.browser.form["idempotencyKey"], context: context)
        if case .refused(let error) = answer {
            return try await consultationPage(id, errors: web.formErrors(error, context: context), context: context, status: error.status)
        }
        return web.redirect("/consultations/\(id)")
    }

    @Sendable func complete(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        var body: [String: DocumentValue] = ["diagnosis": .string(form["diagnosis"] ?? "")]
        if let notes = form["notes"] { body["notes"] = .string(notes) }
        if let outcome = form["outcome"] { body["outcome"] = .string(outcome) }
        let answer = await web.api.send(.post, "consultations/\(id)/complete", json: .map(body), context: context)
        if case .refused(let error) = answer {
            return try await consultationPage(id, errors: web.formErrors(error, context: context), context: context, status: error.status)
        }
        return web.redirect("/consultations/\(id)")
    }

    /// The patient's rating of a completed consultation.
    @Sendable func rate(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        var body: [String: DocumentValue] = [:]
        for field in ["efficiency", "attitude", "professionalism"] {
            body[field] = form[field].flatMap(Int64.init).map(DocumentValue.integer) ?? .string(form[field] ?? "")
        }
        if let comment = form["comment"] { body["comment"] = .string(comment) }
        let answer = await web.api.send(.post, "consultations/\(id)/rating", json: .map(body), context: context)
        if case .refused(let error) = answer {
            return try await consultationPage(id, errors: web.formErrors(error, context: context), context: context, status: error.status)
        }
        return web.redirect("/consultations/\(id)?rated=1#thanks")
    }

    /// A thank-you gift to the doctor of a completed consultation, paid from the wallet.
    @Sendable func thank(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        let answer = await web.api.send(.post, "consultations/\(id)/gifts", json: .map(["kind": .string(form["kind"] ?? "")]),
                                        idempotencyKey: form["idempotencyKey"], context: context)
        if case .refused(let error) = answer {
            return try await consultationPage(id, errors: web.formErrors(error, context: context), context: context, status: error.status)
        }
        return web.redirect("/consultations/\(id)?gift=sent#thanks")
    }

    /// An image for the chat, posted by `consultation.js` (raw bytes, `X-CSRF-Token`); answers the
    /// API's JSON, `{"imageId"}` or the standard error, for the script to send on the socket.
    @Sendable func upload(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient, .doctor)
        let id = try context.parameters.require("id")
        let bytes = try await request.bodyBytes(upTo: ImageRule.maximumBytes,
                                                tooLarge: AppError(.contentTooLarge, code: "image_too_large",
                                                                   message: "An image is at most 5 MiB."))
        switch await web.api.exchange(.post, "consultations/\(id)/images", body: Data(buffer: bytes),
                                      contentType: request.headers[.contentType] ?? "application/octet-stream", context: context) {
        case .success(let (status, headers, data)):
            return Response(status: status, headers: [.contentType: headers[.contentType] ?? "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        case .failure(let error):
            throw WebJSONError(error)
        }
    }

    /// A chat image, for its consultation's two participants.
    @Sendable func image(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient, .doctor)
        switch await web.api.exchange(.get, "images/\(try context.parameters.require("id"))", context: context) {
        case .success(let (_, headers, data)):
            return .file(data, mediaType: headers[.contentType] ?? "application/octet-stream", cacheControl: "private, no-store")
        case .failure(let error):
            throw error
        }
    }

    /// The call's connected event from `call.js`: metering starts now (a call that never
    /// connects is never billed).
    @Sendable func callConnected(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient, .doctor)
        return try await passOn(.post, "consultations/\(try context.parameters.require("id"))/calls", context: context)
    }

    /// The call's ended event (hung up, refused media, dropped connection): metering stops.
    @Sendable func callEnded(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient, .doctor)
        let id = try context.parameters.require("id")
        return try await passOn(.post, "consultations/\(id)/calls/\(try context.parameters.require("callId"))/end", context: context)
    }

    /// The API's JSON answer as it is, for a script; a refusal in the standard error shape.
    private func passOn(_ method: HTTPRequest.Method, _ path: String, context: AppContext) async throws -> Response {
        switch await web.api.exchange(method, path, context: context) {
        case .success(let (status, _, data)):
            return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        case .failure(let error):
            throw WebJSONError(error)
        }
    }
}
