import Foundation
import HTTPTypes
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
