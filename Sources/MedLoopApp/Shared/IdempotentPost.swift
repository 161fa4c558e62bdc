import Foundation
import HTTPTypes
import Hummingbird
import MedLoopDomain
import MedLoopStore
import NIOCore

/// Runs a POST that creates an order, a payment, a refund or a settlement at most once per
/// `Idempotency-Key` (API.md, headers): the same key with the same body gets the first response
/// again; with another body, 409 `idempotency_key_reused`. The key's claim, the handler's effect
/// and the answer commit in one unit of work (the handler's stores join it), so a crash at any
/// point leaves all three or none, and a retry gets the first answer or runs once. A refused
/// request (any error) leaves nothing: it may be retried with the same key once the cause is fixed.
struct IdempotentPost: Sendable {
    let store: IdempotencyStore
    let database: Database
    let clock: any MedLoopClock
    let crashPoints: CrashPoints

    /// `handler` gets the request with its body collected and returns the status and value to send.
    func respond(to request: Request, context: AppContext,
                 _ handler: @escaping @Sendable (Request) async throws -> (HTTPResponse.Status, any Encodable & Sendable))
        async throws -> Response {
        try await respond(to: request, context: context, prepare: { _ in }, { request, _ in try await handler(request) })
    }

    /// As `respond(to:context:_:)`, with `prepare` run first, outside the unit of work: reads that
    /// need no lock (what a sample is drawn from), so that on SQLite the writer is not held while
    /// they run. A key used before is answered without preparing; a refusal from `prepare` leaves
    /// nothing, as one from `handler` does.
    func respond<Prepared: Sendable>(
        to request: Request, context: AppContext, prepare: @escaping @Sendable (Request) async throws -> Prepared,
        _ handler: @escaping @Sendable (Request, Prepared) async throws -> (HTTPResponse.Status, any Encodable & Sendable)
    ) async throws -> Response {
        let caller = try context.requireCaller()
        guard let key = request.headers[.idempotencyKey], (1...255).contains(key.utf8.count) else {
            throw AppError(.badRequest, code: "idempotency_key_required",
                           message: "This request needs an Idempotency-Key header of 1 to 255 characters.")
        }
        let body = try await request.bodyBytes(upTo: context.maxBodyBytes)
        let hash = Hashing.sha256Hex(Data("\(request.method.rawValue) \(request.uri.path)\n".utf8) + Data(buffer: body))
        if let earlier = try await replay(account: caller.accountId, key: key, hash: hash) { return earlier }
        let collected = Request(head: request.head, body: .init(buffer: body))
        let prepared = try await prepare(collected)
        do {
            let (status, data) = try await database.unitOfWork { tx in
                try await store.claim(account: caller.accountId, key: key, requestHash: hash, now: clock.now(), in: tx)
                crashPoints.reach("idempotency.claimed")
                let (status, value) = try await handler(collected, prepared)
                crashPoints.reach("idempotency.applied")
                let data = try JSONCoding.encoder.encode(value)
                try await store.answer(account: caller.accountId, key: key, status: status.code,
                                       body: String(decoding: data, as: UTF8.self), in: tx)
                crashPoints.reach("idempotency.answered")
                return (status, data)
            }
            crashPoints.reach("idempotency.committed")
            return Self.response(status: status, body: ByteBuffer(bytes: data))
        } catch where isUniqueViolation(error) {
            // A request with the same key claimed it while this one ran: answer as it did. On
            // SQLite its unit may share a transaction with this one's (group commit) and not have
            // committed yet, so the key is read in a unit of work of its own, which joins that
            // transaction and returns once it has committed.
            if let earlier = try await replay(account: caller.accountId, key: key, hash: hash, afterCommit: true) { return earlier }
            throw error
        }
    }

    /// The answer for a key used before, or the 409 that says why it cannot be used; `nil` for a new
    /// key. `afterCommit` reads it in a unit of work, so that a claim not yet committed is seen
    /// with its answer and only once it has committed.
    private func replay(account: UUID, key: String, hash: String, afterCommit: Bool = false) async throws -> Response? {
        let record = afterCommit
            ? try await database.unitOfWork { _ in try await store.record(account: account, key: key, requestHash: hash) }
            : try await store.record(account: account, key: key, requestHash: hash)
        switch record {
        case .unused:
            return nil
        case .answered(let status, let stored):
            var response = Self.response(status: HTTPResponse.Status(code: status), body: ByteBuffer(string: stored))
            response.headers[.idempotentReplayed] = "true"
            return response
        case .reused:
            throw AppError(.conflict, code: "idempotency_key_reused", message: "This Idempotency-Key was used with another request.")
        case .unanswered:
            throw AppError(.conflict, code: "idempotency_key_in_use", message: "A request with this Idempotency-Key is still being handled.")
        }
    }

    private static func response(status: HTTPResponse.Status, body: ByteBuffer) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}
