import Foundation
import MedLoopDomain
import SQLKit

/// The domain-event outbox. Events are appended inside the unit of work of the change they
/// record and read back by every server in `sequence` order.
public struct EventStore: Sendable {
    /// The PostgreSQL channel that wakes every server when events commit.
    public static let channel = "medloop_events"

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Appends `event` to the outbox inside `tx`: it is written when the unit of work is about
    /// to commit (`PendingWrites`), and commits with it or not at all.
    public static func append(_ event: DomainEvent, in tx: Transaction) async throws {
        tx.pending.append(event)
    }

    /// Writes a committing unit's events, in order. On PostgreSQL it first takes a transaction
    /// lock that makes events commit in the order of their sequence numbers (otherwise a reader
    /// could pass over a number that commits a moment later); the lock is held until the commit,
    /// which follows at once. `then`, a `SELECT` expression (the unit's audit lines, `AuditStore.sealing`),
    /// is evaluated by the last statement once its events are written, on PostgreSQL.
    static func write(_ events: [DomainEvent], in tx: Transaction, then: SQLQueryString? = nil) async throws {
        let chunks = events.chunks(of: 100)
        for (position, chunk) in chunks.enumerated() {
            var rows: SQLQueryString = ""
            for (index, event) in chunk.enumerated() {
                if index > 0 { rows += ", " }
                rows += """
                    (\(bind: event.id.text), \(bind: event.kind.rawValue), \(bind: event.subjectType), \(bind: event.subjectId.text), \
                    \(bind: event.payload), \(bind: event.occurredAt.epochMillis))
                    """
            }
            try await tx.sql.raw(tx.engine == .postgres ? orderedInsert(rows, then: position == chunks.count - 1 ? then : nil) : """
                INSERT INTO domain_events (id, kind, subject_type, subject_id, payload, occurred_at) VALUES \(rows)
                """).run()
        }
    }

    /// PostgreSQL: the lock, the insert and the notification (delivered to listeners when, and only
    /// if, the transaction commits) in one statement, and `then` after them. Every unit that writes
    /// events waits for the lock and holds it until it commits, so the round trips made under it
    /// are what limits how many such units commit a second. The rows are numbered after the lock is
    /// taken: they are joined with it, and each takes its number as it is inserted.
    private static func orderedInsert(_ rows: SQLQueryString, then: SQLQueryString?) -> SQLQueryString {
        """
        WITH ordered AS (SELECT pg_advisory_xact_lock(7270002)),
             written AS (
                 INSERT INTO domain_events (id, kind, subject_type, subject_id, payload, occurred_at)
                 SELECT row.* FROM (VALUES \(rows)) AS row (id, kind, subject_type, subject_id, payload, occurred_at), ordered
                 RETURNING sequence)
        SELECT pg_notify(\(bind: channel), '')
        """ + (then.map { ", " + $0 } ?? "") + " FROM (SELECT COUNT(*) FROM written) AS count"
    }

    /// The sequence number of the newest event (0 when there is none).
    public func lastSequence() async throws -> Int64 {
        try await database.read { sql in
            try await sql.raw("SELECT CAST(COALESCE(MAX(sequence), 0) AS BIGINT) AS last FROM domain_events").first()?
                .int64("last") ?? 0
        }
    }

    /// Events after `sequence`, oldest first.
    public func events(after sequence: Int64, limit: Int = 500) async throws -> [StoredEvent] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM domain_events WHERE sequence > \(bind: sequence) ORDER BY sequence LIMIT \(literal: limit)
                """).all().map(Self.storedEvent(from:))
        }
    }

    /// The events about one subject, oldest first (the trace of a consultation, say).
    public func events(about subjectType: String, _ subjectId: UUID) async throws -> [StoredEvent] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM domain_events WHERE subject_type = \(bind: subjectType) AND subject_id = \(bind: subjectId.text)
                ORDER BY sequence
                """).all().map(Self.storedEvent(from:))
        }
    }

    static func storedEvent(from row: any SQLRow) throws -> StoredEvent {
        StoredEvent(sequence: try row.int64("sequence"),
                    event: DomainEvent(id: try row.uuid("id"), kind: EventKind(rawValue: try row.text("kind")),
                                       subjectType: try row.text("subject_type"), subjectId: try row.uuid("subject_id"),
                                       payload: try row.text("payload"), occurredAt: try row.instant("occurred_at")))
    }
}
