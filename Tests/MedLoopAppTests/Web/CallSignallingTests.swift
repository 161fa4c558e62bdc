import Foundation
import HTTPTypes
import HummingbirdWSTesting
import MedLoopDomain
import MedLoopStore
import NIOCore
import Testing
import WSClient

/// A call's WebRTC signalling on the consultation's WebSocket: relayed between the consultation's
/// two parties only, refused anywhere else.
@Suite("Call signalling")
struct CallSignallingTests {
    /// A paid, accepted consultation of `service` between the demo patient and the cardiologist.
    static func anAcceptedConsultation(_ app: Harness, service: String) async throws -> (id: String, patient: String, doctor: String) {
        let patient = try await app.signIn(Demo.patientPhone)
        let patientId = Demo.patientId(Demo.patientPhone)
        let encounter = try await app.send(.post, "/api/v1/patients/\(patientId.text)/encounters", token: patient, json: [
            "hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "2026-06-01", "icd10": "I10",
        ])
        var order: [String: Any] = ["doctorId": CarePathTests.cardiologist.text, "service": service,
                                    "encounterId": try #require(encounter.string("id"))]
        if service != "textPackage" { order["prepaidMinutes"] = 10 }
        let placed = try await app.send(.post, "/api/v1/orders", token: patient, json: order, headers: CarePathTests.key())
        _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: patient, json: ["amountFen": 100_000], headers: CarePathTests.key())
        let paid = try await app.send(.post, "/api/v1/orders/\(try #require(placed.string("id")))/pay", token: patient,
                                      headers: CarePathTests.key())
        let id = try #require(paid.string("consultationId"))
        let doctor = try await app.signIn(CarePathTests.doctorPhone)
        #expect(try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor).status == .ok)
        return (id, patient, doctor)
    }

    /// The frames `token`'s stream on `consultation` receives after sending `frames`, until
    /// `enough` says so or `patience` passes.
    static func exchange(_ app: Harness, _ consultation: String, token: String, send frames: [String],
                         patience: Duration = .seconds(10),
                         until enough: @escaping @Sendable ([String]) -> Bool = { _ in false }) async throws -> [String] {
        let received = Collected()
        try await app.client.ws("/api/v1/consultations/\(consultation)/stream",
                                configuration: CarePathTests.bearer(token)) { inbound, outbound, _ in
            for frame in frames { try await outbound.write(.text(frame)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await frame in inbound.messages(maxSize: 1 << 16) {
                        guard case .text(let text) = frame else { continue }
                        _ = received.append(text)
                        if enough(received.items) { return }
                    }
                }
                group.addTask { try await Task.sleep(for: patience) }
                _ = try await group.next()
                group.cancelAll()
            }
        }
        return received.items
    }

    static let offer = #"{"type":"signal","signal":{"kind":"offer","sdp":"v=0\r\n"}}"#

    @Test("an offer from the patient reaches the doctor's stream, marked as the patient's")
    func relayed() async throws {
        try await withApp(live: true) { app in
            let (id, patient, doctor) = try await Self.anAcceptedConsultation(app, service: "videoPerMinute")
            let (ready, opened) = AsyncStream.makeStream(of: Void.self)
            // The doctor's first frame (the answer to its hello) says its stream is open; if it never
            // comes, the end of the doctor's wait ends this one too.
            async let doctorSaw = { () async throws -> [String] in
                defer { opened.finish() }
                return try await Self.exchange(app, id, token: doctor, send: [#"{"type":"hello"}"#]) { frames in
                    if frames.count == 1 { opened.yield() }
                    return frames.contains { $0.contains(#""kind":"offer""#) }
                }
            }()
            for await _ in ready { break }
            let patientSaw = try await Self.exchange(app, id, token: patient, send: [Self.offer], patience: .seconds(1))
            let signals = try await doctorSaw.map(CarePathTests.event).filter { $0["type"] as? String == "signal" }
            #expect(signals.count == 1)
            #expect(signals.first?["from"] as? String == "patient")
            #expect((signals.first?["signal"] as? [String: Any])?["sdp"] as? String == "v=0\r\n")
            // The sender does not hear itself.
            #expect(!patientSaw.contains { $0.contains(#""type":"signal""#) })
        }
    }

    @Test("signalling in a text consultation, of an unknown kind, or from someone not in the consultation is refused")
    func refused() async throws {
        try await withApp(live: true) { app in
            let text = try await Self.anAcceptedConsultation(app, service: "textPackage")
            let notACall = try await Self.exchange(app, text.id, token: text.patient, send: [Self.offer]) { !$0.isEmpty }
            #expect(notACall.first?.contains("not_a_call") == true)

            let video = try await Self.anAcceptedConsultation(app, service: "videoPerMinute")
            let unknown = try await Self.exchange(app, video.id, token: video.patient,
                                                  send: [#"{"type":"signal","signal":{"kind":"shout"}}"#]) { !$0.isEmpty }
            #expect(unknown.first?.contains("invalid_request") == true)

            // The outsider's stream is refused as it opens: read raw, as the answer shares a packet with the handshake.
            let outsider = try await app.signIn(Demo.otherPatientPhone)
            let refused = try await RawWebSocket.open(port: try #require(app.client.port), "/api/v1/consultations/\(video.id)/stream",
                                                      headers: ["Authorization: Bearer \(outsider)"], send: [Self.offer])
            #expect(refused.texts.first?.contains(#""type":"error""#) == true)
            #expect(refused.texts.allSatisfy { !$0.contains(#""type":"signal""#) })
            #expect(refused.closed)
        }
    }

    @Test("a session cookie opens a consultation's stream only from a page of the same host")
    func cookieNeedsSameOrigin() async throws {
        try await withApp(live: true) { app in
            let video = try await Self.anAcceptedConsultation(app, service: "videoPerMinute")
            let browser = WebBrowser(app)
            _ = try await browser.signIn(Demo.patientPhone)
            let cookie = "medloop_session=\(try #require(browser.cookies["medloop_session"]))"
            let foreign = try await RawWebSocket.open(port: try #require(app.client.port), "/api/v1/consultations/\(video.id)/stream",
                                                      headers: ["Cookie: \(cookie)", "Origin: http://evil.example"])
            #expect(foreign.texts.first?.contains("forbidden") == true)
            #expect(foreign.closed)
        }
    }
}
