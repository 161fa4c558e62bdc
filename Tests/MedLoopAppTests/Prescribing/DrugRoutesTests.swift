import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("The drug catalogue through the API")
struct DrugRoutesTests {
    @Test("a search finds products by Chinese, English, brand and ingredient names and by ATC prefix",
          arguments: [("q=%E6%B0%A8%E6%B0%AF%E5%9C%B0%E5%B9%B3", "amlodipine"),   // 氨氯地平
                      ("q=Amlodipine", "amlodipine"), ("q=Norvasc", "amlodipine"), ("q=valsartan", "valsartan"),
                      ("atc=C08CA01", "amlodipine"), ("q=c08ca", "amlodipine")])
    func search(query: String, ingredient: String) async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let reply = try await app.send(.get, "/api/v1/drugs?\(query)", token: token)
            #expect(reply.status == .ok)
            #expect(!reply.items.isEmpty)
            for item in reply.items {
                let names = (item["ingredients"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(names.contains(ingredient) || (item["atc"] as? String)?.hasPrefix("C08CA") == true, "\(item)")
            }
        }
    }

    @Test("paging through an ATC class returns every product once and ends")
    func paging() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.doctorPhone)
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await app.send(.get, "/api/v1/drugs?atc=C09&limit=7" + (cursor.map { "&cursor=\($0)" } ?? ""), token: token)
                #expect(page.status == .ok)
                seen += page.items.compactMap { $0["productCode"] as? String }
                #expect(page.items.allSatisfy { ($0["atc"] as? String)?.hasPrefix("C09") == true })
                cursor = page.json["nextCursor"] as? String
            } while cursor != nil
            #expect(seen.count == Set(seen).count)
            let expected = try aFormulary().catalogue.drugs.filter { $0.atc.hasPrefix("C09") }.count
            #expect(seen.count == expected)
        }
    }

    @Test("one product by id; an unknown id is 404, a bad ATC filter or cursor 400, no token 401")
    func oneAndBad() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let amlodipine = try await app.send(.get, "/api/v1/drugs/\(Shelf.amlodipine.text)", token: token)
            #expect(amlodipine.status == .ok)
            #expect(amlodipine.string("productCode") == "8100002")
            #expect(amlodipine.json["referencePriceFen"] as? Int != nil)
            #expect(try await app.send(.get, "/api/v1/drugs/\(UUID().uuidString)", token: token).status == .notFound)
            let badATC = try await app.send(.get, "/api/v1/drugs?atc=C0", token: token)
            #expect(badATC.status == .badRequest)
            #expect(badATC.isStandardError)
            #expect(try await app.send(.get, "/api/v1/drugs?cursor=bm9wZQ", token: token).status == .badRequest)
            #expect(try await app.send(.get, "/api/v1/drugs?q=amlodipine").status == .unauthorized)
        }
    }

    @Test("a doctor gets a signing key when qualified, a pharmacist when the account is made")
    func keysMadeEarly() async throws {
        try await withApp { app in
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let doctorAccount = Demo.accountId("13900000003")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM signing_keys WHERE account_id = \(bind: doctorAccount.text)") == 0)
            let qualified = try await app.send(.put, "/api/v1/doctors/\(UUID.named("doctor:3").text)/qualification", token: regulator,
                                               json: ["status": "approved"])
            #expect(qualified.status == .noContent)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM signing_keys WHERE account_id = \(bind: doctorAccount.text)") == 1)
            let operatorToken = try await app.signIn(Demo.operatorPhone)
            let created = try await app.send(.post, "/api/v1/accounts", token: operatorToken, json: [
                "role": "pharmacist", "phone": "13700000009", "password": "pharmacist-9", "displayName": "新药师",
                "institutionId": DemoWorld.Institutions.internetHospital.text,
            ])
            #expect(created.status == .created)
            let id = try #require(created.string("id")).lowercased()
            #expect(try await app.count("SELECT COUNT(*) AS n FROM signing_keys WHERE account_id = \(bind: id)") == 1)
        }
    }
}
