import Foundation
import Testing
import MedLoopDomain
import MedLoopStore

/// Booking from a doctor's profile page: for oneself, or for a child one is the guardian of.
@Suite("Booking page")
struct BookingPageTests {
    @Test("a guardian books a follow-up for their child on the child's prior visit, present at the consultation")
    func forAChild() async throws {
        try await withApp { app in
            let guardian = try await app.signIn(Demo.patientPhone)
            let family = try await app.send(.get, "/api/v1/patients/\(Demo.patientId(Demo.patientPhone).text)/family", token: guardian)
            let child = try #require(family.items.first?["patientId"] as? String).lowercased()
            let visit = try await app.send(.post, "/api/v1/patients/\(child)/encounters", token: guardian, json: [
                "hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "2026-07-10", "icd10": "J45.9",
            ])
            let visitId = try #require(visit.string("id"))

            let browser = WebBrowser(app)
            _ = try await browser.signIn(Demo.patientPhone)
            let doctor = ConsultationPatientTests.pediatrician.text
            let page = try await browser.get("/doctors/\(doctor)?for=\(child)")
            #expect(page.status == .ok)
            #expect(page.text.lowercased().contains("<option value=\"\(visitId.lowercased())\">"))
            #expect(page.text.contains("name=\"guardianPresent\""))
            let key = try #require(WebBrowser.first(#"name="idempotencyKey" value="([^"]+)""#, in: page.text))

            // Without the guardian's presence the API refuses a minor's consultation; nothing is booked.
            let refused = try await browser.post("/doctors/\(doctor)/book", [
                ("idempotencyKey", UUID().uuidString), ("service", "textPackage"), ("encounterId", visitId), ("patientId", child),
            ])
            #expect(refused.status.code >= 400)
            #expect(try await app.send(.get, "/api/v1/orders", token: guardian).items.isEmpty)

            let booked = try await browser.post("/doctors/\(doctor)/book", [
                ("idempotencyKey", key), ("service", "textPackage"), ("encounterId", visitId), ("patientId", child),
                ("guardianPresent", "1"),
            ])
            #expect(booked.status == .seeOther)
            let orders = try await app.send(.get, "/api/v1/orders", token: guardian).items
            #expect(orders.count == 1)
            #expect((orders.first?["patientId"] as? String)?.lowercased() == child)
            #expect(orders.first?["guardianPresent"] as? Bool == true)
        }
    }

    @Test("someone else's family member cannot be chosen: the page books for oneself")
    func notMyFamily() async throws {
        try await withApp { app in
            let guardian = try await app.signIn(Demo.patientPhone)
            let family = try await app.send(.get, "/api/v1/patients/\(Demo.patientId(Demo.patientPhone).text)/family", token: guardian)
            let child = try #require(family.items.first?["patientId"] as? String).lowercased()
            let stranger = WebBrowser(app)
            _ = try await stranger.signIn(Demo.otherPatientPhone)
            let page = try await stranger.get("/doctors/\(ConsultationPatientTests.pediatrician.text)?for=\(child)")
            #expect(page.status == .ok)
            #expect(page.text.contains("name=\"patientId\" value=\"\""))
        }
    }
}
