import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

/// Crafting the fraud cases: one real flow through the API, then copies of its rows with another
/// doctor, time, institution or amount, as a busy platform would have written them.
extension Harness {
    /// Copies prescription `source` (and its items) as `id`, by `doctorPhone`, signed at `signedAt`,
    /// with `days` of supply on every item; `overrides` replaces the overrides when given.
    func aCopiedPrescription(of source: String, doctorPhone: String, signedAt: Date, days: Int? = nil,
                             overrides: String? = nil) async throws -> UUID {
        let id = UUID()
        let overridesColumn: SQLQueryString = overrides.map { "\(bind: $0)" } ?? "overrides"
        try await database.unitOfWork { tx in
            try await tx.sql.raw("""
                INSERT INTO prescriptions (id, consultation_id, patient_id, doctor_account_id, institution_id, diagnosis_icd10, state,
                                           valid_days, findings, overrides, created_at, updated_at, signed_at, valid_until)
                SELECT \(bind: id.text), consultation_id, patient_id, \(bind: Demo.accountId(doctorPhone).text), institution_id,
                       diagnosis_icd10, 'approved', valid_days, findings, \(overridesColumn),
                       \(bind: signedAt.epochMillis), \(bind: signedAt.epochMillis), \(bind: signedAt.epochMillis), valid_until
                FROM prescriptions WHERE id = \(bind: source.lowercased())
                """).run()
            try await tx.sql.raw("""
                INSERT INTO prescription_items (prescription_id, position, drug_id, dose, dose_unit, times_per_day, route, days, quantity)
                SELECT \(bind: id.text), position, drug_id, dose, dose_unit, times_per_day, route,
                       \(unsafeRaw: days.map(String.init) ?? "days"), quantity
                FROM prescription_items WHERE prescription_id = \(bind: source.lowercased())
                """).run()
            try await Self.countSignature(of: id.text, in: tx)
        }
        return id
    }

    /// Counts a copied prescription's signature in its doctor's day (`DoctorVolumes`), as signing
    /// it would have.
    static func countSignature(of prescription: String, in tx: Transaction) async throws {
        let row = try #require(try await tx.sql.raw("""
            SELECT d.id, d.department, p.signed_at FROM prescriptions p JOIN doctors d ON d.account_id = p.doctor_account_id
            WHERE p.id = \(bind: prescription.lowercased())
            """).first())
        let doctor = try #require(UUID(uuidString: try row.decode(column: "id", as: String.self)))
        try await DoctorVolumes.count(.prescriptions, doctor: doctor,
                                      department: try row.decode(column: "department", as: String.self),
                                      at: try row.decode(column: "signed_at", as: Int64.self).asInstant, in: tx)
    }

    /// Copies settlement `source` as a new settlement (of no order) at `institution`, `at`, for `totalFen`.
    func aCopiedSettlement(of source: UUID, institution: UUID, at: Date, totalFen: Int64? = nil) async throws -> UUID {
        let id = UUID.v7(at: at)
        try await database.unitOfWork { tx in
            try await tx.sql.raw("""
                INSERT INTO settlements (id, kind, patient_id, account_id, insured_person_id, region, policy_version, scheme, level,
                    institution_id, quota_institution_id, year, service_day, clearing_day, covered, reason, ratio_bp, total_fen,
                    full_own_pay_fen, over_limit_fen, pre_self_pay_fen, in_scope_fen, deductible_fen, fixed_fund_fen, fund_fen,
                    co_insurance_fen, over_cap_fen, self_share_fen, personal_account_fen, cash_fen, explanation, created_at)
                SELECT \(bind: id.text), kind, patient_id, account_id, insured_person_id, region, policy_version, scheme, level,
                    \(bind: institution.text), quota_institution_id, year, service_day, clearing_day, covered, reason, ratio_bp,
                    \(unsafeRaw: totalFen.map(String.init) ?? "total_fen"),
                    full_own_pay_fen, over_limit_fen, pre_self_pay_fen, in_scope_fen, deductible_fen, fixed_fund_fen, fund_fen,
                    co_insurance_fen, over_cap_fen, self_share_fen, personal_account_fen, cash_fen, explanation, \(bind: at.epochMillis)
                FROM settlements WHERE id = \(bind: source.text)
                """).run()
        }
        return id
    }

    /// Removes copied settlements once a test has read them: the books' check at the end of every
    /// app test would find copies without lines or year-to-date entries.
    func removeSettlements(_ ids: [UUID]) async throws {
        try await database.unitOfWork { tx in
            try await tx.sql.raw("DELETE FROM settlements WHERE id IN (\(binds: ids.map(\.text)))").run()
        }
    }

    /// The outbox's event of `kind` about `subject`.
    func storedEvent(_ kind: EventKind, subject: String) async throws -> DomainEvent {
        let events = try await EventStore(database: database).events(after: 0, limit: 10_000).map(\.event)
        return try #require(events.last { $0.kind == kind && $0.subjectId.text == subject.lowercased() })
    }

    /// The alerts of `rule` the shipped (or given) rules raise on `event`.
    func alerts(_ rule: FraudRuleName, on event: DomainEvent, rules: FraudRuleSet = .shipped) async throws -> [AlertDraft] {
        try await FraudFacts(database: database).evaluate(event, rules: rules).filter { $0.rule == rule.rawValue }
    }

    func signedAt(_ prescription: String) async throws -> Date {
        try await database.read { sql in
            try #require(try await sql.raw("SELECT signed_at FROM prescriptions WHERE id = \(bind: prescription.lowercased())").first())
                .decode(column: "signed_at", as: Int64.self)
        }.asInstant
    }
}

private extension Int64 {
    var asInstant: Date { Date(timeIntervalSince1970: TimeInterval(self) / 1000) }
}

/// Demo doctors of cardiology: doctor 1 (tertiary hospital) and doctor 16 (secondary hospital);
/// doctor 2 is an endocrinologist.
private enum Doctors {
    static let first = "13900000001"
    static let cardiologyPeer = "13900000016"
    static let endocrinologist = "13900000002"
}

@Suite("Fraud facts: each rule fires on a crafted case in the database and stays silent on a normal one")
struct FraudFactsTests {
    @Test("a refill a day into a 7-day supply fires early refill and split prescription; six days in, neither does")
    func earlyRefillAndSplit() async throws {
        try await withApp { app in
            let (prescription, _, _) = try await app.anApprovedPrescription()
            let signed = try await app.signedAt(prescription)
            let event = try await app.storedEvent(.prescriptionSigned, subject: prescription)

            _ = try await app.aCopiedPrescription(of: prescription, doctorPhone: Doctors.first, signedAt: signed.addingTimeInterval(-6 * 86_400))
            #expect(try await app.alerts(.earlyRefill, on: event).isEmpty)
            #expect(try await app.alerts(.splitPrescription, on: event).isEmpty)
            #expect(try await app.alerts(.sameDrugSeveralDoctors, on: event).isEmpty)

            let dayBefore = try await app.aCopiedPrescription(of: prescription, doctorPhone: Doctors.first,
                                                              signedAt: signed.addingTimeInterval(-86_400))
            let refill = try #require(try await app.alerts(.earlyRefill, on: event).first)
            #expect(refill.evidence["usedPercent"] == "14.29")
            #expect(refill.entities.contains(AlertEntity(type: "prescription", id: dayBefore)))
            #expect(refill.region.value == "330802")
            let split = try #require(try await app.alerts(.splitPrescription, on: event).first)
            #expect(split.evidence["totalDays"] == "14")
        }
    }

    @Test("amlodipine from three doctors in 10 days fires same-drug-from-several-doctors; from two it does not")
    func severalDoctors() async throws {
        try await withApp { app in
            let (prescription, _, _) = try await app.anApprovedPrescription()
            let signed = try await app.signedAt(prescription)
            let event = try await app.storedEvent(.prescriptionSigned, subject: prescription)
            _ = try await app.aCopiedPrescription(of: prescription, doctorPhone: Doctors.cardiologyPeer,
                                                  signedAt: signed.addingTimeInterval(-10 * 86_400))
            #expect(try await app.alerts(.sameDrugSeveralDoctors, on: event).isEmpty)
            _ = try await app.aCopiedPrescription(of: prescription, doctorPhone: Doctors.endocrinologist,
                                                  signedAt: signed.addingTimeInterval(-5 * 86_400))
            let draft = try #require(try await app.alerts(.sameDrugSeveralDoctors, on: event).first)
            #expect(draft.evidence["doctors"] == "3")
            #expect(draft.entities.contains(AlertEntity(type: "doctor", id: UUID.named("doctor:16"))))
            // Five days into a 7-day supply is 71 %: not early.
            #expect(try await app.alerts(.earlyRefill, on: event).isEmpty)
        }
    }

    @Test("four prescriptions in a day against a cardiology peer's none fires the volume rule; the same as the peer does not")
    func prescriptionVolume() async throws {
        try await withApp { app in
            var rules = FraudRuleSet.shipped
            // The demo world has two doctors per department: one peer is enough here.
            rules.doctorVolumeAbovePeers.minimumPeers = 1
            rules.doctorVolumeAbovePeers.minimumCount = 3
            let (prescription, _, _) = try await app.anApprovedPrescription()
            let signed = try await app.signedAt(prescription)
            let event = try await app.storedEvent(.prescriptionSigned, subject: prescription)
            for _ in 0..<3 {
                _ = try await app.aCopiedPrescription(of: prescription, doctorPhone: Doctors.first, signedAt: signed)
            }
            let draft = try #require(try await app.alerts(.doctorVolumeAbovePeers, on: event, rules: rules).first)
            #expect(draft.evidence["count"] == "4")
            #expect(draft.evidence["measure"] == "prescriptions")
            #expect(draft.entities == [AlertEntity(type: "doctor", id: UUID.named("doctor:1"))])
            #expect(try await app.alerts(.doctorVolumeAbovePeers, on: event).isEmpty)   // shipped: four peers at least

            for _ in 0..<4 {
                _ = try await app.aCopiedPrescription(of: prescription, doctorPhone: Doctors.cardiologyPeer, signedAt: signed)
            }
            #expect(try await app.alerts(.doctorVolumeAbovePeers, on: event, rules: rules).isEmpty)
        }
    }

    @Test("a completed consultation counts towards the doctor's day against the department's peers")
    func consultationVolume() async throws {
        try await withApp { app in
            var rules = FraudRuleSet.shipped
            rules.doctorVolumeAbovePeers.minimumPeers = 1
            rules.doctorVolumeAbovePeers.minimumCount = 1
            let (consultation, _, doctor) = try await app.anAcceptedConsultation()
            let completed = try await app.send(.post, "/api/v1/consultations/\(consultation)/complete", token: doctor,
                                               json: ["diagnosis": "I10"])
            #expect(completed.status == .ok, "\(completed.text)")
            let event = try await app.storedEvent(.consultationCompleted, subject: consultation)
            let draft = try #require(try await app.alerts(.doctorVolumeAbovePeers, on: event, rules: rules).first)
            #expect(draft.evidence["measure"] == "consultations")
            #expect(draft.evidence["count"] == "1")
            // One consultation a day is never unusual under the shipped minimum of 20.
            #expect(try await app.alerts(.doctorVolumeAbovePeers, on: event).isEmpty)
        }
    }

    @Test("overriding a contraindication on every prescription where the peer never does fires; the same share as the peer does not")
    func overrides() async throws {
        try await withApp { app in
            var rules = FraudRuleSet.shipped
            rules.overridesAbovePeers.minimumPeers = 1
            rules.overridesAbovePeers.minimumPrescriptions = 2
            let (consultation, _, doctor) = try await app.anAcceptedConsultation()
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
                "diagnosis": "I10", "items": [anItem(Shelf.simvastatin, dose: 20), anItem(Shelf.clarithromycin, dose: 250, timesPerDay: 2)],
            ])
            let prescription = try #require(draft.string("id"))
            for finding in draft.json["findings"] as? [[String: Any]] ?? [] where finding["blocksSigning"] as? Bool == true {
                #expect(try await app.send(.post, "/api/v1/prescriptions/\(prescription)/overrides", token: doctor, json: [
                    "rule": finding["rule"] as Any, "drugIds": finding["drugIds"] as Any, "reason": "短期联用，已嘱患者监测肌痛",
                ]).status == .ok)
            }
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(prescription)/sign", token: doctor).status == .ok)
            let signed = try await app.signedAt(prescription)
            let event = try await app.storedEvent(.prescriptionSigned, subject: prescription)
            _ = try await app.aCopiedPrescription(of: prescription, doctorPhone: Doctors.first, signedAt: signed.addingTimeInterval(-86_400))
            var copies: [UUID] = []
            for day in 2...3 {
                copies.append(try await app.aCopiedPrescription(of: prescription, doctorPhone: Doctors.cardiologyPeer,
                                                                signedAt: signed.addingTimeInterval(-Double(day) * 86_400), overrides: "[]"))
            }
            let peers = copies
            let alert = try #require(try await app.alerts(.overridesAbovePeers, on: event, rules: rules).first)
            #expect(alert.evidence["overriddenPercent"] == "100")
            #expect(alert.evidence["peerMedianPercent"] == "0")

            try await app.database.unitOfWork { tx in
                try await tx.sql.raw("""
                    UPDATE prescriptions SET overrides = (SELECT overrides FROM prescriptions WHERE id = \(bind: prescription.lowercased()))
                    WHERE id IN (\(binds: peers.map(\.text)))
                    """).run()
            }
            #expect(try await app.alerts(.overridesAbovePeers, on: event, rules: rules).isEmpty)
        }
    }

    @Test("settlements of one insured person in Quzhou and Guangzhou an hour apart fire; in two Quzhou hospitals they do not")
    func twoCities() async throws {
        try await withApp { app in
            let (first, region) = try await Self.aSettlement(app)
            let at = try await Self.createdAt(app, first)
            let quzhou = try await app.aCopiedSettlement(of: first, institution: DemoWorld.Institutions.tertiaryHospital,
                                                         at: at.addingTimeInterval(3600))
            let quzhouEvent = DomainEvent.settlement(.insuranceSettled, quzhou, region: region,
                                                     institution: DemoWorld.Institutions.tertiaryHospital, fundFen: 0, at: at)
            #expect(try await app.alerts(.settlementInTwoCities, on: quzhouEvent).isEmpty)

            let guangzhou = try await app.aCopiedSettlement(of: first, institution: DemoWorld.Institutions.guangzhouInternetHospital,
                                                            at: at.addingTimeInterval(2 * 3600))
            let event = DomainEvent.settlement(.insuranceSettled, guangzhou, region: region,
                                               institution: DemoWorld.Institutions.guangzhouInternetHospital, fundFen: 0, at: at)
            let draft = try #require(try await app.alerts(.settlementInTwoCities, on: event).first)
            #expect(draft.evidence["secondCity"] == "440100")
            #expect(draft.evidence["firstCity"] == "330800")
            #expect(draft.region.value == "440104")
            #expect(draft.evidence.values.allSatisfy { !$0.contains("13800000005") })
            try await app.removeSettlements([quzhou, guangzhou])
        }
    }

    @Test("three settlements of a day at one institution just under 1000 yuan fire; two with an ordinary one before do not")
    func justUnderThreshold() async throws {
        try await withApp { app in
            let (first, region) = try await Self.aSettlement(app)
            let at = try await Self.createdAt(app, first)
            let siteText = try await app.database.read { sql in
                try await sql.raw("SELECT institution_id FROM settlements WHERE id = \(bind: first.text)").first()?
                    .decode(column: "institution_id", as: String.self)
            }
            let site = try #require(siteText.flatMap(UUID.init(uuidString:)))
            var copies: [UUID] = []
            for (hour, total) in [(1, 99_000), (2, 98_500), (3, 99_900)] as [(Double, Int64)] {
                copies.append(try await app.aCopiedSettlement(of: first, institution: site, at: at.addingTimeInterval(hour * 3600),
                                                              totalFen: total))
                let event = DomainEvent.settlement(.insuranceSettled, copies.last!, region: region, institution: site, fundFen: 0, at: at)
                let alerts = try await app.alerts(.settlementsJustUnderThreshold, on: event)
                #expect(alerts.count == (copies.count == 3 ? 1 : 0))
                if let alert = alerts.first {
                    #expect(alert.evidence["totalsFen"] == "99900, 98500, 99000")
                }
            }
            try await app.removeSettlements(copies)
        }
    }

    @Test("a pharmacy dispensing amlodipine it never recorded receiving fires; once staff record a delivery of 5 boxes in the window it does not")
    func dispensingAboveReceipts() async throws {
        try await withApp { app in
            var rules = FraudRuleSet.shipped
            rules.dispensingAboveReceipts.minimumDispensed = 1
            let order = try await Self.aDispensedOrder(app, code: aTraceabilityCode("8100002", package: 501))
            let event = try await app.storedEvent(.medicineOrderDispensed, subject: order)
            let draft = try #require(try await app.alerts(.dispensingAboveReceipts, on: event, rules: rules).first)
            #expect(draft.evidence["dispensed"] == "1")
            #expect(draft.evidence["received"] == "0")
            #expect(try await app.alerts(.dispensingAboveReceipts, on: event).isEmpty)   // shipped: 50 boxes at least

            let staff = try await app.signIn(MedicineOrderTests.staffOfHehua)
            let stock = try await app.stock(MedicineOrderTests.hehua, Shelf.amlodipine)
            let price = try await app.database.read { sql in
                try #require(try await sql.raw("""
                    SELECT price_fen FROM pharmacy_stock WHERE pharmacy_id = \(bind: MedicineOrderTests.hehua.text)
                      AND drug_id = \(bind: Shelf.amlodipine.text)
                    """).first()).decode(column: "price_fen", as: Int64.self)
            }
            let restocked = try await app.send(.put, "/api/v1/pharmacies/me/stock/\(Shelf.amlodipine.text)", token: staff,
                                               json: ["onHand": stock.onHand + 5, "priceFen": price])
            #expect(restocked.status == .ok, "\(restocked.text)")
            #expect(try await app.alerts(.dispensingAboveReceipts, on: event, rules: rules).isEmpty)
        }
    }

    @Test("a traceability code scanned again raises an alert naming the order that carried it first; an ordinary dispense does not")
    func codeReused() async throws {
        try await withApp { app in
            let code = aTraceabilityCode("8100002", package: 601)
            let order = try await Self.aDispensedOrder(app, code: code)
            let dispensed = try await app.storedEvent(.medicineOrderDispensed, subject: order)
            #expect(try await app.alerts(.traceabilityCodeReused, on: dispensed).isEmpty)

            let orderId = try #require(UUID(uuidString: order))
            let reused = DomainEvent(id: .v7(at: app.clock.now()), kind: .traceabilityCodeReused, subjectType: "medicine_order",
                                     subjectId: orderId, payload: #"{"codes":"\#(code)"}"#, occurredAt: app.clock.now())
            let draft = try #require(try await app.alerts(.traceabilityCodeReused, on: reused).first)
            #expect(draft.caseKey == "traceabilityCodeReused:\(code)")
            #expect(draft.evidence["firstOrder"] == orderId.text)
            #expect(draft.entities.contains(AlertEntity(type: "pharmacy", id: MedicineOrderTests.hehua)))
            #expect(draft.region.value == "330802")
        }
    }

    /// The asthma patient's settled follow-up at the Quzhou internet hospital: its settlement and region.
    static func aSettlement(_ app: Harness) async throws -> (UUID, RegionCode) {
        let patient = try await app.anInsuredPatient(Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                     insuredNumber: "33080000000005")
        let (_, paid) = try await app.aSettledFollowUp(patient, doctor: Insured.respiratoryDoctor, site: nil,
                                                       encounter: Insured.priorVisit(Insured.asthmaPatient))
        #expect(paid.status == .ok, "\(paid.text)")
        let settled = try #require(try await app.settlements(patient).first)
        let id = try #require((settled["id"] as? String).flatMap(UUID.init(uuidString:)))
        let event = try await app.storedEvent(.insuranceSettled, subject: id.text)
        // The real settlement alone is ordinary for every settlement rule.
        #expect(try await FraudFacts(database: app.database).evaluate(event, rules: .shipped).isEmpty)
        return (id, try RegionCode("330800"))
    }

    static func createdAt(_ app: Harness, _ settlement: UUID) async throws -> Date {
        try await app.database.read { sql in
            try #require(try await sql.raw("SELECT created_at FROM settlements WHERE id = \(bind: settlement.text)").first())
                .decode(column: "created_at", as: Int64.self)
        }.asInstant
    }

    /// An approved amlodipine prescription picked up at the Hehua Road pharmacy, dispensed with `code`.
    static func aDispensedOrder(_ app: Harness, code: String) async throws -> String {
        let (prescription, patient, _) = try await app.anApprovedPrescription()
        let reserved = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
            "pharmacyId": MedicineOrderTests.hehua.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
        ], headers: ConsultationRoutesTests.key())
        let order = try #require(reserved.string("id"), "\(reserved.text)")
        #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient,
                                   headers: ConsultationRoutesTests.key()).status == .ok)
        let staff = try await app.signIn(MedicineOrderTests.staffOfHehua)
        let dispensed = try await app.send(.post, "/api/v1/medicine-orders/\(order)/dispense", token: staff, json: ["codes": [code]])
        #expect(dispensed.status == .ok, "\(dispensed.text)")
        return order
    }
}
