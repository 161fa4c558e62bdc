import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing
import WSClient

/// Several servers on one database (ARCHITECTURE.md, "Scale"): live chat must not depend on
/// which server a client is connected to.
@Suite("Live chat across servers")
struct ChatFanOutTests {
    struct TimedOut: Error {}

    /// Opens a consultation stream, proves the server is listening (an unknown frame is answered
    /// with an error), signals `ready`, then collects events until `done` says so. Finishes `ready`
    /// when it ends, however it ends, so that no one waits for good on a stream that failed.
    static func listen(_ client: any TestClientProtocol, consultation: String, token: String,
                       ready: AsyncStream<Void>.Continuation, whenReady: (@Sendable (WebSocketOutboundWriter) async throws -> Void)? = nil,
                       until done: @escaping @Sendable ([[String: Any]]) -> Bool) async throws -> [String] {
        let received = Collected()
        defer { ready.finish() }
        try await client.ws("/api/v1/consultations/\(consultation)/stream", configuration: CarePathTests.bearer(token)) { inbound, outbound, _ in
            try await outbound.write(.text(#"{"type":"hello"}"#))
            for try await frame in inbound.messages(maxSize: 1 << 16) {
                guard case .text(let text) = frame else { continue }
                let event = CarePathTests.event(text)
                if event["type"] as? String == "error" {
                    ready.yield()
                    try await whenReady?(outbound)
                    continue
                }
                _ = received.append(text)
                if done(received.items.map(CarePathTests.event)) { return }
            }
        }
        return received.items
    }

    @Test("the fan-out reads a batch's messages in one statement: each by its id, as sent, and no id that names no message")
    func batchOfMessages() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let doctor = try await app.signIn(ConsultationRoutesTests.doctorPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            #expect(try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor).status == .ok)
            var sent: [UUID: String] = [:]
            for (token, text) in [(patient, "血压还是 150/95"), (doctor, "药量加倍前先复查"), (patient, "好的")] {
                let reply = try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: token,
                                               json: ["text": text])
                let messageId = try #require(reply.string("id"))
                sent[try #require(UUID(uuidString: messageId))] = text
            }
            let read = try await app.services.stores.messages.messages(Array(sent.keys) + [UUID()])
            #expect(read.count == 3)
            for (messageId, text) in sent {
                #expect(read[messageId]?.text == text)
                #expect(read[messageId]?.consultationId == UUID(uuidString: id))
            }
            #expect(try await app.services.stores.messages.messages([]).isEmpty)
        }
    }

    @Test("a message sent through one server reaches the stream open on another, in both directions, with state changes")
    func acrossServers() async throws {
        try await withApp(live: true) { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let doctor = try await app.signIn(ConsultationRoutesTests.doctorPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)

            try await app.withSecondServer { second in
                let (ready, readySignal) = AsyncStream.makeStream(of: Void.self)
                let (accepted, acceptedSignal) = AsyncStream.makeStream(of: Void.self)
                try await withThrowingTaskGroup(of: (String, [String]).self) { group in
                    // The doctor listens on the first server and waits for the patient's reply.
                    group.addTask {
                        let events = try await Self.listen(app.client, consultation: id, token: doctor, ready: readySignal) { events in
                            events.contains { ($0["message"] as? [String: Any])?["text"] as? String == "收到，谢谢医生" }
                        }
                        return ("doctor", events)
                    }
                    // The patient listens on the second server, and replies through it once the doctor writes.
                    group.addTask {
                        let replied = Collected()
                        let events = try await Self.listen(second, consultation: id, token: patient, ready: readySignal, whenReady: nil) { events in
                            events.contains { ($0["message"] as? [String: Any])?["text"] as? String == "请按时服药" }
                        }
                        _ = replied.append("done")
                        return ("patient", events)
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(20))
                        readySignal.finish()
                        throw TimedOut()
                    }
                    // Both streams are open: the doctor accepts and writes through the first server.
                    var readyCount = 0
                    for await _ in ready {
                        readyCount += 1
                        if readyCount == 2 { break }
                    }
                    #expect(try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor).status == .ok)
                    acceptedSignal.yield()
                    let sent = try await app.send(.post, "/api/v1/consultations/\(id)/messages", token: doctor, json: ["text": "请按时服药"])
                    #expect(sent.status == .created)

                    var results: [String: [String]] = [:]
                    while let (who, events) = try await group.next() {
                        results[who] = events
                        if who == "patient" {
                            // The patient's reply goes in through the second server's REST API.
                            let reply = try await second.executeRequest(
                                uri: "/api/v1/consultations/\(id)/messages", method: .post,
                                headers: [.authorization: "Bearer \(patient)", .contentType: "application/json"],
                                body: .init(string: #"{"text":"收到，谢谢医生"}"#))
                            #expect(reply.status == .created)
                        }
                        if results.count == 2 { break }
                    }
                    group.cancelAll()
                    _ = accepted

                    let patientSaw = (results["patient"] ?? []).map(CarePathTests.event)
                    #expect(patientSaw.contains { $0["type"] as? String == "state"
                        && ($0["state"] as? [String: Any])?["event"] as? String == "consultation.accepted" })
                    #expect(patientSaw.contains { ($0["message"] as? [String: Any])?["text"] as? String == "请按时服药" })
                    let doctorSaw = (results["doctor"] ?? []).map(CarePathTests.event)
                    #expect(doctorSaw.contains { ($0["message"] as? [String: Any])?["text"] as? String == "收到，谢谢医生" })
                }
            }
        }
    }
}
