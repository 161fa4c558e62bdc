import Foundation
import MedLoopDomain
import SQLKit

/// Who acts and from where: stamped on every audit entry a request writes.
public struct AuditContext: Sendable {
    public var actorAccountId: UUID?
    public var actorRole: Role?
    public var clientAddress: String?
    public var requestId: String?
    public var at: Date

    public init(actorAccountId: UUID?, actorRole: Role?, clientAddress: String?, requestId: String?, at: Date) {
        self.actorAccountId = actorAccountId
        self.actorRole = actorRole
        self.clientAddress = clientAddress
        self.requestId = requestId
        self.at = at
    }

    /// The same context acting as `caller`.
    public func acting(as caller: Caller) -> AuditContext {
        var context = self
        context.actorAccountId = caller.accountId
        context.actorRole = caller.role
        return context
    }
}

/// What happened, to be recorded under an `AuditContext`.
public struct AuditRecord: Sendable {
    public var action: String
    public var resourceType: String
    public var resourceId: String?
    public var patientId: UUID?
    public var outcome: AuditOutcome
    /// Facts the entry carries (a prescription trail event's), canonical JSON.
    public var detail: String?

    public init(action: String, resourceType: String, resourceId: String? = nil, patientId: UUID? = nil,
                outcome: AuditOutcome = .success, detail: String? = nil) {
        self.detail = detail
        self.action = action
        self.resourceType = resourceType
        self.resourceId = resourceId
        self.patientId = patientId
        self.outcome = outcome
    }
}

/// What a regulator may filter the audit log by.
public struct AuditFilter: Sendable {
    public var actorAccountId: UUID?
    public var patientId: UUID?
    public var from: Date?
    public var to: Date?
    public var limit: Int
    public var cursor: String?

    public init(actorAccountId: UUID? = nil, patientId: UUID? = nil, from: Date? = nil, to: Date? = nil,
                limit: Int = 20, cursor: String? = nil) {
        self.actorAccountId = actorAccountId
        self.patientId = patientId
        self.from = from
        self.to = to
        self.limit = limit
        self.cursor = cursor
    }
}

/// The append-only, hash-chained audit log.
public struct AuditStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Appends an entry inside `tx`, so it commits with the change it records. The entry is
    /// chained when the unit of work is about to commit (`PendingWrites`): appends are serialised
    /// on the chain head (row lock on PostgreSQL, the single writer on SQLite), and a unit holds
    /// that lock only for its last statements.
    public func append(_ record: AuditRecord, context: AuditContext, in tx: Transaction) async throws {
        tx.pending.append(record, context: context)
    }

    /// The call that chains and writes a committing unit's audit lines on PostgreSQL, in order,
    /// after the chain's head (`medloop_audit_append`, M0035): a `SELECT` expression, for the
    /// statement that writes the unit's events too (`PendingWrites`).
    static func sealing(_ pending: [PendingWrites.Audit]) throws -> SQLQueryString {
        let lines = pending.map { line in
            SealedLine(at: line.context.at.epochMillis, actor: line.context.actorAccountId?.text,
                       role: line.context.actorRole?.rawValue, action: line.record.action, resourceType: line.record.resourceType,
                       resourceId: line.record.resourceId, patient: line.record.patientId?.text, outcome: line.record.outcome.rawValue,
                       client: line.context.clientAddress, request: line.context.requestId, detail: line.record.detail)
        }
        let json = try StoredJSON.text(lines)
        return "medloop_audit_append(\(bind: json)::jsonb)"
    }

    /// An audit line as `medloop_audit_append` reads it; an absent field is left out.
    private struct SealedLine: Encodable {
        let at: Int64
        let actor: String?
        let role: String?
        let action: String
        let resourceType: String
        let resourceId: String?
        let patient: String?
        let outcome: String
        let client: String?
        let request: String?
        let detail: String?
    }

    /// Chains and writes a committing unit's audit lines, in order, after the chain's head: on
    /// SQLite here, whose one writer serialises the units; on PostgreSQL by `sealing` in the database.
    static func write(_ pending: [PendingWrites.Audit], in tx: Transaction) async throws {
        if tx.engine == .postgres {
            try await tx.sql.raw("SELECT " + (try sealing(pending))).run()
            return
        }
        guard let head = try await tx.sql.raw("SELECT sequence, hash FROM audit_head WHERE id = 1").first() else {
            throw StoredValueError(column: "audit_head", value: "missing")
        }
        var sequence = try head.int64("sequence")
        var previousHash = try head.text("hash")
        var entries: [AuditEntry] = []
        for line in pending {
            let (record, context) = (line.record, line.context)
            let entry = AuditChain.seal(AuditEntry(
                sequence: sequence + 1, at: Date(epochMillis: context.at.epochMillis),
                actorAccountId: context.actorAccountId, actorRole: context.actorRole, action: record.action,
                resourceType: record.resourceType, resourceId: record.resourceId, patientId: record.patientId,
                outcome: record.outcome, clientAddress: context.clientAddress, requestId: context.requestId,
                detail: record.detail, previousHash: previousHash))
            entries.append(entry)
            sequence = entry.sequence
            previousHash = entry.hash
        }
        for chunk in entries.chunks(of: 100) {
            // The detail column is named only when a line has a detail, so lines without one are
            // written exactly as before it existed (a database part-way through its migrations).
            let hasDetail = chunk.contains { $0.detail != nil }
            var insert: SQLQueryString = """
                INSERT INTO audit_log (sequence, at, actor_account_id, actor_role, action, resource_type, resource_id,
                                       patient_id, outcome, client_address, request_id, previous_hash, hash
                """
            insert += hasDetail ? ", detail) VALUES " : ") VALUES "
            for (index, entry) in chunk.enumerated() {
                if index > 0 { insert += ", " }
                insert += """
                    (\(bind: entry.sequence), \(bind: entry.at.epochMillis), \(bind: entry.actorAccountId?.text),
                    \(bind: entry.actorRole?.rawValue), \(bind: entry.action), \(bind: entry.resourceType),
                    \(bind: entry.resourceId), \(bind: entry.patientId?.text), \(bind: entry.outcome.rawValue),
                    \(bind: entry.clientAddress), \(bind: entry.requestId), \(bind: entry.previousHash), \(bind: entry.hash)
                    """
                if hasDetail { insert += ", \(bind: entry.detail)" }
                insert += ")"
            }
            try await tx.sql.raw(insert).run()
        }
        try await tx.sql.raw("UPDATE audit_head SET sequence = \(bind: sequence), hash = \(bind: previousHash) WHERE id = 1").run()
    }

    /// Appends an entry in a transaction of its own (reads, denials, failed sign-ins).
    public func record(_ record: AuditRecord, context: AuditContext) async throws {
        try await database.unitOfWork { tx in try await append(record, context: context, in: tx) }
    }

    /// Records every one of `records` in one unit of work, in order (the reads of a page of
    /// results: one transaction and one turn of the chain's head lock, not one per item).
    public func record(_ records: [AuditRecord], context: AuditContext) async throws {
        guard !records.isEmpty else { return }
        try await database.unitOfWork { tx in
            for record in records { try await append(record, context: context, in: tx) }
        }
    }

    /// Entries matching `filter`, newest first.
    public func list(_ filter: AuditFilter) async throws -> Page<AuditEntry> {
        var conditions: [SQLQueryString] = []
        if let actor = filter.actorAccountId { conditions.append("actor_account_id = \(bind: actor.text)") }
        if let patient = filter.patientId { conditions.append("patient_id = \(bind: patient.text)") }
        if let from = filter.from { conditions.append("at >= \(bind: from.epochMillis)") }
        if let to = filter.to { conditions.append("at < \(bind: to.epochMillis)") }
        if let cursor = filter.cursor {
            guard let before = Int64(try Cursor.decode(cursor)) else {
                throw DomainError.invalidField("cursor", code: "invalid", "The cursor is not one this server gave out.")
            }
            conditions.append("sequence < \(bind: before)")
        }
        let whereClause: SQLQueryString = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let limit = filter.limit
        let entries = try await database.read { sql in
            try await sql.raw("SELECT * FROM audit_log\(whereClause) ORDER BY sequence DESC LIMIT \(literal: limit + 1)")
                .all().map(Self.entry(from:))
        }
        let next = entries.count > limit ? entries[limit - 1].sequence : nil
        return Page(items: Array(entries.prefix(limit)), nextCursor: next.map { Cursor.encode(String($0)) })
    }

    /// How many entries with `action` and `outcome` were written for `resourceId` since `since`
    /// (failed sign-ins of one account, for throttling).
    public func count(action: String, outcome: AuditOutcome, resourceType: String, resourceId: String,
                      since: Date) async throws -> Int {
        try await database.read { sql in
            let row = try await sql.raw("""
                SELECT COUNT(*) AS n FROM audit_log
                WHERE resource_type = \(bind: resourceType) AND resource_id = \(bind: resourceId)
                  AND at >= \(bind: since.epochMillis) AND action = \(bind: action) AND outcome = \(bind: outcome.rawValue)
                """).first()
            return Int(try row?.int64("n") ?? 0)
        }
    }

    /// The position of the first entry that breaks the hash chain (an edit, a gap, or entries cut
    /// off the end, which the head row reveals), or `nil` if the log is whole.
    public func firstBreak(batch: Int = 1000) async throws -> Int64? {
        var previous = AuditChain.genesis
        var after: Int64 = 0
        while true {
            let start = after
            let entries = try await database.read { sql in
                try await sql.raw("SELECT * FROM audit_log WHERE sequence > \(bind: start) ORDER BY sequence LIMIT \(literal: batch)")
                    .all().map(Self.entry(from:))
            }
            guard let last = entries.last else {
                // The head must name the last entry, or entries were cut off the end.
                let head = try await database.read { try await $0.raw("SELECT sequence, hash FROM audit_head WHERE id = 1").first() }
                guard let head, try head.int64("sequence") == after, try head.text("hash") == previous else { return after + 1 }
                return nil
            }
            if entries.first?.sequence != after + 1 { return after + 1 }
            if let broken = AuditChain.firstBreak(in: entries, after: previous) { return broken }
            previous = last.hash
            after = last.sequence
        }
    }

    static func entry(from row: any SQLRow) throws -> AuditEntry {
        AuditEntry(
            sequence: try row.int64("sequence"), at: try row.instant("at"),
            actorAccountId: try row.optionalUUID("actor_account_id"),
            actorRole: try row.optionalValue("actor_role", as: Role.self), action: try row.text("action"),
            resourceType: try row.text("resource_type"), resourceId: try row.optionalText("resource_id"),
            patientId: try row.optionalUUID("patient_id"), outcome: try row.value("outcome", as: AuditOutcome.self),
            clientAddress: try row.optionalText("client_address"), requestId: try row.optionalText("request_id"),
            detail: try row.optionalText("detail"), previousHash: try row.text("previous_hash"), hash: try row.text("hash"))
    }
}
