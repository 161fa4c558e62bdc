/// Orders, the double-entry ledger, prior in-person visits and idempotency keys (care issue).
extension Migrations {
    static let ordersAndLedger = Migration(version: 3, name: "orders_and_ledger") { _ in
        [
            """
            CREATE TABLE encounters (
                id TEXT PRIMARY KEY,
                patient_id TEXT NOT NULL REFERENCES patients(id),
                hospital_id TEXT NOT NULL REFERENCES institutions(id),
                visit_date TEXT NOT NULL,
                icd10 TEXT NOT NULL,
                source TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX encounters_by_patient ON encounters (patient_id, visit_date)",
            """
            CREATE TABLE orders (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                patient_id TEXT NOT NULL REFERENCES patients(id),
                doctor_id TEXT NOT NULL REFERENCES doctors(id),
                service TEXT NOT NULL,
                price_fen BIGINT NOT NULL,
                state TEXT NOT NULL,
                encounter_id TEXT REFERENCES encounters(id),
                guardian_present BOOLEAN NOT NULL DEFAULT FALSE,
                service_day TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                paid_at BIGINT,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX orders_by_account ON orders (account_id, created_at)",
            // The daily cap counts a doctor's orders of one service on one Asia/Shanghai day.
            "CREATE INDEX orders_by_doctor_day ON orders (doctor_id, service, service_day, state)",
            """
            CREATE TABLE ledger_entries (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                order_id TEXT REFERENCES orders(id),
                at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX ledger_entries_by_order ON ledger_entries (order_id)",
            """
            CREATE TABLE ledger_lines (
                entry_id TEXT NOT NULL REFERENCES ledger_entries(id),
                line INTEGER NOT NULL,
                account TEXT NOT NULL,
                amount_fen BIGINT NOT NULL,
                PRIMARY KEY (entry_id, line)
            )
            """,
            "CREATE INDEX ledger_lines_by_account ON ledger_lines (account, entry_id)",
            // Running balances, updated with each posting; a conditional update keeps wallets from
            // going below zero when two charges race.
            """
            CREATE TABLE ledger_balances (
                account TEXT PRIMARY KEY,
                balance_fen BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE idempotency_keys (
                account_id TEXT NOT NULL,
                key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                status INTEGER,
                response TEXT,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (account_id, key)
            )
            """,
            "CREATE INDEX idempotency_keys_by_time ON idempotency_keys (created_at)",
        ]
    }
}
