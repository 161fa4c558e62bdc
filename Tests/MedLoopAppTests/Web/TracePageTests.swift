import Foundation
import Testing
import MedLoopDomain
import MedLoopStore

/// The regulator's trace page of a prescription, over the API's trace.
@Suite("Trace page")
struct TracePageTests {
    @Test("a regulator traces an approved prescription step by step, and the chain verifies")
    func traces() async throws {
        try await withApp { app in
            let (id, _, _) = try await app.anApprovedPrescription()
            let regulator = WebBrowser(app)
            _ = try await regulator.signIn(Demo.regulatorPhone)
            let page = try await regulator.get("/traces?prescription=\(id)")
            #expect(page.status == .ok)
            #expect(page.text.contains("id=\"chain-verdict\">✔"))
            for event in ["医生开具草稿", "医生签名", "药师审核通过"] { #expect(page.text.contains(event)) }
        }
    }

    @Test("a number that is not a prescription's is shown next to its field; a patient may not trace")
    func refused() async throws {
        try await withApp { app in
            let regulator = WebBrowser(app)
            _ = try await regulator.signIn(Demo.regulatorPhone)
            let malformed = try await regulator.get("/traces?prescription=not-a-number")
            #expect(malformed.status == .badRequest)
            #expect(malformed.text.contains("id=\"prescription-error\""))
            let unknown = try await regulator.get("/traces?prescription=\(UUID().uuidString)")
            #expect(unknown.status == .notFound)
            let patient = WebBrowser(app)
            _ = try await patient.signIn(Demo.patientPhone)
            #expect(try await patient.get("/traces").status == .forbidden)
        }
    }
}
