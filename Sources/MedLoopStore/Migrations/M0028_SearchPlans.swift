/// Doctor search without the cache (issue 21, part 3): every listing order has an index whose
/// leading columns are the listing's filter, so a page is read by walking the index in the page's
/// order and stopping there, never by gathering a city's or a department's doctors and sorting them.
/// M0002 already orders approved doctors by rank score (alone, in a city, in a department, at a
/// hospital) and by patients served (alone); these add patients served in a city, in a department
/// and at a hospital.
extension Migrations {
    static let searchPlans = Migration(version: 28, name: "search_plans") { _ in
        [
            "CREATE INDEX doctors_by_city_patients ON doctors (qualification, city_code, patients_served DESC, id)",
            "CREATE INDEX doctors_by_department_patients ON doctors (qualification, department, patients_served DESC, id)",
            "CREATE INDEX doctors_by_hospital_patients ON doctors (hospital_id, patients_served DESC, id)",
        ]
    }
}
