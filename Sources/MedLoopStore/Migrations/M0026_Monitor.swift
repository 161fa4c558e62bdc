/// The live supervision dashboard (issue 20, part 2): each figure is a count, a minimum or a sum
/// that walks an index over the live rows only. Waiting and open consultations walk
/// `consultations_waiting` and a day's settlements `settlements_by_day`; these add the review
/// queue across institutions and the orders out for delivery by mode and dispense time.
extension Migrations {
    static let monitor = Migration(version: 26, name: "monitor") { _ in
        [
            "CREATE INDEX prescriptions_awaiting_review ON prescriptions (state, signed_at)",
            "CREATE INDEX medicine_orders_in_delivery ON medicine_orders (state, mode, dispensed_at)",
        ]
    }
}
