import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// The raw body of an upload (a consultation image, a doctor's photo), read up to its own
    /// limit rather than the JSON body limit. A longer body is a 413 with `tooLarge`'s code and
    /// message, in the standard error shape.
    func uploadedBytes(upTo limit: Int, tooLarge: AppError) async throws -> [UInt8] {
        do {
            let buffer = try await body.collect(upTo: limit)
            return Array(buffer: buffer)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
    }
}

extension Response {
    /// A stored file's bytes as they are, with their media type.
    static func file(_ data: Data, mediaType: String, cacheControl: String) -> Response {
        Response(status: .ok, headers: [.contentType: mediaType, .cacheControl: cacheControl],
                 body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
