import Foundation
import Hummingbird
import MedLoopDomain

/// A consultation as its patient and its doctor see it: the conversation (live through the
/// consultation's WebSocket, `consultation.js`; a plain form without scripts), the queue position
/// while waiting, and the doctor's queue, accept and complete.
struct ConsultationPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("queue", use: queue)
        group.get("consultations/:id", use: show)
        group.post("consultations/:id/messages", use: send)
        group.post("consultations/:id/accept", use: accept)
        group.post("consultations/:id/complete", use: complete)
    }

    @Sendable func queue(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let waiting = try web.object(await web.api.get("doctors/me/queue", context: context), context: context)
        let me = try web.object(await web.api.get("me", context: context), context: context)
        return web.page("queue", title: "queue.title", ["waiting": waiting["items"] ?? [], "me": me], context: context)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await consultationPage(context.parameters.require("id"), errors: nil, context: context)
    }

    private func consultationPage(_ id: String, errors: [String: Any]?, context: AppContext,
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
        var data: [String: Any] = ["consultation": consultation, "messages": messages,
                                   "isDoctor": caller.role == .doctor, "isPatient": caller.role == .patient]
        if let doctorId = consultation["doctorId"] as? String,
           case .ok(_, let doctor) = await web.api.get("doctors/\(doctorId)", context: context) {
            data["doctor"] = web.values(doctor, context: context)
        }
        if caller.role == .doctor, case .ok(_, let patient) = await web.api.get("consultations/\(id)/patient", context: context) {
            data["patient"] = web.values(patient, context: context)
        }
        if let errors { data["errors"] = errors }
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
}
