import HummingbirdBcrypt
import NIOPosix

/// bcrypt hashing, run on the blocking thread pool so it never stalls request handling.
struct PasswordHasher: Sendable {
    let cost: UInt8

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash to verify against when the phone is unknown, so that sign-in takes as long for an
    /// unknown phone as for a wrong password.
    static let decoy = Bcrypt.hash("medloop-decoy-password", cost: 10)
}
