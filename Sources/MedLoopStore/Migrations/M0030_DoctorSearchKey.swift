/// Substring search on SQLite without reading every match's doctor row (issue 21, part 3). The
/// trigram index (`doctor_text`, FTS5) finds a word's doctors by its own row ids; reading each
/// match's `doctor_id` column and then the doctor by that text key cost 35–50 ms for a common word
/// among 150,000 doctors. Each doctor now has an integer `search_key`, which is also their row id
/// in `doctor_text`, and an index that starts with it and holds what searches filter and sort by:
/// a search sorts the matches' keys on that index and reads only the page's doctors.
///
/// The key is given once, when the doctor is registered (their row id then), and never changes; a
/// unique index makes a clash an error rather than a wrong answer. PostgreSQL's trigram index is
/// on the doctor rows themselves and needs none of this.
extension Migrations {
    static let doctorSearchKey = Migration(version: 30, name: "doctor_search_key") { engine in
        guard engine == .sqlite else { return [] }
        return [
            "ALTER TABLE doctors ADD COLUMN search_key INTEGER",
            "CREATE UNIQUE INDEX doctors_by_search_key ON doctors (search_key)",
            """
            CREATE INDEX doctors_search_sorts ON doctors (search_key, qualification, city_code, department, hospital_id, rank_score,
                                                          patients_served, id)
            """,
        ] + alignSearchKeys
    }

    /// Gives every doctor without a key their row id as key, and rebuilds the trigram index with the
    /// keys as its row ids (SQLite).
    public static let alignSearchKeys = [
        "UPDATE doctors SET search_key = rowid WHERE search_key IS NULL",
        "DELETE FROM doctor_text",
        "INSERT INTO doctor_text (rowid, doctor_id, search_text) SELECT search_key, id, search_text FROM doctors",
    ]
}
