import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// The whole body, read up to `limit` bytes; a longer body is a 413 with `tooLarge`'s code and
    /// message, in the standard error shape. The one place a body is collected.
    func bodyBytes(upTo limit: Int, tooLarge: AppError = .bodyTooLarge) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
    }

    /// The raw body of an upload (a consultation image, a doctor's photo), read up to its own
    /// limit rather than the JSON body limit.
    func uploadedBytes(upTo limit: Int, tooLarge: AppError) async throws -> [UInt8] {
        Array(buffer: try await bodyBytes(upTo: limit, tooLarge: tooLarge))
    }
}

extension Response {
    /// A stored file's bytes as they are, with their media type.
    static func file(_ data: Data, mediaType: String, cacheControl: String) -> Response {
        Response(status: .ok, headers: [.contentType: mediaType, .cacheControl: cacheControl],
                 body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
