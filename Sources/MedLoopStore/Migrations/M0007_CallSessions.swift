/// Voice and video: prepaid minutes on the order and the metered call sessions.
extension Migrations {
    static let callSessions = Migration(version: 7, name: "call_sessions") { _ in
        [
            "ALTER TABLE orders ADD COLUMN unit_price_fen BIGINT",
            "ALTER TABLE orders ADD COLUMN prepaid_minutes INTEGER",
            """
            CREATE TABLE call_sessions (
                id TEXT PRIMARY KEY,
                consultation_id TEXT NOT NULL REFERENCES consultations(id),
                started_by TEXT NOT NULL REFERENCES accounts(id),
                started_at BIGINT NOT NULL,
                ended_at BIGINT,
                seconds BIGINT,
                minutes BIGINT
            )
            """,
            "CREATE INDEX call_sessions_by_consultation ON call_sessions (consultation_id, started_at)",
        ]
    }
}
