import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("Bad input gets a clear 4xx and writes nothing")
struct BadInputTests {
    /// Accounts and patients on record: what a refused sign-up must leave unchanged.
    static func counts(_ app: Harness) async throws -> [Int] {
        [try await rawColumn("id", of: "accounts", in: app.database).count,
         try await rawColumn("id", of: "patients", in: app.database).count]
    }

    static var goodSignUp: [String: Any] { [
        "phone": "13811112222", "password": "a good password", "realName": "赵敏", "nationalId": aNationalIDText(sequence: 51),
    ] }

    static func signUp(with changes: [String: Any?]) -> [String: Any] {
        var body = goodSignUp
        for (key, value) in changes { body[key] = value }
        return body
    }

    @Test("malformed JSON is a 400 malformed_json")
    func malformedJSON() async throws {
        try await withApp(seedDemo: false) { app in
            let before = try await Self.counts(app)
            let reply = try await app.send(.post, "/api/v1/auth/sign-up", raw: "{\"phone\": \"138")
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "malformed_json")
            #expect(reply.isStandardError)
            #expect(try await Self.counts(app) == before)
        }
    }

    /// Ways a field can be malformed, with the field each one breaks and the detail code expected.
    enum Shape: String, CaseIterable, Sendable {
        case wrongType, missing, null

        var field: String { ["wrongType": "phone", "missing": "password", "null": "realName"][rawValue]! }
        var code: String { self == .wrongType ? "wrong_type" : "required" }
        var value: Any? {
            switch self {
            case .wrongType: return 13811112222
            case .missing: return nil
            case .null: return NSNull()
            }
        }
    }

    @Test("a wrong type, a missing field and a null are 400s that name the field", arguments: Shape.allCases)
    func wrongShapes(shape: Shape) async throws {
        try await withApp(seedDemo: false) { app in
            let reply = try await app.send(.post, "/api/v1/auth/sign-up", json: Self.signUp(with: [shape.field: shape.value]))
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "invalid_request")
            #expect(reply.errorFields == [shape.field])
            #expect(reply.errorDetailCodes == [shape.code])
            #expect(try await Self.counts(app) == [0, 0])
        }
    }

    @Test("an invalid national ID is a 400 that says why", arguments: [
        ("33080219850601051", "length"), ("33080219850601051Y", "format"), ("330802198506010510", "checksum"), ("33080219850601051x", "checksum"),
        ("330802198502300513", "birth_date"), ("990802198506010516", "region"),
    ])
    func invalidNationalId(text: String, code: String) async throws {
        try await withApp(seedDemo: false) { app in
            let reply = try await app.send(.post, "/api/v1/auth/sign-up", json: Self.signUp(with: ["nationalId": text]))
            #expect(reply.status == .badRequest)
            #expect(reply.errorFields == ["nationalId"])
            #expect(reply.errorDetailCodes.first == code)
            #expect(try await Self.counts(app) == [0, 0])
        }
    }

    @Test("every invalid field is reported at once")
    func allFieldsReported() async throws {
        try await withApp(seedDemo: false) { app in
            let reply = try await app.send(.post, "/api/v1/auth/sign-up", json: [
                "phone": "12345", "password": "short", "realName": "X", "nationalId": "1",
            ])
            #expect(reply.status == .badRequest)
            #expect(Set(reply.errorFields) == ["phone", "password", "realName", "nationalId"])
        }
    }

    @Test("a phone or national ID already registered is a 409 that does not say which, and nothing is written")
    func duplicates() async throws {
        try await withApp(seedDemo: false) { app in
            #expect(try await app.send(.post, "/api/v1/auth/sign-up", json: Self.goodSignUp).status == .created)
            let before = try await Self.counts(app)
            let samePhone = try await app.send(.post, "/api/v1/auth/sign-up",
                                               json: Self.signUp(with: ["nationalId": aNationalIDText(sequence: 52)]))
            #expect(samePhone.status == .conflict)
            #expect(samePhone.errorCode == "sign_up_conflict")
            let sameId = try await app.send(.post, "/api/v1/auth/sign-up", json: Self.signUp(with: ["phone": "13811113333"]))
            #expect(sameId.status == .conflict)
            #expect(sameId.errorCode == "sign_up_conflict")
            #expect(try await Self.counts(app) == before)
            #expect(try await app.auditCount(action: "auth.sign_up") == 1)
        }
    }

    @Test("an unknown enumeration value is a 400 naming the field and the values allowed, in no Swift wording")
    func unknownEnum() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.operatorPhone)
            let reply = try await app.send(.post, "/api/v1/accounts", token: token, json: [
                "role": "surgeon", "phone": "13912340000", "password": "password 123", "displayName": "某医生",
            ])
            #expect(reply.status == .badRequest)
            #expect(reply.errorFields == ["role"])
            #expect(reply.errorDetailCodes == ["unknown_value"])
            #expect(reply.text.contains("Expected one of: patient, doctor, pharmacist, pharmacyStaff, courier, insurer, regulator, operator."))
            #expect(!reply.text.contains("Cannot initialize"))
            let list = try await app.send(.get, "/api/v1/institutions?kind=castle", token: token)
            #expect(list.status == .badRequest)
            #expect(list.errorFields == ["kind"])
        }
    }

    @Test("a body over 1 MiB is a 413 in the standard shape")
    func oversizedBody() async throws {
        try await withApp(seedDemo: false) { app in
            let padding = String(repeating: "a", count: (1 << 20) + 10)
            let reply = try await app.send(.post, "/api/v1/auth/sign-up", json: Self.signUp(with: ["realName": padding]))
            #expect(reply.status == .contentTooLarge)
            #expect(reply.errorCode == "body_too_large")
            #expect(reply.isStandardError)
            #expect(try await Self.counts(app) == [0, 0])
        }
    }

    @Test("an unknown route is a 404 and a wrong method a 405, both in the standard shape")
    func unknownRoute() async throws {
        try await withApp(seedDemo: false) { app in
            let missing = try await app.send(.get, "/api/v1/no-such-thing")
            #expect(missing.status == .notFound)
            #expect(missing.isStandardError)
            let wrongMethod = try await app.send(.delete, "/api/v1/auth/sign-in")
            #expect([.methodNotAllowed, .notFound].contains(wrongMethod.status))
            #expect(wrongMethod.isStandardError)
        }
    }

    @Test("a bad list limit or cursor is a 400")
    func badPaging() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.regulatorPhone)
            #expect(try await app.send(.get, "/api/v1/audit?limit=0", token: token).errorFields == ["limit"])
            #expect(try await app.send(.get, "/api/v1/audit?limit=101", token: token).errorFields == ["limit"])
            #expect(try await app.send(.get, "/api/v1/audit?cursor=%%%", token: token).status == .badRequest)
            #expect(try await app.send(.get, "/api/v1/audit?from=yesterday", token: token).errorFields == ["from"])
        }
    }
}
