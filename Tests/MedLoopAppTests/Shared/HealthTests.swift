import Foundation
import MedLoopTestSupport
import Testing

@Suite("Health, metrics and request ids")
struct HealthTests {
    @Test("live and ready answer ok when the database answers")
    func health() async throws {
        try await withApp(seedDemo: false) { app in
            let live = try await app.send(.get, "/health/live")
            #expect(live.status == .ok)
            let ready = try await app.send(.get, "/health/ready")
            #expect(ready.status == .ok)
            #expect(ready.string("status") == "ok")
            #expect(ready.string("database") == TestEngine.current.rawValue)
        }
    }

    @Test("metrics are Prometheus text that counts requests")
    func metrics() async throws {
        try await withApp(seedDemo: false) { app in
            _ = try await app.send(.get, "/health/live")
            let reply = try await app.send(.get, "/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(reply.text.contains("hb_requests"))
        }
    }

    @Test("a safe client request id is echoed; an unsafe or missing one is replaced", arguments: [
        ("abc-123_X.y", true), ("has space", false), (String(repeating: "a", count: 65), false),
    ])
    func requestIds(sent: String, echoed: Bool) async throws {
        try await withApp(seedDemo: false) { app in
            let reply = try await app.send(.get, "/health/live", headers: [.init("X-Request-Id")!: sent])
            let id = try #require(reply.headers[.init("X-Request-Id")!])
            #expect((id == sent) == echoed)
            #expect(!id.isEmpty && id.count <= 64)
            let none = try await app.send(.get, "/health/live")
            #expect(none.headers[.init("X-Request-Id")!]?.isEmpty == false)
        }
    }
}
