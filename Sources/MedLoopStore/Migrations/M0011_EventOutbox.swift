/// Domain events (the outbox every server reads in order): `sequence` is the one order, given by
/// the database as each event commits (see `EventStore.append`).
extension Migrations {
    static let eventOutbox = Migration(version: 11, name: "event_outbox") { engine in
        let sequence = switch engine {
        case .sqlite: "sequence INTEGER PRIMARY KEY AUTOINCREMENT"
        case .postgres: "sequence BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        }
        return [
            """
            CREATE TABLE domain_events (
                \(sequence),
                id TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                subject_type TEXT NOT NULL,
                subject_id TEXT NOT NULL,
                payload TEXT NOT NULL,
                occurred_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX domain_events_by_subject ON domain_events (subject_type, subject_id, sequence)",
        ]
    }
}
