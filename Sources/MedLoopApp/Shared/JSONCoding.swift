import Foundation
import Hummingbird
import MedLoopDomain
import NIOCore

/// The JSON coders of the API: camelCase keys, instants as RFC 3339 in China Standard Time.
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an RFC 3339 time")
            }
            return date
        }
        return decoder
    }()
}

extension Request {
    /// Decodes the JSON body as `T`. A body over the limit is a 413; bad JSON, a wrong type, a
    /// missing field or an unknown enumeration value is a 400 that names the field.
    func decodeJSON<T: Decodable>(as type: T.Type, context: AppContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw AppError.bodyTooLarge
        } catch is NIOTooManyBytesError {
            throw AppError.bodyTooLarge
        }
        do {
            return try JSONCoding.decoder.decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw AppError.decoding(error)
        }
    }
}

extension AppError {
    /// The 400 for a body that does not decode.
    static func decoding(_ error: DecodingError) -> AppError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .reduce("") { $0.isEmpty || $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 }
        }
        let issue: FieldIssue
        switch error {
        case .keyNotFound(let key, let context):
            issue = FieldIssue(field: path(context.codingPath + [key]), code: "required", message: "This field is required.")
        case .valueNotFound(_, let context):
            issue = FieldIssue(field: path(context.codingPath), code: "required", message: "This field may not be null.")
        case .typeMismatch(let type, let context):
            issue = FieldIssue(field: path(context.codingPath), code: "wrong_type", message: "Expected \(Self.jsonType(type)).")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return AppError(.badRequest, code: "malformed_json", message: "The request body is not valid JSON.")
        case .dataCorrupted(let context):
            issue = FieldIssue(field: path(context.codingPath), code: "invalid_value", message: context.debugDescription)
        @unknown default:
            return AppError(.badRequest, code: "malformed_json", message: "The request body is not valid JSON.")
        }
        return AppError(.badRequest, code: "invalid_request", message: "The request has invalid fields.", details: [issue])
    }

    private static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type, is Double.Type: return "a number"
        case is [Any].Type: return "an array"
        default: return "an object"
        }
    }
}

/// Wraps a value to send it with another status than 200 (201 for a creation).
struct Created<Value: Encodable & Sendable>: ResponseGenerator {
    var value: Value

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONCoding.encoder.encode(value, from: request, context: context)
        response.status = .created
        return response
    }
}

/// Every API view is encoded with the API's coders.
protocol APIView: ResponseEncodable, Sendable {}

extension APIView {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try JSONCoding.encoder.encode(self, from: request, context: context)
    }
}

/// A page of a list as the API returns it.
struct ListView<Item: Encodable & Sendable>: APIView {
    var items: [Item]
    var nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey { case items, nextCursor }
}
