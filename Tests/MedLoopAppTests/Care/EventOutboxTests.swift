import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

/// The domain-event outbox (ARCHITECTURE.md, "Events"): every state change of an order or a
/// consultation is in it, in order, written with the change and never for a refused one.
@Suite("The event outbox")
struct EventOutboxTests {
    static func kinds(_ app: Harness, about type: String, _ id: String) async throws -> [EventKind] {
        try await EventStore(database: app.database).events(about: type, try #require(UUID(uuidString: id))).map(\.event.kind)
    }

    @Test("placing, paying and cancelling orders are in the outbox, with the consultation queued and refunded")
    func orderLifecycle() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            let encounter = try await OrderRoutesTests.anEncounter(app, token: token)
            _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: token, json: ["amountFen": 20_000],
                                   headers: OrderRoutesTests.key())
            let paid = try #require(try await OrderRoutesTests.order(app, token: token, extra: ["encounterId": encounter]).string("id"))
            let payment = try await app.send(.post, "/api/v1/orders/\(paid)/pay", token: token, headers: OrderRoutesTests.key())
            let consultation = try #require(payment.string("consultationId"))
            // Paying again is refused and leaves no event.
            _ = try await app.send(.post, "/api/v1/orders/\(paid)/pay", token: token, headers: OrderRoutesTests.key())
            _ = try await app.send(.post, "/api/v1/orders/\(paid)/cancel", token: token, headers: OrderRoutesTests.key())
            #expect(try await Self.kinds(app, about: "order", paid) == [.orderPlaced, .orderPaid, .orderRefunded])
            #expect(try await Self.kinds(app, about: "consultation", consultation) == [.consultationQueued, .consultationRefunded])

            let unpaid = try #require(try await OrderRoutesTests.order(app, token: token, extra: ["encounterId": encounter]).string("id"))
            _ = try await app.send(.post, "/api/v1/orders/\(unpaid)/cancel", token: token, headers: OrderRoutesTests.key())
            _ = try await app.send(.post, "/api/v1/orders/\(unpaid)/pay", token: token, headers: OrderRoutesTests.key())
            #expect(try await Self.kinds(app, about: "order", unpaid) == [.orderPlaced, .orderCancelled])
        }
    }

    @Test("every chat change is recorded in the event outbox with the consultation as subject, in order")
    func outboxRecordsChat() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let doctor = try await app.signIn(ConsultationRoutesTests.doctorPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor)
            let sent = try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: patient, json: ["text": "医生好"])
            let messageId = try #require(sent.string("id"))
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/read", token: doctor, json: ["upTo": messageId])
            // Refused changes leave no event behind.
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor)
            let outsider = try await app.signIn(Demo.otherPatientPhone)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: outsider, json: ["text": "hi"])

            let trail = try await EventStore(database: app.database).events(about: "consultation", try #require(UUID(uuidString: id)))
            #expect(trail.map(\.event.kind) == [.consultationQueued, .consultationAccepted, .messageSent, .messagesRead])
            #expect(trail.map(\.sequence) == trail.map(\.sequence).sorted())
            #expect(try trail[2].event.decodePayload(as: MessageSent.self).messageId.text == messageId.lowercased())
            // The outbox names the message; it does not copy what the patient wrote.
            #expect(!trail[2].event.payload.contains("医生好"))
        }
    }
}
