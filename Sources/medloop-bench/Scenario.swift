import ArgumentParser
import AsyncHTTPClient
import Foundation

/// What a run asks the server, over and over.
enum Scenario: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// The public doctor search (`GET /api/v1/doctors`) with a mix of queries patients type:
    /// two-character and longer Chinese terms, English names, ICD-10 codes, filters and sorts.
    case search
    /// Doctor profile pages (`GET /api/v1/doctors/{id}`) of up to 2,000 listed doctors.
    case profile

    /// The search mix, cycled in order (values as typed; percent-encoded when sent).
    static let searchQueries = [
        "q=儿科", "q=哮喘", "q=高血压", "q=原发性高血压", "q=hypertension", "q=diabetes", "q=I10",
        "department=cardiology", "department=pediatrics&sort=price", "city=110100&department=endocrinology",
        "condition=J45.9", "q=糖尿病&city=310100", "service=videoPerMinute&sort=rating", "sort=patientsServed",
    ]

    /// How many doctors the profile scenario visits.
    static let profileDoctors = 2000

    /// The URLs this scenario requests, in the order workers cycle through them.
    func targets(on server: LoopbackServer, client: HTTPClient) async throws -> [String] {
        switch self {
        case .search:
            return Self.searchQueries.map { server.url("/api/v1/doctors?" + Self.encoded($0)) }
        case .profile:
            let ids = try await Self.listedDoctors(on: server, client: client, limit: Self.profileDoctors)
            guard !ids.isEmpty else {
                throw BenchError("the server lists no doctors; seed some first (medloop seed --doctors N)")
            }
            return ids.map { server.url("/api/v1/doctors/" + $0) }
        }
    }

    /// A query string with its non-ASCII characters percent-encoded (`&` and `=` stay).
    static func encoded(_ query: String) -> String {
        query.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? query
    }

    /// The shape of a doctor list page, as far as the benchmark reads it.
    struct DoctorPage: Decodable {
        struct Item: Decodable {
            var id: String
        }

        var items: [Item]
        var nextCursor: String?
    }

    /// Up to `limit` doctor ids, paging the directory 100 at a time by its cursors.
    static func listedDoctors(on server: LoopbackServer, client: HTTPClient, limit: Int) async throws -> [String] {
        var ids: [String] = []
        var cursor: String?
        repeat {
            var path = "/api/v1/doctors?limit=100"
            if let cursor {
                path += "&cursor=" + (cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor)
            }
            let page = try await fetch(DoctorPage.self, from: server.url(path), client: client)
            ids += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil && ids.count < limit
        return Array(ids.prefix(limit))
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
