import Foundation
import HTTPTypes
import MedLoopApp
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

/// The sign-in and sign-up throttle over HTTP (README, "Sign-in throttle"): attempts are counted
/// before the password is checked, per phone at an address, per address and per phone.
@Suite("Throttling sign-in and sign-up")
struct ThrottleTests {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// The app behind a proxy of its own, so that tests can speak from several client addresses.
    func withProxiedApp(_ body: @escaping @Sendable (Harness) async throws -> Void) async throws {
        try await withApp(configure: { $0.trustForwardedFor = true }, body)
    }

    func signIn(_ app: Harness, password: String, from address: String, phone: String = Demo.patientPhone) async throws -> Reply {
        try await app.send(.post, "/api/v1/auth/sign-in", json: ["phone": phone, "password": password],
                           headers: [Self.forwardedFor: address])
    }

    @Test("twenty wrong passwords at once for one phone from one address: exactly five are checked, the rest are 429")
    func concurrentGuessesAreCountedOneByOne() async throws {
        try await withProxiedApp { app in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await signIn(app, password: "wrong-pass", from: "203.0.113.7").status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == 5)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 15)
            #expect(try await app.auditCount(action: "auth.sign_in", outcome: .failure) == 5)
        }
    }

    @Test("after twenty-nine concurrent wrong guesses the right password from the same address gets no token")
    func rightGuessAfterABurstIsRefused() async throws {
        try await withProxiedApp { app in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<29 {
                    group.addTask { _ = try await signIn(app, password: "wrong-pass", from: "203.0.113.7") }
                }
                try await group.waitForAll()
            }
            let last = try await signIn(app, password: DemoWorld.password, from: "203.0.113.7")
            #expect(last.status == .tooManyRequests)
            #expect(last.string("token") == nil)
            #expect(last.isStandardError)
        }
    }

    @Test("a burst of failures from one address does not lock the owner out from another")
    func ownerElsewhereIsNotLockedOut() async throws {
        try await withProxiedApp { app in
            for _ in 0..<20 { _ = try await signIn(app, password: "wrong-pass", from: "203.0.113.7") }
            let owner = try await signIn(app, password: DemoWorld.password, from: "198.51.100.20")
            #expect(owner.status == .ok)
            #expect(owner.string("token") != nil)
        }
    }

    @Test("delays grow after the fifth failure: 1 s, then 2 s, then 4 s between attempts")
    func delaysGrow() async throws {
        try await withProxiedApp { app in
            for _ in 0..<5 {
                #expect(try await signIn(app, password: "wrong-pass", from: "203.0.113.7").status == .unauthorized)
            }
            let first = try await signIn(app, password: "wrong-pass", from: "203.0.113.7")
            #expect(first.status == .tooManyRequests)
            #expect(first.headers[.retryAfter] == "1")
            app.clock.advance(by: 1)
            #expect(try await signIn(app, password: "wrong-pass", from: "203.0.113.7").status == .unauthorized)
            let second = try await signIn(app, password: "wrong-pass", from: "203.0.113.7")
            #expect(second.headers[.retryAfter] == "2")
            app.clock.advance(by: 2)
            #expect(try await signIn(app, password: "wrong-pass", from: "203.0.113.7").status == .unauthorized)
            #expect(try await signIn(app, password: DemoWorld.password, from: "203.0.113.7").headers[.retryAfter] == "4")
            app.clock.advance(by: 4)
            #expect(try await signIn(app, password: DemoWorld.password, from: "203.0.113.7").status == .ok)
        }
    }

    @Test("a successful sign-in clears the failures of that phone at that address")
    func successClears() async throws {
        try await withProxiedApp { app in
            for _ in 0..<4 { _ = try await signIn(app, password: "wrong-pass", from: "203.0.113.7") }
            #expect(try await signIn(app, password: DemoWorld.password, from: "203.0.113.7").status == .ok)
            for _ in 0..<5 {
                #expect(try await signIn(app, password: "wrong-pass", from: "203.0.113.7").status == .unauthorized)
            }
        }
    }

    @Test("an unknown phone is throttled like a known one, so the 429 tells nothing")
    func unknownPhoneThrottled() async throws {
        try await withProxiedApp { app in
            for _ in 0..<5 {
                let reply = try await signIn(app, password: "wrong-pass", from: "203.0.113.7", phone: "13899990000")
                #expect(reply.status == .unauthorized)
            }
            let throttled = try await signIn(app, password: "wrong-pass", from: "203.0.113.7", phone: "13899990000")
            #expect(throttled.status == .tooManyRequests)
        }
    }

    @Test("without a trusted proxy, X-Forwarded-For is ignored: a client cannot pick a fresh address per guess")
    func forwardedForIgnoredByDefault() async throws {
        try await withApp { app in
            for index in 0..<5 {
                _ = try await signIn(app, password: "wrong-pass", from: "203.0.113.\(index)")
            }
            #expect(try await signIn(app, password: "wrong-pass", from: "203.0.113.99").status == .tooManyRequests)
        }
    }

    @Test("sign-up answers a taken phone and a taken national ID alike, without saying which")
    func signUpConflictsAreAlike() async throws {
        try await withApp(seedDemo: false) { app in
            let first = ["phone": "13812345678", "password": "correct horse", "realName": "李明",
                         "nationalId": aNationalIDText(sequence: 61)]
            #expect(try await app.send(.post, "/api/v1/auth/sign-up", json: first).status == .created)
            var samePhone = first
            samePhone["nationalId"] = aNationalIDText(sequence: 62)
            var sameId = first
            sameId["phone"] = "13812345679"
            let phoneReply = try await app.send(.post, "/api/v1/auth/sign-up", json: samePhone)
            let idReply = try await app.send(.post, "/api/v1/auth/sign-up", json: sameId)
            #expect(phoneReply.status == .conflict)
            #expect(idReply.status == .conflict)
            #expect(phoneReply.errorCode == "sign_up_conflict")
            #expect(idReply.errorCode == "sign_up_conflict")
            let message = { (reply: Reply) in (reply.json["error"] as? [String: Any])?["message"] as? String }
            #expect(message(phoneReply) == message(idReply))
            #expect(!phoneReply.text.contains("13812345678"))
        }
    }

    @Test("sign-up is throttled per address: the eleventh attempt in a row waits, and nothing is written")
    func signUpThrottled() async throws {
        try await withApp(seedDemo: false, configure: { $0.trustForwardedFor = true }) { app in
            for index in 0..<10 {
                let reply = try await app.send(.post, "/api/v1/auth/sign-up", json: [
                    "phone": "138000011\(String(format: "%02d", index))", "password": "correct horse", "realName": "李明",
                    "nationalId": aNationalIDText(sequence: 70 + index),
                ], headers: [Self.forwardedFor: "203.0.113.7"])
                #expect(reply.status == .created)
            }
            let refused = try await app.send(.post, "/api/v1/auth/sign-up", json: [
                "phone": "13800001199", "password": "correct horse", "realName": "李明", "nationalId": aNationalIDText(sequence: 99),
            ], headers: [Self.forwardedFor: "203.0.113.7"])
            #expect(refused.status == .tooManyRequests)
            #expect(refused.isStandardError)
            let accounts = try await app.database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM accounts").first()?.decode(column: "n", as: Int64.self)
            }
            #expect(accounts == 10)
            let elsewhere = try await app.send(.post, "/api/v1/auth/sign-up", json: [
                "phone": "13800001199", "password": "correct horse", "realName": "李明", "nationalId": aNationalIDText(sequence: 99),
            ], headers: [Self.forwardedFor: "198.51.100.20"])
            #expect(elsewhere.status == .created)
        }
    }
}
