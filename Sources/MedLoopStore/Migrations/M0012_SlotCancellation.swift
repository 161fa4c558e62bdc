/// Doctors cancel unbooked appointment slots: a cancelled slot keeps its row (and its audit
/// trail) but leaves the doctor's list and takes no bookings.
extension Migrations {
    static let slotCancellation = Migration(version: 12, name: "slot_cancellation") { _ in
        [
            "ALTER TABLE appointment_slots ADD COLUMN cancelled_at BIGINT",
        ]
    }
}
