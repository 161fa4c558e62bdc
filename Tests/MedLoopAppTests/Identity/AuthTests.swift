import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("Signing up, in and out")
struct AuthTests {
    @Test("a patient signs up, signs in, sees themselves and signs out; the token then stops working")
    func signUpInOut() async throws {
        try await withApp(seedDemo: false) { app in
            let nationalId = aNationalIDText(born: 1990, sequence: 37)
            let signUp = try await app.send(.post, "/api/v1/auth/sign-up", json: [
                "phone": "13812345678", "password": "correct horse", "realName": "李明", "nationalId": nationalId,
            ])
            #expect(signUp.status == .created)
            #expect(signUp.string("role") == "patient")
            #expect(signUp.string("phone") == "13812345678")
            #expect(signUp.string("patientId") != nil)

            let token = try await app.signIn("13812345678", password: "correct horse")
            let me = try await app.send(.get, "/api/v1/me", token: token)
            #expect(me.status == .ok)
            #expect(me.string("id") == signUp.string("id"))

            let profile = try await app.send(.get, "/api/v1/patients/\(signUp.string("patientId")!)", token: token)
            #expect(profile.status == .ok)
            #expect(profile.string("sex") == "male")
            #expect(profile.string("birthDate") == "1990-06-01")
            #expect(profile.string("nationalIdMasked") == String(nationalId.prefix(4)) + "**********" + String(nationalId.suffix(4)))

            let out = try await app.send(.post, "/api/v1/auth/sign-out", token: token)
            #expect(out.status == .noContent)
            let after = try await app.send(.get, "/api/v1/me", token: token)
            #expect(after.status == .unauthorized)
            #expect(after.errorCode == "token_revoked")
            #expect(after.isStandardError)
        }
    }

    @Test("a token expires after its lifetime")
    func tokenExpiry() async throws {
        try await withApp(configure: { $0.tokenLifetime = 3600 }) { app in
            let token = try await app.signIn(Demo.patientPhone)
            app.clock.advance(by: 3599)
            #expect(try await app.send(.get, "/api/v1/me", token: token).status == .ok)
            app.clock.advance(by: 2)
            let expired = try await app.send(.get, "/api/v1/me", token: token)
            #expect(expired.status == .unauthorized)
            #expect(expired.errorCode == "token_expired")
            #expect(expired.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test("sign-in returns when the token expires, in China Standard Time")
    func signInExpiry() async throws {
        try await withApp(configure: { $0.tokenLifetime = 7200 }) { app in
            let reply = try await app.send(.post, "/api/v1/auth/sign-in", json: ["phone": Demo.doctorPhone, "password": DemoWorld.password])
            #expect(reply.status == .ok)
            let expiresAt = try #require(reply.string("expiresAt"))
            #expect(expiresAt.hasSuffix("+08:00"))
            #expect(Timestamp.parse(expiresAt) == app.clock.now().addingTimeInterval(7200))
            #expect((reply.json["account"] as? [String: Any])?["role"] as? String == "doctor")
        }
    }

    @Test("a missing, malformed or unknown token is a 401 in the standard shape", arguments: [
        (nil, "token_missing"), ("Basic abc", "token_invalid"), ("Bearer", "token_invalid"), ("Bearer ml_nope", "token_invalid"),
    ] as [(String?, String)])
    func badTokens(header: String?, code: String) async throws {
        try await withApp(seedDemo: false) { app in
            var headers: HTTPFields = [:]
            if let header { headers[.authorization] = header }
            let reply = try await app.send(.get, "/api/v1/me", headers: headers)
            #expect(reply.status == .unauthorized)
            #expect(reply.errorCode == code)
            #expect(reply.isStandardError)
        }
    }

    @Test("the bearer scheme is case-insensitive, as HTTP says of every scheme", arguments: ["bearer", "BEARER", "Bearer"])
    func schemeCase(scheme: String) async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let reply = try await app.send(.get, "/api/v1/me", headers: [.authorization: "\(scheme) \(token)"])
            #expect(reply.status == .ok)
        }
    }

    @Test("a wrong password and an unknown phone get the same 401, and both are audited")
    func wrongPassword() async throws {
        try await withApp { app in
            let wrong = try await app.send(.post, "/api/v1/auth/sign-in", json: ["phone": Demo.patientPhone, "password": "not-the-one"])
            let unknown = try await app.send(.post, "/api/v1/auth/sign-in", json: ["phone": "13899999999", "password": "whatever1"])
            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == .unauthorized)
            #expect(wrong.errorCode == "bad_credentials")
            #expect(unknown.errorCode == "bad_credentials")
            #expect(try await app.auditCount(action: "auth.sign_in", outcome: .failure) == 2)
        }
    }

    @Test("after five failed sign-ins in 15 minutes the account is throttled with 429, even with the right password")
    func throttling() async throws {
        try await withApp { app in
            for _ in 0..<5 {
                let reply = try await app.send(.post, "/api/v1/auth/sign-in", json: ["phone": Demo.patientPhone, "password": "wrong-pass"])
                #expect(reply.status == .unauthorized)
            }
            let throttled = try await app.send(.post, "/api/v1/auth/sign-in",
                                               json: ["phone": Demo.patientPhone, "password": DemoWorld.password])
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.errorCode == "too_many_attempts")
            #expect(throttled.headers[.retryAfter] != nil)
            app.clock.advance(by: 15 * 60 + 1)
            #expect(try await app.send(.post, "/api/v1/auth/sign-in",
                                       json: ["phone": Demo.patientPhone, "password": DemoWorld.password]).status == .ok)
        }
    }

    @Test("messages follow Accept-Language: Chinese by default, English on request")
    func language() async throws {
        try await withApp(seedDemo: false) { app in
            let chinese = try await app.send(.get, "/api/v1/me")
            let english = try await app.send(.get, "/api/v1/me", headers: [.acceptLanguage: "en-US,en;q=0.9"])
            let chineseMessage = (chinese.json["error"] as? [String: Any])?["message"] as? String
            let englishMessage = (english.json["error"] as? [String: Any])?["message"] as? String
            #expect(chineseMessage == "请先登录。")
            #expect(englishMessage == "Sign in to continue.")
        }
    }

    @Test("sign-up, sign-in and sign-out each leave an audit entry")
    func authAudited() async throws {
        try await withApp(seedDemo: false) { app in
            _ = try await app.send(.post, "/api/v1/auth/sign-up", json: [
                "phone": "13812340000", "password": "long enough", "realName": "王芳", "nationalId": aNationalIDText(sequence: 40),
            ])
            let token = try await app.signIn("13812340000", password: "long enough")
            _ = try await app.send(.post, "/api/v1/auth/sign-out", token: token)
            #expect(try await app.auditCount(action: "auth.sign_up", outcome: .success) == 1)
            #expect(try await app.auditCount(action: "auth.sign_in", outcome: .success) == 1)
            #expect(try await app.auditCount(action: "auth.sign_out", outcome: .success) == 1)
        }
    }
}
