import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("Institutions, staff accounts and the audit log over the API")
struct RegistryAndAuditTests {
    @Test("an operator registers a hospital and its internet hospital; the registry's rules are enforced")
    func registerInstitutions() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.operatorPhone)
            let hospital = try await app.send(.post, "/api/v1/institutions", token: token, json: [
                "kind": "physicalHospital", "name": "江山市人民医院", "regionCode": "330881", "level": "secondary",
                "insuranceDesignated": true,
            ])
            #expect(hospital.status == .created)
            let hospitalId = try #require(hospital.string("id"))
            let internet = try await app.send(.post, "/api/v1/institutions", token: token, json: [
                "kind": "internetHospital", "name": "江山市人民医院互联网医院", "regionCode": "330881",
                "physicalHospitalId": hospitalId, "internetHospitalLicensed": true,
            ])
            #expect(internet.status == .created)
            #expect(internet.json["internetHospitalLicensed"] as? Bool == true)

            let orphan = try await app.send(.post, "/api/v1/institutions", token: token, json: [
                "kind": "internetHospital", "name": "无主互联网医院", "regionCode": "330881",
            ])
            #expect(orphan.errorFields == ["physicalHospitalId"])
            let noLevel = try await app.send(.post, "/api/v1/institutions", token: token, json: [
                "kind": "physicalHospital", "name": "某医院", "regionCode": "330881",
            ])
            #expect(noLevel.errorFields == ["level"])
            let badRegion = try await app.send(.post, "/api/v1/institutions", token: token, json: [
                "kind": "pharmacy", "name": "某药房", "regionCode": "3308",
            ])
            #expect(badRegion.errorFields == ["regionCode"])

            let listed = try await app.send(.get, "/api/v1/institutions?region=330881", token: token)
            #expect(listed.items.count == 2)
            let flagged = try await app.send(.patch, "/api/v1/institutions/\(hospitalId)", token: token,
                                             json: ["insuranceDesignated": false])
            #expect(flagged.json["insuranceDesignated"] as? Bool == false)
        }
    }

    @Test("institutions list in pages with a cursor")
    func institutionPaging() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/api/v1/institutions?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await app.send(.get, uri, token: token)
                #expect(page.items.count <= 3)
                seen += page.items.compactMap { $0["id"] as? String }
                cursor = page.json["nextCursor"] as? String
            } while cursor != nil
            #expect(seen.count == 16)
            #expect(Set(seen).count == 16)
        }
    }

    @Test("an operator creates a staff account that can sign in; the role must fit the institution")
    func staffAccounts() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.operatorPhone)
            let created = try await app.send(.post, "/api/v1/accounts", token: token, json: [
                "role": "pharmacist", "phone": "13700000077", "password": "pharma pass 1", "displayName": "钱药师",
                "institutionId": DemoWorld.Institutions.pharmacies[1].text,
            ])
            #expect(created.status == .created)
            #expect(try await app.send(.get, "/api/v1/me", token: try await app.signIn("13700000077", password: "pharma pass 1"))
                .string("role") == "pharmacist")
            let misplaced = try await app.send(.post, "/api/v1/accounts", token: token, json: [
                "role": "insurer", "phone": "13600000077", "password": "insurer pass", "displayName": "某",
                "institutionId": DemoWorld.Institutions.pharmacies[1].text,
            ])
            #expect(misplaced.errorFields == ["institutionId"])
            let patientRole = try await app.send(.post, "/api/v1/accounts", token: token, json: [
                "role": "patient", "phone": "13800000077", "password": "patient pass", "displayName": "某",
            ])
            #expect(patientRole.errorFields == ["role"])
            let doctors = try await app.send(.get, "/api/v1/accounts?role=doctor&limit=100", token: token)
            #expect(doctors.items.count == 30)
        }
    }

    @Test("a regulator filters the audit log by actor, patient and time, newest first, in pages")
    func auditFilters() async throws {
        try await withApp { app in
            let patientToken = try await app.signIn(Demo.patientPhone)
            let patient = Demo.patientId(Demo.patientPhone)
            let start = app.clock.now()
            app.clock.advance(by: 60)
            for _ in 0..<3 {
                _ = try await app.send(.get, "/api/v1/patients/\(patient.text)", token: patientToken)
                app.clock.advance(by: 60)
            }
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let byPatient = try await app.send(.get, "/api/v1/audit?patientId=\(patient.text)&limit=100", token: regulator)
            #expect(byPatient.status == .ok)
            #expect(byPatient.items.filter { $0["action"] as? String == "patient.read" }.count == 3)
            #expect(byPatient.items.allSatisfy { ($0["patientId"] as? String)?.lowercased() == patient.text })

            let actor = Demo.accountId(Demo.patientPhone).text
            let from = Timestamp.format(start.addingTimeInterval(90))
                .replacingOccurrences(of: "+", with: "%2B")
            let windowed = try await app.send(.get, "/api/v1/audit?actorId=\(actor)&from=\(from)", token: regulator)
            #expect(windowed.items.count == 2)
            let times = windowed.items.compactMap { ($0["at"] as? String).flatMap(Timestamp.parse) }
            #expect(times == times.sorted(by: >))

            let firstPage = try await app.send(.get, "/api/v1/audit?actorId=\(actor)&limit=2", token: regulator)
            let cursor = try #require(firstPage.json["nextCursor"] as? String)
            let secondPage = try await app.send(.get, "/api/v1/audit?actorId=\(actor)&limit=2&cursor=\(cursor)", token: regulator)
            let firstSequences = firstPage.items.compactMap { $0["sequence"] as? Int }
            let secondSequences = secondPage.items.compactMap { $0["sequence"] as? Int }
            #expect(firstSequences.count == 2 && !secondSequences.isEmpty)
            #expect(secondSequences.allSatisfy { $0 < firstSequences.min()! })
            #expect(try await AuditStore(database: app.database).firstBreak() == nil)
        }
    }
}
