import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import HummingbirdTesting
import MedLoopApp
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import NIOCore
import Testing

/// A response as the tests read it.
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// `items` of a list body.
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }

    /// The `error.code` of a standard error body.
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }

    /// The `error.details[].field` of a 400.
    var errorFields: [String] {
        ((json["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
    }

    /// `error.details[].code` of a 400.
    var errorDetailCodes: [String] {
        ((json["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    /// Whether the body is the standard error shape with a code, a message and the request id.
    var isStandardError: Bool {
        guard let error = json["error"] as? [String: Any] else { return false }
        return (error["code"] as? String)?.isEmpty == false && (error["message"] as? String)?.isEmpty == false
            && (error["requestId"] as? String) == headers[HTTPField.Name("X-Request-Id")!]
    }

    func string(_ key: String) -> String? { json[key] as? String }

    /// The body decoded as a typed value, as a client of the API would read it.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}

/// The app on a fresh database, driven through its router as a client would.
struct Harness: Sendable {
    let client: any TestClientProtocol
    let services: AppServices
    let clock: ManualClock

    var database: Database { services.database }

    /// Sends a request; `json` is serialised as given (so tests can send wrong types), `raw` as is.
    func send(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: Any? = nil, raw: String? = nil,
              headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        } else if let raw {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: raw)
        }
        let response = try await client.executeRequest(uri: uri, method: method, headers: headers, body: body)
        return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    /// Signs in and returns the bearer token.
    func signIn(_ phone: String, password: String = DemoWorld.password) async throws -> String {
        let reply = try await send(.post, "/api/v1/auth/sign-in", json: ["phone": phone, "password": password])
        guard reply.status == .ok, let token = reply.string("token") else {
            throw HarnessError.signInFailed(phone: phone, status: reply.status.code, body: reply.text)
        }
        return token
    }

    /// Takes a background job's lease for the test, as another server would, so that the server's
    /// own job runner leaves that job to the test's direct runs. (The lease the runner took at
    /// start-up lapses after 5 s of the test's clock.)
    func holdJobLease(_ name: String) async throws {
        // The runner may renew its lease between the clock's move and ours: then move on again.
        for _ in 0..<10 {
            clock.advance(by: 3600)
            if try await LeaseStore(database: database).acquire(name, holder: "test", now: clock.now(), duration: 86_400) {
                return
            }
        }
        throw HarnessError.leaseUnavailable(name)
    }

    /// The number of audit entries matching a condition (SQL over the audit_log columns).
    func auditCount(action: String, outcome: AuditOutcome? = nil, patientId: UUID? = nil) async throws -> Int {
        let entries = try await AuditStore(database: database).list(AuditFilter(patientId: patientId, limit: 1000)).items
        return entries.filter { $0.action == action && (outcome == nil || $0.outcome == outcome) }.count
    }
}

extension Harness {
    /// Runs `body` against a second server on the same database, listening on loopback (several
    /// servers on one database, ARCHITECTURE.md "Scale").
    func withSecondServer(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        var logger = Logger(label: "medloop.test.second")
        logger.logLevel = .warning
        let second = try await Database.open(database.location, maxConnections: 4, logger: logger)
        do {
            let services = try AppServices(configuration: services.configuration, database: second, cipher: try aCipher(),
                                           clock: clock)
            let server = buildApplication(services, logger: logger, eventPollInterval: .milliseconds(200))
            try await server.test(.live) { client in try await body(client) }
            await second.close()
        } catch {
            await second.close()
            throw error
        }
    }
}

enum HarnessError: Error {
    case signInFailed(phone: String, status: Int, body: String)
    case leaseUnavailable(String)
}

/// Runs `body` against the app on a fresh database; the demo world is seeded unless `seedDemo`
/// is false. Passwords use the cheapest bcrypt cost to keep tests quick.
/// With `live`, the app listens on a loopback port with WebSocket upgrades, for tests of the
/// consultation stream.
func withApp(seedDemo: Bool = true, live: Bool = false, configure: @Sendable (inout Configuration) -> Void = { _ in },
             _ body: @escaping @Sendable (Harness) async throws -> Void) async throws {
    try await withTestDatabase { database in
        var configuration = Configuration()
        configuration.bcryptCost = 4
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.dataDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("medloop-tests/data-\(UUID().uuidString)").path
        configure(&configuration)
        let clock = ManualClock()
        let services = try AppServices(configuration: configuration, database: database, cipher: try aCipher(), clock: clock)
        if seedDemo { _ = try await services.seedDemo() }
        var logger = Logger(label: "medloop.test")
        logger.logLevel = .warning
        let app = buildApplication(services, logger: logger, eventPollInterval: .milliseconds(200))
        try await app.test(live ? .live : .router) { client in
            try await body(Harness(client: client, services: services, clock: clock))
        }
        try? FileManager.default.removeItem(atPath: configuration.dataDirectory)
        // Whatever a test did, the books balance, no idempotency key is left unanswered and every
        // order's escrow matches its state (what `medloop check` checks).
        let problems = try await ConsistencyCheck(database: database).problems()
        #expect(problems.isEmpty, "medloop check would fail: \(problems)")
    }
}

/// Demo identities used across tests.
enum Demo {
    static let operatorPhone = "13000000001"
    static let regulatorPhone = "13500000001"
    static let insurerPhone = "13600000001"
    static let pharmacistPhone = "13700000001"
    static let pharmacyStaffPhone = "13700000011"
    static let courierPhone = "13700000021"
    static let doctorPhone = "13900000001"
    static let patientPhone = "13800000001"
    static let otherPatientPhone = "13800000003"

    static let phoneByRole: [Role: String] = [
        .operator: operatorPhone, .regulator: regulatorPhone, .insurer: insurerPhone, .pharmacist: pharmacistPhone,
        .pharmacyStaff: pharmacyStaffPhone, .courier: courierPhone, .doctor: doctorPhone, .patient: patientPhone,
    ]

    static func patientId(_ phone: String) -> UUID { UUID.named("patient:\(phone)") }
    static func accountId(_ phone: String) -> UUID { UUID.named("account:\(phone)") }
}

/// A valid national ID text for a new person (distinct per `sequence`).
func aNationalIDText(born year: Int = 1985, sequence: Int) -> String {
    NationalID.make(region: "330802", birth: CalendarDate(year: year, month: 6, day: 1)!, sequence: sequence)
}
