import Foundation
import HTTPTypes
@testable import MedLoopApp
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Synchronization
import Testing

@Suite("Notifications: inbox and outbox")
struct NotificationTests {
    /// A provider that records what it was asked to deliver, or refuses everything.
    final class RecordingProvider: DeliveryProvider {
        let refuses: Bool
        let delivered = Mutex<[String]>([])
        init(refuses: Bool = false) { self.refuses = refuses }

        func deliver(_ item: OutboxItem) async throws {
            struct Refused: Error {}
            if refuses { throw Refused() }
            delivered.withLock { $0.append("\(item.channel):\(item.kind.rawValue)") }
        }
    }

    @Test("accepting, replying and the queue fill the patient's inbox; the outbox is delivered once")
    func inboxAndDelivery() async throws {
        try await withApp { app in
            try await app.holdJobLease("deliver-notifications")
            let patient = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            let doctor = try await app.signIn(ConsultationRoutesTests.doctorPhone)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: doctor, json: ["text": "请描述一下最近的血压"])
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: patient, json: ["text": "早上150/95"])

            let inbox = try await app.send(.get, "/api/v1/notifications", token: patient)
            #expect(inbox.items.compactMap { $0["kind"] as? String } == ["newReply", "consultationAccepted", "queueTurnNear"])
            #expect(inbox.items.first?["title"] as? String == "医生回复了您")
            let english = try await app.send(.get, "/api/v1/notifications", token: patient, headers: [.acceptLanguage: "en"])
            #expect(english.items.first?["title"] as? String == "The doctor replied")
            #expect(try await app.send(.get, "/api/v1/notifications", token: doctor).items.isEmpty)

            let first = try #require(inbox.items.first?["id"] as? String)
            #expect(try await app.send(.post, "/api/v1/notifications/\(first)/read", token: doctor).status == .notFound)
            #expect(try await app.send(.post, "/api/v1/notifications/\(first)/read", token: patient).status == .noContent)
            #expect(try await app.send(.get, "/api/v1/notifications?unread=true", token: patient).items.count == 2)

            let store = NotificationStore(database: app.database)
            let provider = RecordingProvider()
            let job = Job.deliverNotifications(store, provider: provider)
            try await job.work(app.clock.now())
            try await job.work(app.clock.now())
            // Push for all three; SMS for the accepted consultation and the turn in the queue.
            #expect(provider.delivered.withLock { $0.sorted() } == ["push:consultationAccepted", "push:newReply", "push:queueTurnNear",
                                                                    "sms:consultationAccepted", "sms:queueTurnNear"])
            #expect(try await store.pending(limit: 10).isEmpty)
        }
    }

    @Test("a refused delivery stays pending and is given up after five attempts")
    func failedDelivery() async throws {
        try await withApp { app in
            try await app.holdJobLease("deliver-notifications")
            let patient = try await app.signIn(Demo.patientPhone)
            _ = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            let store = NotificationStore(database: app.database)
            let job = Job.deliverNotifications(store, provider: RecordingProvider(refuses: true))
            try await job.work(app.clock.now())
            #expect(try await store.pending(limit: 10).count == 2)
            for _ in 0..<4 { try await job.work(app.clock.now()) }
            #expect(try await store.pending(limit: 10).isEmpty)
            #expect(try await rawColumn("status", of: "notification_outbox", in: app.database) == ["failed", "failed"])
        }
    }
}
