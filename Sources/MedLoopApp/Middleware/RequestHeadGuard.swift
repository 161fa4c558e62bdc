import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore

/// Guards the raw bytes of each request head, before HTTP decoding: a head longer than
/// `maxHeadBytes` is answered 431 and the connection closed; a head not complete within
/// `headTimeout` of its first byte (a client sending a byte now and then to hold the connection)
/// is answered 408 and closed; a request line with a byte HTTP does not allow there (a raw
/// non-ASCII character or a control character: clients percent-encode them) is answered 400 and
/// closed — the HTTP decoder would otherwise leave the connection hanging without an answer; a
/// connection that sends nothing at all within `idleTimeout` is
/// closed (Hummingbird's own idle timeout only starts with the first request). After a WebSocket
/// upgrade the guard steps aside.
final class RequestHeadGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        /// Between requests: the next byte starts a head.
        case idle
        /// Reading a head: bytes so far, and how much of the blank line that ends it was seen.
        case readingHead(bytes: Int, matched: Int)
        /// The head is complete; the request's body may follow until the response starts.
        case awaitingResponse
        /// Upgraded to a WebSocket, or closing: nothing more to guard.
        case stopped
    }

    private let maxHeadBytes: Int
    private let headTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var state = State.idle
    /// Whether the bytes being read are still the request line.
    private var inRequestLine = true
    private var deadline: Scheduled<Void>?
    /// Until the first byte arrives: closes a connection that never says anything.
    private var silence: Scheduled<Void>?

    init(maxHeadBytes: Int, headTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.maxHeadBytes = maxHeadBytes
        self.headTimeout = headTimeout
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        silence = context.eventLoop.scheduleTask(in: idleTimeout) { bound.value.close(promise: nil) }
    }

    private static let endOfHead: [UInt8] = [13, 10, 13, 10]

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        silence?.cancel()
        silence = nil
        var bytes: Int
        var matched: Int
        switch state {
        case .awaitingResponse, .stopped:
            context.fireChannelRead(data)
            return
        case .idle:
            (bytes, matched) = (0, 0)
            inRequestLine = true
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(in: headTimeout) {
                bound.value.handler.refuse(.requestTimeout, code: "request_timeout",
                                           message: "The request took too long to arrive.", context: bound.value.context)
            }
        case .readingHead(let counted, let seen):
            (bytes, matched) = (counted, seen)
        }
        for byte in buffer.readableBytesView {
            bytes += 1
            if inRequestLine {
                if byte == 10 {
                    inRequestLine = false
                } else if byte >= 0x80 || (byte < 0x20 && byte != 13) || byte == 0x7F {
                    refuse(.badRequest, code: "bad_request_line",
                           message: "The request line has a character that must be percent-encoded.", context: context)
                    return
                }
            }
            if byte == Self.endOfHead[matched] {
                matched += 1
            } else {
                matched = byte == 13 ? 1 : 0
            }
            if matched == Self.endOfHead.count { break }
        }
        if matched == Self.endOfHead.count {
            deadline?.cancel()
            deadline = nil
            state = .awaitingResponse
        } else if bytes > maxHeadBytes {
            refuse(.init(code: 431, reasonPhrase: "Request Header Fields Too Large"), code: "request_header_too_large",
                   message: "The request headers are too large.", context: context)
            return
        } else {
            state = .readingHead(bytes: bytes, matched: matched)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .awaitingResponse = state {
            // The response has started: the next byte from the client starts the next head,
            // unless this is the switch to a WebSocket.
            let buffer = unwrapOutboundIn(data)
            let head = buffer.getString(at: buffer.readerIndex, length: min(12, buffer.readableBytes)) ?? ""
            if head == "HTTP/1.1 101" {
                state = .stopped
            } else if !head.hasPrefix("HTTP/1.1 1") {
                // A final answer (an interim 1xx such as 100 Continue still awaits the body).
                state = .idle
            }
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        silence?.cancel()
        silence = nil
        state = .stopped
        context.fireChannelInactive()
    }

    /// Answers in the standard error shape and closes the connection.
    private func refuse(_ status: HTTPResponse.Status, code: String, message: String, context: ChannelHandlerContext) {
        switch state {
        case .stopped, .awaitingResponse: return
        case .idle, .readingHead: break
        }
        deadline?.cancel()
        deadline = nil
        state = .stopped
        let requestId = RequestMiddleware.requestId(from: nil)
        let body = ErrorBody(error: .init(code: code, message: Catalogue.shared.message(for: code, in: .chinese, fallback: message),
                                          requestId: requestId, details: nil))
        let json = (try? JSONCoding.encoder.encode(body)) ?? Data()
        var text = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
        text += "content-type: application/json; charset=utf-8\r\ncontent-length: \(json.count)\r\nconnection: close\r\n"
        text += "x-request-id: \(requestId)\r\n"
        for field in SecurityHeaders.fields { text += "\(field.name.canonicalName): \(field.value)\r\n" }
        text += "\r\n"
        var out = context.channel.allocator.buffer(capacity: text.utf8.count + json.count)
        out.writeString(text)
        out.writeBytes(json)
        context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in context.close(promise: nil) }
    }
}

/// MedLoop's HTTP/1.1 server with WebSocket upgrades, each connection guarded by a
/// `RequestHeadGuard` in front of the HTTP decoder.
struct GuardedHTTPChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value
    let inner: HTTP1WebSocketUpgradeChannel
    let maxHeadBytes: Int
    let headTimeout: TimeAmount
    let idleTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            let guardHandler = RequestHeadGuard(maxHeadBytes: maxHeadBytes, headTimeout: headTimeout, idleTimeout: idleTimeout)
            try channel.pipeline.syncOperations.addHandler(guardHandler, position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with WebSocket upgrades through `router`, idle connections closed after
    /// `idleTimeout`, and request heads guarded (`RequestHeadGuard`).
    static func medLoop(webSocketRouter router: Router<AppContext>, idleTimeout: Duration, maxHeadBytes: Int,
                        headTimeout: Duration) -> HTTPServerBuilder {
        let webSocketResponder = router.buildResponder()
        let idle = TimeAmount.seconds(idleTimeout.components.seconds)
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(http1: .init(idleTimeout: idle), ws: .init())
        let head = TimeAmount.seconds(headTimeout.components.seconds)
        return HTTPServerBuilder { responder in
            GuardedHTTPChannel(inner: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder,
                                                                    configuration: configuration),
                               maxHeadBytes: maxHeadBytes, headTimeout: head, idleTimeout: idle)
        }
    }
}
