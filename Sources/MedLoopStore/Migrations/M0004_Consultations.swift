/// Consultations, their messages and images, ratings and gifts, and each institution's commission
/// rate (care issue).
extension Migrations {
    static let consultations = Migration(version: 4, name: "consultations") { _ in
        [
            "ALTER TABLE institutions ADD COLUMN commission_rate_bp INTEGER NOT NULL DEFAULT 1000",
            """
            CREATE TABLE consultations (
                id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL UNIQUE REFERENCES orders(id),
                account_id TEXT NOT NULL REFERENCES accounts(id),
                patient_id TEXT NOT NULL REFERENCES patients(id),
                doctor_id TEXT NOT NULL REFERENCES doctors(id),
                doctor_account_id TEXT REFERENCES accounts(id),
                service TEXT NOT NULL,
                state TEXT NOT NULL,
                queued_at BIGINT NOT NULL,
                accepted_at BIGINT,
                closes_at BIGINT,
                completed_at BIGINT,
                diagnosis_icd10 TEXT,
                notes TEXT,
                outcome TEXT
            )
            """,
            // The doctor's queue: waiting consultations in the order they were paid.
            "CREATE INDEX consultations_queue ON consultations (doctor_id, state, queued_at)",
            "CREATE INDEX consultations_by_account ON consultations (account_id, queued_at)",
            // The refund job looks for consultations left waiting too long.
            "CREATE INDEX consultations_waiting ON consultations (state, queued_at)",
            """
            CREATE TABLE uploads (
                id TEXT PRIMARY KEY,
                consultation_id TEXT NOT NULL REFERENCES consultations(id),
                account_id TEXT NOT NULL REFERENCES accounts(id),
                media_type TEXT NOT NULL,
                bytes BIGINT NOT NULL,
                sha256 TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE consultation_messages (
                id TEXT PRIMARY KEY,
                consultation_id TEXT NOT NULL REFERENCES consultations(id),
                sender_account_id TEXT NOT NULL REFERENCES accounts(id),
                sender_role TEXT NOT NULL,
                kind TEXT NOT NULL,
                body TEXT,
                upload_id TEXT REFERENCES uploads(id),
                sent_at BIGINT NOT NULL,
                read_at BIGINT
            )
            """,
            "CREATE INDEX consultation_messages_by_consultation ON consultation_messages (consultation_id, id)",
            """
            CREATE TABLE ratings (
                consultation_id TEXT PRIMARY KEY REFERENCES consultations(id),
                doctor_id TEXT NOT NULL REFERENCES doctors(id),
                account_id TEXT NOT NULL REFERENCES accounts(id),
                efficiency INTEGER NOT NULL,
                attitude INTEGER NOT NULL,
                professionalism INTEGER NOT NULL,
                stars INTEGER NOT NULL,
                comment TEXT,
                rated_at BIGINT NOT NULL,
                rated_year INTEGER NOT NULL
            )
            """,
            "CREATE INDEX ratings_by_doctor ON ratings (doctor_id, rated_at)",
            "CREATE INDEX ratings_by_year ON ratings (rated_year, doctor_id)",
            """
            CREATE TABLE gifts (
                id TEXT PRIMARY KEY,
                consultation_id TEXT NOT NULL REFERENCES consultations(id),
                doctor_id TEXT NOT NULL REFERENCES doctors(id),
                account_id TEXT NOT NULL REFERENCES accounts(id),
                kind TEXT NOT NULL,
                price_fen BIGINT NOT NULL,
                sent_at BIGINT NOT NULL,
                sent_year INTEGER NOT NULL
            )
            """,
            "CREATE INDEX gifts_by_doctor ON gifts (doctor_id, sent_at)",
        ]
    }
}
