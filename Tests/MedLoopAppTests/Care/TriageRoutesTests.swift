import Foundation
import Testing

@Suite("Intelligent triage over the API")
struct TriageRoutesTests {
    static let path = "/api/v1/triage"

    /// The `departments` of a triage reply.
    static func departments(_ reply: Reply) -> [[String: Any]] {
        reply.json["departments"] as? [[String: Any]] ?? []
    }

    @Test("anyone, without signing in, describes symptoms in Chinese and gets ranked departments with reasons")
    func chinese() async throws {
        try await withApp(seedDemo: false) { app in
            let reply = try await app.send(.post, Self.path, json: ["symptoms": "最近老是拉肚子，还有点恶心"])
            #expect(reply.status == .ok)
            let departments = Self.departments(reply)
            let first = try #require(departments.first)
            #expect(first["code"] as? String == "gastroenterology")
            #expect(first["nameZh"] as? String == "消化内科")
            #expect(first["nameEn"] as? String == "Gastroenterology")
            #expect(Set(first["symptoms"] as? [String] ?? []) == ["diarrhea", "nauseaVomiting"])
            #expect((first["reasonZh"] as? String)?.isEmpty == false)
            #expect((first["reasonEn"] as? String)?.isEmpty == false)
            let scores = departments.compactMap { $0["score"] as? Int }
            #expect(scores.count == departments.count)
            #expect(scores == scores.sorted(by: >))
            #expect(reply.json.keys.contains("emergency"))
            #expect(reply.json["emergency"] is NSNull)
            #expect(reply.json["canBookOnline"] as? Bool == true)
        }
    }

    @Test("an English description gets ranked departments too")
    func english() async throws {
        try await withApp(seedDemo: false) { app in
            let reply = try await app.send(.post, Self.path,
                                           json: ["symptoms": "I have had a sore throat and a runny nose for three days"])
            #expect(reply.status == .ok)
            let codes = Self.departments(reply).compactMap { $0["code"] as? String }
            #expect(codes.first == "otolaryngology")
            #expect(codes.contains("generalPractice"))
            #expect(Self.departments(reply).first?["nameEn"] as? String == "Otolaryngology (ENT)")
            #expect(reply.json["canBookOnline"] as? Bool == true)
        }
    }

    @Test("a red flag sends the patient to an emergency department and online booking is off")
    func redFlag() async throws {
        try await withApp(seedDemo: false) { app in
            let reply = try await app.send(.post, Self.path, json: ["symptoms": "胸口痛，出了一身冷汗"])
            #expect(reply.status == .ok)
            let emergency = try #require(reply.json["emergency"] as? [String: Any])
            #expect(emergency["code"] as? String == "chestPainWithSweating")
            #expect((emergency["messageZh"] as? String)?.contains("急诊") == true)
            #expect((emergency["messageEn"] as? String)?.contains("emergency department") == true)
            #expect(reply.json["canBookOnline"] as? Bool == false)
            #expect(Self.departments(reply).first?["code"] as? String == "cardiology")
        }
    }

    @Test("malformed JSON is a 400 malformed_json in the standard shape")
    func malformed() async throws {
        try await withApp(seedDemo: false) { app in
            let reply = try await app.send(.post, Self.path, raw: "{\"symptoms\": \"咳")
            #expect(reply.status == .badRequest)
            #expect(reply.errorCode == "malformed_json")
            #expect(reply.isStandardError)
        }
    }

    /// Bodies that name the field `symptoms` in a 400, with the detail code expected.
    static let badBodies: [(body: [String: String], code: String)] = [
        ([:], "required"),
        (["symptoms": ""], "required"),
        (["symptoms": "   "], "required"),
        (["symptoms": String(repeating: "咳", count: 501)], "length"),
    ]

    @Test("a missing, empty or too long description is a 400 that names the field symptoms")
    func badDescriptions() async throws {
        try await withApp(seedDemo: false) { app in
            for (body, code) in Self.badBodies {
                let reply = try await app.send(.post, Self.path, json: body)
                #expect(reply.status == .badRequest, "\(body.keys)")
                #expect(reply.errorCode == "invalid_request")
                #expect(reply.errorFields == ["symptoms"])
                #expect(reply.errorDetailCodes == [code])
                #expect(reply.isStandardError)
            }
            let wrongType = try await app.send(.post, Self.path, json: ["symptoms": 42])
            #expect(wrongType.status == .badRequest)
            #expect(wrongType.errorFields == ["symptoms"])
            #expect(wrongType.errorDetailCodes == ["wrong_type"])
        }
    }
}
