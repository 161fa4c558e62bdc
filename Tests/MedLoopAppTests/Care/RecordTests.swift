import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("Lab and exam results")
struct RecordTests {
    static let patient = Demo.patientId(Demo.patientPhone)

    static func aReport(nationalId: String, extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = [
            "nationalId": nationalId, "title": "血生化", "takenOn": "2026-08-01",
            "values": [
                ["code": "GLU", "name": "空腹血糖", "value": 7.8, "unit": "mmol/L", "referenceLow": 3.9, "referenceHigh": 6.1],
                ["code": "K", "name": "血钾", "value": 4.1, "unit": "mmol/L", "referenceLow": 3.5, "referenceHigh": 5.5],
            ],
        ]
        for (key, value) in extra { body[key] = value }
        return body
    }

    @Test("a hospital doctor imports a report by national ID; the patient reads it with flags; others may not")
    func importAndRead() async throws {
        try await withApp { app in
            let hospitalDoctor = try await app.signIn("13900000003")
            let nationalId = try #require(DemoWorld.nationalId(ofPatient: Demo.patientPhone))
            let pdf = Data("%PDF-1.4 a small report".utf8).base64EncodedString()
            let imported = try await app.send(.post, "/api/v1/lab-reports", token: hospitalDoctor,
                                              json: Self.aReport(nationalId: nationalId, extra: ["reportPdf": pdf]))
            #expect(imported.status == .created)
            #expect((imported.json["values"] as? [[String: Any]])?.map { $0["flag"] as? String } == ["high", "normal"])
            let unknown = try await app.send(.post, "/api/v1/lab-reports", token: hospitalDoctor,
                                             json: Self.aReport(nationalId: aNationalIDText(sequence: 99)))
            #expect(unknown.status == .notFound)
            let platformDoctor = try await app.signIn("13900000026")
            #expect(try await app.send(.post, "/api/v1/lab-reports", token: platformDoctor,
                                       json: Self.aReport(nationalId: nationalId)).status == .forbidden)
            let patientToken = try await app.signIn(Demo.patientPhone)
            #expect(try await app.send(.post, "/api/v1/lab-reports", token: patientToken,
                                       json: Self.aReport(nationalId: nationalId)).status == .forbidden)

            let list = try await app.send(.get, "/api/v1/patients/\(Self.patient.text)/lab-reports", token: patientToken)
            #expect(list.items.count == 1)
            let reportId = try #require(list.items.first?["id"] as? String)
            let file = try await app.client.executeRequest(uri: "/api/v1/lab-reports/\(reportId)/file", method: .get,
                                                           headers: [.authorization: "Bearer \(patientToken)"], body: nil)
            #expect(String(buffer: file.body).hasPrefix("%PDF"))
            let other = try await app.signIn(Demo.otherPatientPhone)
            #expect(try await app.send(.get, "/api/v1/patients/\(Self.patient.text)/lab-reports", token: other).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/lab-reports/\(reportId)/file", token: other).status == .forbidden)
            #expect(try await app.auditCount(action: "patient.lab_report.import", outcome: .success, patientId: Self.patient) == 1)
        }
    }

    @Test("a malformed report is a 400 naming each bad field, and nothing is stored")
    func badReport() async throws {
        try await withApp { app in
            let doctor = try await app.signIn("13900000003")
            let nationalId = try #require(DemoWorld.nationalId(ofPatient: Demo.patientPhone))
            let reply = try await app.send(.post, "/api/v1/lab-reports", token: doctor, json: Self.aReport(nationalId: nationalId, extra: [
                "title": "", "takenOn": "2999-01-01",
                "values": [["code": "GLU", "name": "空腹血糖", "value": 5.0, "unit": "mmol/L", "referenceLow": 6.1, "referenceHigh": 3.9]],
            ]))
            #expect(Set(reply.errorFields) == ["title", "takenOn", "values[0]"])
            let badPdf = try await app.send(.post, "/api/v1/lab-reports", token: doctor,
                                            json: Self.aReport(nationalId: nationalId, extra: ["reportPdf": Data("GIF89a".utf8).base64EncodedString()]))
            #expect(badPdf.errorFields == ["reportPdf"])
            #expect(try await rawColumn("id", of: "lab_reports", in: app.database).isEmpty)
        }
    }

    @Test("the consultation's doctor sees the records only after the patient shares them for that consultation")
    func consent() async throws {
        try await withApp { app in
            let nationalId = try #require(DemoWorld.nationalId(ofPatient: Demo.patientPhone))
            _ = try await app.send(.post, "/api/v1/lab-reports", token: try await app.signIn("13900000003"),
                                   json: Self.aReport(nationalId: nationalId))
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            let doctor = try await app.signIn(ConsultationRoutesTests.doctorPhone)
            let before = try await app.send(.get, "/api/v1/consultations/\(id)/records", token: doctor)
            #expect(before.status == .forbidden)
            #expect(before.errorCode == "consent_required")
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/share-records", token: doctor).status == .notFound)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/share-records", token: patient).status == .noContent)
            let after = try await app.send(.get, "/api/v1/consultations/\(id)/records", token: doctor)
            #expect(after.items.count == 1)
            let otherDoctor = try await app.signIn("13900000002")
            #expect(try await app.send(.get, "/api/v1/consultations/\(id)/records", token: otherDoctor).status == .notFound)
            #expect(try await app.auditCount(action: "patient.lab_report.read", outcome: .denied) == 1)
        }
    }
}

@Suite("Prior visits imported from hospitals")
struct EncounterImportTests {
    @Test("a hospital sends a diagnosis by national ID and it carries an online follow-up; a platform doctor cannot")
    func imported() async throws {
        try await withApp { app in
            let nationalId = try #require(DemoWorld.nationalId(ofPatient: Demo.patientPhone))
            let hospitalDoctor = try await app.signIn("13900000003")
            let imported = try await app.send(.post, "/api/v1/encounters", token: hospitalDoctor,
                                              json: ["nationalId": nationalId, "date": "2026-07-01", "icd10": "I10"])
            #expect(imported.status == .created)
            #expect(imported.string("source") == "imported")
            let unknown = try await app.send(.post, "/api/v1/encounters", token: hospitalDoctor,
                                             json: ["nationalId": aNationalIDText(sequence: 97), "date": "2026-07-01", "icd10": "I10"])
            #expect(unknown.status == .notFound)
            let platformDoctor = try await app.signIn("13900000026")
            let refused = try await app.send(.post, "/api/v1/encounters", token: platformDoctor,
                                             json: ["nationalId": nationalId, "date": "2026-07-01", "icd10": "I10"])
            #expect(refused.errorFields == ["hospitalId"])
            let patient = try await app.signIn(Demo.patientPhone)
            let order = try await OrderRoutesTests.order(app, token: patient, extra: ["encounterId": try #require(imported.string("id"))])
            #expect(order.status == .created)
        }
    }
}

@Suite("Commission per institution")
struct CommissionTests {
    @Test("an operator sets an institution's commission rate and completed fees are split at it, to the fen")
    func rate() async throws {
        try await withApp { app in
            let operatorToken = try await app.signIn(Demo.operatorPhone)
            let set = try await app.send(.patch, "/api/v1/institutions/\(DemoWorld.Institutions.tertiaryHospital.text)",
                                         token: operatorToken, json: ["commissionRateBasisPoints": 1500])
            #expect(set.json["commissionRateBasisPoints"] as? Int == 1500)
            #expect(try await app.send(.patch, "/api/v1/institutions/\(DemoWorld.Institutions.tertiaryHospital.text)",
                                       token: operatorToken, json: ["commissionRateBasisPoints": 10_001]).errorFields == ["commissionRateBasisPoints"])
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, price) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            let doctor = try await app.signIn(ConsultationRoutesTests.doctorPhone)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/complete", token: doctor, json: ["diagnosis": "I10"])
            // 45.00 yuan at 15 %: 6.75 to the platform, 38.25 to the doctor.
            #expect(price == 4500)
            #expect(try await app.send(.get, "/api/v1/doctors/me/earnings", token: doctor).json["balanceFen"] as? Int == 3825)
            #expect(try await LedgerStore(database: app.database).balance(of: .platformCommission) == 675)
        }
    }
}
