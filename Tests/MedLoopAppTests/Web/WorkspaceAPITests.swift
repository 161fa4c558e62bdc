import Foundation
import HTTPTypes
import Testing
import MedLoopDomain
import MedLoopStore

/// The API the web app's workspaces stand on: a doctor's open consultations, the ICD-10 picker's
/// search, and a patient's own view of who read their record.
@Suite("Workspace API")
struct WorkspaceAPITests {
    @Test("a doctor lists their open consultations a page at a time, and nobody else's")
    func doctorsConsultations() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let doctor = try await app.signIn(ConsultationRoutesTests.doctorPhone)
            var accepted: [String] = []
            for _ in 0..<3 {
                let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
                #expect(try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor).status == .ok)
                accepted.append(id.lowercased())
            }
            let (waiting, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            let first = try await app.send(.get, "/api/v1/doctors/me/consultations?limit=2", token: doctor)
            #expect(first.status == .ok)
            let cursor = try #require(first.json["nextCursor"] as? String)
            let second = try await app.send(.get, "/api/v1/doctors/me/consultations?limit=2&cursor=\(cursor)", token: doctor)
            let listed = (first.items + second.items).compactMap { ($0["id"] as? String)?.lowercased() }
            #expect(listed.sorted() == accepted.sorted())
            #expect(second.json["nextCursor"] is NSNull)
            let queued = try await app.send(.get, "/api/v1/doctors/me/consultations?state=waiting", token: doctor)
            #expect(queued.items.compactMap { ($0["id"] as? String)?.lowercased() } == [waiting.lowercased()])

            let other = try await app.signIn("13900000002")
            #expect(try await app.send(.get, "/api/v1/doctors/me/consultations", token: other).items.isEmpty)
            #expect(try await app.send(.get, "/api/v1/doctors/me/consultations", token: patient).status == .forbidden)
            let bad = try await app.send(.get, "/api/v1/doctors/me/consultations?state=sleeping", token: doctor)
            #expect(bad.status == .badRequest)
            #expect(try await app.send(.get, "/api/v1/doctors/me/consultations?cursor=nonsense", token: doctor).status == .badRequest)
        }
    }

    @Test("the condition search finds a condition by code or name, for anyone")
    func conditions() async throws {
        try await withApp { app in
            let byName = try await app.send(.get, "/api/v1/conditions?q=%E9%AB%98%E8%A1%80%E5%8E%8B")
            #expect(byName.items.first?["icd10"] as? String == "I10")
            let byCode = try await app.send(.get, "/api/v1/conditions?q=E11")
            #expect(byCode.items.first?["nameEn"] as? String == "Type 2 diabetes mellitus")
            let long = String(repeating: "x", count: 101)
            #expect(try await app.send(.get, "/api/v1/conditions?q=\(long)").status == .badRequest)
        }
    }

    @Test("a patient sees who read their record — the doctor, by role — and nobody else's")
    func accessLog() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            let doctor = try await app.signIn(ConsultationRoutesTests.doctorPhone)
            _ = try await app.send(.get, "/api/v1/consultations/\(id)/patient", token: doctor)
            let log = try await app.send(.get, "/api/v1/me/access-log?limit=100", token: patient)
            #expect(log.status == .ok)
            let byDoctor = log.items.filter { $0["actorRole"] as? String == "doctor" }
            #expect(!byDoctor.isEmpty)
            #expect(byDoctor.allSatisfy { $0["isSelf"] as? Bool == false })
            #expect(log.items.contains { $0["isSelf"] as? Bool == true })

            let other = try await app.signIn(Demo.otherPatientPhone)
            let otherLog = try await app.send(.get, "/api/v1/me/access-log?limit=100", token: other)
            #expect(!otherLog.items.contains { $0["actorRole"] as? String == "doctor" })
            #expect(try await app.send(.get, "/api/v1/me/access-log", token: doctor).status == .forbidden)
        }
    }
}
