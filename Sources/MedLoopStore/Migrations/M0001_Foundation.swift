/// Identity, institutions and the audit log (foundation issue).
/// Conventions for every table: identifiers are UUID text, instants are BIGINT milliseconds UTC,
/// dates are `YYYY-MM-DD` text, money is BIGINT fen, personal identifiers are stored as AES-GCM
/// ciphertext (`*_cipher`) with a keyed hash (`*_hash`) for look-ups.
extension Migrations {
    static let foundation = Migration(version: 1, name: "foundation") { engine in
        var statements = [
            """
            CREATE TABLE institutions (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                region_code TEXT NOT NULL,
                level TEXT,
                physical_hospital_id TEXT REFERENCES institutions(id),
                insurance_designated BOOLEAN NOT NULL DEFAULT FALSE,
                internet_hospital_licensed BOOLEAN NOT NULL DEFAULT FALSE,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX institutions_by_kind_region ON institutions (kind, region_code, id)",
            "CREATE INDEX institutions_by_region ON institutions (region_code, id)",
            """
            CREATE TABLE accounts (
                id TEXT PRIMARY KEY,
                role TEXT NOT NULL,
                phone_hash TEXT NOT NULL UNIQUE,
                phone_cipher TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                display_name TEXT NOT NULL,
                institution_id TEXT REFERENCES institutions(id),
                status TEXT NOT NULL DEFAULT 'active',
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX accounts_by_role ON accounts (role, id)",
            "CREATE INDEX accounts_by_institution ON accounts (institution_id, id)",
            """
            CREATE TABLE sessions (
                token_hash TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                issued_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                revoked_at BIGINT
            )
            """,
            "CREATE INDEX sessions_by_account ON sessions (account_id)",
            """
            CREATE TABLE patients (
                id TEXT PRIMARY KEY,
                account_id TEXT UNIQUE REFERENCES accounts(id),
                real_name TEXT NOT NULL,
                national_id_cipher TEXT NOT NULL,
                national_id_hash TEXT NOT NULL UNIQUE,
                sex TEXT NOT NULL,
                birth_date TEXT NOT NULL,
                phone_cipher TEXT,
                address_cipher TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE family_links (
                holder_patient_id TEXT NOT NULL REFERENCES patients(id),
                member_patient_id TEXT NOT NULL REFERENCES patients(id),
                relationship TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (holder_patient_id, member_patient_id)
            )
            """,
            "CREATE INDEX family_links_by_member ON family_links (member_patient_id)",
            """
            CREATE TABLE patient_allergies (
                id TEXT PRIMARY KEY,
                patient_id TEXT NOT NULL REFERENCES patients(id),
                substance TEXT NOT NULL,
                reaction TEXT,
                severity TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX patient_allergies_by_patient ON patient_allergies (patient_id)",
            """
            CREATE TABLE patient_conditions (
                id TEXT PRIMARY KEY,
                patient_id TEXT NOT NULL REFERENCES patients(id),
                icd10 TEXT NOT NULL,
                name TEXT NOT NULL,
                diagnosed_on TEXT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX patient_conditions_by_patient ON patient_conditions (patient_id)",
            """
            CREATE TABLE audit_log (
                sequence BIGINT PRIMARY KEY,
                at BIGINT NOT NULL,
                actor_account_id TEXT,
                actor_role TEXT,
                action TEXT NOT NULL,
                resource_type TEXT NOT NULL,
                resource_id TEXT,
                patient_id TEXT,
                outcome TEXT NOT NULL,
                client_address TEXT,
                request_id TEXT,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_log_by_actor ON audit_log (actor_account_id, at)",
            "CREATE INDEX audit_log_by_patient ON audit_log (patient_id, at)",
            "CREATE INDEX audit_log_by_time ON audit_log (at)",
            "CREATE INDEX audit_log_by_resource ON audit_log (resource_type, resource_id, at)",
            // The chain's head: one row, locked by each append so entries form one sequence.
            """
            CREATE TABLE audit_head (
                id INTEGER PRIMARY KEY,
                sequence BIGINT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "INSERT INTO audit_head (id, sequence, hash) VALUES (1, 0, '\(String(repeating: "0", count: 64))')",
        ]
        // The audit log is append-only: the database itself refuses edits and deletions.
        switch engine {
        case .sqlite:
            statements += [
                """
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
                """,
                """
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
                """,
            ]
        case .postgres:
            statements += [
                """
                CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$
                """,
                """
                CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()
                """,
            ]
        }
        return statements
    }
}
