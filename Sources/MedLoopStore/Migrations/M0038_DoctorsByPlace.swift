/// A city's doctors of one department in rank and in patients-served order (issue 21): a patient
/// asking for cardiologists in their city. The listing walked the city's index in rank order and
/// read each doctor's row to check the department, so a department with few doctors in the city
/// read every doctor there (3,500 rows, 3–11 ms among 150,000 doctors) to fill its page.
extension Migrations {
    static let doctorsByPlace = Migration(version: 38, name: "doctors_by_place") { _ in
        [
            "CREATE INDEX doctors_by_place ON doctors (qualification, city_code, department, rank_score DESC, id)",
            "CREATE INDEX doctors_by_place_patients ON doctors (qualification, city_code, department, patients_served DESC, id)",
        ]
    }
}
