import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWSTesting
import MedLoopApp
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

/// What probing MedLoop as an attacker found, each closed: response headers, raw echoes, wrong
/// methods, numbers an integer cannot take, oversized and dribbled request heads, silent
/// connections, refused streams, visits before birth.
@Suite("Hardening against probing")
struct HardeningTests {
    static func key() -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: UUID().uuidString] }

    @Test("every response carries the protective headers and no server banner; personal data is never cached",
          arguments: ["/health/live", "/api/v1/me", "/api/v1/doctors?limit=1", "/api/v1/no-such-route"])
    func protectiveHeaders(path: String) async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let reply = try await app.send(.get, path, token: token)
            #expect(reply.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(reply.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(reply.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(reply.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            #expect(reply.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            #expect(reply.headers[.cacheControl] == "no-store")
            #expect(reply.headers[.server] == nil)
        }
    }

    @Test("a live server sends no Server header either")
    func noBannerLive() async throws {
        try await withApp(live: true) { app in
            let reply = try await app.send(.get, "/health/live")
            #expect(reply.status == .ok)
            #expect(reply.headers[.server] == nil)
        }
    }

    @Test("an error message never echoes the input back", arguments: [
        "/api/v1/doctors?department=%3Cscript%3Ealert(1)%3C/script%3E",
        "/api/v1/doctors?sort=%3Cscript%3E",
    ])
    func noEcho(path: String) async throws {
        try await withApp { app in
            let reply = try await app.send(.get, path)
            #expect(reply.status == .badRequest)
            #expect(reply.isStandardError)
            #expect(!reply.text.contains("<script>"))
            #expect(!reply.text.contains("script"))
        }
    }

    @Test("a method the route does not take is 405 with the methods it does take")
    func methodNotAllowed() async throws {
        try await withApp { app in
            let put = try await app.send(.put, "/api/v1/auth/sign-in", json: [:])
            #expect(put.status == .methodNotAllowed)
            #expect(put.errorCode == "method_not_allowed")
            #expect(put.isStandardError)
            #expect(put.headers[.allow] == "POST")
            let delete = try await app.send(.delete, "/api/v1/doctors")
            #expect(delete.status == .methodNotAllowed)
            #expect(delete.headers[.allow] == "GET, POST")
            let unknown = try await app.send(.get, "/api/v1/no-such-route")
            #expect(unknown.status == .notFound)
        }
    }

    @Test("a number an integer field cannot take is a 400 naming the field, and nothing is written", arguments: [
        #"{"amountFen": 2.5}"#, #"{"amountFen": 1e30}"#, #"{"amountFen": 9223372036854775808}"#, #"{"amountFen": -9.5e18}"#,
    ])
    func nonIntegers(body: String) async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let reply = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, raw: body, headers: Self.key())
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "invalid_request")
            #expect(reply.errorFields == ["amountFen"])
            #expect(reply.errorDetailCodes == ["not_an_integer"])
            let wallet = try await app.send(.get, "/api/v1/wallet", token: token)
            #expect(wallet.json["balanceFen"] as? Int == 0)
        }
    }

    @Test("a well-formed whole number in exponent form is taken; broken JSON stays malformed_json")
    func integersAndBrokenJSON() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let broken = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, raw: #"{"amountFen": 25"#,
                                            headers: Self.key())
            #expect(broken.errorCode == "malformed_json")
            let whole = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, raw: #"{"amountFen": 2500}"#,
                                           headers: Self.key())
            #expect(whole.status == .created)
        }
    }

    @Test("a request head over the limit is answered 431 in the standard shape and the connection closed")
    func oversizedHead() async throws {
        try await withApp(live: true, configure: { $0.maxHeadBytes = 8 << 10 }) { app in
            let connection = try RawConnection(port: try #require(app.client.port))
            connection.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + String(repeating: "a", count: 20_000))
            let (text, closed) = await connection.readUntilClosed(timeout: 10)
            #expect(text.hasPrefix("HTTP/1.1 431"))
            #expect(text.contains(#""code":"request_header_too_large""#))
            #expect(text.lowercased().contains("x-content-type-options: nosniff"))
            #expect(closed)
        }
    }

    @Test("a request line with raw non-ASCII or control characters is answered 400 and closed, not left hanging",
          arguments: ["/doctors?q=哮喘", "/api/v1/doctors?q=哮喘", "/哮喘", "/health/live?q=a\u{01}b"])
    func rawCharactersInRequestLine(path: String) async throws {
        try await withApp(live: true) { app in
            let connection = try RawConnection(port: try #require(app.client.port))
            connection.send("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let (text, closed) = await connection.readUntilClosed(timeout: 10)
            #expect(text.hasPrefix("HTTP/1.1 400"))
            #expect(text.contains(#""code":"bad_request_line""#))
            #expect(closed)
            // The same words, percent-encoded, are answered as usual.
            let encoded = try await app.send(.get, "/api/v1/doctors?q=%E5%93%AE%E5%96%98")
            #expect(encoded.status == .ok)
        }
    }

    @Test("a head dribbled a byte at a time is cut off with 408 after the head timeout")
    func dribbledHead() async throws {
        try await withApp(live: true, configure: { $0.requestHeadTimeout = .seconds(1); $0.idleTimeout = .seconds(5) }) { app in
            let connection = try RawConnection(port: try #require(app.client.port))
            var closedEarly = false
            for byte in "GET /health/live HTTP/1.1\r\nHost: localhost\r\n" {
                guard connection.send(String(byte)) else { closedEarly = true; break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let (text, closed) = await connection.readUntilClosed(timeout: 5)
            #expect(closedEarly || closed)
            #expect(text.hasPrefix("HTTP/1.1 408"))
            #expect(text.contains(#""code":"request_timeout""#))
        }
    }

    @Test("a connection that sends nothing is closed after the idle timeout")
    func idleConnection() async throws {
        try await withApp(live: true, configure: { $0.idleTimeout = .seconds(1) }) { app in
            let connection = try RawConnection(port: try #require(app.client.port))
            let (text, closed) = await connection.readUntilClosed(timeout: 8)
            #expect(closed)
            #expect(text.isEmpty)
        }
    }

    @Test("a normal request on a guarded connection, and a second on the same connection, are answered")
    func keepAliveStillWorks() async throws {
        try await withApp(live: true, configure: { $0.requestHeadTimeout = .seconds(1) }) { app in
            let connection = try RawConnection(port: try #require(app.client.port))
            connection.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n")
            try await Task.sleep(for: .milliseconds(1500))
            connection.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            let (text, closed) = await connection.readUntilClosed(timeout: 5)
            #expect(text.components(separatedBy: "HTTP/1.1 200").count == 3)
            #expect(closed)
        }
    }

    @Test("a stream opened with no token or an unknown one is upgraded only to be told why, in the standard shape",
          arguments: [(nil, "token_missing"), ("Bearer ml_nope", "token_invalid")] as [(String?, String)])
    func unauthenticatedStream(authorization: String?, code: String) async throws {
        try await withApp(seedDemo: false, live: true) { app in
            let stream = try await RawWebSocket.open(port: try #require(app.client.port),
                                                     "/api/v1/consultations/\(UUID().uuidString)/stream",
                                                     headers: authorization.map { ["Authorization: \($0)"] } ?? [])
            #expect(stream.head.hasPrefix("HTTP/1.1 101"))
            #expect(stream.texts.count == 1)
            #expect(stream.texts.first?.contains(#""type":"error""#) == true)
            #expect(stream.texts.first?.contains(#""code":"\#(code)""#) == true)
            #expect(stream.texts.first?.contains(#""requestId":""#) == true)
            #expect(stream.closed)
        }
    }

    @Test("a patient who is not a participant is told the consultation is not found")
    func strangerStream() async throws {
        try await withApp(live: true) { app in
            let token = try await app.signIn(Demo.patientPhone)
            let stream = try await RawWebSocket.open(port: try #require(app.client.port),
                                                     "/api/v1/consultations/\(UUID().uuidString)/stream",
                                                     headers: ["Authorization: Bearer \(token)"])
            #expect(stream.texts.first?.contains(#""code":"not_found""#) == true)
            #expect(stream.closed)
        }
    }

    @Test("a prior visit before the patient's birth is refused and not written")
    func visitBeforeBirth() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let patient = Demo.patientId(Demo.patientPhone)
            let before = try await app.send(.get, "/api/v1/patients/\(patient.text)/encounters", token: token).items.count
            let reply = try await app.send(.post, "/api/v1/patients/\(patient.text)/encounters", token: token, json: [
                "hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "1800-01-01", "icd10": "I10",
            ])
            #expect(reply.status == .badRequest)
            #expect(reply.errorFields == ["date"])
            #expect(reply.errorDetailCodes == ["before_birth"])
            let list = try await app.send(.get, "/api/v1/patients/\(patient.text)/encounters", token: token)
            #expect(list.items.count == before)
        }
    }

    @Test("a visit the patient enters is marked as self-reported; one a hospital sends is not")
    func selfReportedVisits() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let patient = Demo.patientId(Demo.patientPhone)
            let entered = try await app.send(.post, "/api/v1/patients/\(patient.text)/encounters", token: token, json: [
                "hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "2026-06-01", "icd10": "I10",
            ])
            #expect(entered.status == .created)
            #expect(entered.json["selfReported"] as? Bool == true)
            #expect(entered.string("source") == "entered")
        }
    }

    @Test("a revoked token on the consultation stream is refused with token_revoked")
    func revokedStream() async throws {
        try await withApp(live: true) { app in
            let token = try await app.signIn(Demo.patientPhone)
            #expect(try await app.send(.post, "/api/v1/auth/sign-out", token: token).status == .noContent)
            let stream = try await RawWebSocket.open(port: try #require(app.client.port),
                                                     "/api/v1/consultations/\(UUID().uuidString)/stream",
                                                     headers: ["Authorization: Bearer \(token)"])
            #expect(stream.texts.first?.contains(#""code":"token_revoked""#) == true)
            #expect(stream.closed)
        }
    }

    @Test("a stream's error events speak the language of the connection")
    func streamErrorLanguage() async throws {
        try await withApp(live: true) { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            for (language, message) in [("en", "The request has invalid fields."), ("zh-CN", "请求中有字段不符合要求。")] {
                let received = Collected()
                let configuration = WebSocketClientConfiguration(additionalHeaders: [.authorization: "Bearer \(patient)",
                                                                                     .acceptLanguage: language])
                try await app.client.ws("/api/v1/consultations/\(id)/stream", configuration: configuration) { inbound, outbound, _ in
                    try await outbound.write(.text(#"{"type":"dance"}"#))
                    for try await frame in inbound.messages(maxSize: 1 << 16) {
                        guard case .text(let text) = frame else { continue }
                        if received.append(text) == 1 { return }
                    }
                }
                let event = (try JSONSerialization.jsonObject(with: Data((received.items.first ?? "{}").utf8))) as? [String: Any]
                let error = event?["error"] as? [String: Any]
                #expect(error?["code"] as? String == "invalid_request")
                #expect(error?["message"] as? String == message)
                #expect((error?["requestId"] as? String)?.isEmpty == false)
            }
        }
    }

    @Test("a region filter in full-width digits is refused like any other bad region", arguments: ["１１", "33 08", "3308000", "x"])
    func regionFilter(region: String) async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.operatorPhone)
            let encoded = region.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? region
            let reply = try await app.send(.get, "/api/v1/institutions?region=\(encoded)", token: token)
            #expect(reply.status == .badRequest)
            #expect(reply.errorFields == ["region"])
        }
    }

    /// The wallet as a client reads it.
    struct Wallet: Decodable { var balanceFen: Int64 }

    @Test("a top-up answered and replayed reads back as the same typed wallet")
    func typedReplies() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let key = Self.key()
            let first = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 1234], headers: key)
            let again = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 1234], headers: key)
            #expect(try first.decode(Wallet.self).balanceFen == 1234)
            #expect(try again.decode(Wallet.self).balanceFen == 1234)
            #expect(try await app.send(.get, "/api/v1/wallet", token: token).decode(Wallet.self).balanceFen == 1234)
        }
    }
}
