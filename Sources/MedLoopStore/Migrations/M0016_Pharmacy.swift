/// Pharmacy (issue 17): where pharmacies are and how they hand medicine over, their stock,
/// medicine orders with their lines, the traceability codes dispensed (each once, anywhere), and
/// the couriers' delivery updates; ledger entries of a medicine order name it.
extension Migrations {
    static let pharmacy = Migration(version: 16, name: "pharmacy") { _ in
        [
            """
            CREATE TABLE pharmacy_profiles (
                pharmacy_id TEXT PRIMARY KEY REFERENCES institutions(id),
                latitude DOUBLE PRECISION NOT NULL,
                longitude DOUBLE PRECISION NOT NULL,
                opens_at INTEGER NOT NULL,
                closes_at INTEGER NOT NULL,
                modes TEXT NOT NULL,
                delivery_radius_km DOUBLE PRECISION NOT NULL,
                zero_markup BOOLEAN NOT NULL DEFAULT FALSE,
                updated_at BIGINT NOT NULL
            )
            """,
            // Reserved packages never exceed those on hand: the database refuses it too.
            """
            CREATE TABLE pharmacy_stock (
                pharmacy_id TEXT NOT NULL REFERENCES institutions(id),
                drug_id TEXT NOT NULL REFERENCES drugs(id),
                on_hand INTEGER NOT NULL,
                reserved INTEGER NOT NULL DEFAULT 0,
                price_fen BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (pharmacy_id, drug_id),
                CHECK (reserved >= 0 AND reserved <= on_hand)
            )
            """,
            "CREATE INDEX pharmacy_stock_by_drug ON pharmacy_stock (drug_id, pharmacy_id)",
            """
            CREATE TABLE medicine_orders (
                id TEXT PRIMARY KEY,
                prescription_id TEXT NOT NULL REFERENCES prescriptions(id),
                pharmacy_id TEXT NOT NULL REFERENCES institutions(id),
                account_id TEXT NOT NULL REFERENCES accounts(id),
                patient_id TEXT NOT NULL REFERENCES patients(id),
                mode TEXT NOT NULL,
                state TEXT NOT NULL,
                total_fen BIGINT NOT NULL,
                reserved_until BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                paid_at BIGINT,
                dispensed_at BIGINT,
                delivered_at BIGINT,
                received_at BIGINT,
                updated_at BIGINT NOT NULL,
                pickup_code TEXT,
                carrier TEXT,
                tracking_number TEXT,
                courier_account_id TEXT REFERENCES accounts(id),
                delivery_status TEXT,
                delivery_note TEXT
            )
            """,
            // A prescription is filled once: one order that still fills it.
            """
            CREATE UNIQUE INDEX medicine_orders_fill_once ON medicine_orders (prescription_id)
            WHERE state NOT IN ('expired', 'cancelled', 'refunded')
            """,
            "CREATE INDEX medicine_orders_by_pharmacy ON medicine_orders (pharmacy_id, state, created_at)",
            "CREATE INDEX medicine_orders_expiry ON medicine_orders (state, reserved_until)",
            "CREATE INDEX medicine_orders_by_account ON medicine_orders (account_id, created_at)",
            "CREATE INDEX medicine_orders_by_courier ON medicine_orders (courier_account_id, state, updated_at)",
            """
            CREATE TABLE medicine_order_lines (
                order_id TEXT NOT NULL REFERENCES medicine_orders(id),
                position INTEGER NOT NULL,
                drug_id TEXT NOT NULL REFERENCES drugs(id),
                quantity INTEGER NOT NULL,
                unit_price_fen BIGINT NOT NULL,
                amount_fen BIGINT NOT NULL,
                insurance_class TEXT NOT NULL,
                PRIMARY KEY (order_id, position)
            )
            """,
            """
            CREATE TABLE dispensed_codes (
                code TEXT PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES medicine_orders(id),
                drug_id TEXT NOT NULL REFERENCES drugs(id),
                dispensed_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX dispensed_codes_by_order ON dispensed_codes (order_id)",
            """
            CREATE TABLE delivery_updates (
                id TEXT PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES medicine_orders(id),
                status TEXT NOT NULL,
                note TEXT,
                account_id TEXT REFERENCES accounts(id),
                at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX delivery_updates_by_order ON delivery_updates (order_id, at)",
            "ALTER TABLE ledger_entries ADD COLUMN medicine_order_id TEXT REFERENCES medicine_orders(id)",
            "CREATE INDEX ledger_entries_by_medicine_order ON ledger_entries (medicine_order_id)",
        ]
    }
}
