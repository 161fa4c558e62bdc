import Foundation
import HTTPTypes
import HummingbirdTesting
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import NIOCore
import Testing

/// Each server keeps the encoded profiles patients read (`DoctorProfileCache`); a change must still
/// show at once on the server that made it and within moments on every other server.
@Suite("Doctor profiles kept in memory stay true to the database")
struct DoctorProfileCacheTests {
    static let cardiologist = UUID.named("doctor:1")
    static let profilePath = "/api/v1/doctors/\(cardiologist.text)"

    /// The text package's price on a profile body.
    static func textPrice(_ reply: Reply) -> Int? {
        (reply.json["services"] as? [[String: Any]])?.first { $0["kind"] as? String == "textPackage" }?["priceFen"] as? Int
    }

    /// Reads a profile through a client of another server.
    static func profile(from client: any TestClientProtocol) async throws -> Reply {
        let response = try await client.executeRequest(uri: profilePath, method: .get, headers: [:], body: nil)
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

    @Test("a doctor's new price shows at once on the server that took it and soon on another that had the profile in memory")
    func newPriceEverywhere() async throws {
        try await withApp(live: true) { app in
            let before = try #require(Self.textPrice(try await app.send(.get, Self.profilePath)))
            try await app.withSecondServer { second in
                #expect(Self.textPrice(try await Self.profile(from: second)) == before)
                let doctor = try await app.signIn("13900000001")
                let set = try await app.send(.put, "/api/v1/doctors/me/services/textPackage", token: doctor,
                                             json: ["priceFen": before + 500])
                #expect(set.status == .ok)
                #expect(Self.textPrice(try await app.send(.get, Self.profilePath)) == before + 500)
                #expect(try await Self.eventually { Self.textPrice(try await Self.profile(from: second)) == before + 500 })
            }
        }
    }

    @Test("a suspended doctor's profile disappears, and a renamed hospital shows its new name on its doctors' profiles")
    func suspensionAndRename() async throws {
        try await withApp { app in
            let profile = try await app.send(.get, Self.profilePath)
            let hospitalId = try #require(profile.string("hospitalId"))
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let operatorToken = try await app.signIn(Demo.operatorPhone)
            let renamed = try await app.send(.patch, "/api/v1/institutions/\(hospitalId)", token: operatorToken,
                                             json: ["name": "北京协和医院（东院）"])
            #expect(renamed.status == .ok)
            #expect(try await Self.eventually {
                try await app.send(.get, Self.profilePath).string("hospitalName") == "北京协和医院（东院）"
            })

            let suspended = try await app.send(.put, "/api/v1/doctors/\(Self.cardiologist.text)/qualification", token: regulator,
                                               json: ["status": "suspended"])
            #expect(suspended.status == .noContent)
            #expect(try await app.send(.get, Self.profilePath).status == .notFound)
        }
    }
}
