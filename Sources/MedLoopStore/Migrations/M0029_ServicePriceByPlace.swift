/// Listing by price within a city or a department without the cache (issue 21, part 3): the
/// services' price index is walked in price order, and a city's or a department's doctors were
/// picked out of every doctor's services on the way — one in twenty, or one in six hundred for
/// both, so a page or a deep offset read thousands of entries. Each service line now carries its
/// doctor's city and department (which never change once a doctor is registered), and an index
/// leads with each, so the walk reads the city's or the department's lines only. (They lead with
/// the place so that no search without one can take them for the plain price walk.)
extension Migrations {
    static let servicePriceByPlace = Migration(version: 29, name: "service_price_by_place") { _ in
        [
            "ALTER TABLE doctor_services ADD COLUMN city_code TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE doctor_services ADD COLUMN department TEXT NOT NULL DEFAULT ''",
            """
            UPDATE doctor_services SET city_code = (SELECT d.city_code FROM doctors d WHERE d.id = doctor_services.doctor_id),
                                       department = (SELECT d.department FROM doctors d WHERE d.id = doctor_services.doctor_id)
            """,
            "CREATE INDEX doctor_services_by_city_price ON doctor_services (city_code, kind, paused, price_fen, doctor_id)",
            "CREATE INDEX doctor_services_by_department_price ON doctor_services (department, kind, paused, price_fen, doctor_id)",
        ]
    }
}
