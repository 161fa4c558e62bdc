import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import MedLoopDomain
import MedLoopStore
import NIOCore

/// Runs a POST that creates an order, a payment, a refund or a settlement at most once per
/// `Idempotency-Key` (API.md, headers): the same key with the same body gets the first response
/// again; with another body, 409 `idempotency_key_reused`.
struct IdempotentPost: Sendable {
    let store: IdempotencyStore
    let clock: any MedLoopClock

    /// `handler` gets the request with its body collected and returns the status and value to send.
    func respond(to request: Request, context: AppContext,
                 _ handler: (Request) async throws -> (HTTPResponse.Status, any Encodable & Sendable)) async throws -> Response {
        let caller = try context.requireCaller()
        guard let key = request.headers[.idempotencyKey], (1...255).contains(key.utf8.count) else {
            throw AppError(.badRequest, code: "idempotency_key_required",
                           message: "This request needs an Idempotency-Key header of 1 to 255 characters.")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: context.maxBodyBytes)
        } catch {
            throw AppError.bodyTooLarge
        }
        var digest = SHA256()
        digest.update(data: Data("\(request.method.rawValue) \(request.uri.path)\n".utf8))
        digest.update(data: Data(buffer: body))
        let hash = digest.finalize().map { String(format: "%02x", $0) }.joined()

        switch try await store.begin(account: caller.accountId, key: key, requestHash: hash, now: clock.now()) {
        case .replay(let status, let stored):
            var response = Response(status: HTTPResponse.Status(code: status),
                                    headers: [.contentType: "application/json; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: stored)))
            response.headers[.idempotentReplayed] = "true"
            return response
        case .conflict(let code):
            throw AppError(.conflict, code: code, message: code == "idempotency_key_reused"
                           ? "This Idempotency-Key was used with another request."
                           : "A request with this Idempotency-Key is still being handled.")
        case .proceed:
            do {
                let (status, value) = try await handler(request)
                let data = try JSONCoding.encoder.encode(value)
                let text = String(decoding: data, as: UTF8.self)
                try await store.finish(account: caller.accountId, key: key, status: status.code, body: text)
                return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(bytes: data)))
            } catch {
                // A refused request may be retried with the same key once the cause is fixed.
                try? await store.abandon(account: caller.accountId, key: key)
                throw error
            }
        }
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}
