import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import NIOCore
import Testing

@Suite("Consultations: the rules around the chat")
struct ConsultationRoutesTests {
    static let cardiologist = UUID.named("doctor:1")
    static let doctorPhone = "13900000001"

    static func key() -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: UUID().uuidString] }

    /// A paid text consultation of the demo patient with the cardiologist; returns its id and price.
    static func aPaidConsultation(_ app: Harness, patient: String) async throws -> (id: String, priceFen: Int) {
        let patientId = Demo.patientId(Demo.patientPhone)
        let encounter = try await app.send(.post, "/api/v1/patients/\(patientId.text)/encounters", token: patient, json: [
            "hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "2026-06-01", "icd10": "I10",
        ])
        let order = try await app.send(.post, "/api/v1/orders", token: patient, json: [
            "doctorId": cardiologist.text, "service": "textPackage", "encounterId": try #require(encounter.string("id")),
        ], headers: key())
        _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: patient, json: ["amountFen": 20_000], headers: key())
        let paid = try await app.send(.post, "/api/v1/orders/\(try #require(order.string("id")))/pay", token: patient, headers: key())
        return (try #require(paid.string("consultationId")), try #require(paid.json["priceFen"] as? Int))
    }

    @Test("a doctor who accepts eight waiting consultations at once has every one accepted, none lost to a deadlock")
    func acceptsAtOnce() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            var ids: [String] = []
            for _ in 0..<8 { ids.append(try await Self.aPaidConsultation(app, patient: patient).id) }
            let doctor = try await app.signIn(Self.doctorPhone)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for id in ids {
                    group.addTask { try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: .ok, count: 8))
            let profile = try await app.send(.get, "/api/v1/doctors/\(Self.cardiologist.text)")
            #expect(profile.status == .ok)
        }
    }

    @Test("no message before the doctor accepts, none from outsiders, none after the 48-hour window")
    func messageRules() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await Self.aPaidConsultation(app, patient: patient)
            let early = try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: patient, json: ["text": "在吗"])
            #expect(early.status == .conflict)
            #expect(early.errorCode == "consultation_not_active")

            let doctor = try await app.signIn(Self.doctorPhone)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor).status == .ok)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor).status == .conflict)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: patient, json: ["text": "医生好"]).status == .created)

            let outsider = try await app.signIn(Demo.otherPatientPhone)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: outsider, json: ["text": "hi"]).status == .notFound)
            #expect(try await app.send(.get, "/api/v1/consultations/\(id)/messages", token: outsider).status == .notFound)
            let otherDoctor = try await app.signIn("13900000002")
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: otherDoctor).status == .notFound)
            let empty = try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: patient, json: ["text": "   "])
            #expect(empty.errorFields == ["text"])

            app.clock.advance(by: 48 * 3600 + 1)
            let later = try await app.signIn(Demo.patientPhone)
            let closed = try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: later, json: ["text": "还在吗"])
            #expect(closed.status == .conflict)
            #expect(closed.errorCode == "consultation_window_closed")
            let history = try await app.send(.get, "/api/v1/consultations/\(id)/messages", token: later)
            #expect(history.items.count == 1)
        }
    }

    @Test("an upload that is not an image, or over 5 MiB, is refused and nothing is stored")
    func badImages() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await Self.aPaidConsultation(app, patient: patient)
            let doctor = try await app.signIn(Self.doctorPhone)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor)
            let uri = "/api/v1/consultations/\(id)/images"
            let text = try await app.client.executeRequest(uri: uri, method: .post, headers: [.authorization: "Bearer \(patient)"],
                                                           body: ByteBuffer(string: "<html>not an image</html>"))
            #expect(text.status == .badRequest)
            let huge = [UInt8]([0xFF, 0xD8, 0xFF]) + [UInt8](repeating: 0, count: ImageRule.maximumBytes)
            let big = try await app.client.executeRequest(uri: uri, method: .post, headers: [.authorization: "Bearer \(patient)"],
                                                          body: ByteBuffer(bytes: huge))
            #expect(big.status == .contentTooLarge)
            #expect(try await rawColumn("id", of: "uploads", in: app.database).isEmpty)
            let unknown = try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: patient, json: ["imageId": UUID().uuidString])
            #expect(unknown.errorFields == ["imageId"])
        }
    }

    @Test("a rating comes once, after completion, with scores from 1 to 5; only the patient sends gifts")
    func ratingRules() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await Self.aPaidConsultation(app, patient: patient)
            let rating: [String: Any] = ["efficiency": 5, "attitude": 4, "professionalism": 5]
            let early = try await app.send(.post, "/api/v1/consultations/\(id)/rating", token: patient, json: rating)
            #expect(early.errorCode == "consultation_not_finished")
            let doctor = try await app.signIn(Self.doctorPhone)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor)
            let badDiagnosis = try await app.send(.post, "/api/v1/consultations/\(id)/complete", token: doctor, json: ["diagnosis": "flu"])
            #expect(badDiagnosis.errorFields == ["diagnosis"])
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/complete", token: patient, json: ["diagnosis": "I10"])
                .status == .forbidden)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/complete", token: doctor,
                                       json: ["diagnosis": "I10", "outcome": "referred"]).status == .ok)
            let outOfRange = try await app.send(.post, "/api/v1/consultations/\(id)/rating", token: patient,
                                                json: ["efficiency": 6, "attitude": 0, "professionalism": 5])
            #expect(Set(outOfRange.errorFields) == ["efficiency", "attitude"])
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/rating", token: patient, json: rating).status == .created)
            let twice = try await app.send(.post, "/api/v1/consultations/\(id)/rating", token: patient, json: rating)
            #expect(twice.status == .conflict)
            #expect(twice.errorCode == "already_rated")
            let doctorGift = try await app.send(.post, "/api/v1/consultations/\(id)/gifts", token: doctor, json: ["kind": "flowers"],
                                                headers: Self.key())
            #expect(doctorGift.status == .forbidden)
            let unknownGift = try await app.send(.post, "/api/v1/consultations/\(id)/gifts", token: patient, json: ["kind": "car"],
                                                 headers: Self.key())
            #expect(unknownGift.errorFields == ["kind"])
            let before = try await app.send(.get, "/api/v1/wallet", token: patient).json["balanceFen"] as? Int
            // Each gift is paid from the wallet.
            for _ in 0..<3 {
                _ = try await app.send(.post, "/api/v1/consultations/\(id)/gifts", token: patient, json: ["kind": "banner"], headers: Self.key())
            }
            let after = try await app.send(.get, "/api/v1/wallet", token: patient).json["balanceFen"] as? Int
            #expect(after == before.map { $0 - 3 * Int(GiftKind.banner.priceFen) })
        }
    }

    @Test("a paid consultation nobody accepts within 24 hours is refunded by the background job, once")
    func refundUnaccepted() async throws {
        try await withApp { app in
            try await app.holdJobLease("refund-unaccepted-consultations")
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await Self.aPaidConsultation(app, patient: patient)
            let consultations = app.services.stores.consultations
            let context = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "job", at: app.clock.now())
            #expect(try await consultations.refundUnaccepted(queuedBefore: app.clock.now().addingTimeInterval(-86_400), context: context) == 0)
            app.clock.advance(by: 86_400 + 60)
            let now = app.clock.now()
            let later = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "job", at: now)
            async let first = consultations.refundUnaccepted(queuedBefore: now.addingTimeInterval(-86_400), context: later)
            async let second = consultations.refundUnaccepted(queuedBefore: now.addingTimeInterval(-86_400), context: later)
            #expect(try await first + second == 1)
            let token = try await app.signIn(Demo.patientPhone)
            #expect(try await app.send(.get, "/api/v1/wallet", token: token).json["balanceFen"] as? Int == 20_000)
            let consultation = try await app.send(.get, "/api/v1/consultations/\(id)", token: token)
            #expect(consultation.string("state") == "refunded")
            let doctor = try await app.signIn(Self.doctorPhone)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor).status == .conflict)
        }
    }
}

@Suite("Voice and video: per started minute")
struct CallTests {
    @Test("a video consultation charges the started minutes it used and refunds the rest of the prepayment")
    func metered() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let patientId = Demo.patientId(Demo.patientPhone)
            let encounter = try await app.send(.post, "/api/v1/patients/\(patientId.text)/encounters", token: patient, json: [
                "hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "2026-06-01", "icd10": "I10",
            ])
            let tooLong = try await app.send(.post, "/api/v1/orders", token: patient, json: [
                "doctorId": ConsultationRoutesTests.cardiologist.text, "service": "videoPerMinute",
                "encounterId": try #require(encounter.string("id")), "prepaidMinutes": 61,
            ], headers: ConsultationRoutesTests.key())
            #expect(tooLong.errorFields == ["prepaidMinutes"])
            let order = try await app.send(.post, "/api/v1/orders", token: patient, json: [
                "doctorId": ConsultationRoutesTests.cardiologist.text, "service": "videoPerMinute",
                "encounterId": try #require(encounter.string("id")), "prepaidMinutes": 10,
            ], headers: ConsultationRoutesTests.key())
            let unit = try #require(order.json["unitPriceFen"] as? Int)
            #expect(order.json["priceFen"] as? Int == unit * 10)
            _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: patient, json: ["amountFen": 50_000],
                                   headers: ConsultationRoutesTests.key())
            let paid = try await app.send(.post, "/api/v1/orders/\(try #require(order.string("id")))/pay", token: patient,
                                          headers: ConsultationRoutesTests.key())
            let id = try #require(paid.string("consultationId"))
            let doctor = try await app.signIn(ConsultationRoutesTests.doctorPhone)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor)

            let call = try await app.send(.post, "/api/v1/consultations/\(id)/calls", token: doctor)
            #expect(call.status == .created)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/calls", token: patient).errorCode == "call_in_progress")
            app.clock.advance(by: 150)   // 2.5 minutes: 3 started minutes
            let ended = try await app.send(.post, "/api/v1/consultations/\(id)/calls/\(try #require(call.string("id")))/end", token: patient)
            #expect(ended.json["seconds"] as? Int == 150)
            #expect(ended.json["minutes"] as? Int == 3)
            let second = try await app.send(.post, "/api/v1/consultations/\(id)/calls", token: patient)
            app.clock.advance(by: 30)     // still open at completion: 1 more minute
            _ = second
            let completed = try await app.send(.post, "/api/v1/consultations/\(id)/complete", token: doctor, json: ["diagnosis": "I10"])
            #expect(completed.status == .ok)

            // Doctor 1's video minute costs 13.50 yuan: 4 started minutes are 54.00 yuan, of which
            // 10 % (5.40) is commission and 48.60 the doctor's; the other 6 prepaid minutes go back.
            #expect(unit == 1350)
            #expect(try await app.send(.get, "/api/v1/wallet", token: patient).json["balanceFen"] as? Int == 44_600)
            #expect(try await app.send(.get, "/api/v1/doctors/me/earnings", token: doctor).json["balanceFen"] as? Int == 4860)
            #expect(try await LedgerStore(database: app.database).balance(of: .platformCommission) == 540)
            #expect(try await LedgerStore(database: app.database).balance(of: .escrow) == 0)
        }
    }

    @Test("a text consultation has no calls")
    func textHasNoCalls() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            let doctor = try await app.signIn(ConsultationRoutesTests.doctorPhone)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/calls", token: doctor).errorCode == "not_a_call")
        }
    }
}

@Suite("Remote multidisciplinary consultation")
struct InvitationTests {
    @Test("the doctor invites a colleague who then reads and writes the case; nobody else can invite")
    func invite() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            let doctor = try await app.signIn(ConsultationRoutesTests.doctorPhone)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: patient, json: ["text": "最近头晕"])
            let endocrinologist = UUID.named("doctor:2")
            let colleague = try await app.signIn("13900000002")
            #expect(try await app.send(.get, "/api/v1/consultations/\(id)/messages", token: colleague).status == .notFound)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/invitations", token: patient,
                                       json: ["doctorId": endocrinologist.text]).status == .forbidden)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/invitations", token: doctor,
                                       json: ["doctorId": UUID.named("doctor:29").text]).errorFields == ["doctorId"])
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/invitations", token: doctor,
                                       json: ["doctorId": endocrinologist.text]).status == .created)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/invitations", token: doctor,
                                       json: ["doctorId": endocrinologist.text]).errorCode == "already_invited")
            let seen = try await app.send(.get, "/api/v1/consultations/\(id)/messages", token: colleague)
            #expect(seen.items.count == 1)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: colleague,
                                       json: ["text": "建议查一下血糖"]).status == .created)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/complete", token: colleague,
                                       json: ["diagnosis": "I10"]).status == .notFound)
        }
    }
}
