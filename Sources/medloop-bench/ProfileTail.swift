import AsyncHTTPClient
import Foundation

/// The profile-tail scenario: profiles of doctors drawn at random (from `--seed`) among all of them,
/// so that most are read from the database rather than the server's 10,000 kept profiles.
///
/// The doctors come from `--doctor-ids FILE` (every doctor's id, one a line, as scripts/bench reads
/// them from the database after seeding): there the pending and suspended doctors are included,
/// and a 404 for them is an expected answer, counted apart. Without the file, the public directory
/// names only listed doctors, and at most the first 2,000 of a listing: then the pool is those of
/// four listings (by rank, by price, by patients served, and video-call doctors by rating), and one
/// request in ten asks for a random UUID instead, standing for a doctor the server does not list.
enum ProfileTail {
    /// Without an ids file: the share (percent) of requests for random, unknown doctors.
    static let unknownPercent = 10

    static func plan(on server: LoopbackServer, client: HTTPClient, options: ScenarioOptions) async throws -> LoadPlan {
        var random = SeededRandom(seed: options.seed)
        let pool: [String]
        let unknownShare: Int
        if let file = options.doctorIdsFile {
            pool = try Self.ids(in: file)
            unknownShare = 0
            note("medloop-bench: profile-tail: \(pool.count) doctors from \(file), listed or not")
        } else {
            var listed = Set<String>()
            for query in ["", "&sort=price", "&sort=patientsServed", "&sort=rating&service=videoPerMinute"] {
                let items = try await Scenario.listedPage(on: server, client: client, query: query, limit: 2000)
                listed.formUnion(items.map(\.id))
            }
            pool = listed.sorted()
            unknownShare = unknownPercent
            note("medloop-bench: profile-tail: no --doctor-ids file, so \(pool.count) listed doctors only, and "
                 + "\(unknownPercent)% random UUIDs stand for doctors the server does not list")
        }
        guard !pool.isEmpty else {
            throw BenchError("no doctors to ask for; seed some first (medloop seed --doctors N)")
        }
        let targets = (0..<options.requests).map { _ in
            let id = random.percent(unknownShare) ? random.uuid() : random.pick(pool)
            return Target(url: server.url("/api/v1/doctors/" + id))
        }
        return LoadPlan(lanes: [Lane(name: "reads", connections: options.connections, targets: targets,
                                     expectedStatuses: [404])])
    }

    /// The identifiers in `file`, one a line (blank lines and anything not a UUID skipped).
    static func ids(in file: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw BenchError("cannot read --doctor-ids file \(file)")
        }
        let ids = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { UUID(uuidString: $0) != nil }
        guard !ids.isEmpty else { throw BenchError("--doctor-ids file \(file) holds no doctor id") }
        return ids.sorted()
    }
}
