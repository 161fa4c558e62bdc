/// The doctor directory (care issue): profiles, practice sites, service menus, conditions treated
/// and the search structures — an exact-term table for short Chinese terms, codes and names, and
/// a trigram index for substrings (FTS5 `trigram` on SQLite, `pg_trgm` on PostgreSQL).
extension Migrations {
    /// The secondary indexes of `doctor_terms`: by doctor (rank updates), and by term in rank order
    /// (a one-word search walks its term's doctors best-first and stops at a page). A bulk load
    /// drops them and builds them again afterwards, which is faster than keeping them up to date.
    static let doctorTermIndexes = [
        "CREATE INDEX doctor_terms_by_doctor ON doctor_terms (doctor_id)",
        "CREATE INDEX doctor_terms_by_rank ON doctor_terms (term, rank_score DESC, doctor_id)",
    ]

    static let doctorDirectory = Migration(version: 2, name: "doctor_directory") { engine in
        var statements = [
            """
            CREATE TABLE doctors (
                id TEXT PRIMARY KEY,
                account_id TEXT UNIQUE REFERENCES accounts(id),
                name TEXT NOT NULL,
                title TEXT NOT NULL,
                department TEXT NOT NULL,
                specialties TEXT NOT NULL,
                training TEXT NOT NULL,
                practice_since INTEGER NOT NULL,
                licence_number TEXT NOT NULL UNIQUE,
                bio TEXT NOT NULL,
                photo_url TEXT,
                qualification TEXT NOT NULL,
                hospital_id TEXT NOT NULL REFERENCES institutions(id),
                city_code TEXT NOT NULL,
                patients_served BIGINT NOT NULL DEFAULT 0,
                consultations BIGINT NOT NULL DEFAULT 0,
                reply_seconds_total BIGINT NOT NULL DEFAULT 0,
                replies BIGINT NOT NULL DEFAULT 0,
                rating_total BIGINT NOT NULL DEFAULT 0,
                rating_count BIGINT NOT NULL DEFAULT 0,
                rank_score BIGINT NOT NULL DEFAULT 0,
                search_text TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            // Listing orders: approved doctors by score within a department, a city or a hospital.
            "CREATE INDEX doctors_by_department ON doctors (qualification, department, rank_score DESC, id)",
            "CREATE INDEX doctors_by_city ON doctors (qualification, city_code, rank_score DESC, id)",
            "CREATE INDEX doctors_by_hospital ON doctors (hospital_id, rank_score DESC, id)",
            "CREATE INDEX doctors_by_rank ON doctors (qualification, rank_score DESC, id)",
            "CREATE INDEX doctors_by_patients ON doctors (qualification, patients_served DESC, id)",
            """
            CREATE TABLE doctor_practice_sites (
                doctor_id TEXT NOT NULL REFERENCES doctors(id),
                institution_id TEXT NOT NULL REFERENCES institutions(id),
                PRIMARY KEY (doctor_id, institution_id)
            )
            """,
            "CREATE INDEX doctor_practice_sites_by_institution ON doctor_practice_sites (institution_id, doctor_id)",
            """
            CREATE TABLE doctor_services (
                doctor_id TEXT NOT NULL REFERENCES doctors(id),
                kind TEXT NOT NULL,
                price_fen BIGINT NOT NULL,
                paused BOOLEAN NOT NULL DEFAULT FALSE,
                daily_cap INTEGER NOT NULL,
                PRIMARY KEY (doctor_id, kind)
            )
            """,
            "CREATE INDEX doctor_services_by_price ON doctor_services (kind, paused, price_fen, doctor_id)",
            """
            CREATE TABLE doctor_conditions (
                doctor_id TEXT NOT NULL REFERENCES doctors(id),
                icd10 TEXT NOT NULL,
                PRIMARY KEY (doctor_id, icd10)
            )
            """,
            "CREATE INDEX doctor_conditions_by_code ON doctor_conditions (icd10, doctor_id)",
            // Exact search terms, lower-cased: names, departments, specialties, condition names,
            // synonyms and codes. Two-character Chinese terms (儿科, 哮喘) are found here. Each row
            // carries its doctor's rank score (kept equal to doctors.rank_score).
            """
            CREATE TABLE doctor_terms (
                term TEXT NOT NULL,
                doctor_id TEXT NOT NULL REFERENCES doctors(id),
                rank_score BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (term, doctor_id)
            )
            """,
        ] + doctorTermIndexes
        switch engine {
        case .sqlite:
            statements.append("CREATE VIRTUAL TABLE doctor_text USING fts5(doctor_id UNINDEXED, search_text, tokenize = 'trigram')")
        case .postgres:
            statements += [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX doctors_search_text_trgm ON doctors USING gin (search_text gin_trgm_ops)",
            ]
        }
        return statements
    }
}
