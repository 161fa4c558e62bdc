/// Fraud and abuse alerts, their notes, and the fraud monitor's place in the event outbox (issue 20).
///
/// The queue is read by a regulator's region — a province, a city or a county — and a state,
/// newest first: an alert keeps its region's province and city digits beside the region itself so
/// that each scope is one equality on an index ordered by time.
extension Migrations {
    static let alerts = Migration(version: 22, name: "alerts") { _ in
        [
            """
            CREATE TABLE alerts (
                id TEXT PRIMARY KEY,
                rule TEXT NOT NULL,
                severity TEXT NOT NULL,
                state TEXT NOT NULL,
                region TEXT NOT NULL,
                province TEXT NOT NULL,
                city TEXT NOT NULL,
                case_key TEXT NOT NULL,
                entities TEXT NOT NULL,
                evidence TEXT NOT NULL,
                event_sequence BIGINT NOT NULL,
                occurred_at BIGINT NOT NULL,
                raised_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                CHECK (state IN ('open', 'investigating', 'confirmed', 'dismissed')),
                CHECK (severity IN ('low', 'medium', 'high'))
            )
            """,
            "CREATE INDEX alerts_queue ON alerts (state, raised_at, id)",
            "CREATE INDEX alerts_queue_by_province ON alerts (province, state, raised_at, id)",
            "CREATE INDEX alerts_queue_by_city ON alerts (city, state, raised_at, id)",
            "CREATE INDEX alerts_queue_by_region ON alerts (region, state, raised_at, id)",
            // One case is open once: a rule firing again on it while it is looked into raises nothing.
            """
            CREATE UNIQUE INDEX alerts_one_open_case ON alerts (rule, case_key)
            WHERE state IN ('open', 'investigating')
            """,
            """
            CREATE TABLE alert_history (
                id TEXT PRIMARY KEY,
                alert_id TEXT NOT NULL REFERENCES alerts(id),
                at BIGINT NOT NULL,
                actor_account_id TEXT REFERENCES accounts(id),
                actor_role TEXT,
                from_state TEXT,
                to_state TEXT,
                note TEXT
            )
            """,
            "CREATE INDEX alert_history_by_alert ON alert_history (alert_id, at, id)",
            // The last outbox sequence the fraud monitor has evaluated; moved in the unit of work
            // that stores what it raised, so an event is neither evaluated twice nor skipped.
            """
            CREATE TABLE fraud_monitor (
                name TEXT PRIMARY KEY,
                last_sequence BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "INSERT INTO fraud_monitor (name, last_sequence, updated_at) VALUES ('fraud-monitor', 0, 0)",
            // An insured person's recent settlements, which the two-cities rule looks up per event.
            // (A doctor's prescriptions by signing time are walked on M0023's index.)
            "CREATE INDEX settlements_by_insured_person ON settlements (insured_person_id, created_at)",
        ]
    }
}
