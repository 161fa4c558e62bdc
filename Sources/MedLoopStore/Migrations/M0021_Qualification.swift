/// Credentials submitted for qualification review, their decisions and licence reminders (issue 20).
/// A credential's holder is named by `holder_key` (`doctor:<account>`, `pharmacist:<account>`,
/// `pharmacy:<institution>`); its region is kept at three lengths so that a regulator's queue
/// (province, city or county) walks one index and stops at the page. A pharmacy's standing is
/// `institutions.qualification`; a doctor's stays `doctors.qualification`.
extension Migrations {
    static let qualification = Migration(version: 21, name: "qualification") { _ in
        [
            """
            CREATE TABLE credential_files (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                media_type TEXT NOT NULL,
                size_bytes BIGINT NOT NULL,
                credential_id TEXT,
                position INTEGER,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX credential_files_by_account ON credential_files (account_id, id)",
            "CREATE INDEX credential_files_by_credential ON credential_files (credential_id, position)",
            """
            CREATE TABLE credentials (
                id TEXT PRIMARY KEY,
                holder_kind TEXT NOT NULL,
                holder_key TEXT NOT NULL,
                holder_account_id TEXT NOT NULL REFERENCES accounts(id),
                holder_institution_id TEXT NOT NULL REFERENCES institutions(id),
                doctor_id TEXT REFERENCES doctors(id),
                holder_province TEXT NOT NULL,
                holder_city TEXT NOT NULL,
                holder_region TEXT NOT NULL,
                licence_number TEXT NOT NULL,
                practice_sites TEXT NOT NULL,
                years_of_practice INTEGER NOT NULL,
                licence_expires_on TEXT NOT NULL,
                state TEXT NOT NULL,
                reason TEXT,
                decided_by TEXT REFERENCES accounts(id),
                decided_at BIGINT,
                reminded_at BIGINT,
                submitted_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX credentials_by_holder_account ON credentials (holder_account_id, id)",
            "CREATE INDEX credentials_by_holder_key ON credentials (holder_key, id)",
            "CREATE INDEX credentials_by_holder ON credentials (holder_key, state)",
            "CREATE INDEX credentials_by_state ON credentials (state, id)",
            "CREATE INDEX credentials_by_province ON credentials (state, holder_province, id)",
            "CREATE INDEX credentials_by_city ON credentials (state, holder_city, id)",
            "CREATE INDEX credentials_by_region ON credentials (state, holder_region, id)",
            // The licence-expiry job walks approved credentials by expiry date.
            "CREATE INDEX credentials_by_expiry ON credentials (state, licence_expires_on)",
            """
            CREATE TABLE credential_decisions (
                id TEXT PRIMARY KEY,
                credential_id TEXT NOT NULL REFERENCES credentials(id),
                decision TEXT NOT NULL,
                from_state TEXT NOT NULL,
                to_state TEXT NOT NULL,
                reason TEXT NOT NULL,
                decided_by TEXT REFERENCES accounts(id),
                decided_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX credential_decisions_by_credential ON credential_decisions (credential_id, id)",
            "ALTER TABLE institutions ADD COLUMN qualification TEXT NOT NULL DEFAULT 'approved'",
        ]
    }
}
