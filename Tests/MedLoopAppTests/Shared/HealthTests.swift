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

    /// The value of the Prometheus sample `name` in `text`, 0 when it is not there yet.
    static func sample(_ name: String, in text: String) -> Int {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test("metrics count the directory's answers served from its cache and those loaded")
    func cacheMetrics() async throws {
        try await withApp { app in
            let hit = #"medloop_directory_cache_hits_total{cache="searches"}"#
            let miss = #"medloop_directory_cache_misses_total{cache="searches"}"#
            let before = try await app.send(.get, "/metrics").text
            // A search no other test asks for: loaded once, then served from the cache.
            let path = "/api/v1/doctors?q=hypertension&limit=7&sort=price"
            #expect(try await app.send(.get, path).status == .ok)
            #expect(try await app.send(.get, path).status == .ok)
            let after = try await app.send(.get, "/metrics").text
            #expect(Self.sample(hit, in: after) >= Self.sample(hit, in: before) + 1, "\(after)")
            #expect(Self.sample(miss, in: after) >= Self.sample(miss, in: before) + 1)
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
