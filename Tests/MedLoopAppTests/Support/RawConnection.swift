import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to the test server on loopback, for what an HTTP client will not send:
/// oversized or dribbled request heads, connections that stay silent, and WebSocket handshakes
/// whose answer must be read as it arrives.
final class RawConnection: @unchecked Sendable {
    private let socket: Int32

    init(port: Int) throws {
        socket = try Self.connected(port: port)
    }

    /// A socket connected to `port` on loopback.
    static func connected(port: Int) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw RawConnectionError.socket }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { close(socket); throw RawConnectionError.connect }
        return socket
    }

    deinit { close(socket) }

    /// Sends all of `text`; false once the server has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool { send(bytes: Array(text.utf8)) }

    /// Sends all of `bytes`; false once the server has closed the connection.
    @discardableResult
    func send(bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    /// Everything the server sends, as text, until it closes the connection or `timeout` passes;
    /// and whether it closed (`read`).
    func readUntilClosed(timeout: TimeInterval) async -> (text: String, closed: Bool) {
        let (bytes, closed) = await read(timeout: timeout) { _ in false }
        return (String(decoding: bytes, as: UTF8.self), closed)
    }

    /// The bytes the server sends until `enough` says so, it closes the connection, or `timeout`
    /// passes; and whether it closed. Waits on a thread of its own: the test server's handlers run
    /// on the same few threads as the tests, so a test must not block one of them.
    func read(timeout: TimeInterval, until enough: @escaping @Sendable ([UInt8]) -> Bool) async -> (bytes: [UInt8], closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.blockingRead(timeout: timeout, until: enough)) }.start()
        }
    }

    private func blockingRead(timeout: TimeInterval, until enough: ([UInt8]) -> Bool) -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline, !enough(received) {
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&poller, 1, remaining) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (received, true) }
            received += buffer[0..<count]
        }
        return (received, false)
    }
}

/// A WebSocket opened on a raw connection, for the streams that answer as soon as they open (a
/// refused stream's error, then its close). A client library may still be setting up the socket
/// when frames arrive in the same packet as the handshake's answer, and lose them; this reads
/// them as they arrive.
struct RawWebSocket {
    /// The server's handshake answer, up to its blank line.
    var head: String
    /// The payloads of the text frames before the close frame.
    var texts: [String]
    /// Whether the server sent its close frame.
    var closed: Bool

    /// Opens `path` with `headers` (lines without their CRLF), sends `frames` as text frames, and
    /// reads until the server's close frame; `timeout` is for a machine busy with other tests.
    static func open(port: Int, _ path: String, headers: [String] = [], send frames: [String] = [],
                     timeout: TimeInterval = 30) async throws -> RawWebSocket {
        let connection = try RawConnection(port: port)
        let extra = headers.map { $0 + "\r\n" }.joined()
        connection.send("GET \(path) HTTP/1.1\r\nHost: localhost:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\(extra)\r\n")
        for frame in frames { connection.send(bytes: maskedTextFrame(frame)) }
        let (bytes, _) = await connection.read(timeout: timeout) { parse($0).closed }
        return parse(bytes)
    }

    /// A client's text frame, masked as a client's frames must be (with a zero key, which
    /// leaves the payload as it is).
    static func maskedTextFrame(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        precondition(payload.count < 126, "a short frame is enough for a test")
        return [0x81, 0x80 | UInt8(payload.count), 0, 0, 0, 0] + payload
    }

    /// The handshake answer and the complete frames in `bytes` (a server's frames are not masked).
    static func parse(_ bytes: [UInt8]) -> RawWebSocket {
        let blankLine: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: blankLine) }) else {
            return RawWebSocket(head: String(decoding: bytes, as: UTF8.self), texts: [], closed: false)
        }
        var socket = RawWebSocket(head: String(decoding: bytes[..<end], as: UTF8.self), texts: [], closed: false)
        var index = end + blankLine.count
        while index + 2 <= bytes.count {
            let opcode = bytes[index] & 0x0F
            var length = Int(bytes[index + 1] & 0x7F)
            var start = index + 2
            if length == 126 {
                guard start + 2 <= bytes.count else { break }
                length = Int(bytes[start]) << 8 | Int(bytes[start + 1])
                start += 2
            } else if length == 127 {
                guard start + 8 <= bytes.count else { break }
                length = bytes[start..<start + 8].reduce(0) { $0 << 8 | Int($1) }
                start += 8
            }
            guard start + length <= bytes.count else { break }
            switch opcode {
            case 0x1: socket.texts.append(String(decoding: bytes[start..<start + length], as: UTF8.self))
            case 0x8: socket.closed = true; return socket
            default: break
            }
            index = start + length
        }
        return socket
    }
}

enum RawConnectionError: Error {
    case socket, connect
}
