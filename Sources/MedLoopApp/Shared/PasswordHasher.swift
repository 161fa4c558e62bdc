import HummingbirdBcrypt
import NIOCore
import NIOPosix

/// bcrypt hashing on threads of its own: a burst of sign-ins costs at most this pool's share of
/// the CPU and never queues behind, or in front of, the other blocking work of the server.
struct PasswordHasher: Sendable {
    let cost: UInt8
    /// A hash at the configured cost to verify against when the phone is unknown, so that sign-in
    /// takes as long for an unknown phone as for a wrong password.
    let decoy: String

    init(cost: UInt8) {
        self.cost = cost
        self.decoy = Bcrypt.hash("medloop-decoy-password", cost: cost)
    }

    /// The bcrypt threads, shared by every hasher of the process: half the cores, at least one.
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(1, System.coreCount / 2))
        pool.start()
        return pool
    }()

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await Self.pool.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await Self.pool.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Spends the time of one verification, for an unknown phone.
    func verifyDecoy(_ password: String) async throws {
        _ = try await verify(password, against: decoy)
    }
}
