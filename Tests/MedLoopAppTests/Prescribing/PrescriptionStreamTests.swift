import Foundation
import Hummingbird
import HummingbirdTesting
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("The consultation stream follows the prescription to the door")
struct PrescriptionStreamTests {
    @Test("the patient's stream gets the approval and each step of the medicine order as it happens")
    func liveSteps() async throws {
        try await withApp(live: true) { app in
            let (consultation, patient, doctor) = try await app.anAcceptedConsultation()
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
                "diagnosis": "I10", "items": [anItem(Shelf.amlodipine, dose: 5)],
            ])
            let id = try #require(draft.string("id"))
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(id)/sign", token: doctor).status == .ok)
            let pharmacist = try await app.signIn(PrescriptionFlowTests.reviewer)
            let (ready, readySignal) = AsyncStream.makeStream(of: Void.self)
            let events = try await withThrowingTaskGroup(of: [String]?.self) { group in
                group.addTask {
                    try await ChatFanOutTests.listen(app.client, consultation: consultation, token: patient, ready: readySignal) { events in
                        events.contains { ($0["state"] as? [String: Any])?["event"] as? String == "medicine_order.paid" }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(20))
                    readySignal.finish()
                    throw ChatFanOutTests.TimedOut()
                }
                for await _ in ready { break }
                #expect(try await app.send(.post, "/api/v1/prescriptions/\(id)/review", token: pharmacist,
                                           json: ["decision": "approve"]).status == .ok)
                let reserved = try await app.send(.post, "/api/v1/prescriptions/\(id)/medicine-orders", token: patient, json: [
                    "pharmacyId": MedicineOrderTests.hehua.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
                ], headers: ConsultationRoutesTests.key())
                let order = try #require(reserved.string("id"))
                #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient,
                                           headers: ConsultationRoutesTests.key()).status == .ok)
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first ?? []
            }
            let steps = events.map(CarePathTests.event).compactMap { ($0["state"] as? [String: Any])?["event"] as? String }
            #expect(steps == ["prescription.approved", "medicine_order.reserved", "medicine_order.paid"])
        }
    }
}
