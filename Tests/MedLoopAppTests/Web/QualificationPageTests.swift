import Foundation
import HTTPTypes
import HummingbirdTesting
import MedLoopDomain
import MedLoopStore
import Testing

/// The credential pages: a holder's submissions and form, the regulator's queue and decision.
@Suite("Qualification pages")
struct QualificationPageTests {
    @Test("a doctor submits a credential through the page; a bad one is shown beside its fields and nothing is written")
    func holderSubmits() async throws {
        try await withApp { app in
            let doctor = WebBrowser(app)
            _ = try await doctor.signIn(Demo.doctorPhone)
            let empty = try await doctor.get("/credentials")
            #expect(empty.status == .ok)
            #expect(empty.text.contains("id=\"no-credentials\""))
            #expect(empty.text.contains("id=\"submit-credential\""))
            let file = try #require(try await app.uploadCertificate(try await app.signIn(Demo.doctorPhone)).string("id"))

            let bad = try await doctor.post("/credentials", [
                ("licenceNumber", "12AB"), ("certificateFiles", file), ("yearsOfPractice", "12"), ("licenceExpiresOn", "2020-01-01"),
            ])
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("id=\"licence-number-error\""))
            #expect(bad.text.contains("id=\"expires-error\""))
            #expect(bad.text.contains("value=\"12AB\""))
            #expect(try await app.count("SELECT COUNT(*) AS n FROM credentials") == 0)

            let good = try await doctor.post("/credentials", [
                ("licenceNumber", "110330800000001"), ("certificateFiles", file), ("yearsOfPractice", "12"),
                ("licenceExpiresOn", "2030-06-30"), ("siteId", DemoWorld.Institutions.internetHospital.text),
                ("consentReference", "衢人医〔2026〕12号"),
            ])
            #expect(good.status == .seeOther || good.status == .found, "\(good.text)")
            let listed = try await doctor.get("/credentials")
            #expect(listed.text.contains("data-state=\"submitted\""))
            #expect(listed.text.contains("110330800000001"))
            #expect(try await app.count("SELECT COUNT(*) AS n FROM credentials") == 1)
        }
    }

    @Test("a regulator decides from the queue page; without a reason it is refused beside the reason and nothing changes")
    func regulatorDecides() async throws {
        try await withApp { app in
            let id = try await app.aSubmittedCredential(try await app.signIn(Demo.doctorPhone))
            let regulator = WebBrowser(app)
            _ = try await regulator.signIn(Demo.regulatorPhone)
            let queue = try await regulator.get("/supervision/qualifications")
            #expect(queue.status == .ok)
            #expect(queue.text.lowercased().contains("data-id=\"\(id.lowercased())\""))
            let page = try await regulator.get("/supervision/qualifications/\(id)")
            #expect(page.status == .ok)
            #expect(page.text.contains("id=\"decision-approve\""))
            #expect(page.text.contains("id=\"decision-reject\""))
            #expect(!page.text.contains("id=\"decision-suspend\""))
            let image = try await regulator.get("/supervision/qualifications/\(id)/files/1")
            #expect(image.status == .ok)
            #expect(image.headers[.contentType] == "image/png")

            let bare = try await regulator.post("/supervision/qualifications/\(id)/decision", [("decision", "approve"), ("reason", " ")])
            #expect(bare.status == .badRequest)
            #expect(bare.text.contains("id=\"decision-reason-error\""))
            #expect(try await app.credentialState(id) == "submitted")

            let approved = try await regulator.post("/supervision/qualifications/\(id)/decision",
                                                    [("decision", "approve"), ("reason", "证书与注册信息核对一致")])
            #expect(approved.status == .seeOther || approved.status == .found)
            #expect(try await app.credentialState(id) == "approved")
            let after = try await regulator.get("/supervision/qualifications/\(id)")
            #expect(after.text.contains("data-state=\"approved\""))
            #expect(after.text.contains("证书与注册信息核对一致"))
            #expect(after.text.contains("id=\"decision-suspend\""))
        }
    }

    @Test("a patient has no credential pages, and a doctor no review queue")
    func roles() async throws {
        try await withApp { app in
            let patient = WebBrowser(app)
            _ = try await patient.signIn(Demo.patientPhone)
            #expect(try await patient.get("/credentials").status == .forbidden)
            let doctor = WebBrowser(app)
            _ = try await doctor.signIn(Demo.doctorPhone)
            #expect(try await doctor.get("/supervision/qualifications").status == .forbidden)
        }
    }
}
