import AsyncHTTPClient
import Foundation

/// The signin-burst scenario: does a wave of sign-ins (bcrypt, a session row, an audit row each)
/// slow everyone else down?
///
/// `--connections` readers alternate `GET /health/ready` and a profile of one of the 100 best-ranked
/// doctors for the whole run. In the second half of the measured time, `--sign-in-connections` other
/// clients also sign in over and over (`POST /api/v1/auth/sign-in`), cycling over `--phones` so that
/// no account is signed in much more than another. The report gives the reads' percentiles in the
/// quiet half and in the burst half and their p99 ratio (target: burst p99 ≤ 2 × quiet p99). A 429
/// of the sign-in throttle is counted apart; a 401 is an error (the accounts must exist: the demo
/// world's, `medloop seed --demo`).
enum SignInBurst {
    /// The demo world's patients and doctors (API.md, demo world).
    static let demoPhones = "13800000001-13800000010,13900000001-13900000030"

    static func plan(on server: LoopbackServer, client: HTTPClient, options: ScenarioOptions) async throws -> LoadPlan {
        let doctors = try await Scenario.listedDoctors(on: server, client: client, limit: 100)
        var reads: [Target] = []
        for id in doctors {
            reads.append(Target(url: server.url("/health/ready")))
            reads.append(Target(url: server.url("/api/v1/doctors/" + id)))
        }
        let signIns = try options.phones.map { phone in
            Target(method: .post, url: server.url("/api/v1/auth/sign-in"),
                   body: Array(try JSONEncoder().encode(["phone": phone, "password": options.password])))
        }
        guard let first = signIns.first else { throw BenchError("--phones names no account") }
        try await Self.checkSignIn(first, client: client)
        return LoadPlan(lanes: [
            Lane(name: "reads", connections: options.connections, targets: reads),
            Lane(name: "sign-ins", connections: options.signInConnections, targets: signIns,
                 expectedStatuses: [429], sendsOnlyInBurst: true),
        ], hasBurst: true)
    }

    /// Fails with a clear message unless the first account signs in.
    static func checkSignIn(_ target: Target, client: HTTPClient) async throws {
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(target.body ?? [])
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(response.status.code) else {
            throw BenchError("signing in with the first of --phones answered \(response.status.code); the accounts must "
                             + "exist (the demo world: medloop seed --demo) and share --password")
        }
    }

    /// The phones of `text`: numbers and ranges, comma-separated (`13800000001-13800000010,13000000001`).
    static func phones(_ text: String, option: String = "--phones") throws -> [String] {
        var phones: [String] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let bounds = part.split(separator: "-").map(String.init)
            guard bounds.count <= 2, let low = Int(bounds[0]), let high = Int(bounds.last ?? bounds[0]), low <= high,
                  high - low < 100_000, bounds.allSatisfy({ $0.count == 11 }) else {
                throw BenchError("\(option): \(part) is not an 11-digit phone number or a range of them")
            }
            phones += (low...high).map(String.init)
        }
        guard !phones.isEmpty else { throw BenchError("\(option) names no account") }
        return phones
    }
}
