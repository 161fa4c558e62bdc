import Foundation
import MedLoopDomain
import SQLKit

/// An account as the API shows it. The phone is decrypted for the account itself and operators.
public struct Account: Sendable, Equatable {
    public var id: UUID
    public var role: Role
    public var displayName: String
    public var phone: PhoneNumber
    public var institutionId: UUID?
    /// The patient record of a patient account.
    public var patientId: UUID?
    public var status: AccountStatus
    public var createdAt: Date
}

public enum AccountStatus: String, Codable, Sendable, CaseIterable {
    case active, disabled
}

/// What sign-in needs to check a password.
public struct Credentials: Sendable {
    public var accountId: UUID
    public var role: Role
    public var passwordHash: String
    public var status: AccountStatus
}

/// A patient's own sign-up.
public struct PatientSignUp: Sendable {
    public var phone: PhoneNumber
    public var passwordHash: String
    public var realName: String
    public var nationalId: NationalID

    public init(phone: PhoneNumber, passwordHash: String, realName: String, nationalId: NationalID) {
        self.phone = phone
        self.passwordHash = passwordHash
        self.realName = realName
        self.nationalId = nationalId
    }
}

/// A staff account created by an operator.
public struct StaffAccountDraft: Sendable {
    public var role: Role
    public var phone: PhoneNumber
    public var passwordHash: String
    public var displayName: String
    public var institutionId: UUID?

    public init(role: Role, phone: PhoneNumber, passwordHash: String, displayName: String, institutionId: UUID?) {
        self.role = role
        self.phone = phone
        self.passwordHash = passwordHash
        self.displayName = displayName
        self.institutionId = institutionId
    }
}

/// What a bearer token turned out to be.
public enum SessionLookup: Sendable, Equatable {
    case valid(Caller, expiresAt: Date)
    case expired
    case revoked
    case unknown
}

/// Accounts, credentials and sessions.
public struct AccountStore: Sendable {
    let database: Database
    let cipher: FieldCipher
    let audit: AuditStore

    public init(database: Database, cipher: FieldCipher, audit: AuditStore) {
        self.database = database
        self.cipher = cipher
        self.audit = audit
    }

    /// Creates a patient account and its patient record together. A phone or national ID that is
    /// already registered is a 409.
    public func signUp(_ signUp: PatientSignUp, context: AuditContext) async throws -> Account {
        try await database.unitOfWork { tx in
            let account = try await insertPatientAccount(signUp, accountId: .v7(at: context.at), patientId: .v7(at: context.at),
                                           at: context.at, in: tx)
            var context = context
            context.actorAccountId = account.id
            context.actorRole = .patient
            try await audit.append(AuditRecord(action: "auth.sign_up", resourceType: "account", resourceId: account.id.text,
                                               patientId: account.patientId), context: context, in: tx)
            return account
        }
    }

    func insertPatientAccount(_ signUp: PatientSignUp, accountId: UUID, patientId: UUID, at now: Date,
                in tx: Transaction) async throws -> Account {
        let name = try ProfileRule.realName(signUp.realName)
        let nationalIdHash = cipher.lookupHash(signUp.nationalId.value, field: "national_id")
        if try await tx.sql.raw("SELECT id FROM patients WHERE national_id_hash = \(bind: nationalIdHash)").first() != nil {
            throw DomainError.conflict(code: "national_id_taken", message: "This national ID number is already registered.")
        }
        let account = try await insertAccount(id: accountId, role: .patient, phone: signUp.phone,
                                              passwordHash: signUp.passwordHash, displayName: name,
                                              institutionId: nil, at: now, in: tx)
        try await tx.sql.raw("""
            INSERT INTO patients (id, account_id, real_name, national_id_cipher, national_id_hash, sex, birth_date,
                                  phone_cipher, address_cipher, created_at, updated_at)
            VALUES (\(bind: patientId.text), \(bind: accountId.text), \(bind: name),
                    \(bind: try cipher.seal(signUp.nationalId.value, field: "national_id")), \(bind: nationalIdHash),
                    \(bind: signUp.nationalId.sex.rawValue), \(bind: signUp.nationalId.birthDate.description),
                    \(bind: try cipher.seal(signUp.phone.value, field: "phone")), \(bind: String?.none),
                    \(bind: now.epochMillis), \(bind: now.epochMillis))
            """).run()
        var result = account
        result.patientId = patientId
        return result
    }

    /// Creates a staff account; the role decides which kind of institution it must belong to.
    public func createStaff(_ draft: StaffAccountDraft, context: AuditContext) async throws -> Account {
        try await database.unitOfWork { tx in
            let account = try await createStaff(draft, id: .v7(at: context.at), at: context.at, in: tx)
            try await audit.append(AuditRecord(action: "account.create", resourceType: "account",
                                               resourceId: account.id.text), context: context, in: tx)
            return account
        }
    }

    func createStaff(_ draft: StaffAccountDraft, id: UUID, at now: Date, in tx: Transaction) async throws -> Account {
        guard draft.role.isStaff else {
            throw DomainError.invalidField("role", code: "not_staff", "Patients sign themselves up.")
        }
        let name = try ProfileRule.label(draft.displayName, field: "displayName", limit: 60)
        var kind: InstitutionKind?
        if let institutionId = draft.institutionId {
            guard let found = try await tx.sql.raw("SELECT kind FROM institutions WHERE id = \(bind: institutionId.text)")
                .first()?.value("kind", as: InstitutionKind.self) else {
                throw DomainError.invalidField("institutionId", code: "unknown", "No institution has this identifier.")
            }
            kind = found
        }
        try draft.role.checkInstitution(kind)
        return try await insertAccount(id: id, role: draft.role, phone: draft.phone, passwordHash: draft.passwordHash,
                                       displayName: name, institutionId: draft.institutionId, at: now, in: tx)
    }

    private func insertAccount(id: UUID, role: Role, phone: PhoneNumber, passwordHash: String, displayName: String,
                               institutionId: UUID?, at now: Date, in tx: Transaction) async throws -> Account {
        let phoneHash = cipher.lookupHash(phone.value, field: "phone")
        if try await tx.sql.raw("SELECT id FROM accounts WHERE phone_hash = \(bind: phoneHash)").first() != nil {
            throw DomainError.conflict(code: "phone_taken", message: "This phone number is already registered.")
        }
        do {
            try await tx.sql.raw("""
                INSERT INTO accounts (id, role, phone_hash, phone_cipher, password_hash, display_name, institution_id,
                                      status, created_at)
                VALUES (\(bind: id.text), \(bind: role.rawValue), \(bind: phoneHash),
                        \(bind: try cipher.seal(phone.value, field: "phone")), \(bind: passwordHash), \(bind: displayName),
                        \(bind: institutionId?.text), \(bind: AccountStatus.active.rawValue), \(bind: now.epochMillis))
                """).run()
        } catch where isUniqueViolation(error) {
            throw DomainError.conflict(code: "phone_taken", message: "This phone number is already registered.")
        }
        return Account(id: id, role: role, displayName: displayName, phone: phone, institutionId: institutionId,
                       patientId: nil, status: .active, createdAt: Date(epochMillis: now.epochMillis))
    }

    /// The stored password hash of the account with this phone, if any.
    public func credentials(phone: PhoneNumber) async throws -> Credentials? {
        let phoneHash = cipher.lookupHash(phone.value, field: "phone")
        return try await database.read { sql in
            guard let row = try await sql.raw(
                "SELECT id, role, password_hash, status FROM accounts WHERE phone_hash = \(bind: phoneHash)").first() else {
                return nil
            }
            return Credentials(accountId: try row.uuid("id"), role: try row.value("role", as: Role.self),
                               passwordHash: try row.text("password_hash"),
                               status: try row.value("status", as: AccountStatus.self))
        }
    }

    public func account(_ id: UUID) async throws -> Account? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT a.*, p.id AS patient_id FROM accounts a LEFT JOIN patients p ON p.account_id = a.id
                WHERE a.id = \(bind: id.text)
                """).first().map(account(from:))
        }
    }

    /// Accounts by role and institution, in order of identifier.
    public func list(role: Role?, institutionId: UUID?, limit: Int, cursor: String?) async throws -> Page<Account> {
        var conditions: [SQLQueryString] = []
        if let role { conditions.append("a.role = \(bind: role.rawValue)") }
        if let institutionId { conditions.append("a.institution_id = \(bind: institutionId.text)") }
        if let cursor { conditions.append("a.id > \(bind: try Cursor.decode(cursor))") }
        let whereClause: SQLQueryString = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let accounts = try await database.read { sql in
            try await sql.raw("""
                SELECT a.*, p.id AS patient_id FROM accounts a LEFT JOIN patients p ON p.account_id = a.id\(whereClause)
                ORDER BY a.id LIMIT \(literal: limit + 1)
                """).all().map(account(from:))
        }
        let next = accounts.count > limit ? accounts[limit - 1].id.text : nil
        return Page(items: Array(accounts.prefix(limit)), nextCursor: next.map(Cursor.encode))
    }

    // MARK: Sessions

    /// Stores a new session under the hash of its bearer token and records the sign-in.
    public func openSession(for credentials: Credentials, tokenHash: String, expiresAt: Date,
                            context: AuditContext) async throws {
        try await database.unitOfWork { tx in
            try await tx.sql.raw("""
                INSERT INTO sessions (token_hash, account_id, issued_at, expires_at, revoked_at)
                VALUES (\(bind: tokenHash), \(bind: credentials.accountId.text), \(bind: context.at.epochMillis),
                        \(bind: expiresAt.epochMillis), \(bind: Int64?.none))
                """).run()
            var context = context
            context.actorAccountId = credentials.accountId
            context.actorRole = credentials.role
            try await audit.append(AuditRecord(action: "auth.sign_in", resourceType: "account",
                                               resourceId: credentials.accountId.text), context: context, in: tx)
        }
    }

    /// Who a token belongs to at `now`.
    public func session(tokenHash: String, now: Date) async throws -> SessionLookup {
        try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT s.expires_at, s.revoked_at, a.id, a.role, a.institution_id, a.status, p.id AS patient_id
                FROM sessions s JOIN accounts a ON a.id = s.account_id LEFT JOIN patients p ON p.account_id = a.id
                WHERE s.token_hash = \(bind: tokenHash)
                """).first() else { return .unknown }
            if try row.optionalInt64("revoked_at") != nil || row.value("status", as: AccountStatus.self) != .active {
                return .revoked
            }
            let expiresAt = try row.instant("expires_at")
            guard expiresAt > now else { return .expired }
            let caller = Caller(accountId: try row.uuid("id"), role: try row.value("role", as: Role.self),
                                institutionId: try row.optionalUUID("institution_id"),
                                patientId: try row.optionalUUID("patient_id"))
            return .valid(caller, expiresAt: expiresAt)
        }
    }

    /// Revokes the session of a token; later requests with it get 401.
    public func closeSession(tokenHash: String, context: AuditContext) async throws {
        try await database.unitOfWork { tx in
            _ = try await tx.sql.raw("""
                UPDATE sessions SET revoked_at = \(bind: context.at.epochMillis)
                WHERE token_hash = \(bind: tokenHash) AND revoked_at IS NULL RETURNING token_hash
                """).first()
            try await audit.append(AuditRecord(action: "auth.sign_out", resourceType: "account",
                                               resourceId: context.actorAccountId?.text), context: context, in: tx)
        }
    }

    private func account(from row: any SQLRow) throws -> Account {
        Account(id: try row.uuid("id"), role: try row.value("role", as: Role.self),
                displayName: try row.text("display_name"),
                phone: try PhoneNumber(try cipher.open(try row.text("phone_cipher"), field: "phone")),
                institutionId: try row.optionalUUID("institution_id"), patientId: try row.optionalUUID("patient_id"),
                status: try row.value("status", as: AccountStatus.self), createdAt: try row.instant("created_at"))
    }
}
