import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("Booking and paying for services")
struct OrderRoutesTests {
    static let cardiologist = UUID.named("doctor:1")
    static let patient = Demo.patientId(Demo.patientPhone)

    /// A fresh Idempotency-Key header.
    static func key(_ value: String = UUID().uuidString) -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: value] }

    /// Links a hypertension diagnosis from the tertiary hospital to the demo patient's record.
    static func anEncounter(_ app: Harness, token: String, patient: UUID = patient) async throws -> String {
        let reply = try await app.send(.post, "/api/v1/patients/\(patient.text)/encounters", token: token, json: [
            "hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "2026-05-10", "icd10": "I10",
        ])
        #expect(reply.status == .created, "\(reply.text)")
        return try #require(reply.string("id"))
    }

    static func order(_ app: Harness, token: String, doctor: UUID = cardiologist, service: String = "textPackage",
                      extra: [String: Any] = [:]) async throws -> Reply {
        var body: [String: Any] = ["doctorId": doctor.text, "service": service]
        for (key, value) in extra { body[key] = value }
        return try await app.send(.post, "/api/v1/orders", token: token, json: body, headers: key())
    }

    static func balance(_ app: Harness, token: String) async throws -> Int? {
        try await app.send(.get, "/api/v1/wallet", token: token).json["balanceFen"] as? Int
    }

    @Test("a first visit online is refused with a clear reason, and nothing is written")
    func firstVisitRefused() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let reply = try await Self.order(app, token: token)
            #expect(reply.status == .unprocessableContent)
            #expect(reply.errorCode == "prior_visit_required")
            #expect(reply.isStandardError)
            #expect(try await rawColumn("id", of: "orders", in: app.database).isEmpty)
        }
    }

    @Test("a follow-up is booked, paid from the wallet once, and a replayed payment charges nothing")
    func followUpPaid() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let encounter = try await Self.anEncounter(app, token: token)
            let placed = try await Self.order(app, token: token, extra: ["encounterId": encounter])
            #expect(placed.status == .created)
            #expect(placed.string("state") == "created")
            let price = try #require(placed.json["priceFen"] as? Int)
            let orderId = try #require(placed.string("id"))

            let broke = try await app.send(.post, "/api/v1/orders/\(orderId)/pay", token: token, headers: Self.key())
            #expect(broke.status == .unprocessableContent)
            #expect(broke.errorCode == "insufficient_balance")

            let topUp = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 10_000],
                                           headers: Self.key())
            #expect(topUp.status == .created)
            #expect(try await Self.balance(app, token: token) == 10_000)

            let payKey = Self.key()
            let paid = try await app.send(.post, "/api/v1/orders/\(orderId)/pay", token: token, headers: payKey)
            #expect(paid.status == .ok)
            #expect(paid.string("state") == "paid")
            let replay = try await app.send(.post, "/api/v1/orders/\(orderId)/pay", token: token, headers: payKey)
            #expect(replay.status == .ok)
            #expect(replay.text == paid.text)
            #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try await Self.balance(app, token: token) == 10_000 - price)
            #expect(try await LedgerStore(database: app.database).balance(of: .escrow) == Int64(price))

            let again = try await app.send(.post, "/api/v1/orders/\(orderId)/pay", token: token, headers: Self.key())
            #expect(again.status == .conflict)
            #expect(try await Self.balance(app, token: token) == 10_000 - price)
        }
    }

    @Test("the same Idempotency-Key with another body is a 409, and a missing key a 400")
    func idempotencyKeys() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let key = Self.key("top-up-1")
            #expect(try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 500], headers: key).status == .created)
            let reused = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 900], headers: key)
            #expect(reused.status == .conflict)
            #expect(reused.errorCode == "idempotency_key_reused")
            let missing = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 500])
            #expect(missing.status == .badRequest)
            #expect(missing.errorCode == "idempotency_key_required")
            #expect(try await Self.balance(app, token: token) == 500)
        }
    }

    @Test("cancelling a paid order refunds the wallet; a cancelled order cannot be paid")
    func cancelAndRefund() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let encounter = try await Self.anEncounter(app, token: token)
            _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 20_000], headers: Self.key())
            let first = try await Self.order(app, token: token, extra: ["encounterId": encounter])
            let firstId = try #require(first.string("id"))
            _ = try await app.send(.post, "/api/v1/orders/\(firstId)/pay", token: token, headers: Self.key())
            let refunded = try await app.send(.post, "/api/v1/orders/\(firstId)/cancel", token: token, headers: Self.key())
            #expect(refunded.string("state") == "refunded")
            #expect(try await Self.balance(app, token: token) == 20_000)

            let second = try await Self.order(app, token: token, extra: ["encounterId": encounter])
            let secondId = try #require(second.string("id"))
            let cancelled = try await app.send(.post, "/api/v1/orders/\(secondId)/cancel", token: token, headers: Self.key())
            #expect(cancelled.string("state") == "cancelled")
            let payCancelled = try await app.send(.post, "/api/v1/orders/\(secondId)/pay", token: token, headers: Self.key())
            #expect(payCancelled.status == .conflict)
            #expect(payCancelled.errorCode == "order_state")
            #expect(try await Self.balance(app, token: token) == 20_000)
        }
    }

    @Test("bookings the rules refuse are 422s with their reason", arguments: [
        (5, "videoPerMinute", "service_paused"), (29, "textPackage", "doctor_not_approved"),
        (30, "textPackage", "doctor_too_junior"), (25, "appointment", "service_not_offered"),
    ])
    func refusals(doctor: Int, service: String, code: String) async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let encounter = try await Self.anEncounter(app, token: token)
            let reply = try await Self.order(app, token: token, doctor: UUID.named("doctor:\(doctor)"), service: service,
                                             extra: ["encounterId": encounter])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.errorCode == code)
            #expect(try await rawColumn("id", of: "orders", in: app.database).isEmpty)
        }
    }

    @Test("a service at its daily cap takes no more orders that day; the next day it does")
    func dailyCap() async throws {
        try await withApp { app in
            let doctorToken = try await app.signIn("13900000001")
            _ = try await app.send(.put, "/api/v1/doctors/me/services/textPackage", token: doctorToken,
                                   json: ["priceFen": 3000, "dailyCap": 1])
            let token = try await app.signIn(Demo.patientPhone)
            let encounter = try await Self.anEncounter(app, token: token)
            #expect(try await Self.order(app, token: token, extra: ["encounterId": encounter]).status == .created)
            let full = try await Self.order(app, token: token, extra: ["encounterId": encounter])
            #expect(full.errorCode == "daily_cap_reached")
            app.clock.advance(by: 86_400)
            let nextDay = try await app.signIn(Demo.patientPhone)
            #expect(try await Self.order(app, token: nextDay, extra: ["encounterId": encounter]).status == .created)
        }
    }

    @Test("a free service skips payment and moves no money")
    func freeService() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let encounter = try await Self.anEncounter(app, token: token)
            let entries = try await rawColumn("id", of: "ledger_entries", in: app.database).count
            let free = try await Self.order(app, token: token, doctor: UUID.named("doctor:7"), extra: ["encounterId": encounter])
            #expect(free.status == .created)
            #expect(free.json["priceFen"] as? Int == 0)
            #expect(free.string("state") == "paid")
            #expect(try await rawColumn("id", of: "ledger_entries", in: app.database).count == entries)
        }
    }

    @Test("red-flag symptoms refuse an online booking and send the patient to an emergency department")
    func redFlagBlocksBooking() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let encounter = try await Self.anEncounter(app, token: token)
            let reply = try await Self.order(app, token: token, extra: ["encounterId": encounter, "symptoms": "胸痛，一直出冷汗"])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.errorCode == "emergency_care_required")
            let mild = try await Self.order(app, token: token, extra: ["encounterId": encounter, "symptoms": "血压控制不好，偶尔头晕"])
            #expect(mild.status == .created)
        }
    }

    @Test("a child under 6 is booked only with a guardian present")
    func childNeedsGuardian() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let family = try await app.send(.get, "/api/v1/patients/\(Self.patient.text)/family", token: token)
            let child = try #require(family.items.first?["patientId"] as? String)
            let childId = try #require(UUID(uuidString: child))
            let encounter = try await Self.anEncounter(app, token: token, patient: childId)
            let pediatrician = UUID.named("doctor:4")
            let alone = try await Self.order(app, token: token, doctor: pediatrician,
                                             extra: ["encounterId": encounter, "patientId": child])
            #expect(alone.errorCode == "guardian_required")
            let withGuardian = try await Self.order(app, token: token, doctor: pediatrician,
                                                    extra: ["encounterId": encounter, "patientId": child, "guardianPresent": true])
            #expect(withGuardian.status == .created)
            let other = try await app.signIn(Demo.otherPatientPhone)
            let notTheirs = try await Self.order(app, token: other, doctor: pediatrician,
                                                 extra: ["encounterId": encounter, "patientId": child, "guardianPresent": true])
            #expect(notTheirs.status == .forbidden)
        }
    }

    @Test("staff cannot buy services, and another patient's order is not found")
    func access() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Demo.doctorPhone)
            #expect(try await Self.order(app, token: doctor).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/wallet", token: doctor).status == .forbidden)
            let token = try await app.signIn(Demo.patientPhone)
            let encounter = try await Self.anEncounter(app, token: token)
            let placed = try await Self.order(app, token: token, extra: ["encounterId": encounter])
            let other = try await app.signIn(Demo.otherPatientPhone)
            let id = try #require(placed.string("id"))
            #expect(try await app.send(.get, "/api/v1/orders/\(id)", token: other).status == .notFound)
            #expect(try await app.send(.post, "/api/v1/orders/\(id)/pay", token: other, headers: Self.key()).status == .notFound)
        }
    }

    @Test("a visit at a hospital that is not physical, or in the future, is refused")
    func badEncounters() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let online = try await app.send(.post, "/api/v1/patients/\(Self.patient.text)/encounters", token: token, json: [
                "hospitalId": DemoWorld.Institutions.internetHospital.text, "date": "2026-05-10", "icd10": "I10",
            ])
            #expect(online.errorFields == ["hospitalId"])
            let future = try await app.send(.post, "/api/v1/patients/\(Self.patient.text)/encounters", token: token, json: [
                "hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "2099-01-01", "icd10": "I10",
            ])
            #expect(future.errorFields == ["date"])
        }
    }
}

@Suite("In-person appointments")
struct AppointmentTests {
    static let doctorPhone = "13900000001"

    @Test("a doctor opens a slot; patients book its places without a prior visit; the full slot refuses; the visit becomes an encounter")
    func slotsAndVisit() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Self.doctorPhone)
            let startsAt = Timestamp.format(app.clock.now().addingTimeInterval(2 * 86_400))
            let opened = try await app.send(.post, "/api/v1/doctors/me/slots", token: doctor,
                                            json: ["startsAt": startsAt, "minutes": 30, "capacity": 1])
            #expect(opened.status == .created)
            let slotId = try #require(opened.string("id"))
            let listed = try await app.send(.get, "/api/v1/doctors/\(OrderRoutesTests.cardiologist.text)/slots")
            #expect(listed.items.first?["available"] as? Int == 1)

            let patient = try await app.signIn(Demo.patientPhone)
            let noSlot = try await OrderRoutesTests.order(app, token: patient, service: "appointment")
            #expect(noSlot.errorFields == ["slotId"])
            let booked = try await OrderRoutesTests.order(app, token: patient, service: "appointment", extra: ["slotId": slotId])
            #expect(booked.status == .created)
            #expect(booked.json["priceFen"] as? Int == 5000)
            let other = try await app.signIn(Demo.otherPatientPhone)
            let full = try await OrderRoutesTests.order(app, token: other, service: "appointment", extra: ["slotId": slotId])
            #expect(full.status == .conflict)
            #expect(full.errorCode == "slot_full")

            let orderId = try #require(booked.string("id"))
            _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: patient, json: ["amountFen": 5000], headers: OrderRoutesTests.key())
            #expect(try await app.send(.post, "/api/v1/orders/\(orderId)/pay", token: patient, headers: OrderRoutesTests.key()).status == .ok)
            let early = try await app.send(.post, "/api/v1/orders/\(orderId)/visit", token: doctor, json: ["diagnosis": "I10"])
            #expect(early.errorCode == "visit_not_started")
            app.clock.advance(by: 2 * 86_400 + 600)
            let doctorLater = try await app.signIn(Self.doctorPhone)
            let patientLater = try await app.signIn(Demo.patientPhone)
            let visit = try await app.send(.post, "/api/v1/orders/\(orderId)/visit", token: doctorLater, json: ["diagnosis": "I10"])
            #expect(visit.status == .ok)
            let encounterId = try #require(visit.string("id"))
            #expect(visit.string("source") == "medloopAppointment")
            #expect(visit.json["selfReported"] as? Bool == false)
            #expect(try await app.send(.get, "/api/v1/orders/\(orderId)", token: patientLater).string("state") == "completed")
            #expect(try await app.send(.get, "/api/v1/doctors/me/earnings", token: doctorLater).json["balanceFen"] as? Int == 4500)
            // The visit now carries an online follow-up.
            let followUp = try await OrderRoutesTests.order(app, token: patientLater, extra: ["encounterId": encounterId])
            #expect(followUp.status == .created)
        }
    }

    @Test("cancelling an appointment frees its place; slots in the past or too large are refused")
    func cancelFreesPlace() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Self.doctorPhone)
            let past = try await app.send(.post, "/api/v1/doctors/me/slots", token: doctor,
                                          json: ["startsAt": Timestamp.format(app.clock.now().addingTimeInterval(-60)), "minutes": 30, "capacity": 500])
            #expect(Set(past.errorFields) == ["startsAt", "capacity"])
            let platformDoctor = try await app.signIn("13900000026")
            let noHospital = try await app.send(.post, "/api/v1/doctors/me/slots", token: platformDoctor,
                                                json: ["startsAt": Timestamp.format(app.clock.now().addingTimeInterval(86_400)), "minutes": 30, "capacity": 2])
            #expect(noHospital.errorCode == "no_physical_hospital")
            let opened = try await app.send(.post, "/api/v1/doctors/me/slots", token: doctor,
                                            json: ["startsAt": Timestamp.format(app.clock.now().addingTimeInterval(86_400)), "minutes": 30, "capacity": 1])
            let slotId = try #require(opened.string("id"))
            let patient = try await app.signIn(Demo.patientPhone)
            let booked = try await OrderRoutesTests.order(app, token: patient, service: "appointment", extra: ["slotId": slotId])
            _ = try await app.send(.post, "/api/v1/orders/\(try #require(booked.string("id")))/cancel", token: patient, headers: OrderRoutesTests.key())
            let other = try await app.signIn(Demo.otherPatientPhone)
            #expect(try await OrderRoutesTests.order(app, token: other, service: "appointment", extra: ["slotId": slotId]).status == .created)
        }
    }
}
