/// A word's exact matches filtered and ordered without reading their doctors (issue 21, part 3).
/// A one-word search walks the word's entries in `doctor_terms` in rank order; with a city or a
/// department it read each entry's doctor row to check where they work, and a condition's ten
/// thousand doctors of whom none are in the department took 20–30 ms among 150,000 doctors. Each
/// entry now keeps what a search filters on (the doctor's standing, department and city) and the
/// other order a word may be walked in (patients served), and the term indexes hold them: a walk
/// reads index entries only and stops at the page, and only the page's doctors are read.
///
/// `DoctorStore` writes these columns with the doctor's own (`register`, `refreshRank`,
/// `setQualification`); a doctor's department and city are set when they are registered.
extension Migrations {
    /// The secondary indexes of `doctor_terms` from this migration on (`doctorTermIndexes` before it):
    /// by doctor (updates), by term in rank order and by term in patients-served order, each
    /// holding the columns searches filter on.
    static let placedTermIndexes = [
        "CREATE INDEX doctor_terms_by_doctor ON doctor_terms (doctor_id)",
        """
        CREATE INDEX doctor_terms_by_rank ON doctor_terms (term, rank_score DESC, doctor_id, qualification, department, city_code)
        """,
        """
        CREATE INDEX doctor_terms_by_patients ON doctor_terms (term, patients_served DESC, doctor_id, qualification, department,
                                                               city_code)
        """,
    ]

    /// The columns each term entry gains.
    public static let termPlaceColumns = [
        "ALTER TABLE doctor_terms ADD COLUMN qualification TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE doctor_terms ADD COLUMN department TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE doctor_terms ADD COLUMN city_code TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE doctor_terms ADD COLUMN patients_served BIGINT NOT NULL DEFAULT 0",
    ]

    /// Copies every doctor's standing, place, rank and patients served to their terms.
    public static let termPlaceFill = """
        UPDATE doctor_terms SET qualification = d.qualification, department = d.department, city_code = d.city_code,
                                patients_served = d.patients_served, rank_score = d.rank_score
        FROM doctors d WHERE d.id = doctor_terms.doctor_id
        """

    static let termPlaces = Migration(version: 32, name: "term_places") { _ in
        termPlaceColumns + [termPlaceFill, "DROP INDEX doctor_terms_by_rank"] + placedTermIndexes.dropFirst()
    }
}
