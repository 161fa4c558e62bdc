import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

extension Harness {
    /// An approved prescription of amlodipine 5 mg for 7 days (one box of 28) for the first demo
    /// patient, through the API: consultation, draft, signature, pharmacist approval.
    func anApprovedPrescription() async throws -> (id: String, patient: String, doctor: String) {
        let (consultation, patient, doctor) = try await anAcceptedConsultation()
        let draft = try await send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
            "diagnosis": "I10", "items": [anItem(Shelf.amlodipine, dose: 5)],
        ])
        let id = try #require(draft.string("id"))
        #expect(try await send(.post, "/api/v1/prescriptions/\(id)/sign", token: doctor).status == .ok)
        let pharmacist = try await signIn(PrescriptionFlowTests.reviewer)
        #expect(try await send(.post, "/api/v1/prescriptions/\(id)/review", token: pharmacist, json: ["decision": "approve"]).status == .ok)
        return (id, patient, doctor)
    }

    /// The stock row of a drug at a pharmacy: on hand and reserved.
    func stock(_ pharmacy: UUID, _ drug: UUID) async throws -> (onHand: Int, reserved: Int) {
        try await database.read { sql in
            let row = try #require(try await sql.raw("""
                SELECT on_hand, reserved FROM pharmacy_stock WHERE pharmacy_id = \(bind: pharmacy.text) AND drug_id = \(bind: drug.text)
                """).first())
            return (try row.decode(column: "on_hand", as: Int.self), try row.decode(column: "reserved", as: Int.self))
        }
    }

    func setStock(_ pharmacy: UUID, _ drug: UUID, onHand: Int) async throws {
        try await database.unitOfWork { tx in
            try await tx.sql.raw("""
                UPDATE pharmacy_stock SET on_hand = \(bind: onHand), reserved = 0
                WHERE pharmacy_id = \(bind: pharmacy.text) AND drug_id = \(bind: drug.text)
                """).run()
        }
    }
}

/// Twenty digits: the product code of `drug` and a package number.
func aTraceabilityCode(_ productCode: String, package: Int) -> String {
    productCode + String(format: "%013d", package)
}

@Suite("Pharmacy: options, reservation, payment, dispensing with traceability codes, delivery")
struct MedicineOrderTests {
    static let hehua = DemoWorld.Institutions.pharmacies[0]      // O2O within 5 km, pickup, B2C
    static let xinqiao = DemoWorld.Institutions.pharmacies[1]    // O2O within 3 km, pickup
    static let home = ["lat": "28.9650", "lon": "118.8720"]      // Kecheng, about 0.6 km from Hehua Road
    static let staffOfHehua = "13700000011"
    static let courierOfHehua = "13700000021"
    static let otherCourier = "13700000022"

    @Test("options → reserve → pay → dispense with codes → courier delivers → receipt: stock, money and the trail follow")
    func wholeCirculation() async throws {
        try await withApp { app in
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            let address = "浙江省衢州市柯城区荷花街道1号"
            #expect(try await app.send(.patch, "/api/v1/patients/\(Demo.patientId(Demo.patientPhone).text)", token: patient,
                                       json: ["address": address]).status == .ok)
            let options = try await app.send(.get, "/api/v1/prescriptions/\(prescription)/pharmacy-options?lat=28.9650&lon=118.8720",
                                             token: patient)
            #expect(options.status == .ok)
            let first = try #require(options.items.first)
            #expect((first["pharmacyId"] as? String)?.lowercased() == Self.hehua.text)
            let distances = options.items.compactMap { $0["distanceKm"] as? Double }
            #expect(distances == distances.sorted())
            #expect(options.items.allSatisfy { $0["mode"] as? String != "o2o" || ($0["distanceKm"] as? Double ?? 99) <= 5 })

            let before = try await app.stock(Self.hehua, Shelf.amlodipine)
            let reserved = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.hehua.text, "mode": "o2o", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            #expect(reserved.status == .created)
            let order = try #require(reserved.string("id"))
            #expect(reserved.string("state") == "reserved")
            let total = try #require(reserved.json["totalFen"] as? Int)
            #expect(total == first["totalFen"] as? Int)
            #expect(try await app.stock(Self.hehua, Shelf.amlodipine) == (before.onHand, before.reserved + 1))
            let again = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.xinqiao.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            #expect(again.status == .conflict)
            #expect(again.errorCode == "prescription_filled")

            let walletBefore = try await app.send(.get, "/api/v1/wallet", token: patient).json["balanceFen"] as? Int ?? 0
            let paid = try await app.send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient, headers: ConsultationRoutesTests.key())
            #expect(paid.status == .ok)
            #expect(paid.string("state") == "paid")
            #expect(try await app.send(.get, "/api/v1/wallet", token: patient).json["balanceFen"] as? Int == walletBefore - total)

            let staff = try await app.signIn(Self.staffOfHehua)
            let queue = try await app.send(.get, "/api/v1/pharmacies/me/orders", token: staff)
            #expect(queue.items.contains { ($0["id"] as? String)?.lowercased() == order.lowercased() })
            let code = aTraceabilityCode("8100002", package: 1)
            let dispensed = try await app.send(.post, "/api/v1/medicine-orders/\(order)/dispense", token: staff, json: ["codes": [code]])
            #expect(dispensed.status == .ok, "\(dispensed.text)")
            #expect(dispensed.string("state") == "dispensed")
            #expect(dispensed.string("deliveryStatus") == "assigned")
            #expect(try await app.stock(Self.hehua, Shelf.amlodipine) == (before.onHand - 1, before.reserved))
            #expect(try await app.send(.get, "/api/v1/prescriptions/\(prescription)", token: patient).string("state") == "dispensed")

            let stranger = try await app.signIn(Self.otherCourier)
            let refused = try await app.send(.post, "/api/v1/medicine-orders/\(order)/delivery", token: stranger, json: ["status": "pickedUp"])
            #expect(refused.status == .notFound)
            let courier = try await app.signIn(Self.courierOfHehua)
            let carried = try await app.send(.get, "/api/v1/couriers/me/deliveries", token: courier).items
            #expect(carried.count == 1)
            #expect(carried.first?["address"] as? String == address)
            let early = try await app.send(.post, "/api/v1/medicine-orders/\(order)/delivery", token: courier, json: ["status": "delivered"])
            #expect(early.status == .conflict)
            #expect(early.errorCode == "delivery_state")
            for status in ["pickedUp", "inTransit", "delivered"] {
                let update = try await app.send(.post, "/api/v1/medicine-orders/\(order)/delivery", token: courier, json: ["status": status])
                #expect(update.status == .ok)
                #expect(update.string("deliveryStatus") == status)
            }
            let delivered = try await app.send(.get, "/api/v1/medicine-orders/\(order)", token: patient)
            #expect(delivered.string("state") == "delivered")
            #expect(delivered.json["destinationLatitude"] as? Double == 28.9650)
            #expect((delivered.json["deliveryUpdates"] as? [[String: Any]])?.compactMap { $0["status"] as? String }
                    == ["pickedUp", "inTransit", "delivered"])
            let received = try await app.send(.post, "/api/v1/medicine-orders/\(order)/receipt", token: patient)
            #expect(received.string("state") == "received")

            let inbox = try await app.send(.get, "/api/v1/notifications", token: patient).items.compactMap { $0["kind"] as? String }
            #expect(Set(inbox).isSuperset(of: ["prescriptionApproved", "orderShipped", "orderArriving", "orderDelivered"]))
            let trace = try await app.send(.get, "/api/v1/prescriptions/\(prescription)/trace", token: patient)
            #expect(trace.json["verifies"] as? Bool == true)
            #expect((trace.json["entries"] as? [[String: Any]])?.compactMap { $0["event"] as? String }
                    == ["drafted", "signed", "approved", "routed", "reserved", "paid", "dispensed", "delivered"])
            let payable = try await LedgerStore(database: app.database).balance(of: .pharmacyPayable(Self.hehua))
            #expect(payable == Int64(total))
        }
    }

    @Test("50 concurrent reservations against a stock of 10 leave exactly 10 reserved and 40 clear refusals")
    func concurrentReservations() async throws {
        try await withApp { app in
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            // 49 more approved prescriptions of the same patient: copies of the first, as if written one by one.
            try await app.database.unitOfWork { tx in
                for index in 1..<50 {
                    let copy = UUID.named("prescription-copy:\(index)").text
                    try await tx.sql.raw("""
                        INSERT INTO prescriptions (id, consultation_id, patient_id, doctor_account_id, institution_id, diagnosis_icd10,
                            state, long_reason, valid_days, notes, findings, overrides, created_at, updated_at, signed_at, valid_until,
                            document, document_hash, doctor_signature)
                        SELECT \(bind: copy), consultation_id, patient_id, doctor_account_id, institution_id, diagnosis_icd10, state,
                            long_reason, valid_days, notes, findings, overrides, created_at, updated_at, signed_at, valid_until,
                            document, document_hash, doctor_signature
                        FROM prescriptions WHERE id = \(bind: prescription.lowercased())
                        """).run()
                    try await tx.sql.raw("""
                        INSERT INTO prescription_items (prescription_id, position, drug_id, dose, dose_unit, times_per_day, route, days, quantity)
                        SELECT \(bind: copy), position, drug_id, dose, dose_unit, times_per_day, route, days, quantity
                        FROM prescription_items WHERE prescription_id = \(bind: prescription.lowercased())
                        """).run()
                    try await Harness.countSignature(of: copy, in: tx)
                }
            }
            try await app.setStock(Self.xinqiao, Shelf.amlodipine, onHand: 10)
            let ids = [prescription] + (1..<50).map { UUID.named("prescription-copy:\($0)").text }
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for id in ids {
                    group.addTask {
                        let reply = try await app.send(.post, "/api/v1/prescriptions/\(id)/medicine-orders", token: patient, json: [
                            "pharmacyId": Self.xinqiao.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
                        ], headers: ConsultationRoutesTests.key())
                        return (Int(reply.status.code), reply.errorCode)
                    }
                }
                return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == 201 }.count == 10)
            let refusals = statuses.filter { $0.0 != 201 }
            #expect(refusals.count == 40)
            #expect(refusals.allSatisfy { $0.0 == 409 && $0.1 == "stock_insufficient" })
            #expect(try await app.stock(Self.xinqiao, Shelf.amlodipine) == (10, 10))
            #expect(try await app.count("SELECT COUNT(*) AS n FROM medicine_orders") == 10)
            // The pharmacy pages through the ten, three at a time.
            let staff = try await app.signIn("13700000012")
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await app.send(.get, "/api/v1/pharmacies/me/orders?state=reserved&limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""),
                                              token: staff)
                seen += page.items.compactMap { $0["id"] as? String }
                cursor = page.json["nextCursor"] as? String
            } while cursor != nil
            #expect(seen.count == 10)
            #expect(Set(seen).count == 10)
        }
    }

    @Test("an unpaid reservation is released after 30 minutes, and paying it then is refused with nothing charged")
    func expiredReservation() async throws {
        try await withApp { app in
            try await app.holdJobLease("release-expired-reservations")
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            let before = try await app.stock(Self.xinqiao, Shelf.amlodipine)
            let reserved = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.xinqiao.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            let order = try #require(reserved.string("id"))
            app.clock.advance(by: 30 * 60 + 1)
            let walletBefore = try await app.send(.get, "/api/v1/wallet", token: patient).json["balanceFen"] as? Int
            let late = try await app.send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient, headers: ConsultationRoutesTests.key())
            #expect(late.status == .conflict)
            #expect(late.errorCode == "reservation_expired")
            #expect(try await app.send(.get, "/api/v1/wallet", token: patient).json["balanceFen"] as? Int == walletBefore)
            let context = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "test", at: app.clock.now())
            #expect(try await app.services.stores.medicineOrders.releaseExpired(now: app.clock.now(), context: context) == 1)
            #expect(try await app.services.stores.medicineOrders.releaseExpired(now: app.clock.now(), context: context) == 0)
            #expect(try await app.stock(Self.xinqiao, Shelf.amlodipine) == before)
            let expired = try await app.send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient, headers: ConsultationRoutesTests.key())
            #expect(expired.errorCode == "medicine_order_state")
            // The prescription is free to be filled elsewhere.
            let elsewhere = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.hehua.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            #expect(elsewhere.status == .created)
        }
    }

    @Test("dispensing with a missing, malformed, mismatched or already dispensed code is refused and changes nothing")
    func badCodes() async throws {
        try await withApp { app in
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            let reserved = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.hehua.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            let order = try #require(reserved.string("id"))
            let paid = try await app.send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient, headers: ConsultationRoutesTests.key())
            let pickupCode = try #require(paid.string("pickupCode"))
            let staff = try await app.signIn(Self.staffOfHehua)
            let stock = try await app.stock(Self.hehua, Shelf.amlodipine)
            let cases: [([String], String, String?)] = [
                ([], "invalid_request", "codes"),
                (["81000021234"], "invalid_request", "codes[0]"),
                ([aTraceabilityCode("8100117", package: 1)], "invalid_request", "codes[0]"),
            ]
            for (codes, code, field) in cases {
                let reply = try await app.send(.post, "/api/v1/medicine-orders/\(order)/dispense", token: staff, json: ["codes": codes])
                #expect(reply.status == .badRequest)
                #expect(reply.errorCode == code)
                let details = (reply.json["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []
                #expect(details.contains { $0["field"] as? String == field }, "\(reply.text)")
            }
            // A code another order already carried away.
            let used = aTraceabilityCode("8100002", package: 77)
            try await app.database.unitOfWork { tx in
                try await tx.sql.raw("""
                    INSERT INTO dispensed_codes (code, order_id, drug_id, dispensed_at)
                    VALUES (\(bind: used), \(bind: order.lowercased()), \(bind: Shelf.amlodipine.text), 0)
                    """).run()
            }
            let reused = try await app.send(.post, "/api/v1/medicine-orders/\(order)/dispense", token: staff, json: ["codes": [used]])
            #expect(reused.status == .conflict)
            #expect(reused.errorCode == "code_already_dispensed")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM domain_events WHERE kind = 'supervision.traceability_code_reused'") == 1)
            #expect(try await app.stock(Self.hehua, Shelf.amlodipine) == stock)
            #expect(try await app.send(.get, "/api/v1/medicine-orders/\(order)", token: patient).string("state") == "paid")

            let good = try await app.send(.post, "/api/v1/medicine-orders/\(order)/dispense", token: staff,
                                          json: ["codes": [aTraceabilityCode("8100002", package: 78)]])
            #expect(good.status == .ok)
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/handover", token: staff,
                                       json: ["pickupCode": "000000" == pickupCode ? "111111" : "000000"]).errorCode == "pickup_code_wrong")
            let handed = try await app.send(.post, "/api/v1/medicine-orders/\(order)/handover", token: staff, json: ["pickupCode": pickupCode])
            #expect(handed.string("state") == "delivered")
        }
    }

    @Test("a pharmacy without stock is not an option and cannot be chosen")
    func noStock() async throws {
        try await withApp { app in
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            try await app.setStock(Self.xinqiao, Shelf.amlodipine, onHand: 0)
            let options = try await app.send(.get, "/api/v1/prescriptions/\(prescription)/pharmacy-options?lat=28.9650&lon=118.8720&mode=pickup",
                                             token: patient)
            #expect(!options.items.contains { ($0["pharmacyId"] as? String)?.lowercased() == Self.xinqiao.text })
            let refused = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.xinqiao.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "stock_insufficient")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM medicine_orders") == 0)
            let badPlace = try await app.send(.get, "/api/v1/prescriptions/\(prescription)/pharmacy-options?lat=91&lon=118.8720", token: patient)
            #expect(badPlace.status == .badRequest)
        }
    }

    @Test("a B2C order names its carrier and tracking number when dispensed, and is delivered when the carrier says so")
    func shipped() async throws {
        try await withApp { app in
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            let reserved = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.hehua.text, "mode": "b2c", "lat": 30.2741, "lon": 120.1551,   // Hangzhou: far beyond O2O
            ], headers: ConsultationRoutesTests.key())
            #expect(reserved.status == .created)
            let order = try #require(reserved.string("id"))
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient,
                                       headers: ConsultationRoutesTests.key()).status == .ok)
            let staff = try await app.signIn(Self.staffOfHehua)
            let codes = [aTraceabilityCode("8100002", package: 5)]
            let unnamed = try await app.send(.post, "/api/v1/medicine-orders/\(order)/dispense", token: staff, json: ["codes": codes])
            #expect(unnamed.status == .badRequest)
            #expect(try await app.send(.get, "/api/v1/medicine-orders/\(order)", token: patient).string("state") == "paid")
            let shipped = try await app.send(.post, "/api/v1/medicine-orders/\(order)/dispense", token: staff, json: [
                "codes": codes, "carrier": "顺丰速运", "trackingNumber": "SF1234567890",
            ])
            #expect(shipped.status == .ok)
            #expect(shipped.string("carrier") == "顺丰速运")
            #expect(shipped.string("trackingNumber") == "SF1234567890")
            #expect(shipped.json["courierAccountId"] == nil || shipped.json["courierAccountId"] is NSNull)
            let delivered = try await app.send(.post, "/api/v1/medicine-orders/\(order)/handover", token: staff, json: [:] as [String: String])
            #expect(delivered.string("state") == "delivered")
            let o2oOnly = try await app.send(.get, "/api/v1/prescriptions/\(prescription)/pharmacy-options?lat=30.2741&lon=120.1551&mode=o2o",
                                             token: patient)
            #expect(o2oOnly.status == .conflict)   // dispensed: no longer to be filled
        }
    }

    @Test("voiding a prescription cancels its unpaid reservation and returns the stock; once paid for, it cannot be voided")
    func voidWhileFilling() async throws {
        try await withApp { app in
            let (prescription, patient, doctor) = try await app.anApprovedPrescription()
            let before = try await app.stock(Self.xinqiao, Shelf.amlodipine)
            let reserved = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.xinqiao.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            let order = try #require(reserved.string("id"))
            let voided = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/void", token: doctor)
            #expect(voided.string("state") == "voided")
            #expect(try await app.stock(Self.xinqiao, Shelf.amlodipine) == before)
            #expect(try await app.send(.get, "/api/v1/medicine-orders/\(order)", token: patient).string("state") == "cancelled")
            let late = try await app.send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient, headers: ConsultationRoutesTests.key())
            #expect(late.status == .conflict)

            let (second, _, _) = try await app.anApprovedPrescription()
            let again = try await app.send(.post, "/api/v1/prescriptions/\(second)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.xinqiao.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            let paidOrder = try #require(again.string("id"))
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(paidOrder)/pay", token: patient,
                                       headers: ConsultationRoutesTests.key()).status == .ok)
            let refused = try await app.send(.post, "/api/v1/prescriptions/\(second)/void", token: doctor)
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "prescription_being_filled")
            #expect(try await app.send(.get, "/api/v1/prescriptions/\(second)", token: patient).string("state") == "approved")
        }
    }

    @Test("a suspended doctor can neither draft nor sign, and their open consultation is handed back")
    func suspendedDoctor() async throws {
        try await withApp { app in
            let (consultation, _, doctor) = try await app.anAcceptedConsultation()
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
                "diagnosis": "I10", "items": [anItem(Shelf.amlodipine, dose: 5)],
            ])
            let id = try #require(draft.string("id"))
            let regulator = try await app.signIn(Demo.regulatorPhone)
            #expect(try await app.send(.put, "/api/v1/doctors/\(ConsultationRoutesTests.cardiologist.text)/qualification", token: regulator,
                                       json: ["status": "suspended"]).status == .noContent)
            let sign = try await app.send(.post, "/api/v1/prescriptions/\(id)/sign", token: doctor)
            #expect(sign.status == .forbidden)
            #expect(sign.errorCode == "prescriber_not_qualified")
            let another = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
                "diagnosis": "I10", "items": [anItem(Shelf.amlodipine, dose: 5)],
            ])
            #expect(another.errorCode == "prescriber_not_qualified")
            #expect(try await app.send(.get, "/api/v1/prescriptions/\(id)", token: doctor).string("state") == "draft")
            // The suspension handed the open consultation back to the patient.
            #expect(try await app.send(.get, "/api/v1/consultations/\(consultation)", token: doctor).string("state") == "refunded")
        }
    }

    @Test("a paid order is refunded when the patient withdraws it or the pharmacy cannot fill it; the stock returns and the prescription may be filled elsewhere")
    func refunds() async throws {
        try await withApp { app in
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            let before = try await app.stock(Self.hehua, Shelf.amlodipine)
            let reserved = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.hehua.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            let order = try #require(reserved.string("id"))
            let total = try #require(reserved.json["totalFen"] as? Int)
            let wallet = try await app.send(.get, "/api/v1/wallet", token: patient).json["balanceFen"] as? Int ?? 0
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient,
                                       headers: ConsultationRoutesTests.key()).status == .ok)
            let staff = try await app.signIn(Self.staffOfHehua)
            let noReason = try await app.send(.post, "/api/v1/medicine-orders/\(order)/cancel", token: staff, json: [:] as [String: String])
            #expect(noReason.status == .badRequest)
            let courier = try await app.signIn(Self.courierOfHehua)
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/cancel", token: courier,
                                       json: ["reason": "x"]).status == .forbidden)
            let refunded = try await app.send(.post, "/api/v1/medicine-orders/\(order)/cancel", token: staff,
                                              json: ["reason": "批号召回，暂无可售库存"])
            #expect(refunded.string("state") == "refunded")
            #expect(try await app.send(.get, "/api/v1/wallet", token: patient).json["balanceFen"] as? Int == wallet)
            #expect(try await app.stock(Self.hehua, Shelf.amlodipine) == before)
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/cancel", token: patient,
                                       json: [:] as [String: String]).errorCode == "medicine_order_state")
            // Filled elsewhere, then withdrawn by the patient before it is dispensed.
            let elsewhere = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.xinqiao.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            let second = try #require(elsewhere.string("id"))
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(second)/cancel", token: patient,
                                       json: [:] as [String: String]).string("state") == "cancelled")
            #expect(total > 0)
        }
    }

    @Test("a pharmacy that does not offer the mode, or a place beyond its radius, is refused with the reason")
    func notAnOption() async throws {
        try await withApp { app in
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            let noMode = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.xinqiao.text, "mode": "b2c", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            #expect(noMode.errorCode == "mode_not_offered")
            let far = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.hehua.text, "mode": "o2o", "lat": 30.2741, "lon": 120.1551,
            ], headers: ConsultationRoutesTests.key())
            #expect(far.status == .unprocessableContent)
            #expect(far.errorCode == "out_of_delivery_range")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM medicine_orders") == 0)
        }
    }

    @Test("a failed delivery says why, and the pharmacy gives the order to one of its couriers again")
    func failedDelivery() async throws {
        try await withApp { app in
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            let reserved = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.hehua.text, "mode": "o2o", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            let order = try #require(reserved.string("id"))
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient,
                                       headers: ConsultationRoutesTests.key()).status == .ok)
            let staff = try await app.signIn(Self.staffOfHehua)
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/dispense", token: staff,
                                       json: ["codes": [aTraceabilityCode("8100002", package: 9)]]).status == .ok)
            let courier = try await app.signIn(Self.courierOfHehua)
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/delivery", token: courier,
                                       json: ["status": "pickedUp"]).status == .ok)
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/delivery", token: courier,
                                       json: ["status": "failed"]).status == .badRequest)
            let failed = try await app.send(.post, "/api/v1/medicine-orders/\(order)/delivery", token: courier,
                                            json: ["status": "failed", "note": "电话无人接听"])
            #expect(failed.string("deliveryStatus") == "failed")
            let stranger = Demo.accountId(Self.otherCourier).text
            let wrong = try await app.send(.post, "/api/v1/medicine-orders/\(order)/courier", token: staff, json: ["courierAccountId": stranger])
            #expect(wrong.status == .badRequest)
            let again = try await app.send(.post, "/api/v1/medicine-orders/\(order)/courier", token: staff, json: [:] as [String: String])
            #expect(again.string("deliveryStatus") == "assigned")
            #expect((again.string("courierAccountId"))?.lowercased() == Demo.accountId(Self.courierOfHehua).text)
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/courier", token: staff,
                                       json: [:] as [String: String]).status == .conflict)
            for status in ["pickedUp", "inTransit", "delivered"] {
                #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/delivery", token: courier,
                                           json: ["status": status]).status == .ok)
            }
            let updates = try await app.send(.get, "/api/v1/medicine-orders/\(order)", token: patient).json["deliveryUpdates"] as? [[String: Any]]
            #expect(updates?.compactMap { $0["status"] as? String } == ["pickedUp", "failed", "assigned", "pickedUp", "inTransit", "delivered"])
        }
    }
}
