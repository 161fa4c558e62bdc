import Crypto
import Foundation
import MedLoopDomain
import SQLKit

/// An insured person as the registry shows them (the national ID masked).
public struct InsuredPerson: Sendable, Equatable {
    public var id: UUID
    public var region: RegionCode
    public var maskedNationalId: String
    public var insuredNumber: String
    public var scheme: InsuranceScheme
    public var status: InsuredStatus
    public var personalAccountFen: Int64
}

/// What an import did: rows written and the line and reason of each refused one.
public struct RegistryImport: Sendable {
    public var written: Int
    public var refused: [(line: Int, reason: String)]
}

/// A patient's linked coverage: the insured person it rests on.
public struct Coverage: Sendable, Equatable {
    public var patientId: UUID
    public var person: InsuredPerson
    public var verifiedAt: Date
}

/// Each region insurer's registry of insured persons, its e-voucher key, and the coverage patients
/// link by presenting a voucher. National IDs are sealed, found by keyed hash; personal account
/// balances live in the ledger.
public struct InsuredPersonStore: Sendable {
    let database: Database
    let cipher: FieldCipher
    let audit: AuditStore
    let ledger: LedgerStore

    public init(database: Database, cipher: FieldCipher, audit: AuditStore, ledger: LedgerStore) {
        self.database = database
        self.cipher = cipher
        self.audit = audit
        self.ledger = ledger
    }

    /// Adds or updates the person with this national ID in `region`'s registry.
    ///
    /// - Throws: 409 `insured_number_taken` when another person of the region has the number.
    public func save(_ draft: InsuredPersonDraft, region: RegionCode, context: AuditContext) async throws -> InsuredPerson {
        try await database.unitOfWork { tx in
            let id = try await upsert(draft, region: region, at: context.at, in: tx)
            try await audit.append(AuditRecord(action: "insured_person.save", resourceType: "insured_person", resourceId: id.text),
                                   context: context, in: tx)
            guard let person = try await Self.person(id, in: tx.sql, cipher: cipher) else { throw DomainError.notFound(resource: "insured_person") }
            return person
        }
    }

    /// Imports a registry file: every row that reads well is saved in one unit of work; the others
    /// are reported by line, as are rows whose number belongs to another person.
    public func importList(_ text: String, region: RegionCode, context: AuditContext) async throws -> RegistryImport {
        let (rows, refusedRows) = try InsuredPersonList.parse(text, today: CalendarDate.shanghai(context.at))
        return try await database.unitOfWork { tx in
            var refused = refusedRows
            var written = 0
            for row in rows {
                do {
                    _ = try await upsert(row.person, region: region, at: context.at, in: tx)
                    written += 1
                } catch let error as DomainError {
                    guard case .conflict = error else { throw error }
                    refused.append((row.line, "insured_number_taken"))
                }
            }
            try await audit.append(AuditRecord(action: "insured_person.import", resourceType: "insured_person_list",
                                               resourceId: region.value), context: context, in: tx)
            return RegistryImport(written: written, refused: refused.sorted { $0.line < $1.line })
        }
    }

    /// The persons of `region`, in the order they were added.
    public func persons(of region: RegionCode, limit: Int, cursor: String?) async throws -> Page<InsuredPerson> {
        var condition: SQLQueryString = "p.region = \(bind: region.value)"
        if let cursor { condition += " AND p.id > \(bind: try Cursor.decode(cursor))" }
        let whereClause = condition
        let persons = try await database.read { sql in
            try await sql.raw("""
                SELECT p.*, b.balance_fen FROM insured_persons p
                LEFT JOIN ledger_balances b ON b.account = \(bind: "personal-account:") || p.id
                WHERE \(whereClause) ORDER BY p.id LIMIT \(literal: limit + 1)
                """).all().map { try Self.person(from: $0, cipher: cipher) }
        }
        return Page(items: Array(persons.prefix(limit)),
                    nextCursor: persons.count > limit ? Cursor.encode(persons[limit - 1].id.text) : nil)
    }

    public func person(_ id: UUID) async throws -> InsuredPerson? {
        try await database.read { sql in try await Self.person(id, in: sql, cipher: cipher) }
    }

    /// Issues an e-voucher for a person of `region`, signed with the region insurer's key: what the
    /// insurer's side hands the person to show MedLoop.
    ///
    /// - Throws: 404 when the person is not in the region's registry.
    public func issueVoucher(for personId: UUID, region: RegionCode, context: AuditContext) async throws -> (code: String, expiresAt: Date) {
        try await database.unitOfWork { tx in
            guard let row = try await tx.sql.raw("SELECT region FROM insured_persons WHERE id = \(bind: personId.text)").first(),
                  try row.text("region") == region.value else { throw DomainError.notFound(resource: "insured_person") }
            let key = try await KeyRing(cipher: cipher).key(KeyRing.insurer(region), at: context.at, in: tx)
            let voucher = EVoucher(region: region, insuredPersonId: personId, nonce: .v7(at: context.at), issuedAt: context.at)
            try await audit.append(AuditRecord(action: "voucher.issue", resourceType: "insured_person", resourceId: personId.text),
                                   context: context, in: tx)
            return (try voucher.code(signedWith: key), voucher.expiresAt)
        }
    }

    /// Issues an e-voucher for whoever holds `nationalId` in a region's registry, on behalf of that
    /// region's insurer (`medloop voucher`, for trying MedLoop).
    ///
    /// - Throws: 404 when no region insures the person.
    public func issueVoucher(forNationalId nationalId: NationalID, context: AuditContext) async throws -> (code: String, expiresAt: Date) {
        let hash = cipher.lookupHash(nationalId.value, field: "national_id")
        guard let row = try await database.read({ sql in
            try await sql.raw("""
                SELECT id, region FROM insured_persons WHERE national_id_hash = \(bind: hash) ORDER BY created_at DESC LIMIT 1
                """).first()
        }) else { throw DomainError.notFound(resource: "insured_person") }
        return try await issueVoucher(for: try row.uuid("id"), region: try RegionCode(try row.text("region")), context: context)
    }

    /// Links the coverage a presented e-voucher proves to `patient`: the voucher must be signed by
    /// its region's insurer, unexpired and unused; its person must be active and hold the patient's
    /// national ID. The voucher is used up in the same unit of work.
    ///
    /// - Throws: 400 `voucher` / `format`; 422 `voucher_forged`, `voucher_expired`,
    ///   `coverage_suspended`, `voucher_not_yours`; 409 `voucher_used`.
    public func link(voucher code: String, to patient: UUID, context: AuditContext) async throws -> Coverage {
        let region = try EVoucher.region(of: code)
        return try await database.unitOfWork { tx in
            guard let publicKey = try? await KeyRing.publicKey(KeyRing.insurer(region), in: tx.sql) else {
                throw DomainError.refused(code: "voucher_forged", message: "The e-voucher was not issued by the region's insurer.")
            }
            let voucher = try EVoucher.verify(code, publicKey: publicKey, now: context.at)
            guard let person = try await Self.person(voucher.insuredPersonId, in: tx.sql, cipher: cipher) else {
                throw DomainError.refused(code: "voucher_forged", message: "The e-voucher names no insured person of the region.")
            }
            let patientHash = try await tx.sql.raw("SELECT national_id_hash FROM patients WHERE id = \(bind: patient.text)").first()?
                .text("national_id_hash")
            let personHash = try await tx.sql.raw("""
                SELECT national_id_hash FROM insured_persons WHERE id = \(bind: person.id.text)
                """).first()?.text("national_id_hash")
            guard let patientHash, patientHash == personHash else {
                throw DomainError.refused(code: "voucher_not_yours", message: "The e-voucher belongs to another person.")
            }
            // Checked after whose voucher it is, so that nobody learns another person's status.
            guard person.status == .active else {
                throw DomainError.refused(code: "coverage_suspended", message: "The insured person's coverage is suspended.")
            }
            let used = try await tx.sql.raw("""
                INSERT INTO used_vouchers (nonce, insured_person_id, used_at)
                VALUES (\(bind: voucher.nonce.text), \(bind: person.id.text), \(bind: context.at.epochMillis))
                ON CONFLICT (nonce) DO NOTHING RETURNING nonce
                """).first()
            guard used != nil else { throw DomainError.conflict(code: "voucher_used", message: "The e-voucher has been used already.") }
            try await Self.recordCoverage(of: patient, by: person.id, at: context.at, in: tx)
            try await audit.append(AuditRecord(action: "coverage.link", resourceType: "coverage", resourceId: patient.text,
                                               patientId: patient), context: context, in: tx)
            return Coverage(patientId: patient, person: person, verifiedAt: context.at)
        }
    }

    /// Records that `person`'s coverage, verified at `now`, is `patient`'s (in place of any before).
    static func recordCoverage(of patient: UUID, by person: UUID, at now: Date, in tx: Transaction) async throws {
        try await tx.sql.raw("""
            INSERT INTO insurance_coverages (patient_id, insured_person_id, verified_at)
            VALUES (\(bind: patient.text), \(bind: person.text), \(bind: now.epochMillis))
            ON CONFLICT (patient_id) DO UPDATE SET insured_person_id = excluded.insured_person_id, verified_at = excluded.verified_at
            """).run()
    }

    /// The coverage `patient` has linked, if any.
    public func coverage(of patient: UUID) async throws -> Coverage? {
        try await database.read { sql in try await Self.coverage(of: patient, in: sql, cipher: cipher) }
    }

    static func coverage(of patient: UUID, in sql: any SQLDatabase, cipher: FieldCipher) async throws -> Coverage? {
        guard let row = try await sql.raw("""
            SELECT insured_person_id, verified_at FROM insurance_coverages WHERE patient_id = \(bind: patient.text)
            """).first(), let person = try await person(try row.uuid("insured_person_id"), in: sql, cipher: cipher) else { return nil }
        return Coverage(patientId: patient, person: person, verifiedAt: try row.instant("verified_at"))
    }

    func upsert(_ draft: InsuredPersonDraft, region: RegionCode, at now: Date, in tx: Transaction) async throws -> UUID {
        let hash = cipher.lookupHash(draft.nationalId.value, field: "national_id")
        let existing = try await tx.sql.raw("""
            SELECT id FROM insured_persons WHERE region = \(bind: region.value) AND national_id_hash = \(bind: hash)
            """).first()?.uuid("id")
        let holder = try await tx.sql.raw("""
            SELECT id FROM insured_persons WHERE region = \(bind: region.value) AND insured_number = \(bind: draft.insuredNumber)
            """).first()?.uuid("id")
        if let holder, holder != existing {
            throw DomainError.conflict(code: "insured_number_taken", message: "Another insured person of the region has this number.")
        }
        let id = existing ?? .v7(at: now)
        if existing == nil {
            try await tx.sql.raw("""
                INSERT INTO insured_persons (id, region, national_id_cipher, national_id_hash, insured_number, scheme, status,
                                             created_at, updated_at)
                VALUES (\(bind: id.text), \(bind: region.value), \(bind: try cipher.seal(draft.nationalId.value, field: "national_id")),
                        \(bind: hash), \(bind: draft.insuredNumber), \(bind: draft.scheme.rawValue), \(bind: draft.status.rawValue),
                        \(bind: now.epochMillis), \(bind: now.epochMillis))
                """).run()
        } else {
            try await tx.sql.raw("""
                UPDATE insured_persons SET insured_number = \(bind: draft.insuredNumber), scheme = \(bind: draft.scheme.rawValue),
                    status = \(bind: draft.status.rawValue), updated_at = \(bind: now.epochMillis)
                WHERE id = \(bind: id.text)
                """).run()
        }
        // The balance is the ledger's: the insurer funds (or takes back) the difference.
        let account = LedgerAccount.personalAccount(id)
        let current = try await tx.sql.raw("SELECT balance_fen FROM ledger_balances WHERE account = \(bind: account.name)").first()?
            .int64("balance_fen") ?? 0
        let change = draft.personalAccountFen - current
        if change != 0 {
            try await ledger.post(try JournalEntry(kind: .accountFunding, lines: [
                LedgerLine(.personalAccountFunding(region), -change), LedgerLine(account, change),
            ]), at: now, in: tx)
        }
        return id
    }

    static func person(_ id: UUID, in sql: any SQLDatabase, cipher: FieldCipher) async throws -> InsuredPerson? {
        guard let row = try await sql.raw("""
            SELECT p.*, b.balance_fen FROM insured_persons p
            LEFT JOIN ledger_balances b ON b.account = \(bind: LedgerAccount.personalAccount(id).name)
            WHERE p.id = \(bind: id.text)
            """).first() else { return nil }
        return try person(from: row, cipher: cipher)
    }

    static func person(from row: any SQLRow, cipher: FieldCipher) throws -> InsuredPerson {
        let nationalId = try cipher.open(try row.text("national_id_cipher"), field: "national_id")
        return InsuredPerson(id: try row.uuid("id"), region: try RegionCode(try row.text("region")), maskedNationalId: NationalID.mask(nationalId),
                             insuredNumber: try row.text("insured_number"), scheme: try row.value("scheme", as: InsuranceScheme.self),
                             status: try row.value("status", as: InsuredStatus.self),
                             personalAccountFen: try row.optionalInt64("balance_fen") ?? 0)
    }
}
