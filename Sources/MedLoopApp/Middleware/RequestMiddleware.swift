import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MedLoopDomain
import Synchronization

/// The outermost middleware: gives every request its id (`X-Request-Id`, echoed when the client
/// sent a safe one), its language and body limit, renders every error in the standard shape, and
/// logs one line per request — method, path, status, time — never a body or an identifier.
struct RequestMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let maxBodyBytes: Int
    /// Whether the last address of `X-Forwarded-For` is the client's: only behind a proxy of
    /// MedLoop's own that sets it (`MEDLOOP_TRUST_FORWARDED_FOR`); otherwise anyone could pick
    /// the address the sign-in throttle counts against.
    let trustForwardedFor: Bool
    /// The routes and their methods: a known path asked with another method is 405, not 404.
    let routes: RouteTable
    /// The web app's "not found" page, for a browser that asked for a page that does not exist.
    var notFoundPage: (@Sendable (AppContext) -> Response)?

    func handle(_ request: Request, context: AppContext,
                next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var context = context
        context.requestId = Self.requestId(from: request.headers[.requestId])
        context.language = Language(acceptLanguage: request.headers[.acceptLanguage])
        context.maxBodyBytes = maxBodyBytes
        if trustForwardedFor, let forwarded = request.headers[.xForwardedFor],
           let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty {
            context.clientAddress = String(last.prefix(64))
        }
        context.logger[metadataKey: "request_id"] = .string(context.requestId)
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound
                    && !routes.methods(for: request.uri.path).isEmpty && !routes.methods(for: request.uri.path).contains(request.method) {
            var refusal = AppError(.methodNotAllowed, code: "method_not_allowed", message: "This method is not allowed here.")
            refusal.headers[.allow] = Set(routes.methods(for: request.uri.path).map(\.rawValue)).sorted().joined(separator: ", ")
            response = render(refusal, context: context)
        } catch let error as HTTPError where error.status == .notFound && request.method == .get
                    && request.headers[.accept]?.contains("text/html") == true && !request.uri.path.hasPrefix("/api/")
                    && notFoundPage != nil {
            response = notFoundPage!(context)
        } catch {
            let appError = AppError.from(error)
            if appError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": .string(String(describing: error))])
            }
            response = render(appError, context: context)
        }
        response.headers[.requestId] = context.requestId
        SecurityHeaders.apply(to: &response.headers)
        let elapsed = ContinuousClock.now - start
        context.logger.info("request", metadata: [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code),
            "ms": .string(Self.milliseconds(elapsed)),
        ])
        return response
    }

    /// `elapsed` in milliseconds with two decimals ("12.34"), by integer arithmetic: Foundation's
    /// `String(format:)` on every request cost a measurable share of the throughput.
    static func milliseconds(_ elapsed: Duration) -> String {
        let (seconds, attoseconds) = elapsed.components
        let hundredths = max(0, seconds * 100_000 + (attoseconds + 5_000_000_000_000) / 10_000_000_000_000)
        let fraction = hundredths % 100
        return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }

    private func render(_ error: AppError, context: AppContext) -> Response {
        let message = Catalogue.shared.message(for: error.code, in: context.language, fallback: error.message)
        let body = ErrorBody(error: .init(code: error.code, message: message, requestId: context.requestId,
                                          details: error.details.isEmpty ? nil : error.details))
        let data = (try? JSONCoding.encoder.encode(body)) ?? Data()
        var headers = error.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The client's id if it is at most 64 safe characters, a new one otherwise.
    static func requestId(from header: String?) -> String {
        if let header, (1...64).contains(header.utf8.count),
           header.utf8.allSatisfy({ $0.isSafeIdentifierByte }) {
            return header
        }
        return RequestIds.next()
    }
}

/// The ids of requests that bring none: 32 lowercase hex digits, the process's 64 random bits drawn
/// at start-up, then the request's number through SplitMix64's output function (a bijection, so
/// the numbers stay distinct and do not show how many requests came before). No system call and no
/// `UUID` formatting per request: a random UUID filtered of its dashes cost 3.6 % of the server's
/// time under the popular search mix (BENCHMARKS.md).
enum RequestIds {
    private static let process = UInt64.random(in: .min ... .max)
    private static let issued = Atomic<UInt64>(0)

    static func next() -> String {
        let number = issued.wrappingAdd(1, ordering: .relaxed).newValue
        return hex(process, SplitMix64.mix(number &* SplitMix64.increment))
    }

    /// `high` and `low` as 32 lowercase hex digits.
    static func hex(_ high: UInt64, _ low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 32) { bytes in
            for digit in 0..<32 {
                let word = digit < 16 ? high : low
                let nibble = UInt8(truncatingIfNeeded: word >> (60 - 4 * (digit % 16))) & 0x0F
                bytes[digit] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            }
            return 32
        }
    }
}

extension UInt8 {
    fileprivate var isSafeIdentifierByte: Bool {
        (48...57).contains(self) || (65...90).contains(self) || (97...122).contains(self) || self == 45 || self == 46 || self == 95
    }
}

extension HTTPField.Name {
    static let requestId = HTTPField.Name("X-Request-Id")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
