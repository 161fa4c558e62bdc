import Foundation
import MedLoopDomain
import SQLKit

/// What the alert queue lists: one state, within a region (a province, a city or a county and
/// everything in it; `nil` for the whole platform), optionally one rule; newest first.
public struct AlertFilter: Sendable {
    /// 2, 4 or 6 digits of a region code (`RegionCode.coveredPrefix`).
    public var regionPrefix: String?
    public var state: AlertState
    public var rule: String?
    public var limit: Int
    public var cursor: String?

    public init(regionPrefix: String?, state: AlertState, rule: String? = nil, limit: Int = 20, cursor: String? = nil) {
        self.regionPrefix = regionPrefix
        self.state = state
        self.rule = rule
        self.limit = limit
        self.cursor = cursor
    }
}

/// A draft a rule raised, with the outbox sequence of the event it was raised on.
public struct EvaluatedDraft: Sendable, Equatable {
    public var draft: AlertDraft
    public var eventSequence: Int64

    public init(draft: AlertDraft, eventSequence: Int64) {
        self.draft = draft
        self.eventSequence = eventSequence
    }
}

/// Fraud and abuse alerts and the queue they are worked in (issue 20, part 3).
///
/// The fraud monitor stores what the rules raised together with its place in the outbox, so an
/// event is never evaluated into two alerts nor passed over, whichever server runs it and whenever
/// it stops; investigators move an alert by the domain's `AlertState` with a conditional update.
public struct AlertStore: Sendable {
    /// The name of the fraud monitor's row in `fraud_monitor`.
    public static let monitorName = "fraud-monitor"

    let database: Database
    let audit: AuditStore

    public init(database: Database, audit: AuditStore) {
        self.database = database
        self.audit = audit
    }

    // MARK: The monitor's side

    /// The outbox sequence of the last event the fraud monitor has evaluated (0 before the first).
    public func monitorPosition() async throws -> Int64 {
        try await database.read { sql in
            try await sql.raw("SELECT last_sequence FROM fraud_monitor WHERE name = \(bind: Self.monitorName)").first()?
                .int64("last_sequence") ?? 0
        }
    }

    /// Stores the alerts raised on the events after `from` up to `to` and moves the monitor from
    /// `from` to `to`, in one unit of work. A draft whose case is already open or investigating is
    /// not raised again. Returns the alerts raised — or `nil`, writing nothing, when another run of
    /// the monitor has moved it from `from` meanwhile (it evaluated the same events first).
    public func record(_ drafts: [EvaluatedDraft], evaluatedFrom from: Int64, to: Int64,
                       context: AuditContext) async throws -> [Alert]? {
        try await database.unitOfWork { tx in
            // First, so that a second run waits here for the first one's commit and then finds
            // the position moved, before it writes anything.
            let moved = try await tx.sql.raw("""
                INSERT INTO fraud_monitor (name, last_sequence, updated_at)
                VALUES (\(bind: Self.monitorName), \(bind: to), \(bind: context.at.epochMillis))
                ON CONFLICT (name) DO UPDATE SET last_sequence = excluded.last_sequence, updated_at = excluded.updated_at
                WHERE fraud_monitor.last_sequence = \(bind: from)
                RETURNING name
                """).first()
            guard moved != nil else { return nil }
            var raised: [Alert] = []
            for evaluated in drafts {
                if let alert = try await raise(evaluated, context: context, in: tx) { raised.append(alert) }
            }
            for alert in raised { try await EventStore.append(.alertRaised(alert), in: tx) }
            return raised
        }
    }

    /// Inserts `evaluated` unless its case is open; the partial unique index decides, so two
    /// drafts of one case in a batch raise one alert.
    private func raise(_ evaluated: EvaluatedDraft, context: AuditContext, in tx: Transaction) async throws -> Alert? {
        let draft = evaluated.draft
        let alert = Alert(id: .v7(at: context.at), rule: draft.rule, severity: draft.severity, state: .open, region: draft.region,
                          caseKey: draft.caseKey, entities: draft.entities, evidence: draft.evidence, occurredAt: draft.occurredAt,
                          raisedAt: context.at, updatedAt: context.at, eventSequence: evaluated.eventSequence)
        let inserted = try await tx.sql.raw("""
            INSERT INTO alerts (id, rule, severity, state, region, province, city, case_key, entities, evidence, event_sequence,
                                occurred_at, raised_at, updated_at)
            VALUES (\(bind: alert.id.text), \(bind: alert.rule), \(bind: alert.severity.rawValue), \(bind: alert.state.rawValue),
                    \(bind: alert.region.value), \(bind: String(alert.region.value.prefix(2))), \(bind: String(alert.region.value.prefix(4))),
                    \(bind: alert.caseKey), \(bind: CanonicalJSON.text(of: alert.entities)), \(bind: CanonicalJSON.text(of: alert.evidence)),
                    \(bind: alert.eventSequence), \(bind: alert.occurredAt.epochMillis), \(bind: alert.raisedAt.epochMillis),
                    \(bind: alert.updatedAt.epochMillis))
            ON CONFLICT DO NOTHING
            RETURNING id
            """).first()
        guard inserted != nil else { return nil }
        try await appendHistory(alert.id, from: nil, to: .open, note: nil, context: context, in: tx)
        try await audit.append(AuditRecord(action: "alert.raise", resourceType: "alert", resourceId: alert.id.text,
                                           detail: CanonicalJSON.text(of: ["rule": alert.rule, "caseKey": alert.caseKey])),
                               context: context, in: tx)
        return alert
    }

    // MARK: The investigators' side

    /// The alerts `filter` asks for, newest first, walking the queue index of its region's level.
    public func list(_ filter: AlertFilter) async throws -> Page<Alert> {
        var condition: SQLQueryString
        switch filter.regionPrefix?.count {
        case nil: condition = "state = \(bind: filter.state.rawValue)"
        case 2: condition = "province = \(bind: filter.regionPrefix ?? "") AND state = \(bind: filter.state.rawValue)"
        case 4: condition = "city = \(bind: filter.regionPrefix ?? "") AND state = \(bind: filter.state.rawValue)"
        case 6: condition = "region = \(bind: filter.regionPrefix ?? "") AND state = \(bind: filter.state.rawValue)"
        default: throw DomainError.invalidField("region", code: "format", "A region is 2, 4 or 6 digits of a region code.")
        }
        if let rule = filter.rule { condition += " AND rule = \(bind: rule)" }
        if let after = try Cursor.instantAndId(filter.cursor) {
            condition += " AND (raised_at < \(bind: after.millis) OR (raised_at = \(bind: after.millis) AND id < \(bind: after.id)))"
        }
        let whereClause = condition
        let limit = filter.limit
        let alerts = try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM alerts WHERE \(whereClause) ORDER BY raised_at DESC, id DESC LIMIT \(literal: limit + 1)
                """).all().map(Self.alert(from:))
        }
        let next = alerts.count > limit ? Cursor.after(millis: alerts[limit - 1].raisedAt.epochMillis, id: alerts[limit - 1].id) : nil
        return Page(items: Array(alerts.prefix(limit)), nextCursor: next)
    }

    public func alert(_ id: UUID) async throws -> Alert? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM alerts WHERE id = \(bind: id.text)").first().map(Self.alert(from:))
        }
    }

    /// What happened to an alert, oldest first: raised, every move and every note, with who.
    public func history(of id: UUID) async throws -> [AlertHistoryEntry] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM alert_history WHERE alert_id = \(bind: id.text) ORDER BY at, id").all().map { row in
                AlertHistoryEntry(at: try row.instant("at"), actorAccountId: try row.optionalUUID("actor_account_id"),
                                  actorRole: try row.optionalValue("actor_role", as: Role.self),
                                  from: try row.optionalValue("from_state", as: AlertState.self),
                                  to: try row.optionalValue("to_state", as: AlertState.self), note: try row.optionalText("note"))
            }
        }
    }

    /// Moves an alert to `target` with a note (required to decide it, `AlertNote`), as the actor
    /// of `context`. Of two racing moves one wins; the other gets 409 `alert_state`.
    ///
    /// - Throws: 404 for no such alert; 400 on `note`; 409 `alert_state` for a move that skips
    ///   `investigating`, leaves a decided alert, or lost the race.
    public func move(_ id: UUID, to target: AlertState, note: String?, context: AuditContext) async throws -> Alert {
        let note = try AlertNote.check(note, movingTo: target)
        return try await database.unitOfWork { tx in
            guard var alert = try await tx.sql.raw("SELECT * FROM alerts WHERE id = \(bind: id.text)").first().map(Self.alert(from:)) else {
                throw DomainError.notFound(resource: "alert")
            }
            let from = alert.state
            alert.state = try await tx.move("alerts", id: id, from: from, by: target)
            alert.updatedAt = context.at
            try await tx.sql.raw("UPDATE alerts SET updated_at = \(bind: context.at.epochMillis) WHERE id = \(bind: id.text)").run()
            try await appendHistory(id, from: from, to: alert.state, note: note, context: context, in: tx)
            try await audit.append(AuditRecord(action: "alert.move", resourceType: "alert", resourceId: id.text,
                                               detail: CanonicalJSON.text(of: ["from": from.rawValue, "to": alert.state.rawValue])),
                                   context: context, in: tx)
            try await EventStore.append(.alertMoved(alert, from: from), in: tx)
            return alert
        }
    }

    /// Adds a note to an alert in any state (a decided case may still be annotated; its state stays).
    ///
    /// - Throws: 404 for no such alert; 400 on `note` (`required`, `too_long`).
    @discardableResult
    public func addNote(_ id: UUID, note: String?, context: AuditContext) async throws -> AlertHistoryEntry {
        let text = try AlertNote.check(note, movingTo: nil)
        return try await database.unitOfWork { tx in
            guard try await tx.sql.raw("SELECT id FROM alerts WHERE id = \(bind: id.text)").first() != nil else {
                throw DomainError.notFound(resource: "alert")
            }
            try await appendHistory(id, from: nil, to: nil, note: text, context: context, in: tx)
            try await audit.append(AuditRecord(action: "alert.note", resourceType: "alert", resourceId: id.text), context: context, in: tx)
            return AlertHistoryEntry(at: context.at, actorAccountId: context.actorAccountId, actorRole: context.actorRole,
                                     from: nil, to: nil, note: text)
        }
    }

    private func appendHistory(_ alert: UUID, from: AlertState?, to: AlertState?, note: String?, context: AuditContext,
                               in tx: Transaction) async throws {
        try await tx.sql.raw("""
            INSERT INTO alert_history (id, alert_id, at, actor_account_id, actor_role, from_state, to_state, note)
            VALUES (\(bind: UUID.v7(at: context.at).text), \(bind: alert.text), \(bind: context.at.epochMillis),
                    \(bind: context.actorAccountId?.text), \(bind: context.actorRole?.rawValue), \(bind: from?.rawValue),
                    \(bind: to?.rawValue), \(bind: note))
            """).run()
    }

    static func alert(from row: any SQLRow) throws -> Alert {
        let decoder = JSONDecoder()
        let entities = try decoder.decode([AlertEntity].self, from: Data(try row.text("entities").utf8))
        let evidence = try decoder.decode([String: String].self, from: Data(try row.text("evidence").utf8))
        return Alert(id: try row.uuid("id"), rule: try row.text("rule"), severity: try row.value("severity", as: AlertSeverity.self),
                     state: try row.value("state", as: AlertState.self), region: try RegionCode(try row.text("region")),
                     caseKey: try row.text("case_key"), entities: entities, evidence: evidence,
                     occurredAt: try row.instant("occurred_at"), raisedAt: try row.instant("raised_at"),
                     updatedAt: try row.instant("updated_at"), eventSequence: try row.int64("event_sequence"))
    }
}
