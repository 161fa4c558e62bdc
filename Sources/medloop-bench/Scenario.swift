import ArgumentParser
import AsyncHTTPClient
import Foundation

/// What a run asks the server, over and over.
enum Scenario: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// The public doctor search (`GET /api/v1/doctors`) with a fixed mix of 14 popular queries:
    /// two-character and longer Chinese terms, English names, ICD-10 codes, filters and sorts. After
    /// the first seconds every page comes from the server's memory.
    case search
    /// Tens of thousands of distinct searches drawn from a seed (`SearchTail`), so that the kept pages
    /// rarely help; some follow their `nextCursor` to later pages.
    case searchTail = "search-tail"
    /// Doctor profile pages (`GET /api/v1/doctors/{id}`) of up to 2,000 listed doctors.
    case profile
    /// Profiles of doctors drawn at random from all of them, unlisted ones included (`ProfileTail`):
    /// a 404 is an expected answer there, counted apart.
    case profileTail = "profile-tail"
    /// Reads (`/health/ready` and profiles) while, in the second half, other clients sign in over and
    /// over (`SignInBurst`).
    case signinBurst = "signin-burst"
    /// `GET /health/live`: the ceiling of the HTTP stack on this machine.
    case health
    /// The closed care loop (`CareLoop`): each connection a virtual patient, from booking a follow-up
    /// to rating it, each step timed apart.
    case loop
    /// `--read-percent` (80) search-tail and profile-tail reads, the rest care-loop steps, over the same
    /// connections; the reads and the steps are reported apart.
    case mixed
    /// Open WebSockets on consultation streams (`ChatDriver`), messages sent in turn by the two parties
    /// of each consultation; each delivery to the other party is timed.
    case chat

    /// The search mix, cycled in order (values as typed; percent-encoded when sent).
    static let searchQueries = [
        "q=儿科", "q=哮喘", "q=高血压", "q=原发性高血压", "q=hypertension", "q=diabetes", "q=I10",
        "department=cardiology", "department=pediatrics&sort=price", "city=110100&department=endocrinology",
        "condition=J45.9", "q=糖尿病&city=310100", "service=videoPerMinute&sort=rating", "sort=patientsServed",
    ]

    /// How many doctors the profile scenario visits.
    static let profileDoctors = 2000

    /// Whether the scenario draws its requests from `--seed`.
    var isSeeded: Bool { [.searchTail, .profileTail, .loop, .mixed].contains(self) }

    /// Whether the scenario runs care loops (`CareLoopDriver`) rather than a `LoadPlan`.
    var runsCareLoops: Bool { self == .loop || self == .mixed }

    /// The lanes this scenario runs, with the URLs they request.
    func plan(on server: LoopbackServer, client: HTTPClient, options: ScenarioOptions) async throws -> LoadPlan {
        switch self {
        case .search:
            let targets = Self.searchQueries.map { Target(url: server.url("/api/v1/doctors?" + Self.encoded($0))) }
            return LoadPlan(lanes: [Lane(name: "reads", connections: options.connections, targets: targets)])
        case .searchTail:
            return try await SearchTail.plan(on: server, client: client, options: options)
        case .profile:
            let ids = try await Self.listedDoctors(on: server, client: client, limit: Self.profileDoctors)
            let targets = ids.map { Target(url: server.url("/api/v1/doctors/" + $0)) }
            return LoadPlan(lanes: [Lane(name: "reads", connections: options.connections, targets: targets)])
        case .profileTail:
            return try await ProfileTail.plan(on: server, client: client, options: options)
        case .signinBurst:
            return try await SignInBurst.plan(on: server, client: client, options: options)
        case .health:
            let targets = [Target(url: server.url("/health/live"))]
            return LoadPlan(lanes: [Lane(name: "reads", connections: options.connections, targets: targets)])
        case .loop, .chat:
            return LoadPlan(lanes: [])
        case .mixed:
            // The reads of mixed: search-tail's and profile-tail's requests in turn (first pages only).
            let searches = try await SearchTail.plan(on: server, client: client, options: options).lanes[0].targets
            let profiles = try await ProfileTail.plan(on: server, client: client, options: options).lanes[0].targets
            var targets: [Target] = []
            for index in 0..<max(searches.count, profiles.count) {
                if index < searches.count { targets.append(Target(url: searches[index].url)) }
                if index < profiles.count { targets.append(profiles[index]) }
            }
            return LoadPlan(lanes: [Lane(name: "reads", connections: options.connections, targets: targets,
                                         expectedStatuses: [404])])
        }
    }

    /// A query string with its non-ASCII characters percent-encoded (`&` and `=` stay).
    static func encoded(_ query: String) -> String {
        query.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? query
    }

    /// One query value, percent-encoded so that `&`, `=`, `+` and spaces stay inside it.
    static func encodedValue(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    }

    /// The shape of a doctor list page, as far as the benchmark reads it.
    struct DoctorPage: Decodable {
        struct Item: Decodable {
            var id: String
            var name: String
            var cityCode: String
            var hospitalId: String
        }

        var items: [Item]
        var nextCursor: String?
    }

    /// Up to `limit` listed doctors, paging `query` of the directory 100 at a time by its cursors.
    static func listedPage(on server: LoopbackServer, client: HTTPClient, query: String = "",
                           limit: Int) async throws -> [DoctorPage.Item] {
        var items: [DoctorPage.Item] = []
        var cursor: String?
        repeat {
            var path = "/api/v1/doctors?limit=100" + query
            if let cursor { path += "&cursor=" + encodedValue(cursor) }
            let page = try await fetch(DoctorPage.self, from: server.url(path), client: client)
            items += page.items
            cursor = page.nextCursor
        } while cursor != nil && items.count < limit
        return Array(items.prefix(limit))
    }

    /// Up to `limit` listed doctor ids, best-ranked first; fails when the directory is empty.
    static func listedDoctors(on server: LoopbackServer, client: HTTPClient, limit: Int) async throws -> [String] {
        let ids = try await listedPage(on: server, client: client, limit: limit).map(\.id)
        guard !ids.isEmpty else {
            throw BenchError("the server lists no doctors; seed some first (medloop seed --doctors N)")
        }
        return ids
    }

    /// GETs `url` and decodes its JSON body; anything but a 2xx is an error.
    static func fetch<T: Decodable>(_ type: T.Type, from url: String, client: HTTPClient) async throws -> T {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard (200..<300).contains(response.status.code) else {
            throw BenchError("GET \(url) answered \(response.status.code)")
        }
        return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }
}

/// The command-line choices a scenario's plan depends on.
struct ScenarioOptions: Sendable {
    /// Connections of the main lane.
    var connections: Int
    /// Draws search-tail's and profile-tail's requests.
    var seed: UInt64
    /// How many distinct requests search-tail and profile-tail draw.
    var requests: Int
    /// A file of doctor ids, one a line (every doctor in the database, listed or not), for profile-tail.
    var doctorIdsFile: String?
    /// Connections that sign in, in signin-burst.
    var signInConnections: Int
    /// The accounts signin-burst signs in with, and their password.
    var phones: [String]
    var password: String
}
