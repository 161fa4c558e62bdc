import Foundation
import HTTPTypes
import Logging
@testable import MedLoopApp
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

/// `Idempotency-Key` (API.md, headers): key, effect and answer commit together, so racing or
/// retried requests have one effect and one answer.
@Suite("Idempotent requests")
struct IdempotencyTests {
    static let keyName = HTTPField.Name("Idempotency-Key")!

    @Test("five racing top-ups with one key add the money once and all get the same answer")
    func racingRetries() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let key = UUID().uuidString
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 12_345],
                                           headers: [Self.keyName: key])
                    }
                }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == .created })
            #expect(Set(replies.map(\.text)).count == 1)
            #expect(replies.filter { $0.headers[HTTPField.Name("Idempotent-Replayed")!] == nil }.count == 1)
            #expect(try await app.send(.get, "/api/v1/wallet", token: token).json["balanceFen"] as? Int == 12_345)
        }
    }

    @Test("the same key with another body is 409 idempotency_key_reused and changes nothing")
    func reusedKey() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let key = UUID().uuidString
            _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 1000], headers: [Self.keyName: key])
            let reused = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 2000],
                                            headers: [Self.keyName: key])
            #expect(reused.status == .conflict)
            #expect(reused.errorCode == "idempotency_key_reused")
            #expect(try await app.send(.get, "/api/v1/wallet", token: token).json["balanceFen"] as? Int == 1000)
        }
    }

    @Test("a refused request leaves no trace of its key: the corrected request with the same key goes through once")
    func refusalLeavesNoKey() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let key = UUID().uuidString
            let refused = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 0],
                                             headers: [Self.keyName: key])
            #expect(refused.status == .badRequest)
            let keys = try await app.database.read { try await $0.raw("SELECT key FROM idempotency_keys").all().count }
            #expect(keys == 0)
            let fixed = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 500],
                                           headers: [Self.keyName: key])
            #expect(fixed.status == .created)
            let again = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 500],
                                           headers: [Self.keyName: key])
            #expect(again.text == fixed.text)
            #expect(try await app.send(.get, "/api/v1/wallet", token: token).json["balanceFen"] as? Int == 500)
        }
    }

    @Test("the decoy hash for unknown phones has the configured bcrypt cost, so both answer at one speed", arguments: [4, 5, 10])
    func decoyCost(cost: Int) {
        #expect(PasswordHasher(cost: UInt8(cost)).decoy.hasPrefix(String(format: "$2b$%02d$", cost)))
    }
}

@Suite("Forgetting what is kept only for a while")
struct ForgettingTests {
    @Test("keys older than 48 hours and throttle counts quiet for 15 minutes are forgotten; newer ones stay")
    func forgetExpired() async throws {
        try await withApp { app in
            try await app.holdJobLease("forget-expired-keys-and-counts")
            let token = try await app.signIn(Demo.patientPhone)
            _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 100],
                                   headers: [IdempotencyTests.keyName: "old"])
            _ = try await app.send(.post, "/api/v1/auth/sign-in", json: ["phone": Demo.patientPhone, "password": "wrong-pass"])
            app.clock.advance(by: 47 * 3600)
            let later = try await app.signIn(Demo.patientPhone)
            let recent = try await app.send(.post, "/api/v1/wallet/top-ups", token: later, json: ["amountFen": 100],
                                            headers: [IdempotencyTests.keyName: "new"])
            #expect(recent.status == .created)
            app.clock.advance(by: 2 * 3600)
            var logger = Logger(label: "medloop.test")
            logger.logLevel = .critical
            let job = Job.forgetExpired(idempotency: app.services.stores.idempotency, throttle: app.services.stores.throttle,
                                        logger: logger)
            try await job.work(app.clock.now())
            let keys = try await app.database.read { sql in
                try await sql.raw("SELECT key FROM idempotency_keys").all().map { try $0.decode(column: "key", as: String.self) }
            }
            #expect(keys == ["new"])
            let counts = try await app.database.read { try await $0.raw("SELECT key FROM throttle_counters").all().count }
            #expect(counts == 0)
        }
    }
}
