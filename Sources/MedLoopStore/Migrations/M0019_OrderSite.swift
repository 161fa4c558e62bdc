/// The internet hospital or platform an online order is booked at (multi-site practice): its
/// consultation's bill and prescriptions belong there.
extension Migrations {
    static let orderSite = Migration(version: 19, name: "order_site") { _ in
        [
            "ALTER TABLE orders ADD COLUMN site_id TEXT REFERENCES institutions(id)",
        ]
    }
}
