import Foundation
import HTTPTypes
import HummingbirdWSTesting
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import NIOCore
import Synchronization
import Testing
import WSClient

/// The whole care path as a patient and a doctor walk it, through the HTTP API and the
/// consultation WebSocket: search → profile → a first visit refused → a follow-up booked and paid
/// → queue → chat with an image → diagnosis → completed → rating and gift → earnings split.
@Suite("The care path, end to end")
struct CarePathTests {
    static let cardiologist = UUID.named("doctor:1")
    static let doctorPhone = "13900000001"

    /// The smallest valid PNG (1×1 pixel).
    static let png: [UInt8] = [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41,
        0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]

    static func key() -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: UUID().uuidString] }

    static func bearer(_ token: String) -> WebSocketClientConfiguration {
        WebSocketClientConfiguration(additionalHeaders: [.authorization: "Bearer \(token)"])
    }

    /// Parses a stream event.
    static func event(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test("a patient finds a doctor, consults over the live chat with an image, and the fee is split")
    func wholePath() async throws {
        try await withApp(live: true) { app in
            // Search and profile, without signing in.
            let found = try await app.send(.get, "/api/v1/doctors?q=%E9%AB%98%E8%A1%80%E5%8E%8B&sort=rating")
            #expect(found.items.contains { ($0["id"] as? String)?.lowercased() == Self.cardiologist.text })
            let profile = try await app.send(.get, "/api/v1/doctors/\(Self.cardiologist.text)")
            #expect(profile.json["isBookable"] as? Bool == true)

            // A first visit online is refused; a follow-up of a hospital diagnosis is booked and paid.
            let patient = try await app.signIn(Demo.patientPhone)
            let firstVisit = try await app.send(.post, "/api/v1/orders", token: patient,
                                                json: ["doctorId": Self.cardiologist.text, "service": "textPackage"], headers: Self.key())
            #expect(firstVisit.errorCode == "prior_visit_required")
            let patientId = Demo.patientId(Demo.patientPhone)
            let encounter = try await app.send(.post, "/api/v1/patients/\(patientId.text)/encounters", token: patient, json: [
                "hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "2026-06-01", "icd10": "I10",
            ])
            let order = try await app.send(.post, "/api/v1/orders", token: patient, json: [
                "doctorId": Self.cardiologist.text, "service": "textPackage", "encounterId": try #require(encounter.string("id")),
                "symptoms": "最近血压偏高，想调整用药",
            ], headers: Self.key())
            #expect(order.status == .created)
            let orderId = try #require(order.string("id"))
            let price = try #require(order.json["priceFen"] as? Int)
            _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: patient, json: ["amountFen": 20_000], headers: Self.key())
            let paid = try await app.send(.post, "/api/v1/orders/\(orderId)/pay", token: patient, headers: Self.key())
            #expect(paid.string("state") == "paid")
            let consultationId = try #require(paid.string("consultationId"))

            // The patient sees their place in the queue; the doctor sees them waiting and accepts.
            let waiting = try await app.send(.get, "/api/v1/consultations/\(consultationId)", token: patient)
            #expect(waiting.string("state") == "waiting")
            #expect((waiting.json["queue"] as? [String: Any])?["position"] as? Int == 1)
            let doctor = try await app.signIn(Self.doctorPhone)
            let queue = try await app.send(.get, "/api/v1/doctors/me/queue", token: doctor)
            #expect(queue.items.compactMap { ($0["id"] as? String)?.lowercased() } == [consultationId.lowercased()])
            let accepted = try await app.send(.post, "/api/v1/consultations/\(consultationId)/accept", token: doctor)
            #expect(accepted.string("state") == "active")
            #expect(accepted.string("closesAt") != nil)

            // The patient uploads an image over REST.
            let upload = try await app.client.executeRequest(
                uri: "/api/v1/consultations/\(consultationId)/images", method: .post,
                headers: [.authorization: "Bearer \(patient)", .contentType: "image/png"], body: ByteBuffer(bytes: Self.png))
            #expect(upload.status == .created)
            let imageId = try #require((try JSONSerialization.jsonObject(with: Data(buffer: upload.body)) as? [String: Any])?["imageId"] as? String)

            // Live chat: the doctor listens; the patient sends text and the image; the doctor reads both.
            let stream = "/api/v1/consultations/\(consultationId)/stream"
            let (ready, readySignal) = AsyncStream.makeStream(of: Void.self)
            try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    let received = Collected()
                    // The patient waits for the doctor's stream; it waits no longer once that stream has ended.
                    defer { readySignal.finish() }
                    try await app.client.ws(stream, configuration: Self.bearer(doctor)) { inbound, outbound, _ in
                        // An unknown frame type is answered with an error: proof the server listens.
                        try await outbound.write(.text(#"{"type":"hello"}"#))
                        for try await frame in inbound.messages(maxSize: 1 << 16) {
                            guard case .text(let text) = frame else { continue }
                            let event = Self.event(text)
                            if event["type"] as? String == "error" { readySignal.yield(); continue }
                            guard event["type"] as? String == "message" else { continue }
                            if received.append(text) == 2 {
                                let last = (event["message"] as? [String: Any])?["id"] as? String ?? ""
                                try await outbound.write(.text(#"{"type":"read","upTo":"\#(last)"}"#))
                                try await Task.sleep(for: .milliseconds(200))
                                return
                            }
                        }
                    }
                    return received.items
                }
                group.addTask {
                    let read = Collected()
                    for await _ in ready { break }
                    try await app.client.ws(stream, configuration: Self.bearer(patient)) { inbound, outbound, _ in
                        try await outbound.write(.text(#"{"type":"message","text":"医生您好，这是我最近的血压记录"}"#))
                        try await outbound.write(.text(#"{"type":"message","imageId":"\#(imageId)"}"#))
                        for try await frame in inbound.messages(maxSize: 1 << 16) {
                            guard case .text(let text) = frame, Self.event(text)["type"] as? String == "read" else { continue }
                            _ = read.append(text)
                            return
                        }
                    }
                    return read.items
                }
                var results: [[String]] = []
                for try await result in group { results.append(result) }
                let doctorSaw = results.first { $0.count == 2 } ?? []
                #expect(doctorSaw.count == 2)
                #expect(doctorSaw.first?.contains("血压记录") == true)
                #expect(doctorSaw.last?.contains(imageId) == true)
                #expect(results.contains { $0.count == 1 && $0[0].contains("read") })
            }

            // History over REST shows both messages, read; the doctor can fetch the image.
            let history = try await app.send(.get, "/api/v1/consultations/\(consultationId)/messages", token: doctor)
            #expect(history.items.count == 2)
            #expect(history.items.allSatisfy { $0["readAt"] != nil && !($0["readAt"] is NSNull) })
            let image = try await app.client.executeRequest(uri: "/api/v1/images/\(imageId)", method: .get,
                                                            headers: [.authorization: "Bearer \(doctor)"], body: nil)
            #expect(image.status == .ok)
            #expect(Array(buffer: image.body) == Self.png)

            // Diagnosis and completion; the patient rates and thanks the doctor.
            let completed = try await app.send(.post, "/api/v1/consultations/\(consultationId)/complete", token: doctor,
                                               json: ["diagnosis": "I10", "notes": "继续氨氯地平 5mg 每日一次，两周后复查血压"])
            #expect(completed.string("state") == "completed")
            #expect(completed.string("diagnosis") == "I10")
            let rated = try await app.send(.post, "/api/v1/consultations/\(consultationId)/rating", token: patient,
                                           json: ["efficiency": 5, "attitude": 5, "professionalism": 4, "comment": "回复很及时"])
            #expect(rated.status == .created)
            let gift = try await app.send(.post, "/api/v1/consultations/\(consultationId)/gifts", token: patient,
                                          json: ["kind": "flowers"], headers: Self.key())
            #expect(gift.status == .created)

            // The fee and the gift were split: 10 % commission, the rest to the doctor, to the fen.
            // Fee 45.00 yuan: 4.50 + 40.50; flowers 9.90 yuan: 0.99 + 8.91.
            #expect(price == 4500)
            let earnings = try await app.send(.get, "/api/v1/doctors/me/earnings", token: doctor)
            #expect(earnings.json["balanceFen"] as? Int == 4050 + 891)
            let ledger = LedgerStore(database: app.database)
            #expect(try await ledger.balance(of: .platformCommission) == 450 + 99)
            #expect(try await ledger.balance(of: .escrow) == 0)
            #expect(try await app.send(.get, "/api/v1/wallet", token: patient).json["balanceFen"] as? Int
                    == 20_000 - price - Int(GiftKind.flowers.priceFen))
            let order2 = try await app.send(.get, "/api/v1/orders/\(orderId)", token: patient)
            #expect(order2.string("state") == "completed")
            let after = try await app.send(.get, "/api/v1/doctors/\(Self.cardiologist.text)")
            #expect((after.json["counters"] as? [String: Any])?["patientsServed"] as? Int == 1)
            #expect((after.json["counters"] as? [String: Any])?["ratingCount"] as? Int == 1)
            let reputation = try await app.send(.get, "/api/v1/doctors/\(Self.cardiologist.text)/reputation")
            #expect(reputation.json["ratings"] as? Int == 1)
            #expect(reputation.json["professionalism"] as? Double == 4)
            #expect((reputation.json["gifts"] as? [String: Int])?["flowers"] == 1)
            let top = try await app.send(.get, "/api/v1/doctors/top?department=cardiology")
            #expect((top.items.first?["doctorId"] as? String)?.lowercased() == Self.cardiologist.text)
            #expect(top.items.first?["rank"] as? Int == 1)
        }
    }
}

/// Texts gathered by a WebSocket handler.
final class Collected: Sendable {
    private let texts = Mutex<[String]>([])

    /// Adds a text; returns how many there are now.
    func append(_ text: String) -> Int { texts.withLock { $0.append(text); return $0.count } }
    var items: [String] { texts.withLock { $0 } }
}
