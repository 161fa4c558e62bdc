import Foundation
import HTTPTypes
import Testing
@testable import MedLoopApp
import MedLoopDomain
import MedLoopStore

/// The web app's sessions and forms: cookies carry the API's token, every form its session's CSRF
/// token; what a page may not show is a page, not JSON.
@Suite("Web sessions and forms")
struct WebSessionTests {
    /// The wallet balance of `phone` through the API.
    static func balance(_ app: Harness, _ phone: String) async throws -> Int {
        let token = try await app.signIn(phone)
        return try #require(try await app.send(.get, "/api/v1/wallet", token: token).json["balanceFen"] as? Int)
    }

    @Test("signing in through the form opens an HttpOnly, SameSite=Lax session and goes to the role's first page")
    func signIn() async throws {
        try await withApp { app in
            let browser = WebBrowser(app)
            let reply = try await browser.signIn(Demo.patientPhone)
            #expect(reply.status == .seeOther)
            #expect(reply.location == "/doctors")
            let cookie = try #require(reply.headers[values: .setCookie].first { $0.hasPrefix("medloop_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"))
            let page = try await browser.get("/orders")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
        }
    }

    @Test("a wrong password is shown on the sign-in page and opens no session")
    func wrongPassword() async throws {
        try await withApp { app in
            let browser = WebBrowser(app)
            try await browser.get("/sign-in")
            let reply = try await browser.post("/sign-in", [("phone", Demo.patientPhone), ("password", "not-the-password")])
            #expect(reply.status == .unauthorized)
            #expect(reply.text.contains("id=\"sign-in-error\""))
            #expect(browser.cookies["medloop_session"] == nil)
        }
    }

    @Test("a form posted without its CSRF token, or with another session's, is refused and changes nothing")
    func csrf() async throws {
        try await withApp { app in
            let patient = WebBrowser(app)
            _ = try await patient.signIn(Demo.patientPhone)
            try await patient.get("/wallet")
            let missing = try await patient.post("/wallet/top-ups", [("amount", "100"), ("idempotencyKey", UUID().uuidString)],
                                                 csrf: .none)
            #expect(missing.status == .forbidden)
            #expect(missing.headers[.contentType] == "text/html; charset=utf-8")

            let other = WebBrowser(app)
            _ = try await other.signIn(Demo.otherPatientPhone)
            try await other.get("/wallet")
            let othersToken = try #require(other.csrfToken)
            #expect(othersToken != patient.csrfToken)
            let foreign = try await patient.post("/wallet/top-ups", [("amount", "100"), ("idempotencyKey", UUID().uuidString)],
                                                 csrf: .token(othersToken))
            #expect(foreign.status == .forbidden)
            #expect(try await Self.balance(app, Demo.patientPhone) == 0)

            let accepted = try await patient.post("/wallet/top-ups", [("amount", "100"), ("idempotencyKey", UUID().uuidString)])
            #expect(accepted.status == .seeOther)
            #expect(try await Self.balance(app, Demo.patientPhone) == 10_000)
        }
    }

    @Test("a form submitted twice with the same key tops up once")
    func doubleSubmit() async throws {
        try await withApp { app in
            let patient = WebBrowser(app)
            _ = try await patient.signIn(Demo.patientPhone)
            try await patient.get("/wallet")
            let key = UUID().uuidString
            let token = try #require(patient.csrfToken)
            for _ in 0..<2 {
                let reply = try await patient.post("/wallet/top-ups", [("amount", "12.50"), ("idempotencyKey", key)], csrf: .token(token))
                #expect(reply.status == .seeOther)
            }
            #expect(try await Self.balance(app, Demo.patientPhone) == 1_250)
        }
    }

    @Test("an amount that is not yuan is shown next to its field and adds nothing")
    func badAmount() async throws {
        try await withApp { app in
            let patient = WebBrowser(app)
            _ = try await patient.signIn(Demo.patientPhone)
            try await patient.get("/wallet")
            let reply = try await patient.post("/wallet/top-ups", [("amount", "12.345"), ("idempotencyKey", UUID().uuidString)])
            #expect(reply.status == .badRequest)
            #expect(reply.text.contains("id=\"amount-error\""))
            #expect(reply.text.contains("aria-invalid=\"true\""))
            #expect(try await Self.balance(app, Demo.patientPhone) == 0)
        }
    }

    @Test("an expired session goes to sign-in, and signing in comes back to the page asked for")
    func expiredSession() async throws {
        try await withApp { app in
            let patient = WebBrowser(app)
            _ = try await patient.signIn(Demo.patientPhone)
            app.clock.advance(by: app.services.configuration.tokenLifetime + 60)
            let asked = try await patient.get("/orders?cursor=x")
            #expect(asked.status == .seeOther)
            let location = try #require(asked.location)
            #expect(location.hasPrefix("/sign-in?"))
            #expect(location.contains("next=/orders?cursor%3Dx") && location.contains("ended=1"))
            #expect(patient.cookies["medloop_session"] == nil)

            let form = try await patient.get(location)
            #expect(form.text.contains("name=\"next\" value=\"/orders?cursor=x\""))
            let back = try await patient.post("/sign-in", [("phone", Demo.patientPhone), ("password", DemoWorld.password),
                                                           ("next", "/orders?cursor=x")])
            #expect(back.location == "/orders?cursor=x")
        }
    }

    @Test("a form posted after the session ended goes to sign-in and does nothing")
    func postAfterExpiry() async throws {
        try await withApp { app in
            let patient = WebBrowser(app)
            _ = try await patient.signIn(Demo.patientPhone)
            try await patient.get("/wallet")
            app.clock.advance(by: app.services.configuration.tokenLifetime + 60)
            let reply = try await patient.post("/wallet/top-ups", [("amount", "100"), ("idempotencyKey", UUID().uuidString)])
            #expect(reply.status == .seeOther)
            #expect(reply.location?.hasPrefix("/sign-in?") == true)
            #expect(try await Self.balance(app, Demo.patientPhone) == 0)
        }
    }

    @Test("sign-in never sends anyone to another site")
    func noOpenRedirect() async throws {
        try await withApp { app in
            let browser = WebBrowser(app)
            try await browser.get("/sign-in")
            let reply = try await browser.post("/sign-in", [("phone", Demo.patientPhone), ("password", DemoWorld.password),
                                                            ("next", "//evil.example/steal")])
            #expect(reply.location == "/doctors")
            let language = try await browser.get("/language/en?back=https://evil.example/")
            #expect(language.location == "/")
        }
    }

    @Test("another patient's consultation is a 403 page, and the refusal is audited")
    func anotherPatientsConsultation() async throws {
        try await withApp { app in
            let owner = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: owner)
            let outsider = WebBrowser(app)
            _ = try await outsider.signIn(Demo.otherPatientPhone)
            let page = try await outsider.get("/consultations/\(id)")
            #expect(page.status == .forbidden)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(try await app.auditCount(action: "consultation.read", outcome: .denied) == 1)
            // The API tells its clients nothing more than that there is no such consultation.
            let token = try await app.signIn(Demo.otherPatientPhone)
            #expect(try await app.send(.get, "/api/v1/consultations/\(id)", token: token).status == .notFound)
        }
    }

    @Test("a page of a role that is not the caller's is a 403 page")
    func wrongRole() async throws {
        try await withApp { app in
            let doctor = WebBrowser(app)
            _ = try await doctor.signIn(Demo.doctorPhone)
            #expect(try await doctor.get("/wallet").status == .forbidden)
            let anonymous = WebBrowser(app)
            #expect(try await anonymous.get("/wallet").location == "/sign-in?next=/wallet")
        }
    }

    @Test("the language switch is remembered on every page")
    func language() async throws {
        try await withApp { app in
            let browser = WebBrowser(app)
            #expect(try await browser.get("/doctors").text.contains("<html lang=\"zh-CN\">"))
            let switched = try await browser.get("/language/en?back=/doctors")
            #expect(switched.location == "/doctors")
            let page = try await browser.get("/doctors")
            #expect(page.text.contains("<html lang=\"en\">"))
            #expect(page.text.contains("Find a doctor"))
        }
    }

    @Test("an image posted to the chat that is not an image is refused, and nothing is stored")
    func notAnImage() async throws {
        try await withApp { app in
            let owner = try await app.signIn(Demo.patientPhone)
            let (id, _) = try await ConsultationRoutesTests.aPaidConsultation(app, patient: owner)
            let doctor = try await app.signIn(ConsultationRoutesTests.doctorPhone)
            _ = try await app.send(.post, "/api/v1/consultations/\(id)/accept", token: doctor)
            let patient = WebBrowser(app)
            _ = try await patient.signIn(Demo.patientPhone)
            try await patient.get("/consultations/\(id)")
            let token = try #require(patient.csrfToken)
            let reply = try await app.client.executeRequest(
                uri: "/consultations/\(id)/images", method: .post,
                headers: [.cookie: patient.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "),
                          .contentType: "image/png", HTTPField.Name("X-CSRF-Token")!: token],
                body: .init(string: "this is plain text, not a picture"))
            #expect(reply.status == .badRequest || reply.status == .unsupportedMediaType)
            #expect(reply.headers[.contentType]?.hasPrefix("application/json") == true)
            let messages = try await app.send(.get, "/api/v1/consultations/\(id)/messages", token: owner)
            #expect(messages.items.isEmpty)
        }
    }
}
