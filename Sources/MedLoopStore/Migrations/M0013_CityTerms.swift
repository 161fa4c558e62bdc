import MedLoopDomain

/// Doctors are found by the names of their city (`杭州`, `杭州市`, `hangzhou`): adds those terms for
/// the doctors already registered (new registrations get them from `DoctorIndex.terms`).
extension Migrations {
    static let cityTerms = Migration(version: 13, name: "city_terms") { _ in
        CityCatalogue.all.flatMap { city in
            city.searchNames.sorted().map { name in
                let literal = "'" + name.replacingOccurrences(of: "'", with: "''") + "'"
                return """
                    INSERT INTO doctor_terms (term, doctor_id, rank_score)
                    SELECT \(literal), id, rank_score FROM doctors WHERE city_code = '\(city.code)'
                    ON CONFLICT (term, doctor_id) DO NOTHING
                    """
            }
        }
    }
}
