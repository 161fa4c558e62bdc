/// The in-app notification inbox and the outbox that SMS and push providers deliver from.
extension Migrations {
    static let notifications = Migration(version: 6, name: "notifications") { _ in
        [
            """
            CREATE TABLE notifications (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                kind TEXT NOT NULL,
                title TEXT NOT NULL,
                subject_type TEXT,
                subject_id TEXT,
                created_at BIGINT NOT NULL,
                read_at BIGINT
            )
            """,
            "CREATE INDEX notifications_by_account ON notifications (account_id, id)",
            """
            CREATE TABLE notification_outbox (
                id TEXT PRIMARY KEY,
                notification_id TEXT NOT NULL REFERENCES notifications(id),
                channel TEXT NOT NULL,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL,
                delivered_at BIGINT
            )
            """,
            "CREATE INDEX notification_outbox_pending ON notification_outbox (status, id)",
            "ALTER TABLE consultations ADD COLUMN turn_notified_at BIGINT",
        ]
    }
}
