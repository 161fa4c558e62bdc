/// A word's substring matches walked in the page's order (issue 21, part 3). A word of 3+
/// characters is found in a doctor's search text, which is their terms and their training
/// (`DoctorIndex.text`) joined by spaces; a word has no space, so it is in the text exactly when it
/// is in one of those pieces. The vocabulary holds every distinct piece once (about 90,000 among
/// 150,000 doctors' 2.4 million term entries), with a trigram index of its own: a word's pieces are
/// found there in well under a millisecond, and each term piece's entries in `doctor_terms` are
/// already kept in rank and in patients-served order, filtered on the entries (M0032). A search
/// then walks each piece's entries to the page and merges them, where it gathered and sorted every
/// trigram match of the word (12,000 for a common condition's name, 10–50 ms).
///
/// Each piece keeps how many term entries it has (`entries`, every standing and place): a search of
/// several words, or of words and a condition, walks the group of pieces with the fewest entries and
/// checks each doctor for the others. A training is not a term and has no entries; a word found in
/// one is searched as before. Pieces are added when a doctor is registered or re-indexed and never
/// removed: a piece no doctor has any more has no entries.
extension Migrations {
    static let searchVocabulary = Migration(version: 33, name: "search_vocabulary") { engine in
        switch engine {
        case .sqlite:
            return [
                """
                CREATE TABLE search_vocabulary (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE, entries BIGINT NOT NULL DEFAULT 0,
                                                in_training BOOLEAN NOT NULL DEFAULT FALSE)
                """,
                """
                CREATE VIRTUAL TABLE search_vocabulary_text USING fts5(term, content='search_vocabulary', content_rowid='id',
                                                                       tokenize='trigram')
                """,
                // Pieces are only ever added (and marked as a training), so the trigram index follows inserts only.
                """
                CREATE TRIGGER search_vocabulary_indexed AFTER INSERT ON search_vocabulary
                BEGIN INSERT INTO search_vocabulary_text (rowid, term) VALUES (new.id, new.term); END
                """,
            ] + vocabularyFill
        case .postgres:
            return [
                """
                CREATE TABLE search_vocabulary (term TEXT PRIMARY KEY, entries BIGINT NOT NULL DEFAULT 0,
                                                in_training BOOLEAN NOT NULL DEFAULT FALSE)
                """,
                "CREATE INDEX search_vocabulary_trgm ON search_vocabulary USING gin (term gin_trgm_ops)",
            ] + vocabularyFill
        }
    }

    /// Adds every term and training of the doctors to the vocabulary, with each term's count of
    /// entries (after a bulk load too).
    public static let vocabularyFill = [
        """
        INSERT INTO search_vocabulary (term, entries) SELECT term, COUNT(*) FROM doctor_terms WHERE TRUE GROUP BY term
        ON CONFLICT (term) DO UPDATE SET entries = excluded.entries
        """,
        """
        INSERT INTO search_vocabulary (term, in_training) SELECT DISTINCT training, TRUE FROM doctors WHERE training <> ''
        ON CONFLICT (term) DO UPDATE SET in_training = TRUE
        """,
    ]
}
