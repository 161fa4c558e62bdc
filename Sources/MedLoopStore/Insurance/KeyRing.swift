import Crypto
import Foundation
import MedLoopDomain
import SQLKit

/// Institutions' P-256 signing keys by name (`insurer:330800` signs e-vouchers, `invoice:<id>`
/// invoices): the public key in the clear, the private key sealed with the data key and bound to
/// its name, so a copy of the database signs nothing.
struct KeyRing: Sendable {
    let cipher: FieldCipher

    /// The key named `name`, made and kept on first use; two first uses at once keep the first.
    func key(_ name: String, at now: Date, in tx: Transaction) async throws -> P256.Signing.PrivateKey {
        if let key = try await stored(name, in: tx.sql) { return key }
        let made = P256.Signing.PrivateKey()
        try await tx.sql.raw("""
            INSERT INTO keyring (name, public_key, private_key_cipher, created_at)
            VALUES (\(bind: name), \(bind: made.publicKey.pemRepresentation),
                    \(bind: try cipher.seal(made.rawRepresentation.base64EncodedString(), field: "keyring:\(name)")),
                    \(bind: now.epochMillis))
            ON CONFLICT (name) DO NOTHING
            """).run()
        guard let key = try await stored(name, in: tx.sql) else { throw StoredValueError(column: "keyring", value: "missing") }
        return key
    }

    /// The public key named `name`, if it was ever made.
    static func publicKey(_ name: String, in sql: any SQLDatabase) async throws -> P256.Signing.PublicKey? {
        guard let row = try await sql.raw("SELECT public_key FROM keyring WHERE name = \(bind: name)").first() else { return nil }
        return try P256.Signing.PublicKey(pemRepresentation: try row.text("public_key"))
    }

    private func stored(_ name: String, in sql: any SQLDatabase) async throws -> P256.Signing.PrivateKey? {
        guard let row = try await sql.raw("SELECT private_key_cipher FROM keyring WHERE name = \(bind: name)").first() else { return nil }
        let raw = try cipher.open(try row.text("private_key_cipher"), field: "keyring:\(name)")
        guard let bytes = Data(base64Encoded: raw) else { throw StoredValueError(column: "private_key_cipher", value: "unreadable") }
        return try P256.Signing.PrivateKey(rawRepresentation: bytes)
    }

    static func insurer(_ region: RegionCode) -> String { "insurer:\(region.value)" }
    static func invoices(_ institution: UUID) -> String { "invoice:\(institution.text)" }
}
