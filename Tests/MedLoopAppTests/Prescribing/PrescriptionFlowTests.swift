import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

/// Catalogue products the prescribing tests write, by product code.
enum Shelf {
    static let amlodipine = Drug.id(productCode: "8100002")       // 5 mg × 28, dosed in mg
    static let simvastatin = Drug.id(productCode: "8100118")      // 20 mg × 28
    static let clarithromycin = Drug.id(productCode: "8200071")   // 250 mg × 6
    static let amoxicillin = Drug.id(productCode: "8200054")      // 500 mg × 24
    static let diazepam = Drug.id(productCode: "8200026")         // 2.5 mg × 100, psychotropic class II
    static let metformin = Drug.id(productCode: "8100064")        // 500 mg × 60
}

/// One item as a doctor writes it.
func anItem(_ drug: UUID, dose: Double, unit: String = "mg", timesPerDay: Int = 1, days: Int = 7,
            quantity: Int? = nil) -> [String: Any] {
    var item: [String: Any] = ["drugId": drug.text, "dose": dose, "doseUnit": unit, "timesPerDay": timesPerDay, "days": days]
    if let quantity { item["quantity"] = quantity }
    return item
}

extension Harness {
    /// A text consultation of the first demo patient with the cardiologist, following up an
    /// in-person hypertension (I10) visit, accepted by the doctor. Returns its id and both tokens.
    func anAcceptedConsultation() async throws -> (id: String, patient: String, doctor: String) {
        let patient = try await signIn(Demo.patientPhone)
        let doctor = try await signIn(Demo.doctorPhone)
        let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(self, patient: patient)
        let accepted = try await send(.post, "/api/v1/consultations/\(id)/accept", token: doctor)
        guard accepted.status == .ok else { throw HarnessError.signInFailed(phone: Demo.doctorPhone, status: accepted.status.code, body: accepted.text) }
        return (id, patient, doctor)
    }

    /// How many rows a table holds (prescriptions, domain events of a kind).
    func count(_ sql: SQLQueryString) async throws -> Int {
        try await database.read { try await $0.raw(sql).first()?.decode(column: "n", as: Int.self) ?? 0 }
    }
}

@Suite("Prescribing: from the consultation to the pharmacist's approval")
struct PrescriptionFlowTests {
    static let reviewer = "13700000001"        // pharmacist of the internet hospital the cardiologist practises at
    static let otherPharmacist = "13700000002" // pharmacist of the platform

    @Test("draft with findings, override, sign, verify, reject, correct, approve: the patient sees only the approved one and both trails verify")
    func wholeLoop() async throws {
        try await withApp { app in
            let (consultation, patient, doctor) = try await app.anAcceptedConsultation()
            // A statin with a strong CYP3A4 inhibitor: contraindicated (ONC high-priority list).
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
                "diagnosis": "I10",
                "items": [anItem(Shelf.amlodipine, dose: 5), anItem(Shelf.simvastatin, dose: 20),
                          anItem(Shelf.clarithromycin, dose: 250, timesPerDay: 2)],
                "notes": "低盐饮食",
            ])
            #expect(draft.status == .created)
            let first = try #require(draft.string("id"))
            #expect(draft.string("state") == "draft")
            let items = draft.json["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["quantity"] as? Int } == [1, 1, 3])   // 35 mg of 140; 140 mg of 560; 3500 mg of 1500
            let findings = draft.json["findings"] as? [[String: Any]] ?? []
            let interaction = try #require(findings.first { $0["rule"] as? String == "interaction" })
            #expect(interaction["severity"] as? String == "contraindicated")
            #expect(Set((interaction["drugIds"] as? [String] ?? []).map { $0.lowercased() }) == [Shelf.simvastatin.text, Shelf.clarithromycin.text])
            #expect(findings.first?["severity"] as? String == "contraindicated")

            let unexplained = try await app.send(.post, "/api/v1/prescriptions/\(first)/sign", token: doctor)
            #expect(unexplained.status == .unprocessableContent)
            #expect(unexplained.errorCode == "unexplained_finding")

            for finding in findings where finding["blocksSigning"] as? Bool == true {
                let overridden = try await app.send(.post, "/api/v1/prescriptions/\(first)/overrides", token: doctor, json: [
                    "rule": finding["rule"] as Any, "drugIds": finding["drugIds"] as Any,
                    "reason": "短期联用，已嘱患者监测肌痛",
                ])
                #expect(overridden.status == .ok)
            }
            let signed = try await app.send(.post, "/api/v1/prescriptions/\(first)/sign", token: doctor)
            #expect(signed.status == .ok)
            #expect(signed.string("state") == "signed")
            #expect(signed.string("documentHash")?.count == 64)
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(first)/sign", token: doctor).status == .conflict)

            let verification = try await app.send(.get, "/api/v1/prescriptions/\(first)/verification", token: doctor)
            #expect(verification.status == .ok)
            #expect((verification.json["verdict"] as? [String: Any])?["valid"] as? Bool == true)
            #expect((verification.json["signatures"] as? [[String: Any]])?.map { $0["role"] as? String } == ["doctor"])
            let document = try #require(verification.string("document"))
            #expect(document.lowercased().contains("\"prescriptionid\":\"\(first.lowercased())\""))
            #expect(document.contains("短期联用，已嘱患者监测肌痛"))

            // Not in effect yet: the patient does not see it; another institution's pharmacist neither.
            #expect(try await app.send(.get, "/api/v1/prescriptions/\(first)", token: patient).status == .notFound)
            let stranger = try await app.signIn(Self.otherPharmacist)
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(first)/review", token: stranger,
                                       json: ["decision": "approve"]).status == .notFound)
            #expect(try await app.send(.get, "/api/v1/pharmacists/me/review-queue", token: stranger).items.isEmpty)

            let pharmacist = try await app.signIn(Self.reviewer)
            let queue = try await app.send(.get, "/api/v1/pharmacists/me/review-queue", token: pharmacist)
            let queued = try #require(queue.items.first)
            #expect((queued["id"] as? String)?.lowercased() == first.lowercased())
            let queuedFindings = queued["findings"] as? [[String: Any]] ?? []
            #expect(queuedFindings.contains { $0["overrideReason"] as? String == "短期联用，已嘱患者监测肌痛" })

            let rejected = try await app.send(.post, "/api/v1/prescriptions/\(first)/review", token: pharmacist, json: [
                "decision": "reject", "reason": "safety", "text": "辛伐他汀与克拉霉素禁忌合用，请换用其他抗菌药或暂停他汀",
            ])
            #expect(rejected.status == .ok)
            #expect(rejected.string("state") == "rejected")
            #expect(rejected.string("rejectionReason") == "safety")
            let twice = try await app.send(.post, "/api/v1/prescriptions/\(first)/review", token: pharmacist, json: ["decision": "approve"])
            #expect(twice.status == .conflict)
            #expect(twice.errorCode == "prescription_state")
            let inbox = try await app.send(.get, "/api/v1/notifications", token: doctor)
            #expect(inbox.items.contains { $0["kind"] as? String == "prescriptionReturned" })

            // The correction replaces and voids the rejected prescription.
            let corrected = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
                "items": [anItem(Shelf.amlodipine, dose: 5)], "replaces": first, "diagnosis": "I10",
            ])
            #expect(corrected.status == .created)
            let second = try #require(corrected.string("id"))
            #expect(corrected.string("replaces")?.lowercased() == first.lowercased())
            #expect(try await app.send(.get, "/api/v1/prescriptions/\(first)", token: doctor).string("state") == "voided")
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(second)/sign", token: doctor).status == .ok)
            let approved = try await app.send(.post, "/api/v1/prescriptions/\(second)/review", token: pharmacist,
                                              json: ["decision": "approve"])
            #expect(approved.status == .ok)
            #expect(approved.string("state") == "approved")

            let seen = try await app.send(.get, "/api/v1/prescriptions/\(second)", token: patient)
            #expect(seen.status == .ok)
            #expect(seen.string("state") == "approved")
            let verified = try await app.send(.get, "/api/v1/prescriptions/\(second)/verification", token: patient)
            #expect((verified.json["verdict"] as? [String: Any])?["valid"] as? Bool == true)
            #expect((verified.json["signatures"] as? [[String: Any]])?.compactMap { $0["role"] as? String } == ["doctor", "pharmacist"])
            let signedExport = try verified.decode(SignedPrescription.self)
            #expect(signedExport.problems().isEmpty)

            let trace = try await app.send(.get, "/api/v1/prescriptions/\(second)/trace", token: patient)
            #expect(trace.json["verifies"] as? Bool == true)
            #expect((trace.json["entries"] as? [[String: Any]])?.compactMap { $0["event"] as? String } == ["drafted", "signed", "approved"])
            let oldTrace = try await app.send(.get, "/api/v1/prescriptions/\(first)/trace", token: doctor)
            #expect((oldTrace.json["entries"] as? [[String: Any]])?.compactMap { $0["event"] as? String }
                    == ["drafted", "signed", "rejected", "voided"])
            #expect(try await app.count("SELECT COUNT(*) AS n FROM domain_events WHERE subject_type = 'prescription'") == 7)
        }
    }

    @Test("changing one entry of a trail makes the trace and the whole chain name exactly that entry")
    func tamperedTrail() async throws {
        try await withApp { app in
            let (consultation, _, doctor) = try await app.anAcceptedConsultation()
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
                "diagnosis": "I10", "items": [anItem(Shelf.amlodipine, dose: 5)],
            ])
            let id = try #require(draft.string("id"))
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(id)/sign", token: doctor).status == .ok)
            #expect(try await AuditStore(database: app.database).firstBreak() == nil)
            let signedEntry = try await app.database.read { sql in
                try await sql.raw("""
                    SELECT sequence FROM audit_log WHERE resource_id = \(bind: id.lowercased()) AND action = 'prescription.signed'
                    """).first()?.decode(column: "sequence", as: Int64.self)
            }
            let sequence = try #require(signedEntry)
            // An intruder with the database: lift the append-only guard and edit the entry.
            try await app.database.unitOfWork { tx in
                switch tx.engine {
                case .sqlite: try await tx.sql.raw("DROP TRIGGER audit_log_no_update").run()
                case .postgres: try await tx.sql.raw("DROP TRIGGER audit_log_no_change ON audit_log").run()
                }
                try await tx.sql.raw("""
                    UPDATE audit_log SET detail = '{"hash":"0000","state":"signed"}' WHERE sequence = \(bind: sequence)
                    """).run()
            }
            #expect(try await AuditStore(database: app.database).firstBreak() == sequence)
            let trace = try await app.send(.get, "/api/v1/prescriptions/\(id)/trace", token: doctor)
            #expect(trace.json["verifies"] as? Bool == false)
            let broken = (trace.json["entries"] as? [[String: Any]] ?? []).filter { $0["verifies"] as? Bool == false }
            #expect(broken.compactMap { $0["sequence"] as? Int }.map(Int64.init) == [sequence])
        }
    }

    @Test("a doctor at two internet hospitals is booked at one of them, and the prescription is reviewed there")
    func multiSitePractice() async throws {
        try await withApp { app in
            // The cardiologist also practises on the platform.
            try await app.database.unitOfWork { tx in
                try await tx.sql.raw("""
                    INSERT INTO doctor_practice_sites (doctor_id, institution_id)
                    VALUES (\(bind: ConsultationRoutesTests.cardiologist.text), \(bind: DemoWorld.Institutions.platform.text))
                    """).run()
            }
            let patient = try await app.signIn(Demo.patientPhone)
            let encounter = try await app.send(.post, "/api/v1/patients/\(Demo.patientId(Demo.patientPhone).text)/encounters", token: patient,
                                               json: ["hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "2026-06-01", "icd10": "I10"])
            let encounterId = try #require(encounter.string("id"))
            let unnamed = try await app.send(.post, "/api/v1/orders", token: patient, json: [
                "doctorId": ConsultationRoutesTests.cardiologist.text, "service": "textPackage", "encounterId": encounterId,
            ], headers: ConsultationRoutesTests.key())
            #expect(unnamed.status == .badRequest)
            let order = try await app.send(.post, "/api/v1/orders", token: patient, json: [
                "doctorId": ConsultationRoutesTests.cardiologist.text, "service": "textPackage", "encounterId": encounterId,
                "siteId": DemoWorld.Institutions.platform.text,
            ], headers: ConsultationRoutesTests.key())
            #expect(order.status == .created)
            _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: patient, json: ["amountFen": 20_000], headers: ConsultationRoutesTests.key())
            let paid = try await app.send(.post, "/api/v1/orders/\(try #require(order.string("id")))/pay", token: patient,
                                          headers: ConsultationRoutesTests.key())
            let consultation = try #require(paid.string("consultationId"))
            let doctor = try await app.signIn(Demo.doctorPhone)
            #expect(try await app.send(.post, "/api/v1/consultations/\(consultation)/accept", token: doctor).status == .ok)
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
                "diagnosis": "I10", "items": [anItem(Shelf.amlodipine, dose: 5)],
            ])
            #expect(draft.string("institutionId")?.lowercased() == DemoWorld.Institutions.platform.text)
            let id = try #require(draft.string("id"))
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(id)/sign", token: doctor).status == .ok)
            let platformPharmacist = try await app.signIn(Self.otherPharmacist)
            #expect(try await app.send(.get, "/api/v1/pharmacists/me/review-queue", token: platformPharmacist).items.count == 1)
            let hospitalPharmacist = try await app.signIn(Self.reviewer)
            #expect(try await app.send(.get, "/api/v1/pharmacists/me/review-queue", token: hospitalPharmacist).items.isEmpty)
        }
    }
}
