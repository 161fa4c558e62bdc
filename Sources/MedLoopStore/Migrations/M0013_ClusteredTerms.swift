/// On SQLite, `doctor_terms` becomes a WITHOUT ROWID table clustered on its primary key
/// `(term, doctor_id)`: one b-tree instead of a rowid table plus its key index, so each of the
/// ~16 terms per doctor is written once (measured in BENCHMARKS.md, seeding). PostgreSQL keeps
/// its heap table.
extension Migrations {
    static let clusteredTerms = Migration(version: 13, name: "clustered_terms") { engine in
        guard engine == .sqlite else { return [] }
        return [
            """
            CREATE TABLE doctor_terms_clustered (
                term TEXT NOT NULL,
                doctor_id TEXT NOT NULL REFERENCES doctors(id),
                rank_score BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (term, doctor_id)
            ) WITHOUT ROWID
            """,
            "INSERT INTO doctor_terms_clustered (term, doctor_id, rank_score) SELECT term, doctor_id, rank_score FROM doctor_terms",
            "DROP TABLE doctor_terms",
            "ALTER TABLE doctor_terms_clustered RENAME TO doctor_terms",
        ] + doctorTermIndexes
    }
}
