import Foundation
import MedLoopDomain
import SQLKit

/// A notification in someone's inbox.
public struct InboxItem: Sendable {
    public var id: UUID
    public var kind: NotificationKind
    public var title: String
    public var subjectType: String?
    public var subjectId: String?
    public var createdAt: Date
    public var readAt: Date?
}

/// One delivery waiting in the outbox.
public struct OutboxItem: Sendable {
    public var id: UUID
    public var notificationId: UUID
    public var channel: String
    public var accountId: UUID
    public var kind: NotificationKind
    public var title: String
    /// The attempts made so far.
    public var attempts: Int
}

/// The inbox and the outbox. A notification is written in the same unit of work as the change it
/// announces; delivery providers drain the outbox afterwards.
public struct NotificationStore: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Puts a notification in `account`'s inbox and queues its push (and SMS, for the kinds that
    /// send one) inside `tx`.
    public func notify(_ account: UUID, kind: NotificationKind, subjectType: String?, subjectId: String?,
                       at now: Date, in tx: Transaction) async throws {
        let id = UUID.v7(at: now)
        try await tx.sql.raw("""
            INSERT INTO notifications (id, account_id, kind, title, subject_type, subject_id, created_at)
            VALUES (\(bind: id.text), \(bind: account.text), \(bind: kind.rawValue), \(bind: kind.title.zh), \(bind: subjectType),
                    \(bind: subjectId), \(bind: now.epochMillis))
            """).run()
        for channel in kind.sendsSMS ? ["push", "sms"] : ["push"] {
            try await tx.sql.raw("""
                INSERT INTO notification_outbox (id, notification_id, channel, account_id, status, created_at)
                VALUES (\(bind: UUID.v7(at: now).text), \(bind: id.text), \(bind: channel), \(bind: account.text), 'pending',
                        \(bind: now.epochMillis))
                """).run()
        }
    }

    /// `account`'s notifications, newest first.
    public func inbox(of account: UUID, unreadOnly: Bool, limit: Int, cursor: String?) async throws -> Page<InboxItem> {
        var condition: SQLQueryString = "account_id = \(bind: account.text)"
        if unreadOnly { condition += " AND read_at IS NULL" }
        if let cursor { condition += " AND id < \(bind: try Cursor.decode(cursor))" }
        let whereClause = condition
        let items = try await database.read { sql in
            try await sql.raw("SELECT * FROM notifications WHERE \(whereClause) ORDER BY id DESC LIMIT \(literal: limit + 1)")
                .all().map { row in
                    InboxItem(id: try row.uuid("id"), kind: try row.value("kind", as: NotificationKind.self),
                              title: try row.text("title"), subjectType: try row.optionalText("subject_type"),
                              subjectId: try row.optionalText("subject_id"), createdAt: try row.instant("created_at"),
                              readAt: try row.optionalInstant("read_at"))
                }
        }
        let next = items.count > limit ? items[limit - 1].id.text : nil
        return Page(items: Array(items.prefix(limit)), nextCursor: next.map(Cursor.encode))
    }

    /// Marks one of `account`'s notifications read.
    public func markRead(_ id: UUID, of account: UUID, at now: Date) async throws {
        try await database.unitOfWork { tx in
            let found = try await tx.sql.raw("""
                UPDATE notifications SET read_at = COALESCE(read_at, \(bind: now.epochMillis))
                WHERE id = \(bind: id.text) AND account_id = \(bind: account.text) RETURNING id
                """).first()
            if found == nil { throw DomainError.notFound(resource: "notification") }
        }
    }

    /// Up to `limit` pending deliveries, oldest first.
    public func pending(limit: Int) async throws -> [OutboxItem] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT o.id, o.notification_id, o.channel, o.account_id, o.attempts, n.kind, n.title FROM notification_outbox o
                JOIN notifications n ON n.id = o.notification_id
                WHERE o.status = 'pending' ORDER BY o.id LIMIT \(literal: limit)
                """).all().map { row in
                    OutboxItem(id: try row.uuid("id"), notificationId: try row.uuid("notification_id"),
                               channel: try row.text("channel"), accountId: try row.uuid("account_id"),
                               kind: try row.value("kind", as: NotificationKind.self), title: try row.text("title"),
                               attempts: try row.decode(column: "attempts", as: Int.self))
                }
        }
    }

    /// Records the outcome of one attempt at `item`: the outbox's state machine says what follows,
    /// and a conditional update on the state and the attempts read applies it, so an outcome a
    /// racing server recorded first is left alone.
    public func recordDelivery(_ item: OutboxItem, delivered: Bool, at now: Date) async throws {
        let attempt = item.attempts + 1
        let next = try OutboxDeliveryState.pending.after(delivered ? .taken : .refused(attempt: attempt))
        try await database.unitOfWork { tx in
            try await tx.sql.raw("""
                UPDATE notification_outbox SET status = \(bind: next.rawValue), attempts = \(bind: attempt),
                    delivered_at = \(bind: next == .delivered ? now.epochMillis : nil)
                WHERE id = \(bind: item.id.text) AND status = \(bind: OutboxDeliveryState.pending.rawValue)
                  AND attempts = \(bind: item.attempts)
                """).run()
        }
    }
}
