/// In-person appointments: the time slots doctors open at their hospital, and the slot an
/// appointment order holds.
extension Migrations {
    static let appointmentSlots = Migration(version: 9, name: "appointment_slots") { _ in
        [
            """
            CREATE TABLE appointment_slots (
                id TEXT PRIMARY KEY,
                doctor_id TEXT NOT NULL REFERENCES doctors(id),
                hospital_id TEXT NOT NULL REFERENCES institutions(id),
                starts_at BIGINT NOT NULL,
                ends_at BIGINT NOT NULL,
                capacity INTEGER NOT NULL,
                booked INTEGER NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX appointment_slots_by_doctor ON appointment_slots (doctor_id, starts_at)",
            "ALTER TABLE orders ADD COLUMN slot_id TEXT REFERENCES appointment_slots(id)",
        ]
    }
}
