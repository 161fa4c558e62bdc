import Foundation
import HTTPTypes
import HummingbirdTesting
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import NIOCore
import Testing

/// Each server keeps the encoded profiles and search pages patients read (`DirectoryCache`); a
/// change must still show at once on the server that made it and within moments on every other.
@Suite("Doctor profiles and searches kept in memory stay true to the database")
struct DirectoryCacheTests {
    static let cardiologist = UUID.named("doctor:1")
    static let profilePath = "/api/v1/doctors/\(cardiologist.text)"
    /// A search that lists the demo cardiologist on its first page.
    static let searchPath = "/api/v1/doctors?q=%E9%AB%98%E8%A1%80%E5%8E%8B&limit=100"

    /// The cardiologist's line in a search page, if listed.
    static func listed(_ reply: Reply) -> [String: Any]? {
        reply.items.first { ($0["id"] as? String)?.lowercased() == cardiologist.text }
    }

    /// The text package's price on a profile body.
    static func textPrice(_ reply: Reply) -> Int? {
        (reply.json["services"] as? [[String: Any]])?.first { $0["kind"] as? String == "textPackage" }?["priceFen"] as? Int
    }

    /// Reads `path` (a profile by default) through a client of another server.
    static func profile(from client: any TestClientProtocol, path: String = profilePath) async throws -> Reply {
        let response = try await client.executeRequest(uri: path, method: .get, headers: [:], body: nil)
        return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    /// Whether `condition` holds within five seconds (another server learns of a change through
    /// the event outbox, a moment after the commit).
    static func eventually(_ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test("a doctor's new price shows at once on the server that took it and soon on another that had profile and search in memory")
    func newPriceEverywhere() async throws {
        try await withApp(live: true) { app in
            let before = try #require(Self.textPrice(try await app.send(.get, Self.profilePath)))
            #expect(Self.listed(try await app.send(.get, Self.searchPath))?["priceFen"] as? Int == before)
            try await app.withSecondServer { second in
                #expect(Self.textPrice(try await Self.profile(from: second)) == before)
                #expect(Self.listed(try await Self.profile(from: second, path: Self.searchPath))?["priceFen"] as? Int == before)
                let doctor = try await app.signIn("13900000001")
                let set = try await app.send(.put, "/api/v1/doctors/me/services/textPackage", token: doctor,
                                             json: ["priceFen": before + 500])
                #expect(set.status == .ok)
                #expect(Self.textPrice(try await app.send(.get, Self.profilePath)) == before + 500)
                #expect(Self.listed(try await app.send(.get, Self.searchPath))?["priceFen"] as? Int == before + 500)
                #expect(try await Self.eventually { Self.textPrice(try await Self.profile(from: second)) == before + 500 })
                #expect(try await Self.eventually {
                    Self.listed(try await Self.profile(from: second, path: Self.searchPath))?["priceFen"] as? Int == before + 500
                })
            }
        }
    }

    @Test("a suspended doctor leaves profile and search at once, and a renamed hospital's doctors show and are found by its new name")
    func suspensionAndRename() async throws {
        try await withApp { app in
            #expect(Self.listed(try await app.send(.get, Self.searchPath)) != nil)
            let profile = try await app.send(.get, Self.profilePath)
            let hospitalId = try #require(profile.string("hospitalId"))
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let operatorToken = try await app.signIn(Demo.operatorPhone)
            let formerName = try #require(profile.string("hospitalName"))
            let byName = { @Sendable (name: String) async throws -> Reply in
                try await app.send(.get, "/api/v1/doctors?limit=100&q=" + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name))
            }
            #expect(Self.listed(try await byName(formerName)) != nil)
            let renamed = try await app.send(.patch, "/api/v1/institutions/\(hospitalId)", token: operatorToken,
                                             json: ["name": "京西滨河医院"])
            #expect(renamed.status == .ok)
            #expect(try await Self.eventually {
                try await app.send(.get, Self.profilePath).string("hospitalName") == "京西滨河医院"
            })
            // Search knows the hospital by its new name only.
            #expect(Self.listed(try await byName("京西滨河医院")) != nil)
            #expect(Self.listed(try await byName(formerName)) == nil)

            // The search page is in memory again before the suspension.
            #expect(Self.listed(try await app.send(.get, Self.searchPath)) != nil)
            let suspended = try await app.send(.put, "/api/v1/doctors/\(Self.cardiologist.text)/qualification", token: regulator,
                                               json: ["status": "suspended"])
            #expect(suspended.status == .noContent)
            #expect(try await app.send(.get, Self.profilePath).status == .notFound)
            #expect(Self.listed(try await app.send(.get, Self.searchPath)) == nil)
        }
    }
}
