import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("Patient profiles over the API")
struct PatientRoutesTests {
    static let patient = Demo.patientId(Demo.patientPhone)

    @Test("reading a profile writes a patient.read audit entry with actor, request id and patient")
    func readAudited() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let reply = try await app.send(.get, "/api/v1/patients/\(Self.patient.text)", token: token,
                                           headers: [.init("X-Request-Id")!: "read-42"])
            #expect(reply.status == .ok)
            #expect(reply.headers[.init("X-Request-Id")!] == "read-42")
            let conditions = reply.json["conditions"] as? [[String: Any]] ?? []
            #expect(conditions.first?["icd10"] as? String == "I10")
            let entries = try await AuditStore(database: app.database).list(AuditFilter(patientId: Self.patient, limit: 100)).items
            let read = try #require(entries.first { $0.action == "patient.read" })
            #expect(read.actorAccountId == Demo.accountId(Demo.patientPhone))
            #expect(read.actorRole == .patient)
            #expect(read.requestId == "read-42")
            #expect(read.outcome == .success)
            #expect(read.at == app.clock.now())
        }
    }

    @Test("writes to a profile are stored, audited in the same transaction, and the address is encrypted at rest")
    func writesAuditedAndEncrypted() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let actions = ["patient.update", "patient.allergy.add", "patient.condition.add", "patient.allergy.remove"]
            var before: [String: Int] = [:]
            for action in actions {
                before[action] = try await app.auditCount(action: action, outcome: .success, patientId: Self.patient)
            }
            let address = "浙江省衢州市柯城区荷花东路88号3幢"
            let update = try await app.send(.patch, "/api/v1/patients/\(Self.patient.text)", token: token, json: ["address": address])
            #expect(update.status == .ok)
            #expect(update.string("address") == address)
            let stored = try await rawColumn("address_cipher", of: "patients", in: app.database).compactMap { $0 }
            #expect(stored.count == 1)
            #expect(!stored[0].contains(address))
            #expect(!stored[0].contains("荷花"))

            let allergy = try await app.send(.post, "/api/v1/patients/\(Self.patient.text)/allergies", token: token,
                                             json: ["substance": "布洛芬", "reaction": "哮喘发作", "severity": "severe"])
            #expect(allergy.status == .created)
            let allergyId = try #require(allergy.string("id"))
            let condition = try await app.send(.post, "/api/v1/patients/\(Self.patient.text)/conditions", token: token,
                                               json: ["icd10": "e11.9", "name": "2型糖尿病", "diagnosedOn": "2019-04-02"])
            #expect(condition.status == .created)
            #expect(condition.string("icd10") == "E11.9")
            let profile = try await app.send(.get, "/api/v1/patients/\(Self.patient.text)", token: token)
            #expect((profile.json["allergies"] as? [[String: Any]])?.contains { $0["substance"] as? String == "布洛芬" } == true)
            #expect(try await app.send(.delete, "/api/v1/patients/\(Self.patient.text)/allergies/\(allergyId)", token: token)
                .status == .noContent)
            #expect(try await app.send(.delete, "/api/v1/patients/\(Self.patient.text)/allergies/\(allergyId)", token: token)
                .status == .notFound)

            for action in actions {
                let after = try await app.auditCount(action: action, outcome: .success, patientId: Self.patient)
                #expect(after == before[action]! + 1, "\(action)")
            }
        }
    }

    @Test("national IDs and phones are stored only as ciphertext and keyed hashes")
    func identifiersEncrypted() async throws {
        try await withApp(seedDemo: false) { app in
            let nationalId = aNationalIDText(born: 1972, sequence: 77)
            let reply = try await app.send(.post, "/api/v1/auth/sign-up", json: [
                "phone": "13876543210", "password": "secret words", "realName": "孙丽", "nationalId": nationalId,
            ])
            #expect(reply.status == .created)
            for (column, table) in [("national_id_cipher", "patients"), ("national_id_hash", "patients"),
                                    ("phone_cipher", "patients"), ("phone_cipher", "accounts"), ("phone_hash", "accounts")] {
                let values = try await rawColumn(column, of: table, in: app.database).compactMap { $0 }
                #expect(values.count == 1, "\(table).\(column)")
                #expect(!values.contains { $0.contains(nationalId) || $0.contains("13876543210") || $0.contains("76543210") },
                        "\(table).\(column) holds plaintext")
            }
            let profile = try await app.send(.get, "/api/v1/patients/\(reply.string("patientId")!)",
                                             token: try await app.signIn("13876543210", password: "secret words"))
            #expect(profile.string("phone") == "13876543210")
            #expect(profile.string("nationalIdMasked")?.hasSuffix(String(nationalId.suffix(4))) == true)
            #expect(profile.text.contains(nationalId) == false)
        }
    }

    @Test("a patient adds a child; the child's record is theirs to act for; adding the same child twice is a 409")
    func family() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.otherPatientPhone)
            let holder = Demo.patientId(Demo.otherPatientPhone)
            let childId = aNationalIDText(born: 2023, sequence: 88)
            let body: [String: Any] = ["realName": "陈小乐", "nationalId": childId, "relationship": "child"]
            let added = try await app.send(.post, "/api/v1/patients/\(holder.text)/family", token: token, json: body)
            #expect(added.status == .created)
            #expect(added.json["isMinor"] as? Bool == true)
            let again = try await app.send(.post, "/api/v1/patients/\(holder.text)/family", token: token, json: body)
            #expect(again.status == .conflict)
            #expect(again.errorCode == "family_member_exists")
            let memberId = try #require(added.string("patientId"))
            #expect(try await app.send(.get, "/api/v1/patients/\(memberId)", token: token).status == .ok)
            #expect(try await app.send(.delete, "/api/v1/patients/\(holder.text)/family/\(memberId)", token: token).status == .noContent)
            #expect(try await app.send(.get, "/api/v1/patients/\(memberId)", token: token).status == .forbidden)
        }
    }

    @Test("a child older than the holder is refused with 422; bad fields with 400", arguments: [
        (["realName": "周大", "nationalId": aNationalIDText(born: 1940, sequence: 91), "relationship": "child"], 422),
        (["realName": "周大", "nationalId": aNationalIDText(born: 2015, sequence: 91), "relationship": "cousin"], 400),
        (["realName": "", "nationalId": aNationalIDText(born: 2015, sequence: 91), "relationship": "child"], 400),
    ] as [([String: String], Int)])
    func familyRefusals(body: [String: String], status: Int) async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.otherPatientPhone)
            let holder = Demo.patientId(Demo.otherPatientPhone)
            let reply = try await app.send(.post, "/api/v1/patients/\(holder.text)/family", token: token, json: body)
            #expect(reply.status.code == status)
            #expect(reply.isStandardError)
            #expect(try await app.send(.get, "/api/v1/patients/\(holder.text)/family", token: token).items.isEmpty)
        }
    }

    @Test("an invalid ICD-10 code or a future diagnosis date is a 400")
    func conditionValidation() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let badCode = try await app.send(.post, "/api/v1/patients/\(Self.patient.text)/conditions", token: token,
                                             json: ["icd10": "hypertension", "name": "高血压"])
            #expect(badCode.errorFields == ["icd10"])
            let future = try await app.send(.post, "/api/v1/patients/\(Self.patient.text)/conditions", token: token,
                                            json: ["icd10": "I10", "name": "高血压", "diagnosedOn": "2999-01-01"])
            #expect(future.errorFields == ["diagnosedOn"])
        }
    }
}
