import Foundation
import MedLoopDomain
import SQLKit

/// A certificate scan as stored: its identifier, type and size (the bytes live encrypted under
/// the data folder as `credentials/<id>`).
public struct CredentialFile: Sendable, Equatable {
    public var id: UUID
    public var mediaType: String
    public var sizeBytes: Int64
}

/// One decision in a credential's history.
public struct CredentialDecisionRecord: Sendable {
    public var decision: CredentialDecision
    public var from: CredentialState
    public var to: CredentialState
    public var reason: String
    /// `nil` for the licence-expiry job's suspension.
    public var decidedBy: UUID?
    public var decidedAt: Date
}

/// A credential as stored, with its files and (when read one at a time) its decisions.
public struct CredentialRecord: Sendable {
    public var id: UUID
    public var holderKind: CredentialHolderKind
    /// The account that submitted it: the doctor or pharmacist, or the pharmacy's staff member.
    public var holderAccountId: UUID
    /// The institution the holder is registered at (the pharmacy itself for a pharmacy).
    public var holderInstitutionId: UUID
    public var holderInstitutionName: String
    public var doctorId: UUID?
    public var holderRegion: RegionCode
    public var licenceNumber: String
    public var files: [CredentialFile]
    public var practiceSites: [PracticeSiteClaim]
    public var yearsOfPractice: Int
    public var licenceExpiresOn: CalendarDate
    public var state: CredentialState
    public var reason: String?
    public var decidedBy: UUID?
    public var decidedAt: Date?
    public var remindedAt: Date?
    public var submittedAt: Date
    public var decisions: [CredentialDecisionRecord]
}

/// The reviewing regulator as the reviewer rule sees them.
public struct CredentialReviewer: Sendable {
    public var accountId: UUID
    public var institutionId: UUID?
    /// The region of the reviewer's regulator institution.
    public var region: RegionCode?

    public init(accountId: UUID, institutionId: UUID?, region: RegionCode?) {
        self.accountId = accountId
        self.institutionId = institutionId
        self.region = region
    }
}

/// What one run of the licence-expiry job did.
public struct LicenceExpiryRun: Sendable, Equatable {
    public var reminded: Int
    public var suspended: Int

    public init(reminded: Int, suspended: Int) {
        self.reminded = reminded
        self.suspended = suspended
    }
}

extension EventKind {
    /// A holder submitted a credential for review.
    public static let credentialSubmitted = EventKind(rawValue: "supervision.credential.submitted")
    /// A regulator (or the licence-expiry job) decided on a credential; the payload names the state.
    public static let credentialDecided = EventKind(rawValue: "supervision.credential.decided")
}

/// Credentials submitted for qualification review and the regulator's decisions (issue 20, part 1).
/// A decision that changes a holder's standing changes it in the same unit of work: a suspended
/// doctor leaves search (the `doctor.changed` event empties every server's cached pages) and their
/// open consultations are handed back and refunded; a suspended pharmacy takes no new orders; a
/// suspended pharmacist reviews no prescriptions.
public struct CredentialStore: Sendable {
    let database: Database
    let audit: AuditStore
    let notifications: NotificationStore
    let consultations: ConsultationStore
    let doctors: DoctorStore
    let signingKeys: SigningKeyStore
    let files: FileFolder

    public init(database: Database, audit: AuditStore, cipher: FieldCipher, dataDirectory: URL,
                notifications: NotificationStore, consultations: ConsultationStore, doctors: DoctorStore,
                signingKeys: SigningKeyStore) {
        self.database = database
        self.audit = audit
        self.notifications = notifications
        self.consultations = consultations
        self.doctors = doctors
        self.signingKeys = signingKeys
        self.files = FileFolder(dataDirectory: dataDirectory, name: "credentials", cipher: cipher)
    }

    // MARK: Submitting

    /// Checks `bytes` (`CertificateFileRule`) and keeps them, encrypted, as a certificate file of
    /// `account`, to be attached to a credential it submits.
    public func upload(_ bytes: [UInt8], by account: UUID, context: AuditContext) async throws -> CredentialFile {
        let mediaType = try CertificateFileRule.check(bytes)
        let file = CredentialFile(id: .v7(at: context.at), mediaType: mediaType, sizeBytes: Int64(bytes.count))
        try await database.unitOfWork { tx in
            try await tx.sql.raw("""
                INSERT INTO credential_files (id, account_id, media_type, size_bytes, created_at)
                VALUES (\(bind: file.id.text), \(bind: account.text), \(bind: mediaType), \(bind: file.sizeBytes),
                        \(bind: context.at.epochMillis))
                """).run()
            try await audit.append(AuditRecord(action: "credential.file.upload", resourceType: "credential_file",
                                               resourceId: file.id.text), context: context, in: tx)
            // Written last, inside the transaction: a failed write leaves no row pointing at nothing.
            try await files.write(bytes, named: file.id.text)
        }
        return file
    }

    /// Records `caller`'s credential: the draft is checked (`CredentialDraft.validate`), every
    /// practice site must be a registered institution and every file one of the caller's own,
    /// not yet attached; a holder has one credential under review at a time (409 `credential_pending`).
    public func submit(_ draft: CredentialDraft, by caller: Caller, context: AuditContext) async throws -> CredentialRecord {
        guard let kind = CredentialHolderKind.of(caller.role), let institution = caller.institutionId else {
            throw DomainError.forbidden(code: "not_a_holder", message: "Only doctors, pharmacists and pharmacies hold credentials.")
        }
        guard draft.holderKind == kind else {
            throw DomainError.invalidField("holderKind", code: "not_yours", "You submit credentials as a \(kind.rawValue).")
        }
        try draft.validate(today: CalendarDate.shanghai(context.at), registeredInstitution: institution)
        let id = UUID.v7(at: context.at)
        do {
            try await insert(draft, id: id, kind: kind, by: caller, institution: institution, context: context)
        } catch where isUniqueViolation(error) {
            // Two submissions at once: the database keeps one waiting per holder (migration 27).
            throw Self.pending
        }
        guard let record = try await credential(id) else { throw DomainError.notFound(resource: "credential") }
        return record
    }

    private static let pending = DomainError.conflict(code: "credential_pending", message: "A credential of yours is still under review.")

    private func insert(_ draft: CredentialDraft, id: UUID, kind: CredentialHolderKind, by caller: Caller, institution: UUID,
                        context: AuditContext) async throws {
        try await database.unitOfWork { tx in
            guard let home = try await tx.sql.raw("SELECT region_code FROM institutions WHERE id = \(bind: institution.text)").first() else {
                throw DomainError.notFound(resource: "institution")
            }
            let region = try RegionCode(try home.text("region_code"))
            var validator = FieldValidator()
            let sites = draft.practiceSites.map(\.institutionId.text)
            if !sites.isEmpty {
                let known = Set(try await tx.sql.raw("SELECT id FROM institutions WHERE id IN (\(binds: sites))").all()
                    .map { try $0.text("id") })
                for (index, site) in sites.enumerated() where !known.contains(site) {
                    validator.add("practiceSites[\(index)].institutionId", code: "unknown", "No institution has this identifier.")
                }
            }
            let attachable = Set(try await tx.sql.raw("""
                SELECT id FROM credential_files WHERE id IN (\(binds: draft.certificateFiles.map(\.text)))
                  AND account_id = \(bind: caller.accountId.text) AND credential_id IS NULL
                """).all().map { try $0.text("id") })
            if attachable.count != draft.certificateFiles.count {
                validator.add("certificateFiles", code: "unknown", "Attach certificate images you uploaded and have not attached yet.")
            }
            try validator.finish()
            let key = Self.holderKey(kind, account: caller.accountId, institution: institution)
            if try await tx.sql.raw("""
                SELECT id FROM credentials WHERE holder_key = \(bind: key) AND state = '\(unsafeRaw: CredentialState.submitted.rawValue)' LIMIT 1
                """).first() != nil {
                throw Self.pending
            }
            let doctor = kind == .doctor
                ? try await tx.sql.raw("SELECT id FROM doctors WHERE account_id = \(bind: caller.accountId.text)").first()?.uuid("id")
                : nil
            try await tx.sql.raw("""
                INSERT INTO credentials (id, holder_kind, holder_key, holder_account_id, holder_institution_id, doctor_id,
                                         holder_province, holder_city, holder_region, licence_number, practice_sites,
                                         years_of_practice, licence_expires_on, state, submitted_at, updated_at)
                VALUES (\(bind: id.text), \(bind: kind.rawValue), \(bind: key), \(bind: caller.accountId.text),
                        \(bind: institution.text), \(bind: doctor?.text), \(bind: String(region.value.prefix(2))),
                        \(bind: String(region.value.prefix(4))), \(bind: region.value), \(bind: draft.licenceNumber),
                        \(bind: CanonicalJSON.text(of: draft.practiceSites)), \(bind: draft.yearsOfPractice),
                        \(bind: draft.licenceExpiresOn.description), \(bind: CredentialState.submitted.rawValue),
                        \(bind: context.at.epochMillis), \(bind: context.at.epochMillis))
                """).run()
            // Files keep the order the holder gave them in: their position is their number.
            for (position, file) in draft.certificateFiles.enumerated() {
                try await tx.sql.raw("""
                    UPDATE credential_files SET credential_id = \(bind: id.text), position = \(bind: position)
                    WHERE id = \(bind: file.text)
                    """).run()
            }
            try await audit.append(AuditRecord(action: "credential.submit", resourceType: "credential", resourceId: id.text),
                                   context: context, in: tx)
            try await EventStore.append(Self.event(.credentialSubmitted, id, state: .submitted, at: context.at), in: tx)
        }
    }

    // MARK: Reading

    /// The credentials `caller` holds (a pharmacy's staff see their pharmacy's), newest first.
    public func credentials(of caller: Caller, limit: Int, cursor: String?) async throws -> Page<CredentialRecord> {
        guard let kind = CredentialHolderKind.of(caller.role), let institution = caller.institutionId else {
            return Page(items: [], nextCursor: nil)
        }
        var condition: SQLQueryString = "c.holder_key = \(bind: Self.holderKey(kind, account: caller.accountId, institution: institution))"
        if let cursor { condition += " AND c.id < \(bind: try Cursor.decode(cursor))" }
        return try await page(where: condition, order: "c.id DESC", limit: limit)
    }

    /// The review queue of a region: credentials in `state` (every state when `nil`) whose holder's
    /// region starts with `regionPrefix` (every region when `nil`), oldest first.
    public func queue(state: CredentialState?, regionPrefix: String?, limit: Int, cursor: String?) async throws -> Page<CredentialRecord> {
        var conditions: [SQLQueryString] = []
        if let state { conditions.append("c.state = \(bind: state.rawValue)") }
        if let regionPrefix {
            // The column of the prefix's length, so the query walks one index (see the migration).
            switch regionPrefix.count {
            case 2: conditions.append("c.holder_province = \(bind: regionPrefix)")
            case 4: conditions.append("c.holder_city = \(bind: regionPrefix)")
            default: conditions.append("c.holder_region = \(bind: regionPrefix)")
            }
        }
        if let cursor { conditions.append("c.id > \(bind: try Cursor.decode(cursor))") }
        let condition = conditions.isEmpty ? SQLQueryString("1 = 1")
            : conditions.dropFirst().reduce(conditions[0]) { $0 + " AND " + $1 }
        return try await page(where: condition, order: "c.id", limit: limit)
    }

    /// One credential with its files and decisions.
    public func credential(_ id: UUID) async throws -> CredentialRecord? {
        try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT c.*, i.name AS institution_name FROM credentials c JOIN institutions i ON i.id = c.holder_institution_id
                WHERE c.id = \(bind: id.text)
                """).first() else { return nil }
            var record = try await Self.record(from: row, in: sql)
            record.decisions = try await sql.raw("""
                SELECT * FROM credential_decisions WHERE credential_id = \(bind: id.text) ORDER BY id
                """).all().map { row in
                    CredentialDecisionRecord(decision: try row.value("decision", as: CredentialDecision.self),
                                             from: try row.value("from_state", as: CredentialState.self),
                                             to: try row.value("to_state", as: CredentialState.self),
                                             reason: try row.text("reason"), decidedBy: try row.optionalUUID("decided_by"),
                                             decidedAt: try row.instant("decided_at"))
                }
            return record
        }
    }

    /// The bytes of certificate file `number` (1-based) of `credential`, with their type.
    public func file(_ number: Int, of credential: CredentialRecord) async throws -> (mediaType: String, data: Data)? {
        guard credential.files.indices.contains(number - 1) else { return nil }
        let file = credential.files[number - 1]
        guard let data = try await files.read(file.id.text) else { return nil }
        return (file.mediaType, data)
    }

    // MARK: Deciding

    /// Applies a regulator's `decision` (approve, reject, suspend, reinstate) with its reason,
    /// after the reviewer rule (`CredentialRules.checkReviewer`); a refusal by that rule is
    /// audited. The holder's standing changes in the same unit of work.
    public func decide(_ id: UUID, _ decision: CredentialDecision, reason text: String?, by reviewer: CredentialReviewer,
                       context: AuditContext) async throws -> CredentialRecord {
        let reason = try CredentialRules.reason(text)
        guard decision != .supersede else {
            throw DomainError.invalidField("decision", code: "unknown_value", "A regulator approves, rejects, suspends or reinstates.")
        }
        do {
            try await database.unitOfWork { tx in
                guard let row = try await tx.sql.raw("SELECT * FROM credentials WHERE id = \(bind: id.text)").first() else {
                    throw DomainError.notFound(resource: "credential")
                }
                try CredentialRules.checkReviewer(
                    reviewer.accountId, reviewerInstitution: reviewer.institutionId, reviewerRegion: reviewer.region,
                    holderAccounts: [try row.uuid("holder_account_id")], holderInstitution: try row.uuid("holder_institution_id"),
                    holderRegion: try RegionCode(try row.text("holder_region")))
                try await apply(decision, to: row, reason: reason, by: reviewer.accountId, context: context, in: tx)
            }
        } catch let error as DomainError {
            if case .forbidden = error {
                try await audit.record(AuditRecord(action: "credential.\(decision.rawValue)", resourceType: "credential",
                                                   resourceId: id.text, outcome: .denied), context: context)
            }
            throw error
        }
        guard let record = try await credential(id) else { throw DomainError.notFound(resource: "credential") }
        return record
    }

    /// Moves the credential `row` by `decision` inside `tx` and changes its holder's standing.
    private func apply(_ decision: CredentialDecision, to row: any SQLRow, reason: String, by reviewer: UUID?,
                       context: AuditContext, in tx: Transaction) async throws {
        let id = try row.uuid("id")
        let current = try row.value("state", as: CredentialState.self)
        let next = try await tx.move("credentials", id: id, from: current, by: decision)
        try await record(decision, of: id, from: current, to: next, reason: reason, by: reviewer, at: context.at, in: tx)
        let key = try row.text("holder_key")
        if decision == .approve {
            // A qualified doctor or pharmacist signs: the key is made with the approval, not at the first signature.
            if try row.value("holder_kind", as: CredentialHolderKind.self) != .pharmacy {
                _ = try await signingKeys.key(of: try row.uuid("holder_account_id"), at: context.at, in: tx)
            }
            // The newly approved credential speaks for its holder from now on; earlier ones step aside.
            for earlier in try await tx.sql.raw("""
                SELECT id, state FROM credentials WHERE holder_key = \(bind: key) AND id <> \(bind: id.text)
                  AND state IN (\(bind: CredentialState.approved.rawValue), \(bind: CredentialState.suspended.rawValue))
                """).all() {
                let earlierId = try earlier.uuid("id")
                let from = try earlier.value("state", as: CredentialState.self)
                let to = try await tx.move("credentials", id: earlierId, from: from, by: .supersede)
                try await record(.supersede, of: earlierId, from: from, to: to, reason: "superseded by \(id.text)", by: reviewer,
                                 at: context.at, in: tx)
            }
        }
        try await audit.append(AuditRecord(action: "credential.\(decision.rawValue)", resourceType: "credential", resourceId: id.text),
                               context: context, in: tx)
        try await notifications.notify(try row.uuid("holder_account_id"), kind: .credentialDecided, subjectType: "credential",
                                       subjectId: id.text, at: context.at, in: tx)
        var events = [Self.event(.credentialDecided, id, state: next, at: context.at)]
        if let standing = next.holderStatus {
            events += try await setStanding(standing, kind: try row.value("holder_kind", as: CredentialHolderKind.self),
                                            doctor: try row.optionalUUID("doctor_id"),
                                            institution: try row.uuid("holder_institution_id"), context: context, in: tx)
        }
        for event in events { try await EventStore.append(event, in: tx) }
    }

    /// A regulator's decision on a doctor straight in the directory (`PUT /doctors/{id}/qualification`,
    /// for a doctor registered without credentials): the same effects as a credential's decision —
    /// a suspension hands back the doctor's open consultations in the same unit of work.
    public func setDirectoryStanding(_ standing: QualificationStatus, doctor: UUID, context: AuditContext) async throws {
        try await database.unitOfWork { tx in
            guard let row = try await tx.sql.raw("SELECT hospital_id, account_id FROM doctors WHERE id = \(bind: doctor.text)").first() else {
                throw DomainError.notFound(resource: "doctor")
            }
            if standing == .approved, let account = try row.optionalUUID("account_id") {
                // A qualified doctor signs prescriptions: the key is made now, not at the first signature.
                _ = try await signingKeys.key(of: account, at: context.at, in: tx)
            }
            let events = try await setStanding(standing, kind: .doctor, doctor: doctor, institution: try row.uuid("hospital_id"),
                                               context: context, in: tx)
            for event in events { try await EventStore.append(event, in: tx) }
        }
    }

    /// Sets a holder's standing inside `tx` and returns the events to append last. A doctor's
    /// suspension hands back their open consultations; a pharmacist's standing is their
    /// credential's state itself.
    private func setStanding(_ standing: QualificationStatus, kind: CredentialHolderKind, doctor: UUID?, institution: UUID,
                             context: AuditContext, in tx: Transaction) async throws -> [DomainEvent] {
        switch kind {
        case .doctor:
            guard let doctor else { return [] }
            try await doctors.setQualification(standing, of: doctor, at: context.at, in: tx)
            try await audit.append(AuditRecord(action: "doctor.qualification.\(standing.rawValue)", resourceType: "doctor",
                                               resourceId: doctor.text), context: context, in: tx)
            if standing == .suspended {
                _ = try await consultations.handBack(openConsultationsOf: doctor, context: context, in: tx)
            }
            return [.doctorChanged(doctor, .qualification, at: context.at)]
        case .pharmacy:
            // The conditional update takes the row a reservation touches, so the two run one after the other.
            try await tx.sql.raw("""
                UPDATE institutions SET qualification = \(bind: standing.rawValue) WHERE id = \(bind: institution.text)
                """).run()
            return [.institutionChanged(institution, at: context.at)]
        case .pharmacist:
            return []
        }
    }

    private func record(_ decision: CredentialDecision, of id: UUID, from: CredentialState, to: CredentialState, reason: String,
                        by reviewer: UUID?, at now: Date, in tx: Transaction) async throws {
        try await tx.sql.raw("""
            INSERT INTO credential_decisions (id, credential_id, decision, from_state, to_state, reason, decided_by, decided_at)
            VALUES (\(bind: UUID.v7(at: now).text), \(bind: id.text), \(bind: decision.rawValue), \(bind: from.rawValue),
                    \(bind: to.rawValue), \(bind: reason), \(bind: reviewer?.text), \(bind: now.epochMillis))
            """).run()
        try await tx.sql.raw("""
            UPDATE credentials SET reason = \(bind: reason), decided_by = \(bind: reviewer?.text), decided_at = \(bind: now.epochMillis),
                updated_at = \(bind: now.epochMillis)
            WHERE id = \(bind: id.text)
            """).run()
    }

    // MARK: Licence expiry

    /// Reminds, once per credential, the holder and the regulators whose region covers theirs when
    /// a licence expires within 30 days, and suspends it on its expiry day (`LicenceExpiry.due`,
    /// Asia/Shanghai days). Each credential is its own unit of work; conditional updates make a
    /// second run, or a racing server, do nothing twice. A run takes at most 500 credentials, only
    /// those with something left to do (not yet reminded, or expired), so the next run goes on
    /// where it stopped.
    public func runLicenceExpiry(context: AuditContext) async throws -> LicenceExpiryRun {
        let today = CalendarDate.shanghai(context.at)
        let horizon = today.adding(days: LicenceExpiry.reminderDays)
        let due = try await database.read { sql in
            try await sql.raw("""
                SELECT id, licence_expires_on, reminded_at FROM credentials
                WHERE state = \(bind: CredentialState.approved.rawValue) AND licence_expires_on <= \(bind: horizon.description)
                  AND (reminded_at IS NULL OR licence_expires_on <= \(bind: today.description))
                ORDER BY licence_expires_on LIMIT 500
                """).all()
        }
        var run = LicenceExpiryRun(reminded: 0, suspended: 0)
        for row in due {
            guard let expiresOn = CalendarDate(iso: try row.text("licence_expires_on")) else { continue }
            let id = try row.uuid("id")
            switch LicenceExpiry.due(expiresOn: expiresOn, today: today, state: .approved,
                                     reminded: try row.optionalInt64("reminded_at") != nil) {
            case .none: break
            case .remind: if try await remind(id, expiresOn: expiresOn, context: context) { run.reminded += 1 }
            case .suspend: if try await suspendExpired(id, expiresOn: expiresOn, context: context) { run.suspended += 1 }
            }
        }
        return run
    }

    private func remind(_ id: UUID, expiresOn: CalendarDate, context: AuditContext) async throws -> Bool {
        try await database.unitOfWork { tx in
            guard let row = try await tx.sql.raw("""
                UPDATE credentials SET reminded_at = \(bind: context.at.epochMillis)
                WHERE id = \(bind: id.text) AND reminded_at IS NULL AND state = \(bind: CredentialState.approved.rawValue)
                RETURNING holder_account_id, holder_region
                """).first() else { return false }
            let region = try RegionCode(try row.text("holder_region"))
            var recipients = [try row.uuid("holder_account_id")]
            recipients += try await Self.regulators(covering: region, in: tx)
            for account in recipients {
                try await notifications.notify(account, kind: .licenceExpiring, subjectType: "credential", subjectId: id.text,
                                               at: context.at, in: tx)
            }
            try await audit.append(AuditRecord(action: "credential.licence_reminder", resourceType: "credential",
                                               resourceId: id.text, detail: CanonicalJSON.text(of: ["expiresOn": expiresOn.description])),
                                   context: context, in: tx)
            return true
        }
    }

    private func suspendExpired(_ id: UUID, expiresOn: CalendarDate, context: AuditContext) async throws -> Bool {
        try await database.unitOfWork { tx in
            guard let row = try await tx.sql.raw("SELECT * FROM credentials WHERE id = \(bind: id.text)").first(),
                  try row.value("state", as: CredentialState.self) == .approved else { return false }
            try await apply(.suspend, to: row, reason: "licence expired on \(expiresOn)", by: nil, context: context, in: tx)
            return true
        }
    }

    /// The regulator accounts whose institution's region covers `region`.
    static func regulators(covering region: RegionCode, in tx: Transaction) async throws -> [UUID] {
        try await tx.sql.raw("""
            SELECT a.id, i.region_code FROM accounts a JOIN institutions i ON i.id = a.institution_id
            WHERE a.role = \(bind: Role.regulator.rawValue) AND i.kind = \(bind: InstitutionKind.regulator.rawValue)
            ORDER BY a.id
            """).all().compactMap { row in
                try RegionCode(try row.text("region_code")).covers(region) ? try row.uuid("id") : nil
            }
    }

    // MARK: Standing checks used by other areas

    /// Refuses (403 `pharmacist_suspended`) a pharmacist with a suspended credential, inside `tx`.
    static func checkReviewing(pharmacist: UUID, in tx: Transaction) async throws {
        let suspended = try await tx.sql.raw("""
            SELECT id FROM credentials WHERE holder_key = \(bind: holderKey(.pharmacist, account: pharmacist, institution: nil))
              AND state = \(bind: CredentialState.suspended.rawValue) LIMIT 1
            """).first() != nil
        try CredentialRules.checkReviewing(isSuspended: suspended)
    }

    /// Refuses (409 `pharmacy_suspended`) a suspended pharmacy inside a reservation's unit of work;
    /// a shared lock on the pharmacy's row (PostgreSQL; SQLite has one writer) orders the
    /// reservation and a racing suspension one after the other, while reservations run side by side.
    static func holdTakingOrders(pharmacy: UUID, in tx: Transaction) async throws {
        let lock: SQLQueryString = tx.engine == .postgres ? " FOR SHARE" : ""
        let row = try await tx.sql.raw("""
            SELECT qualification FROM institutions WHERE id = \(bind: pharmacy.text)\(lock)
            """).first()
        try CredentialRules.checkTakingOrders(try row?.value("qualification", as: QualificationStatus.self) ?? .approved)
    }

    // MARK: Rows

    static func holderKey(_ kind: CredentialHolderKind, account: UUID, institution: UUID?) -> String {
        switch kind {
        case .doctor, .pharmacist: return "\(kind.rawValue):\(account.text)"
        case .pharmacy: return "pharmacy:\(institution?.text ?? "")"
        }
    }

    static func event(_ kind: EventKind, _ id: UUID, state: CredentialState, at now: Date) -> DomainEvent {
        DomainEvent(id: .v7(at: now), kind: kind, subjectType: "credential", subjectId: id,
                    payload: #"{"state":"\#(state.rawValue)"}"#, occurredAt: now)
    }

    private func page(where condition: SQLQueryString, order: String, limit: Int) async throws -> Page<CredentialRecord> {
        let items = try await database.read { sql in
            var records: [CredentialRecord] = []
            for row in try await sql.raw("""
                SELECT c.*, i.name AS institution_name FROM credentials c JOIN institutions i ON i.id = c.holder_institution_id
                WHERE \(condition) ORDER BY \(unsafeRaw: order) LIMIT \(literal: limit + 1)
                """).all() {
                records.append(try await Self.record(from: row, in: sql))
            }
            return records
        }
        let next = items.count > limit ? items[limit - 1].id.text : nil
        return Page(items: Array(items.prefix(limit)), nextCursor: next.map(Cursor.encode))
    }

    static func record(from row: any SQLRow, in sql: any SQLDatabase) async throws -> CredentialRecord {
        let id = try row.uuid("id")
        let files = try await sql.raw("""
            SELECT id, media_type, size_bytes FROM credential_files WHERE credential_id = \(bind: id.text) ORDER BY position
            """).all().map { CredentialFile(id: try $0.uuid("id"), mediaType: try $0.text("media_type"), sizeBytes: try $0.int64("size_bytes")) }
        let sites = try StoredJSON.value([PracticeSiteClaim].self, from: try row.text("practice_sites"))
        let expiry = try row.text("licence_expires_on")
        guard let expiresOn = CalendarDate(iso: expiry) else { throw StoredValueError(column: "licence_expires_on", value: expiry) }
        return CredentialRecord(
            id: id, holderKind: try row.value("holder_kind", as: CredentialHolderKind.self),
            holderAccountId: try row.uuid("holder_account_id"), holderInstitutionId: try row.uuid("holder_institution_id"),
            holderInstitutionName: try row.text("institution_name"), doctorId: try row.optionalUUID("doctor_id"),
            holderRegion: try RegionCode(try row.text("holder_region")), licenceNumber: try row.text("licence_number"),
            files: files, practiceSites: sites, yearsOfPractice: Int(try row.int64("years_of_practice")),
            licenceExpiresOn: expiresOn, state: try row.value("state", as: CredentialState.self),
            reason: try row.optionalText("reason"), decidedBy: try row.optionalUUID("decided_by"),
            decidedAt: try row.optionalInstant("decided_at"), remindedAt: try row.optionalInstant("reminded_at"),
            submittedAt: try row.instant("submitted_at"), decisions: [])
    }
}

extension PharmacyStore {
    /// Refuses (409 `pharmacy_suspended`) a suspended pharmacy before a reservation is priced
    /// (issue 20: a suspended pharmacy gets no new orders).
    public func checkTakingOrders(_ pharmacy: UUID) async throws {
        let row = try await database.read { sql in
            try await sql.raw("SELECT qualification FROM institutions WHERE id = \(bind: pharmacy.text)").first()
        }
        try CredentialRules.checkTakingOrders(try row?.value("qualification", as: QualificationStatus.self) ?? .approved)
    }
}
