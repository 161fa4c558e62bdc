import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("Medication record, refills, pregnancy in the checks, expiry of unfilled prescriptions")
struct MedicationRecordTests {
    @Test("an approved prescription is on the record for its 7 days, and a refill books a follow-up with the same doctor naming it")
    func recordAndRefill() async throws {
        try await withApp { app in
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            let patientId = Demo.patientId(Demo.patientPhone).text
            let record = try await app.send(.get, "/api/v1/patients/\(patientId)/medications", token: patient)
            #expect(record.status == .ok)
            let entry = try #require(record.items.first)
            #expect((entry["prescriptionId"] as? String)?.lowercased() == prescription.lowercased())
            #expect(entry["isActive"] as? Bool == true)
            #expect(entry["isRefillable"] as? Bool == true)
            let startText = try #require(entry["startsOn"] as? String)
            let start = try #require(CalendarDate(iso: startText))
            #expect(entry["endsOn"] as? String == start.adding(days: 6).description)
            let stranger = try await app.signIn(Demo.otherPatientPhone)
            #expect(try await app.send(.get, "/api/v1/patients/\(patientId)/medications", token: stranger).status == .forbidden)

            let refill = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/refill", token: patient,
                                            headers: ConsultationRoutesTests.key())
            #expect(refill.status == .created, "\(refill.text)")
            #expect((refill.string("doctorId"))?.lowercased() == ConsultationRoutesTests.cardiologist.text)
            #expect(refill.string("service") == "textPackage")
            let orderId = try #require(refill.string("id"))
            #expect(try await app.count("""
                SELECT COUNT(*) AS n FROM orders WHERE id = \(bind: orderId.lowercased())
                  AND refill_of_prescription_id = \(bind: prescription.lowercased())
                """) == 1)

            // Forty days after the supply ended, the medicine is no longer refilled.
            app.clock.advance(by: 47 * 86_400)
            let signedInAgain = try await app.signIn(Demo.patientPhone)
            let late = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/refill", token: signedInAgain,
                                          headers: ConsultationRoutesTests.key())
            #expect(late.status == .unprocessableContent)
            #expect(late.errorCode == "not_refillable")
        }
    }

    @Test("a pregnant patient's prescription of a drug contraindicated in pregnancy carries the finding; a man's profile records no pregnancy")
    func pregnancyFinding() async throws {
        try await withApp { app in
            // The first demo patient is a man: his profile takes no pregnancy.
            let man = try await app.signIn(Demo.patientPhone)
            let refused = try await app.send(.patch, "/api/v1/patients/\(Demo.patientId(Demo.patientPhone).text)", token: man,
                                             json: ["pregnancyStatus": "pregnant"])
            #expect(refused.status == .badRequest)
            #expect(refused.isStandardError)
            // A woman of the demo world books a follow-up of her hypertension.
            var woman: (phone: String, token: String, id: String)?
            for index in 2...10 {
                let phone = String(format: "138%08d", index)
                let id = Demo.patientId(phone).text
                let token = try await app.signIn(phone)
                if try await app.send(.get, "/api/v1/patients/\(id)", token: token).string("sex") == "female" {
                    woman = (phone, token, id)
                    break
                }
            }
            let patient = try #require(woman)
            let updated = try await app.send(.patch, "/api/v1/patients/\(patient.id)", token: patient.token,
                                             json: ["pregnancyStatus": "pregnant"])
            #expect(updated.string("pregnancyStatus") == "pregnant")
            let encounter = try await app.send(.post, "/api/v1/patients/\(patient.id)/encounters", token: patient.token, json: [
                "hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "2026-01-05", "icd10": "I10",
            ])
            let order = try await app.send(.post, "/api/v1/orders", token: patient.token, json: [
                "doctorId": ConsultationRoutesTests.cardiologist.text, "service": "textPackage",
                "encounterId": try #require(encounter.string("id")),
            ], headers: ConsultationRoutesTests.key())
            _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: patient.token, json: ["amountFen": 20_000],
                                   headers: ConsultationRoutesTests.key())
            let paid = try await app.send(.post, "/api/v1/orders/\(try #require(order.string("id")))/pay", token: patient.token,
                                          headers: ConsultationRoutesTests.key())
            let consultation = try #require(paid.string("consultationId"))
            let doctor = try await app.signIn(Demo.doctorPhone)
            #expect(try await app.send(.post, "/api/v1/consultations/\(consultation)/accept", token: doctor).status == .ok)
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
                "diagnosis": "I10", "items": [anItem(Shelf.simvastatin, dose: 20)],
            ])
            let findings = draft.json["findings"] as? [[String: Any]] ?? []
            #expect(findings.contains { $0["rule"] as? String == "pregnancy" && $0["severity"] as? String == "contraindicated" })
            let bad = try await app.send(.patch, "/api/v1/patients/\(patient.id)", token: patient.token, json: ["pregnancyStatus": "maybe"])
            #expect(bad.status == .badRequest)
        }
    }

    @Test("the clinical checks alone: an allergy against the patient's record, only for a doctor who has seen the patient")
    func checksAlone() async throws {
        try await withApp { app in
            let (_, patient, doctor) = try await app.anAcceptedConsultation()
            let patientId = Demo.patientId(Demo.patientPhone).text
            // The first demo patient is allergic to penicillin (青霉素).
            let body: [String: Any] = ["patientId": patientId, "items": [["drugId": Shelf.amoxicillin.text]]]
            let checked = try await app.send(.post, "/api/v1/prescription-checks", token: doctor, json: body)
            #expect(checked.status == .ok)
            let findings = checked.json["findings"] as? [[String: Any]] ?? []
            #expect(findings.contains { $0["rule"] as? String == "allergy" && $0["severity"] as? String == "contraindicated" })
            let anonymous = try await app.send(.post, "/api/v1/prescription-checks", token: doctor,
                                               json: ["items": [["drugId": Shelf.amoxicillin.text]]])
            #expect((anonymous.json["findings"] as? [[String: Any]] ?? []).isEmpty)
            let colleague = try await app.signIn("13900000002")
            #expect(try await app.send(.post, "/api/v1/prescription-checks", token: colleague, json: body).status == .notFound)
            #expect(try await app.send(.post, "/api/v1/prescription-checks", token: patient, json: body).status == .forbidden)
            let unknown = try await app.send(.post, "/api/v1/prescription-checks", token: doctor,
                                             json: ["items": [["drugId": UUID().uuidString]]])
            #expect(unknown.status == .badRequest)
        }
    }

    @Test("an approved prescription nobody filled expires at the end of its day, once, with a trail entry")
    func expiry() async throws {
        try await withApp { app in
            try await app.holdJobLease("expire-prescriptions")
            let (prescription, _, _) = try await app.anApprovedPrescription()
            let context = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "test", at: app.clock.now())
            #expect(try await app.services.stores.prescriptions.expireLapsed(now: app.clock.now(), context: context) == 0)
            app.clock.advance(by: 86_400)
            let later = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "test", at: app.clock.now())
            #expect(try await app.services.stores.prescriptions.expireLapsed(now: app.clock.now(), context: later) == 1)
            #expect(try await app.services.stores.prescriptions.expireLapsed(now: app.clock.now(), context: later) == 0)
            let patient = try await app.signIn(Demo.patientPhone)
            #expect(try await app.send(.get, "/api/v1/prescriptions/\(prescription)", token: patient).string("state") == "expired")
            let refused = try await app.send(.get, "/api/v1/prescriptions/\(prescription)/pharmacy-options?lat=28.96&lon=118.87",
                                             token: patient)
            #expect(refused.status == .conflict)
            let trace = try await app.send(.get, "/api/v1/prescriptions/\(prescription)/trace", token: patient)
            #expect((trace.json["entries"] as? [[String: Any]])?.last?["event"] as? String == "expired")
        }
    }
}
