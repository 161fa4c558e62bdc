import Foundation
import HTTPTypes
import Hummingbird
import MedLoopDomain
import NIOCore

/// The JSON API as the web pages call it: in process, through the very routes, authorisation and
/// audit a client of `/api/v1` meets, as the page's signed-in caller. A page never reads a store or
/// applies a rule itself, so the web app cannot drift from the API.
struct WebAPI: Sendable {
    /// The API's routes without the outer request middleware: the page's request already has its
    /// id, language and log line.
    let responder: any HTTPResponder<AppContext>

    /// What a call answered: its status and JSON body, or the refusal the API would have sent.
    enum Answer: Sendable {
        case ok(HTTPResponse.Status, DocumentValue)
        case refused(AppError)
    }

    func get(_ path: String, query: [(String, String)] = [], context: AppContext) async -> Answer {
        await call(.get, path, query: query, body: nil, context: context)
    }

    /// A POST (or another method) with a JSON body; `idempotencyKey` for the creating POSTs.
    func send(_ method: HTTPRequest.Method, _ path: String, json: DocumentValue?, idempotencyKey: String? = nil,
              context: AppContext) async -> Answer {
        let body = json.flatMap { try? JSONEncoder().encode($0) }
        return await call(method, path, query: [], body: body, contentType: "application/json",
                          idempotencyKey: idempotencyKey, context: context)
    }

    /// A call with a raw body (an image, a CSV file, a YAML policy), answered as JSON.
    func call(_ method: HTTPRequest.Method, _ path: String, query: [(String, String)], body: Data?,
              contentType: String? = nil, idempotencyKey: String? = nil, context: AppContext) async -> Answer {
        switch await exchange(method, path, query: query, body: body, contentType: contentType, idempotencyKey: idempotencyKey,
                              context: context) {
        case .failure(let error):
            return .refused(error)
        case .success(let (status, _, data)):
            let value = data.isEmpty ? DocumentValue.null : ((try? DocumentValue.json(data)) ?? .null)
            return .ok(status, value)
        }
    }

    /// A call whose answer is passed on as it is (an image, a CSV file): status, headers, bytes.
    func exchange(_ method: HTTPRequest.Method, _ path: String, query: [(String, String)] = [], body: Data? = nil,
                  contentType: String? = nil, idempotencyKey: String? = nil,
                  context: AppContext) async -> Result<(HTTPResponse.Status, HTTPFields, Data), AppError> {
        var components = URLComponents()
        components.path = "/api/v1/" + path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        var head = HTTPRequest(method: method, scheme: "http", authority: "medloop", path: components.percentEncodedPath
                               + (components.percentEncodedQuery.map { "?" + $0 } ?? ""))
        head.headerFields[.acceptLanguage] = context.language.rawValue
        if let contentType { head.headerFields[.contentType] = contentType }
        if let idempotencyKey { head.headerFields[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: body ?? Data())))
        do {
            let response = try await responder.respond(to: request, context: context)
            let data = try await response.body.collected(upTo: 16 << 20)
            if response.status.code >= 400 {
                return .failure(AppError.from(HTTPError(response.status)))
            }
            return .success((response.status, response.headers, data))
        } catch {
            return .failure(AppError.from(error))
        }
    }
}

extension ResponseBody {
    /// The whole body, at most `limit` bytes.
    consuming func collected(upTo limit: Int) async throws -> Data {
        let collector = Collector(limit: limit)
        try await write(collector)
        return collector.data
    }

    private final class Collector: ResponseBodyWriter {
        let limit: Int
        var data = Data()
        init(limit: Int) { self.limit = limit }

        func write(_ buffer: ByteBuffer) async throws {
            guard data.count + buffer.readableBytes <= limit else { throw NIOTooManyBytesError(maxBytes: limit) }
            data.append(contentsOf: buffer.readableBytesView)
        }

        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
