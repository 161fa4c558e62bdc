/// Where a medicine order goes (issue 17, delivery): the point the patient chose the pharmacy from
/// and their address, sealed as in their profile, for the courier or the carrier.
extension Migrations {
    static let deliveryDestination = Migration(version: 18, name: "delivery_destination") { _ in
        [
            "ALTER TABLE medicine_orders ADD COLUMN destination_latitude DOUBLE PRECISION",
            "ALTER TABLE medicine_orders ADD COLUMN destination_longitude DOUBLE PRECISION",
            "ALTER TABLE medicine_orders ADD COLUMN address_cipher TEXT",
        ]
    }
}
