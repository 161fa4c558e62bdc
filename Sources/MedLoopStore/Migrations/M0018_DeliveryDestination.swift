/// Where a medicine order goes (issue 17, delivery): the point the patient chose the pharmacy from
/// and their address, sealed as in their profile, for the courier or the carrier; a courier's
/// deliveries are listed in the order they were dispensed.
extension Migrations {
    static let deliveryDestination = Migration(version: 18, name: "delivery_destination") { _ in
        [
            "ALTER TABLE medicine_orders ADD COLUMN destination_latitude DOUBLE PRECISION",
            "ALTER TABLE medicine_orders ADD COLUMN destination_longitude DOUBLE PRECISION",
            "ALTER TABLE medicine_orders ADD COLUMN address_cipher TEXT",
            "CREATE INDEX medicine_orders_by_courier_dispensed ON medicine_orders (courier_account_id, state, dispensed_at, id)",
        ]
    }
}
