import Crypto
import Foundation
import MedLoopDomain
import SQLKit

/// Doctors' and pharmacists' P-256 signing keys: the public key in the clear, the private key
/// sealed with the data key, so a copy of the database signs nothing.
public struct SigningKeyStore: Sendable {
    let database: Database
    let cipher: FieldCipher

    public init(database: Database, cipher: FieldCipher) {
        self.database = database
        self.cipher = cipher
    }

    /// The signing key of `account`, made and kept on first use (an account qualified before keys
    /// existed gets one when it first signs). Two first uses at once keep the first key made.
    func key(of account: UUID, at now: Date, in tx: Transaction) async throws -> P256.Signing.PrivateKey {
        if let key = try await stored(account, in: tx) { return key }
        let made = P256.Signing.PrivateKey()
        try await tx.sql.raw("""
            INSERT INTO signing_keys (account_id, public_key, sealed_private_key, created_at)
            VALUES (\(bind: account.text), \(bind: made.publicKey.pemRepresentation),
                    \(bind: try cipher.seal(made.rawRepresentation.base64EncodedString(), field: Self.field(account))),
                    \(bind: now.epochMillis))
            ON CONFLICT (account_id) DO NOTHING
            """).run()
        guard let key = try await stored(account, in: tx) else { throw StoredValueError(column: "signing_keys", value: "missing") }
        return key
    }

    /// Makes `account`'s key now if it has none: when a doctor is qualified or a pharmacist's
    /// account is created, so that the key exists before the first signature.
    public func ensureKey(of account: UUID, at now: Date) async throws {
        try await database.unitOfWork { tx in _ = try await key(of: account, at: now, in: tx) }
    }

    /// The registered public keys (PEM) of `accounts` that have one.
    public func publicKeys(of accounts: [UUID]) async throws -> [UUID: String] {
        guard !accounts.isEmpty else { return [:] }
        return try await database.read { sql in
            var keys: [UUID: String] = [:]
            for row in try await sql.raw("""
                SELECT account_id, public_key FROM signing_keys WHERE account_id IN (\(binds: accounts.map(\.text)))
                """).all() {
                keys[try row.uuid("account_id")] = try row.text("public_key")
            }
            return keys
        }
    }

    private func stored(_ account: UUID, in tx: Transaction) async throws -> P256.Signing.PrivateKey? {
        guard let row = try await tx.sql.raw("SELECT sealed_private_key FROM signing_keys WHERE account_id = \(bind: account.text)")
            .first() else { return nil }
        let raw = try cipher.open(try row.text("sealed_private_key"), field: Self.field(account))
        guard let bytes = Data(base64Encoded: raw) else { throw StoredValueError(column: "sealed_private_key", value: "unreadable") }
        return try P256.Signing.PrivateKey(rawRepresentation: bytes)
    }

    /// The sealed key is bound to its account: moved to another row, it no longer opens.
    private static func field(_ account: UUID) -> String { "signing_key:\(account.text)" }
}
