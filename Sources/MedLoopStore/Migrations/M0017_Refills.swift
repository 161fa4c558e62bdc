/// Refills (issue 17, medication record): a follow-up booked to renew a chronic medication names
/// the prescription it renews, so the doctor sees what the patient takes.
extension Migrations {
    static let refills = Migration(version: 17, name: "refills") { _ in
        [
            "ALTER TABLE orders ADD COLUMN refill_of_prescription_id TEXT REFERENCES prescriptions(id)",
        ]
    }
}
