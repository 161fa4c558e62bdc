import Foundation
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("Leases of background jobs")
struct LeaseTests {
    @Test("a lease is held by one server until it expires, and its holder may renew it")
    func leases() async throws {
        try await withTestDatabase { database in
            let leases = LeaseStore(database: database)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let first = try await leases.acquire("job", holder: "a", now: now, duration: 60)
            let rival = try await leases.acquire("job", holder: "b", now: now.addingTimeInterval(30), duration: 60)
            let renewal = try await leases.acquire("job", holder: "a", now: now.addingTimeInterval(30), duration: 60)
            let takeover = try await leases.acquire("job", holder: "b", now: now.addingTimeInterval(91), duration: 60)
            #expect(first)
            #expect(!rival)
            #expect(renewal)
            #expect(takeover)
        }
    }
}
