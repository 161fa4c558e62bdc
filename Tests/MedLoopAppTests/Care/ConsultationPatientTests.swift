import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("The patient inside a consultation, as the doctor sees them")
struct ConsultationPatientTests {
    static let doctorPhone = ConsultationRoutesTests.doctorPhone
    static let pediatrician = UUID.named("doctor:4")
    static let pediatricianPhone = "13900000004"
    static let patientId = Demo.patientId(Demo.patientPhone)

    /// A paid text consultation of the guardian's first child (the demo patient's child under 6)
    /// with the pediatrician, resting on an asthma diagnosis at the tertiary hospital; returns the
    /// consultation's id and the child's patient id, both lowercased.
    static func aPaidConsultationForChild(_ app: Harness, guardian: String) async throws -> (id: String, childId: String) {
        let family = try await app.send(.get, "/api/v1/patients/\(patientId.text)/family", token: guardian)
        let child = try #require(family.items.first?["patientId"] as? String)
        let childId = child.lowercased()
        let encounter = try await app.send(.post, "/api/v1/patients/\(childId)/encounters", token: guardian, json: [
            "hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "2026-07-10", "icd10": "J45.9",
        ])
        let order = try await app.send(.post, "/api/v1/orders", token: guardian, json: [
            "doctorId": pediatrician.text, "service": "textPackage", "patientId": childId, "guardianPresent": true,
            "encounterId": try #require(encounter.string("id")),
        ], headers: ConsultationRoutesTests.key())
        _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: guardian, json: ["amountFen": 20_000],
                               headers: ConsultationRoutesTests.key())
        let paid = try await app.send(.post, "/api/v1/orders/\(try #require(order.string("id")))/pay", token: guardian,
                                      headers: ConsultationRoutesTests.key())
        let id = try #require(paid.string("consultationId"))
        return (id.lowercased(), childId)
    }

    /// Every key of a JSON value, at any depth.
    static func jsonKeys(of value: Any) -> [String] {
        if let object = value as? [String: Any] { return object.flatMap { [$0.key] + jsonKeys(of: $0.value) } }
        if let array = value as? [Any] { return array.flatMap { jsonKeys(of: $0) } }
        return []
    }

    @Test("the consultation's doctor sees allergies, known conditions, age today and the prior visit, never the national ID, phone or address")
    func doctorSeesSummary() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let address = "浙江省衢州市柯城区荷花东路88号3幢"
            _ = try await app.send(.patch, "/api/v1/patients/\(Self.patientId.text)", token: patient, json: ["address": address])
            let own = try await app.send(.get, "/api/v1/patients/\(Self.patientId.text)", token: patient)
            let birthText = try #require(own.string("birthDate"))
            let birthDate = try #require(CalendarDate(iso: birthText))
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)

            let doctor = try await app.signIn(Self.doctorPhone)
            let reply = try await app.send(.get, "/api/v1/consultations/\(id)/patient", token: doctor)
            #expect(reply.status == .ok)
            #expect(reply.string("patientId")?.lowercased() == Self.patientId.text)
            #expect(reply.string("displayName") == own.string("realName"))
            #expect(reply.string("sex") == own.string("sex"))
            #expect(reply.json["age"] as? Int == birthDate.years(until: .shanghai(app.clock.now())))
            let allergies = reply.json["allergies"] as? [[String: Any]] ?? []
            #expect(allergies.compactMap { $0["substance"] as? String } == ["青霉素"])
            let conditions = reply.json["conditions"] as? [[String: Any]] ?? []
            #expect(conditions.compactMap { $0["icd10"] as? String } == ["I10"])
            let visit = reply.json["priorVisit"] as? [String: Any] ?? [:]
            #expect(visit["date"] as? String == "2026-06-01")
            #expect(visit["icd10"] as? String == "I10")
            #expect(visit["hospitalName"] as? String == "衢州市人民医院")
            #expect((visit["hospitalId"] as? String)?.lowercased() == DemoWorld.Institutions.tertiaryHospital.text)
            #expect(reply.json["guardian"] is NSNull)

            let personal = Self.jsonKeys(of: reply.json).filter { key in
                ["nationalid", "phone", "address"].contains { key.lowercased().contains($0) }
            }
            #expect(personal.isEmpty)
            let nationalId = try #require(DemoWorld.nationalId(ofPatient: Demo.patientPhone))
            #expect(!reply.text.contains(nationalId))
            #expect(!reply.text.contains(Demo.patientPhone))
            #expect(!reply.text.contains(address))
        }
    }

    @Test("a consultation for a child shows the child's own record, and the parent who booked as the guardian")
    func childWithGuardian() async throws {
        try await withApp { app in
            let guardian = try await app.signIn(Demo.patientPhone)
            let guardianName = try await app.send(.get, "/api/v1/patients/\(Self.patientId.text)", token: guardian).string("realName")
            let family = try await app.send(.get, "/api/v1/patients/\(Self.patientId.text)/family", token: guardian)
            let childName = try #require(family.items.first?["realName"] as? String)
            let childSex = try #require(family.items.first?["sex"] as? String)
            let childAge = try #require(family.items.first?["age"] as? Int)
            let (id, childId) = try await Self.aPaidConsultationForChild(app, guardian: guardian)
            _ = try await app.send(.post, "/api/v1/patients/\(childId)/allergies", token: guardian,
                                   json: ["substance": "布洛芬", "reaction": "荨麻疹", "severity": "mild"])

            let doctor = try await app.signIn(Self.pediatricianPhone)
            let reply = try await app.send(.get, "/api/v1/consultations/\(id)/patient", token: doctor)
            #expect(reply.status == .ok)
            #expect(reply.string("patientId")?.lowercased() == childId)
            #expect(reply.string("displayName") == childName)
            #expect(reply.string("sex") == childSex)
            #expect(reply.json["age"] as? Int == childAge)
            #expect(childAge < Eligibility.guardianRequiredUnderAge)
            // The child's allergies, not the guardian's penicillin allergy.
            let allergies = reply.json["allergies"] as? [[String: Any]] ?? []
            #expect(allergies.compactMap { $0["substance"] as? String } == ["布洛芬"])
            #expect((reply.json["conditions"] as? [Any])?.isEmpty == true)
            #expect((reply.json["priorVisit"] as? [String: Any])?["icd10"] as? String == "J45.9")
            let shownGuardian = reply.json["guardian"] as? [String: Any] ?? [:]
            #expect(guardianName != nil)
            #expect(shownGuardian["displayName"] as? String == guardianName)
            #expect(shownGuardian["relationship"] as? String == "child")
            #expect(!reply.text.contains(Demo.patientPhone))

            // The guardian who booked reads the same summary.
            let asGuardian = try await app.send(.get, "/api/v1/consultations/\(id)/patient", token: guardian)
            #expect(asGuardian.status == .ok)
            #expect(asGuardian.string("patientId")?.lowercased() == childId)
            let child = try #require(UUID(uuidString: childId))
            #expect(try await app.auditCount(action: "consultation.patient.read", outcome: .success, patientId: child) == 2)
        }
    }

    @Test("a doctor neither treating nor invited to the consultation is told there is none; once invited, they see the patient")
    func otherDoctor() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            let colleague = try await app.signIn("13900000002")
            let refused = try await app.send(.get, "/api/v1/consultations/\(id)/patient", token: colleague)
            #expect(refused.status == .notFound)
            #expect(refused.errorCode == "not_found")
            #expect(refused.json["displayName"] == nil)

            let doctor = try await app.signIn(Self.doctorPhone)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/invitations", token: doctor,
                                       json: ["doctorId": UUID.named("doctor:2").text]).status == .created)
            let invited = try await app.send(.get, "/api/v1/consultations/\(id)/patient", token: colleague)
            #expect(invited.status == .ok)
            #expect(invited.string("patientId")?.lowercased() == Self.patientId.text)
        }
    }

    @Test("the patient reads their own summary; another patient is told there is no such consultation")
    func patients() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            let own = try await app.send(.get, "/api/v1/consultations/\(id)/patient", token: patient)
            #expect(own.status == .ok)
            #expect(own.string("patientId")?.lowercased() == Self.patientId.text)
            #expect(own.json["guardian"] is NSNull)

            let other = try await app.signIn(Demo.otherPatientPhone)
            let refused = try await app.send(.get, "/api/v1/consultations/\(id)/patient", token: other)
            #expect(refused.status == .notFound)
            #expect(refused.errorCode == "not_found")
        }
    }

    @Test("every read of the summary is in the audit log under the patient, with the reader and the consultation; a refused one is not")
    func readAudited() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            let doctor = try await app.signIn(Self.doctorPhone)
            #expect(try await app.send(.get, "/api/v1/consultations/\(id)/patient", token: doctor).status == .ok)
            let outsider = try await app.signIn("13900000002")
            #expect(try await app.send(.get, "/api/v1/consultations/\(id)/patient", token: outsider).status == .notFound)

            let entries = try await AuditStore(database: app.database).list(AuditFilter(patientId: Self.patientId, limit: 1000)).items
            let reads = entries.filter { $0.action == "consultation.patient.read" }
            #expect(reads.count == 1)
            let read = try #require(reads.first)
            #expect(read.patientId == Self.patientId)
            #expect(read.actorAccountId == Demo.accountId(Self.doctorPhone))
            #expect(read.actorRole == .doctor)
            #expect(read.resourceType == "consultation")
            #expect(read.resourceId == id.lowercased())
            #expect(read.outcome == .success)
        }
    }
}
