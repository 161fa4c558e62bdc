import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

/// One prescription taken all the way round the loop through the API.
struct TracedLoop {
    var prescription: String
    var order: String
    var consultation: String
    var patient: String
    var patientId: UUID
    var codes: [String]
    var fundFen: Int64?
}

extension Harness {
    /// The asthma patient, insured in Quzhou, books and pays a follow-up with the respiratory
    /// doctor, exchanges a message; the doctor prescribes salbutamol and signs; the pharmacist
    /// approves; the patient reserves it at 荷花店 for O2O delivery and pays with insurance; the
    /// staff dispense it with its codes; the courier delivers; the patient confirms receipt.
    func aDeliveredAndSettledPrescription() async throws -> TracedLoop {
        let patient = try await anInsuredPatient(Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                 insuredNumber: "33080000000005")
        let (_, paid) = try await aSettledFollowUp(patient, doctor: Insured.respiratoryDoctor, site: nil,
                                                   encounter: Insured.priorVisit(Insured.asthmaPatient), topUpFen: 100_000)
        let consultation = try #require(paid.string("consultationId"), "\(paid.text)")
        let doctor = try await signIn(Insured.respiratoryDoctorPhone)
        #expect(try await send(.post, "/api/v1/consultations/\(consultation)/accept", token: doctor).status == .ok)
        #expect(try await send(.post, "/api/v1/consultations/\(consultation)/messages", token: patient,
                               json: ["text": "气喘又犯了"]).status == .created)
        #expect(try await send(.post, "/api/v1/consultations/\(consultation)/messages", token: doctor,
                               json: ["text": "继续用沙丁胺醇"]).status == .created)
        let draft = try await send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
            "diagnosis": "J45.9", "items": [anItem(DrugSettlementTests.salbutamol, dose: 2, unit: "puff", timesPerDay: 2, days: 7)],
        ])
        let prescription = try #require(draft.string("id"), "\(draft.text)")
        let quantity = try #require((draft.json["items"] as? [[String: Any]])?.first?["quantity"] as? Int)
        #expect(try await send(.post, "/api/v1/prescriptions/\(prescription)/sign", token: doctor).status == .ok)
        let pharmacist = try await signIn(PrescriptionFlowTests.reviewer)
        #expect(try await send(.post, "/api/v1/prescriptions/\(prescription)/review", token: pharmacist,
                               json: ["decision": "approve"]).status == .ok)
        let reserved = try await send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
            "pharmacyId": MedicineOrderTests.hehua.text, "mode": "o2o", "lat": 28.9650, "lon": 118.8720,
        ], headers: ConsultationRoutesTests.key())
        let order = try #require(reserved.string("id"), "\(reserved.text)")
        let payment = try await send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient, headers: ConsultationRoutesTests.key())
        #expect(payment.status == .ok, "\(payment.text)")
        let codes = (1...quantity).map { aTraceabilityCode("8100171", package: 9000 + $0) }
        let staff = try await signIn(MedicineOrderTests.staffOfHehua)
        let dispensed = try await send(.post, "/api/v1/medicine-orders/\(order)/dispense", token: staff, json: ["codes": codes])
        #expect(dispensed.status == .ok, "\(dispensed.text)")
        let courier = try await signIn(MedicineOrderTests.courierOfHehua)
        for status in ["pickedUp", "inTransit", "delivered"] {
            #expect(try await send(.post, "/api/v1/medicine-orders/\(order)/delivery", token: courier, json: ["status": status]).status == .ok)
        }
        #expect(try await send(.post, "/api/v1/medicine-orders/\(order)/receipt", token: patient).string("state") == "received")
        let settlement = try await settlements(patient).first { ($0["medicineOrderId"] as? String)?.lowercased() == order.lowercased() }
        return TracedLoop(prescription: prescription, order: order, consultation: consultation, patient: patient,
                          patientId: Demo.patientId(Insured.asthmaPatient), codes: codes,
                          fundFen: settlement.flatMap { fen($0, "fundFen") })
    }
}

@Suite("Supervision: the full-process trace of a prescription, finding prescriptions to trace, data-access views, the provincial report")
struct SupervisionTraceTests {
    @Test("the trace of a delivered and settled prescription shows every step and verifies")
    func wholeTrace() async throws {
        try await withApp { app in
            let loop = try await app.aDeliveredAndSettledPrescription()
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let reads = try await app.auditCount(action: "supervision.trace.read", patientId: loop.patientId)
            let trace = try await app.send(.get, "/api/v1/supervision/traces/\(loop.prescription)", token: regulator)
            #expect(trace.status == .ok, "\(trace.text)")
            #expect(trace.json["verifies"] as? Bool == true)
            #expect(trace.json["complete"] as? Bool == true)
            // The prescribing internet hospital's district, within the Quzhou regulator's city.
            #expect(trace.json["region"] as? String == "330802")
            let steps = try #require(trace.json["steps"] as? [[String: Any]])
            #expect(steps.compactMap { $0["step"] as? String } == TraceStep.allCases.map(\.rawValue))
            #expect(steps.allSatisfy { $0["status"] as? String == "present" }, "\(steps)")

            let consultation = try #require(trace.json["consultation"] as? [String: Any])
            #expect((consultation["id"] as? String)?.lowercased() == loop.consultation.lowercased())
            #expect(consultation["service"] as? String == "textPackage")
            #expect(consultation["messageCount"] as? Int == 2)
            let prescription = try #require(trace.json["prescription"] as? [String: Any])
            #expect(prescription["diagnosis"] as? String == "J45.9")
            #expect(prescription["signatureProblems"] as? [String] == [])
            let items = try #require(prescription["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect((items.first?["drugId"] as? String)?.lowercased() == DrugSettlementTests.salbutamol.text)
            #expect(items.first?["nameZh"] as? String == "硫酸沙丁胺醇吸入气雾剂")
            let review = try #require(trace.json["review"] as? [String: Any])
            #expect(review["verdict"] as? String == "approved")
            #expect((review["pharmacistAccountId"] as? String)?.lowercased() == Demo.accountId(PrescriptionFlowTests.reviewer).text)
            let order = try #require(trace.json["order"] as? [String: Any])
            #expect((order["id"] as? String)?.lowercased() == loop.order.lowercased())
            #expect((order["pharmacyId"] as? String)?.lowercased() == MedicineOrderTests.hehua.text)
            #expect(order["state"] as? String == "received")
            #expect((order["codes"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == loop.codes.sorted())
            #expect((order["deliverySteps"] as? [[String: Any]])?.compactMap { $0["status"] as? String }
                    == ["pickedUp", "inTransit", "delivered"])
            let settlement = try #require(trace.json["settlement"] as? [String: Any])
            #expect(loop.fundFen != nil && fen(settlement, "fundFen") == loop.fundFen)
            #expect(fen(settlement, "totalFen") == fen(settlement, "fundFen")! + fen(settlement, "personalAccountFen")!
                    + fen(settlement, "selfPayFen")!)
            let trail = try #require(trace.json["trail"] as? [[String: Any]])
            #expect(trail.compactMap { $0["event"] as? String }
                    == ["drafted", "signed", "approved", "routed", "reserved", "paid", "dispensed", "delivered"])
            #expect(trail.allSatisfy { $0["verifies"] as? Bool == true })
            #expect(trace.json["auditChainBreak"] == nil)
            // Reading it is a read of the patient's data, audited with the patient.
            #expect(try await app.auditCount(action: "supervision.trace.read", patientId: loop.patientId) == reads + 1)
        }
    }

    @Test("a trail entry edited in the database makes the trace fail to verify, and shows which entry")
    func tamperedTrail() async throws {
        try await withApp { app in
            let loop = try await app.aDeliveredAndSettledPrescription()
            let regulator = try await app.signIn(Demo.regulatorPhone)
            // An intruder with the database: lift the append-only guard and edit the approval.
            try await app.database.unitOfWork { tx in
                switch tx.engine {
                case .sqlite: try await tx.sql.raw("DROP TRIGGER audit_log_no_update").run()
                case .postgres: try await tx.sql.raw("DROP TRIGGER audit_log_no_change ON audit_log").run()
                }
                try await tx.sql.raw("""
                    UPDATE audit_log SET detail = \(bind: #"{"state":"approved"}"#)
                    WHERE resource_type = 'prescription' AND resource_id = \(bind: loop.prescription.lowercased())
                      AND action = 'prescription.approved'
                    """).run()
            }
            let trace = try await app.send(.get, "/api/v1/supervision/traces/\(loop.prescription)", token: regulator)
            #expect(trace.status == .ok)
            #expect(trace.json["verifies"] as? Bool == false)
            let trail = try #require(trace.json["trail"] as? [[String: Any]])
            #expect(trail.filter { $0["verifies"] as? Bool == false }.compactMap { $0["event"] as? String } == ["approved"])
            let approved = try #require(try await app.database.read { sql in
                try await sql.raw("""
                    SELECT sequence FROM audit_log WHERE resource_id = \(bind: loop.prescription.lowercased()) AND action = 'prescription.approved'
                    """).first()?.decode(column: "sequence", as: Int64.self)
            })
            #expect((trace.json["auditChainBreak"] as? Int).map(Int64.init) == approved)
            // The steps are still all there: tampering is told apart from a gap.
            #expect(trace.json["complete"] as? Bool == true)
        }
    }

    @Test("another region's regulator gets 403, audited, and finds nothing of this region; a patient or a doctor gets 403")
    func otherRegion() async throws {
        try await withApp { app in
            let loop = try await app.aDeliveredAndSettledPrescription()
            let stranger = try await app.aGuangzhouRegulator()
            let denied = try await app.auditCount(action: "supervision.trace.read", outcome: .denied)
            let reply = try await app.send(.get, "/api/v1/supervision/traces/\(loop.prescription)", token: stranger)
            #expect(reply.status == .forbidden)
            #expect(reply.isStandardError)
            #expect(try await app.auditCount(action: "supervision.trace.read", outcome: .denied) == denied + 1)
            #expect(try await app.auditCount(action: "supervision.trace.read", outcome: .success, patientId: loop.patientId) == 0)
            let found = try await app.send(.get, "/api/v1/supervision/traces?patient=\(loop.patientId.text)", token: stranger)
            #expect(found.status == .ok)
            #expect(found.items.isEmpty)
            for phone in [Insured.asthmaPatient, Insured.respiratoryDoctorPhone] {
                let token = try await app.signIn(phone)
                #expect(try await app.send(.get, "/api/v1/supervision/traces/\(loop.prescription)", token: token).status == .forbidden)
            }
            let regulator = try await app.signIn(Demo.regulatorPhone)
            #expect(try await app.send(.get, "/api/v1/supervision/traces/\(UUID().text)", token: regulator).status == .notFound)
        }
    }

    @Test("a regulator finds a prescription by a traceability code it went out on, by its patient and by its doctor; a bad search is a 400")
    func finding() async throws {
        try await withApp { app in
            let loop = try await app.aDeliveredAndSettledPrescription()
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let doctor = Demo.accountId(Insured.respiratoryDoctorPhone)
            for query in ["code=\(loop.codes[0])", "patient=\(loop.patientId.text)", "doctor=\(doctor.text)"] {
                let found = try await app.send(.get, "/api/v1/supervision/traces?\(query)", token: regulator)
                #expect(found.status == .ok, "\(found.text)")
                #expect(found.items.compactMap { ($0["prescriptionId"] as? String)?.lowercased() } == [loop.prescription.lowercased()],
                        "\(query)")
            }
            let unknown = try await app.send(.get, "/api/v1/supervision/traces?code=\(aTraceabilityCode("8100171", package: 1))",
                                             token: regulator)
            #expect(unknown.items.isEmpty)
            for bad in ["", "?code=123", "?code=\(loop.codes[0])&patient=\(loop.patientId.text)", "?patient=nope"] {
                let reply = try await app.send(.get, "/api/v1/supervision/traces\(bad)", token: regulator)
                #expect(reply.status == .badRequest, "\(bad)")
                #expect(reply.isStandardError)
            }
        }
    }

    @Test("the access log shows who read a patient's data, when, from where and for which purpose; the patient sees the purpose too")
    func accessLog() async throws {
        try await withApp { app in
            let loop = try await app.aDeliveredAndSettledPrescription()
            let regulator = try await app.signIn(Demo.regulatorPhone)
            _ = try await app.send(.get, "/api/v1/supervision/traces/\(loop.prescription)", token: regulator)
            let log = try await app.send(.get, "/api/v1/supervision/access-log?patient=\(loop.patientId.text)&limit=100", token: regulator)
            #expect(log.status == .ok, "\(log.text)")
            #expect(log.items.allSatisfy { ($0["patientId"] as? String)?.lowercased() == loop.patientId.text })
            let trace = try #require(log.items.first { $0["action"] as? String == "supervision.trace.read" })
            #expect(trace["purpose"] as? String == "supervision")
            #expect(trace["actorRole"] as? String == "regulator")
            #expect(trace["at"] as? String != nil)
            let purposes = Set(log.items.compactMap { $0["purpose"] as? String })
            #expect(purposes.isSuperset(of: ["supervision", "prescribing", "prescriptionReview", "dispensing"]), "\(purposes)")
            // The reads of staff in Quzhou's institutions are Quzhou's regulator's to see, not another region's.
            let elsewhere = try await app.send(.get, "/api/v1/supervision/access-log?patient=\(loop.patientId.text)&limit=100",
                                               token: try await app.aGuangzhouRegulator())
            #expect(elsewhere.status == .ok)
            #expect(elsewhere.items.allSatisfy { $0["actorRole"] as? String == "regulator" }, "\(elsewhere.text)")
            #expect(!elsewhere.items.contains { $0["purpose"] as? String == "dispensing" || $0["purpose"] as? String == "prescribing" })
            let byActor = try await app.send(.get, "/api/v1/supervision/access-log?actor=\(Demo.accountId(Demo.regulatorPhone).text)",
                                             token: regulator)
            #expect(byActor.items.allSatisfy { $0["actorRole"] as? String == "regulator" })
            #expect(!byActor.items.isEmpty)
            let own = try await app.send(.get, "/api/v1/me/access-log?limit=100", token: loop.patient)
            #expect(own.items.contains { $0["purpose"] as? String == "supervision" })
            for phone in [Demo.operatorPhone, Insured.asthmaPatient] {
                let token = try await app.signIn(phone)
                #expect(try await app.send(.get, "/api/v1/supervision/access-log", token: token).status == .forbidden)
            }
            #expect(try await app.send(.get, "/api/v1/supervision/access-log?from=nope", token: regulator).status == .badRequest)
        }
    }

    @Test("the daily report of a day with a settled prescription holds its records, one a line, and its signature verifies under the platform key")
    func dailyReport() async throws {
        try await withApp { app in
            let loop = try await app.aDeliveredAndSettledPrescription()
            let keys = PlatformKeyStore(database: app.database, cipher: app.services.cipher)
            let traces = app.services.stores.traces
            #expect(try await traces.reportRegions().map(\.value) == ["330800"])
            let day = CalendarDate.shanghai(app.clock.now())
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medloop-report-\(UUID().text)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let written = try await keys.write(try await traces.report(region: try RegionCode("330800"), day: day), into: directory,
                                               at: app.clock.now())
            #expect(written.ndjson.lastPathComponent == "report-330800-\(day).ndjson")
            #expect(written.signature.lastPathComponent == "report-330800-\(day).sig")
            let file = try Data(contentsOf: written.ndjson)
            let signature = try JSONDecoder().decode(ReportSignature.self, from: Data(contentsOf: written.signature))
            let published = try await keys.publicKey(at: app.clock.now())
            #expect(ReportSigning.problems(file, signature: signature, trustedKey: published).isEmpty)
            var edited = file
            edited[10] ^= 1
            #expect(!ReportSigning.problems(edited, signature: signature, trustedKey: published).isEmpty)

            // The follow-up consultation, the prescription, its dispense, and two settlements: the
            // consultation's fee and the drugs.
            #expect(written.report.counts == ["consultation": 1, "prescription": 1, "dispense": 1, "settlement": 2])
            let lines = String(decoding: file, as: UTF8.self).split(separator: "\n").map(String.init)
            #expect(lines.count == 6)
            let records = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            #expect(records.compactMap { $0["type"] as? String } == ["header", "consultation", "prescription", "dispense", "settlement", "settlement"])
            let dispense = try #require(records.first { $0["type"] as? String == "dispense" })
            #expect(dispense["codes"] as? [String] == loop.codes.sorted())
            // The prescription's items, read by the day's filter (a province's day holds more
            // prescriptions than a statement takes binds).
            let prescription = try #require(records.first { $0["type"] as? String == "prescription" })
            let items = try #require(prescription["items"] as? [[String: Any]])
            #expect(!items.isEmpty && items.allSatisfy { ($0["quantity"] as? Int ?? 0) > 0 && $0["drugId"] is String })
            #expect((dispense["prescriptionId"] as? String)?.lowercased() == loop.prescription.lowercased())
            #expect(records.contains { ($0["medicineOrderId"] as? String)?.lowercased() == loop.order.lowercased() })
            // No plain personal identifier: no phone, no name, no national ID.
            let text = String(decoding: file, as: UTF8.self)
            #expect(!text.contains(Insured.asthmaPatient))
            #expect(!text.contains("33080000000005"))
            // Another day and another region have nothing.
            let before = try await traces.report(region: try RegionCode("330800"), day: CalendarDate(year: 2020, month: 1, day: 1)!)
            #expect(before.records.isEmpty)
            #expect(try await traces.report(region: try RegionCode("440100"), day: day).counts["dispense"] == 0)
            // The key is made once: a second report is signed with the same key.
            #expect(try await keys.publicKey(at: app.clock.now()) == signature.publicKey)
        }
    }

    @Test("the trace page finds a prescription by its code and shows the whole chain; the access page shows each read's purpose")
    func pages() async throws {
        try await withApp { app in
            let loop = try await app.aDeliveredAndSettledPrescription()
            let regulator = WebBrowser(app)
            _ = try await regulator.signIn(Demo.regulatorPhone)
            let found = try await regulator.get("/traces?by=code&q=\(loop.codes[0])")
            #expect(found.status == .ok)
            #expect(found.text.lowercased().contains("href=\"/traces?prescription=\(loop.prescription.lowercased())\""))
            let byPatient = try await regulator.get("/traces?by=patient&q=\(loop.patientId.text)")
            #expect(byPatient.text.lowercased().contains(loop.prescription.lowercased()))
            let chain = try await regulator.get("/traces?prescription=\(loop.prescription)")
            #expect(chain.status == .ok)
            #expect(chain.text.contains("id=\"chain-verdict\">✔"))
            #expect(chain.text.components(separatedBy: "class=\"step-present\"").count - 1 == TraceStep.allCases.count)
            for code in loop.codes { #expect(chain.text.contains(code)) }
            for words in ["药师审方", "医保结算", "配送", "签收"] { #expect(chain.text.contains(words)) }
            let refused = try await regulator.get("/traces?by=doctor&q=nobody")
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("id=\"prescription-error\""))
            let access = try await regulator.get("/supervision/access?patient=\(loop.patientId.text)&from=2020-01-01")
            #expect(access.status == .ok)
            #expect(access.text.contains("class=\"purpose-supervision\">监管"))
            let stranger = WebBrowser(app)
            _ = try await stranger.signIn(Insured.asthmaPatient)
            #expect(try await stranger.get("/supervision/access").status == .forbidden)
        }
    }
}
