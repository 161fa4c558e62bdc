import Foundation
import HTTPTypes
import HummingbirdTesting
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import NIOCore
import SQLKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The dashboard figures as a test reads them.
struct DashboardReading {
    var json: [String: Any]

    var waiting: Int? { json["consultationsWaiting"] as? Int }
    var open: Int? { json["consultationsOpen"] as? Int }
    var awaitingReview: Int? { json["prescriptionsAwaitingReview"] as? Int }
    var oldestWait: Int? { json["oldestReviewWaitSeconds"] as? Int }
    var late: Int? { json["deliveriesLate"] as? Int }
    var alerts: Int? { json["alertsOpen"] as? Int }

    /// The settlements of the day under `scheme`: settled, reversed, fund fen.
    func fund(_ scheme: String) -> (settled: Int, reversed: Int, fundFen: Int)? {
        guard let row = (json["settlements"] as? [[String: Any]] ?? []).first(where: { $0["scheme"] as? String == scheme }) else { return nil }
        return (row["settled"] as? Int ?? -1, row["reversed"] as? Int ?? -1, row["fundFen"] as? Int ?? -1)
    }
}

extension Harness {
    func dashboard(_ token: String, region: String? = nil) async throws -> DashboardReading {
        let reply = try await send(.get, "/api/v1/supervision/dashboard" + (region.map { "?region=\($0)" } ?? ""), token: token)
        #expect(reply.status == .ok, "\(reply.text)")
        return DashboardReading(json: reply.json)
    }

    /// An alert row in `state`, as the fraud monitor would have raised it (the queue's own tests
    /// raise them through the rules).
    func anAlert(state: String, region: String) async throws {
        let now = clock.now().epochMillis
        try await database.unitOfWork { tx in
            try await tx.sql.raw("""
                INSERT INTO alerts (id, rule, severity, state, region, province, city, case_key, entities, evidence, event_sequence,
                                    occurred_at, raised_at, updated_at)
                VALUES (\(bind: UUID().text), 'traceabilityCodeReused', 'high', \(bind: state), \(bind: region),
                        \(bind: String(region.prefix(2))), \(bind: String(region.prefix(4))), \(bind: UUID().text), '[]', '{}', 0,
                        \(bind: now), \(bind: now), \(bind: now))
                """).run()
        }
    }
}

@Suite("Supervision: the live dashboard and its stream")
struct SupervisionDashboardTests {
    typealias I = DemoWorld.Institutions

    @Test("the figures count a queued and an accepted consultation, a signed prescription waiting and its wait, a settlement today, each in its region")
    func figures() async throws {
        try await withApp { app in
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let operatorToken = try await app.signIn(Demo.operatorPhone)
            let empty = try await app.dashboard(operatorToken)
            #expect([empty.waiting, empty.open, empty.awaitingReview, empty.late] == [0, 0, 0, 0])
            #expect(empty.oldestWait == nil)
            #expect((empty.json["settlements"] as? [Any])?.isEmpty == true)

            // Quzhou: an accepted consultation with the cardiologist and a signed prescription in it.
            let (consultation, _, doctor) = try await app.anAcceptedConsultation()
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor,
                                           json: ["diagnosis": "I10", "items": [anItem(Shelf.amlodipine, dose: 5)]])
            let prescription = try #require(draft.string("id"), "\(draft.text)")
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(prescription)/sign", token: doctor).status == .ok)

            // Guangzhou: an insured follow-up booked and paid, waiting in the doctor's queue; 7 yuan from the fund.
            let patient = try await app.anInsuredPatient(Insured.guangzhouPatient, insurerPhone: Insured.guangzhouInsurer,
                                                         insuredNumber: "44010000000001")
            let (_, paid) = try await app.aSettledFollowUp(patient, doctor: Insured.multiSiteDoctor, site: I.guangzhouInternetHospital,
                                                         encounter: Insured.priorVisit(Insured.guangzhouPatient))
            #expect(paid.status == .ok, "\(paid.text)")
            // Alerts: one open and one confirmed in a Quzhou county, one under investigation in Guangzhou.
            try await app.anAlert(state: "open", region: "330802")
            try await app.anAlert(state: "confirmed", region: "330802")
            try await app.anAlert(state: "investigating", region: "440104")
            app.clock.advance(by: 90)

            let quzhou = try await app.dashboard(regulator)
            #expect(quzhou.json["region"] as? String == "330800")
            #expect([quzhou.waiting, quzhou.open, quzhou.awaitingReview] == [0, 1, 1])
            #expect(quzhou.oldestWait == 90)
            #expect(quzhou.fund("employee") == nil)
            #expect(quzhou.alerts == 1)

            let everywhere = try await app.dashboard(operatorToken)
            #expect(everywhere.json["region"] is NSNull)
            #expect([everywhere.waiting, everywhere.open, everywhere.awaitingReview] == [1, 1, 1])
            #expect(everywhere.fund("employee")! == (1, 0, 700))
            #expect(everywhere.alerts == 2)
            #expect(everywhere.json["settlementDay"] as? String == CalendarDate.shanghai(app.clock.now()).description)

            let guangzhou = try await app.dashboard(operatorToken, region: "440100")
            #expect([guangzhou.waiting, guangzhou.open, guangzhou.awaitingReview] == [1, 0, 0])
            #expect(guangzhou.fund("employee")! == (1, 0, 700))
            #expect(guangzhou.alerts == 1)
            #expect(try await app.dashboard(operatorToken, region: "330802").alerts == 1)

            // The pharmacist approves: the review queue is empty again, and so is its wait.
            let pharmacist = try await app.signIn(PrescriptionFlowTests.reviewer)
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(prescription)/review", token: pharmacist,
                                       json: ["decision": "approve"]).status == .ok)
            let reviewed = try await app.dashboard(regulator)
            #expect(reviewed.awaitingReview == 0)
            #expect(reviewed.oldestWait == nil)
        }
    }

    @Test("an O2O order dispensed more than an hour ago and not delivered counts as late; delivered, it no longer does")
    func lateDelivery() async throws {
        try await withApp { app in
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            let reserved = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": I.pharmacies[0].text, "mode": "o2o", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            let order = try #require(reserved.string("id"), "\(reserved.text)")
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient,
                                       headers: ConsultationRoutesTests.key()).status == .ok)
            let staff = try await app.signIn("13700000011")
            let dispensed = try await app.send(.post, "/api/v1/medicine-orders/\(order)/dispense", token: staff,
                                               json: ["codes": [aTraceabilityCode("8100002", package: 1)]])
            #expect(dispensed.status == .ok, "\(dispensed.text)")

            app.clock.advance(by: 3600)
            #expect(try await app.dashboard(regulator).late == 0)
            app.clock.advance(by: 1)
            #expect(try await app.dashboard(regulator).late == 1)
            let operatorToken = try await app.signIn(Demo.operatorPhone)
            #expect(try await app.dashboard(operatorToken, region: "440100").late == 0)

            let courier = try await app.signIn("13700000021")
            for status in ["pickedUp", "inTransit", "delivered"] {
                #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/delivery", token: courier,
                                           json: ["status": status]).status == .ok)
            }
            #expect(try await app.dashboard(regulator).late == 0)
        }
    }

    @Test("a regulator asking for another region's dashboard or stream is refused with 403 and audited; a patient is refused; a bad region is a 400")
    func refusals() async throws {
        try await withApp { app in
            let regulator = try await app.signIn(Demo.regulatorPhone)
            for path in ["/api/v1/supervision/dashboard?region=440100", "/api/v1/supervision/stream?region=440104"] {
                let refused = try await app.send(.get, path, token: regulator)
                #expect(refused.status == .forbidden)
                #expect(refused.isStandardError)
            }
            #expect(try await app.auditCount(action: "supervision.dashboard.read", outcome: .denied) == 1)
            #expect(try await app.auditCount(action: "supervision.stream.open", outcome: .denied) == 1)
            // A county inside the regulator's city is its own to see.
            #expect(try await app.send(.get, "/api/v1/supervision/dashboard?region=330802", token: regulator).status == .ok)

            let patient = try await app.signIn(Demo.patientPhone)
            #expect(try await app.send(.get, "/api/v1/supervision/dashboard", token: patient).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/supervision/stream", token: patient).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/supervision/dashboard").status == .unauthorized)

            let operatorToken = try await app.signIn(Demo.operatorPhone)
            let bad = try await app.send(.get, "/api/v1/supervision/dashboard?region=33", token: operatorToken)
            #expect(bad.status == .badRequest)
            #expect(bad.errorFields == ["region"])
        }
    }

    @Test("the stream shows a consultation booked and paid on another server as it happens, then the figures with it")
    func streamAcrossServers() async throws {
        try await withApp(live: true) { app in
            let port = try #require(app.client.port)
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let patient = try await app.signIn(Demo.patientPhone)
            let stream = try EventStreamConnection(port: port)
            stream.send("GET /api/v1/supervision/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(regulator)\r\n"
                        + "Accept: text/event-stream\r\n\r\n")
            #expect(await stream.waitFor("event: figures", timeout: 5))
            #expect(stream.received.hasPrefix("HTTP/1.1 200"))
            #expect(stream.received.lowercased().contains("content-type: text/event-stream"))
            #expect(stream.lastFigures?["consultationsWaiting"] as? Int == 0)
            // Another region's regulator watches too, and must not be told of Quzhou's changes.
            let guangzhou = try await app.aGuangzhouRegulator()
            let elsewhere = try EventStreamConnection(port: port)
            elsewhere.send("GET /api/v1/supervision/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(guangzhou)\r\n"
                           + "Accept: text/event-stream\r\n\r\n")
            #expect(await elsewhere.waitFor("event: figures", timeout: 5))

            try await app.withSecondServer { second in
                func call(_ method: HTTPRequest.Method, _ uri: String, _ json: String? = nil) async throws -> [String: Any] {
                    var headers: HTTPFields = [.authorization: "Bearer \(patient)", HTTPField.Name("Idempotency-Key")!: UUID().uuidString]
                    if json != nil { headers[.contentType] = "application/json" }
                    let response = try await second.executeRequest(uri: uri, method: method, headers: headers,
                                                                   body: json.map { ByteBuffer(string: $0) })
                    #expect(response.status.code < 300, "\(String(buffer: response.body))")
                    return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
                }
                let patientId = Demo.patientId(Demo.patientPhone).text
                let encounter = try await call(.post, "/api/v1/patients/\(patientId)/encounters",
                                               #"{"hospitalId":"\#(I.tertiaryHospital.text)","date":"2026-06-01","icd10":"I10"}"#)
                let order = try await call(.post, "/api/v1/orders", #"""
                    {"doctorId":"\#(ConsultationRoutesTests.cardiologist.text)","service":"textPackage","encounterId":"\#(encounter["id"] as? String ?? "")"}
                    """#)
                _ = try await call(.post, "/api/v1/wallet/top-ups", #"{"amountFen":20000}"#)

                _ = try await call(.post, "/api/v1/orders/\(order["id"] as? String ?? "")/pay")
                // The stream refreshes on its own only once a minute, so a change seen within the wait
                // came through the events; how soon is the benchmark's to measure, not a test's.
                #expect(await stream.waitFor("consultation.queued", timeout: 10))
                // The coalesced figures follow, with the new consultation waiting.
                #expect(await stream.waitFor(#""consultationsWaiting":1"#, timeout: 5))
            }
            // A change names what happened and when, and nothing of whom.
            let change = try #require(stream.events(named: "change").first { $0["kind"] as? String == "consultation.queued" })
            #expect(Set(change.keys) == ["kind", "subjectType", "at", "region"])
            #expect(change["subjectType"] as? String == "consultation")
            #expect(change["region"] as? String == "330802")
            #expect(elsewhere.events(named: "change").isEmpty, "\(elsewhere.received)")
        }
    }
}

/// The dashboard page in the web app.
@Suite("Supervision: the dashboard page")
struct SupervisionDashboardPageTests {
    @Test("the regulator's dashboard page shows the figures in its words, another region's is refused, a patient may not open it")
    func page() async throws {
        try await withApp { app in
            let token = try await app.signIn(Demo.patientPhone)
            _ = try await ConsultationRoutesTests.aPaidConsultation(app, patient: token)
            let regulator = WebBrowser(app)
            _ = try await regulator.signIn(Demo.regulatorPhone)
            let page = try await regulator.get("/supervision")
            #expect(page.status == .ok)
            #expect(page.text.contains("候诊中的问诊</th><td>1</td>"))
            #expect(page.text.contains("data-stream=\"/supervision/stream\""))
            #expect(page.text.contains("/static/monitor.js"))
            let words = page.text.replacingOccurrences(of: "monitor.js", with: "")
            #expect(!words.contains("{{") && !words.contains("monitor.") && !words.contains("nav."))
            #expect(try await regulator.get("/supervision?region=440100").status == .forbidden)
            let patient = WebBrowser(app)
            _ = try await patient.signIn(Demo.patientPhone)
            #expect(try await patient.get("/supervision").status == .forbidden)
            #expect(try await patient.get("/supervision/stream").status == .forbidden)
        }
    }
}

/// A plain HTTP connection to the test server that reads a server-sent event stream as it comes
/// (an HTTP client that collects the whole body would wait for ever). Reads on a thread of its
/// own: the test server's handlers run on the same few threads as the tests.
final class EventStreamConnection: @unchecked Sendable {
    private let socket: Int32
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var closed = false

    init(port: Int) throws {
        socket = try RawConnection.connected(port: port)
        Thread { [self] in readLoop() }.start()
    }

    deinit { close(socket) }

    func send(_ text: String) {
        let data = Array(text.utf8)
        _ = data.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Everything received so far (chunk sizes included: each event arrives in one chunk).
    var received: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }

    /// Waits until `text` has been received, or `timeout` seconds pass; whether it was.
    func waitFor(_ text: String, timeout: TimeInterval) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if received.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return received.contains(text)
    }

    /// The data of every event named `name` so far, as JSON objects.
    func events(named name: String) -> [[String: Any]] {
        received.components(separatedBy: "event: \(name)\ndata: ").dropFirst().compactMap { part in
            let line = part.prefix { $0 != "\n" }
            return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    var lastFigures: [String: Any]? { events(named: "figures").last }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count <= 0 { lock.withLock { closed = true }; return }
            lock.withLock { bytes += buffer[0..<count] }
        }
    }
}
