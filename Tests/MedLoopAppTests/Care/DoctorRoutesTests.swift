import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("The doctor directory over the API")
struct DoctorRoutesTests {
    static let cardiologist = UUID.named("doctor:1")

    @Test("anyone searches the directory and reads a profile with its menu")
    func searchAndProfile() async throws {
        try await withApp { app in
            let results = try await app.send(.get, "/api/v1/doctors?q=%E9%AB%98%E8%A1%80%E5%8E%8B")  // 高血压
            #expect(results.status == .ok)
            let ids = results.items.compactMap { ($0["id"] as? String)?.lowercased() }
            #expect(ids.contains(Self.cardiologist.text))
            #expect(results.items.allSatisfy { $0["department"] as? String == "cardiology" })

            let profile = try await app.send(.get, "/api/v1/doctors/\(Self.cardiologist.text)")
            #expect(profile.status == .ok)
            #expect(profile.string("hospitalName") == "衢州市人民医院")
            #expect(profile.json["isBookable"] as? Bool == true)
            let services = profile.json["services"] as? [[String: Any]] ?? []
            #expect(services.map { $0["kind"] as? String } == ["textPackage", "voicePerMinute", "videoPerMinute", "appointment"])
            #expect((profile.json["conditions"] as? [String])?.contains("I10") == true)
        }
    }

    @Test("a doctor pending qualification has no public profile; one with too little practice is not bookable")
    func notBookable() async throws {
        try await withApp { app in
            #expect(try await app.send(.get, "/api/v1/doctors/\(UUID.named("doctor:29").text)").status == .notFound)
            let junior = try await app.send(.get, "/api/v1/doctors/\(UUID.named("doctor:30").text)")
            #expect(junior.json["isBookable"] as? Bool == false)
        }
    }

    @Test("a doctor sets their own price; a price outside the platform's bounds is a 400; others may not")
    func ownMenu() async throws {
        try await withApp { app in
            let token = try await app.signIn("13900000001")
            let set = try await app.send(.put, "/api/v1/doctors/me/services/textPackage", token: token,
                                         json: ["priceFen": 8800, "dailyCap": 120])
            #expect(set.status == .ok)
            let text = (set.json["services"] as? [[String: Any]])?.first { $0["kind"] as? String == "textPackage" }
            #expect(text?["priceFen"] as? Int == 8800)
            #expect(text?["dailyCap"] as? Int == 120)
            let tooHigh = try await app.send(.put, "/api/v1/doctors/me/services/textPackage", token: token,
                                             json: ["priceFen": 50_001])
            #expect(tooHigh.errorFields == ["priceFen"])
            let unknownKind = try await app.send(.put, "/api/v1/doctors/me/services/massage", token: token, json: ["priceFen": 100])
            #expect(unknownKind.status == .notFound)
            let patient = try await app.signIn(Demo.patientPhone)
            #expect(try await app.send(.put, "/api/v1/doctors/me/services/textPackage", token: patient,
                                       json: ["priceFen": 1]).status == .forbidden)
            let profile = try await app.send(.get, "/api/v1/doctors/\(Self.cardiologist.text)")
            #expect((profile.json["services"] as? [[String: Any]])?.first?["priceFen"] as? Int == 8800)
        }
    }

    @Test("an operator registers a doctor; once a regulator approves, the doctor is found; a suspension hides them")
    func lifecycle() async throws {
        try await withApp { app in
            let operatorToken = try await app.signIn(Demo.operatorPhone)
            let created = try await app.send(.post, "/api/v1/doctors", token: operatorToken, json: [
                "name": "欧阳明", "title": "chief", "department": "nephrology", "practiceSince": 1998,
                "licenceNumber": "110330899999999", "conditions": ["N18.9"],
                "hospitalId": DemoWorld.Institutions.tertiaryHospital.text,
                "practiceSites": [DemoWorld.Institutions.internetHospital.text],
                "services": [["kind": "textPackage", "priceFen": 6500]],
            ] as [String: Any])
            #expect(created.status == .created)
            let id = try #require(created.string("id"))
            #expect(try await app.send(.get, "/api/v1/doctors?q=%E6%AC%A7%E9%98%B3%E6%98%8E").items.isEmpty)  // 欧阳明

            let regulator = try await app.signIn(Demo.regulatorPhone)
            #expect(try await app.send(.put, "/api/v1/doctors/\(id)/qualification", token: operatorToken,
                                       json: ["status": "approved"]).status == .forbidden)
            #expect(try await app.send(.put, "/api/v1/doctors/\(id)/qualification", token: regulator,
                                       json: ["status": "approved"]).status == .noContent)
            let found = try await app.send(.get, "/api/v1/doctors?q=%E6%AC%A7%E9%98%B3%E6%98%8E")
            #expect(found.items.count == 1)
            #expect(try await app.send(.put, "/api/v1/doctors/\(id)/qualification", token: regulator,
                                       json: ["status": "suspended"]).status == .noContent)
            #expect(try await app.send(.get, "/api/v1/doctors?q=CKD").items.allSatisfy { ($0["id"] as? String)?.lowercased() != id.lowercased() })
        }
    }

    @Test("bad doctor registrations are 400s that name each field, and nothing is written")
    func badRegistration() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.operatorPhone)
            let reply = try await app.send(.post, "/api/v1/doctors", token: token, json: [
                "name": "张", "title": "chief", "department": "astrology", "practiceSince": 3000,
                "licenceNumber": "12AB", "conditions": ["high blood"],
                "hospitalId": DemoWorld.Institutions.tertiaryHospital.text,
            ] as [String: Any])
            #expect(reply.status == .badRequest)
            #expect(Set(reply.errorFields) == ["name", "department", "practiceSince", "licenceNumber", "conditions[0]"])
            let atPharmacy = try await app.send(.post, "/api/v1/doctors", token: token, json: [
                "name": "张三丰", "title": "chief", "department": "nephrology", "practiceSince": 1998,
                "licenceNumber": "110330899999998", "hospitalId": DemoWorld.Institutions.pharmacies[0].text,
            ] as [String: Any])
            #expect(atPharmacy.errorFields == ["hospitalId"])
            let count = try await rawColumn("id", of: "doctors", in: app.database).count
            #expect(count == 30)
        }
    }

    @Test("unknown search parameters are 400s", arguments: ["department=astrology", "sort=cheapest", "service=massage",
                                                           "city=abc", "hospital=not-a-uuid", "limit=500", "cursor=bm9wZQ"])
    func badSearch(parameter: String) async throws {
        try await withApp(seedDemo: false) { app in
            let reply = try await app.send(.get, "/api/v1/doctors?\(parameter)")
            #expect(reply.status == .badRequest)
            #expect(reply.isStandardError)
        }
    }
}
