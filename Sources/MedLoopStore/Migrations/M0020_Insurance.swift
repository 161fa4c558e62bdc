import MedLoopDomain

/// Insurance (issue 18): region policy versions, each insurer's registry of insured persons and its
/// signing key for e-vouchers, the vouchers used (each once), a patient's linked coverage, the
/// year to date per person and year, settlements and reversals with their lines, monthly quotas;
/// a ledger entry names the settlement it posts, and a prior visit records whether it prescribed.
extension Migrations {
    static let insurance = Migration(version: 20, name: "insurance") { _ in
        [
            """
            CREATE TABLE insurance_policies (
                region TEXT NOT NULL,
                version TEXT NOT NULL,
                effective_from TEXT NOT NULL,
                effective_to TEXT,
                document TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (region, version)
            )
            """,
            """
            CREATE TABLE insured_persons (
                id TEXT PRIMARY KEY,
                region TEXT NOT NULL,
                national_id_cipher TEXT NOT NULL,
                national_id_hash TEXT NOT NULL,
                insured_number TEXT NOT NULL,
                scheme TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                UNIQUE (region, national_id_hash),
                UNIQUE (region, insured_number)
            )
            """,
            "CREATE INDEX insured_persons_by_region ON insured_persons (region, id)",
            // A voucher issued for a national ID looks the person up in every region.
            "CREATE INDEX insured_persons_by_national_id ON insured_persons (national_id_hash)",
            // Signing keys of institutions: an insurer's for e-vouchers, a billing institution's for
            // invoices; the private key sealed with the data key.
            """
            CREATE TABLE keyring (
                name TEXT PRIMARY KEY,
                public_key TEXT NOT NULL,
                private_key_cipher TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE used_vouchers (
                nonce TEXT PRIMARY KEY,
                insured_person_id TEXT NOT NULL REFERENCES insured_persons(id),
                used_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE insurance_coverages (
                patient_id TEXT PRIMARY KEY REFERENCES patients(id),
                insured_person_id TEXT NOT NULL REFERENCES insured_persons(id),
                verified_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE insurance_year_to_date (
                insured_person_id TEXT NOT NULL REFERENCES insured_persons(id),
                year INTEGER NOT NULL,
                deductible_used_fen BIGINT NOT NULL,
                fund_paid_fen BIGINT NOT NULL,
                PRIMARY KEY (insured_person_id, year),
                CHECK (deductible_used_fen >= 0 AND fund_paid_fen >= 0)
            )
            """,
            """
            CREATE TABLE insurance_quotas (
                institution_id TEXT NOT NULL REFERENCES institutions(id),
                month TEXT NOT NULL,
                budget_fen BIGINT NOT NULL,
                used_fen BIGINT NOT NULL DEFAULT 0,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (institution_id, month),
                CHECK (used_fen >= 0 AND used_fen <= budget_fen)
            )
            """,
            "CREATE INDEX insurance_quotas_by_month ON insurance_quotas (month, institution_id)",
            """
            CREATE TABLE settlements (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                reverses_id TEXT UNIQUE REFERENCES settlements(id),
                order_id TEXT REFERENCES orders(id),
                medicine_order_id TEXT REFERENCES medicine_orders(id),
                patient_id TEXT NOT NULL REFERENCES patients(id),
                account_id TEXT NOT NULL REFERENCES accounts(id),
                insured_person_id TEXT NOT NULL REFERENCES insured_persons(id),
                region TEXT NOT NULL,
                policy_version TEXT NOT NULL,
                scheme TEXT NOT NULL,
                level TEXT NOT NULL,
                institution_id TEXT NOT NULL REFERENCES institutions(id),
                quota_institution_id TEXT REFERENCES institutions(id),
                year INTEGER NOT NULL,
                service_day TEXT NOT NULL,
                clearing_day TEXT NOT NULL,
                covered BOOLEAN NOT NULL,
                reason TEXT,
                ratio_bp INTEGER NOT NULL,
                total_fen BIGINT NOT NULL,
                full_own_pay_fen BIGINT NOT NULL,
                over_limit_fen BIGINT NOT NULL,
                pre_self_pay_fen BIGINT NOT NULL,
                in_scope_fen BIGINT NOT NULL,
                deductible_fen BIGINT NOT NULL,
                fixed_fund_fen BIGINT NOT NULL,
                fund_fen BIGINT NOT NULL,
                co_insurance_fen BIGINT NOT NULL,
                over_cap_fen BIGINT NOT NULL,
                self_share_fen BIGINT NOT NULL,
                personal_account_fen BIGINT NOT NULL,
                cash_fen BIGINT NOT NULL,
                explanation TEXT NOT NULL,
                claim_id TEXT,
                created_at BIGINT NOT NULL
            )
            """,
            // A bill is settled once: one settlement per order (reversals name the one they undo).
            // A bill is settled once at payment and reimbursed at most once by a claim.
            """
            CREATE UNIQUE INDEX settlements_once_per_order ON settlements (order_id)
            WHERE kind = 'settlement' AND order_id IS NOT NULL AND claim_id IS NULL
            """,
            """
            CREATE UNIQUE INDEX settlements_once_per_medicine_order ON settlements (medicine_order_id)
            WHERE kind = 'settlement' AND medicine_order_id IS NOT NULL AND claim_id IS NULL
            """,
            "CREATE UNIQUE INDEX settlements_once_per_claim ON settlements (claim_id) WHERE kind = 'settlement' AND claim_id IS NOT NULL",
            "CREATE INDEX settlements_by_day ON settlements (clearing_day, region, institution_id)",
            "CREATE INDEX settlements_by_account ON settlements (account_id, id)",
            """
            CREATE TABLE settlement_lines (
                settlement_id TEXT NOT NULL REFERENCES settlements(id),
                line INTEGER NOT NULL,
                kind TEXT NOT NULL,
                drug_class TEXT,
                drug_id TEXT,
                amount_fen BIGINT NOT NULL,
                full_own_pay_fen BIGINT NOT NULL,
                over_limit_fen BIGINT NOT NULL,
                pre_self_pay_fen BIGINT NOT NULL,
                in_scope_fen BIGINT NOT NULL,
                fixed_fund_fen BIGINT NOT NULL,
                PRIMARY KEY (settlement_id, line)
            )
            """,
            // A settlement across regions, reserved at home and confirmed in a step of its own.
            """
            CREATE TABLE cross_region_settlements (
                id TEXT PRIMARY KEY REFERENCES settlements(id),
                home_region TEXT NOT NULL,
                visited_region TEXT NOT NULL,
                institution_id TEXT NOT NULL REFERENCES institutions(id),
                fund_fen BIGINT NOT NULL,
                state TEXT NOT NULL,
                reserved_at BIGINT NOT NULL,
                confirmed_at BIGINT,
                released_at BIGINT
            )
            """,
            "CREATE INDEX cross_region_by_state ON cross_region_settlements (state, reserved_at)",
            // The totals an insurer uploaded for a clearing day, and how many figures differed.
            """
            CREATE TABLE clearing_statements (
                id TEXT PRIMARY KEY,
                region TEXT NOT NULL,
                day TEXT NOT NULL,
                totals TEXT NOT NULL,
                differences INTEGER NOT NULL,
                uploaded_at BIGINT NOT NULL,
                uploaded_by TEXT
            )
            """,
            "CREATE INDEX clearing_statements_by_day ON clearing_statements (region, day)",
            // Electronic invoices of bills paid, and the claims filed with them (deferred reimbursement).
            """
            CREATE TABLE invoices (
                id TEXT PRIMARY KEY,
                number TEXT NOT NULL UNIQUE,
                order_id TEXT REFERENCES orders(id),
                medicine_order_id TEXT REFERENCES medicine_orders(id),
                institution_id TEXT NOT NULL REFERENCES institutions(id),
                patient_id TEXT NOT NULL REFERENCES patients(id),
                account_id TEXT NOT NULL REFERENCES accounts(id),
                total_fen BIGINT NOT NULL,
                document TEXT NOT NULL,
                signature TEXT NOT NULL,
                issued_at BIGINT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX invoices_once_per_order ON invoices (order_id) WHERE order_id IS NOT NULL",
            "CREATE UNIQUE INDEX invoices_once_per_medicine_order ON invoices (medicine_order_id) WHERE medicine_order_id IS NOT NULL",
            "CREATE INDEX invoices_by_account ON invoices (account_id, id)",
            """
            CREATE TABLE claims (
                id TEXT PRIMARY KEY,
                invoice_id TEXT NOT NULL UNIQUE REFERENCES invoices(id),
                patient_id TEXT NOT NULL REFERENCES patients(id),
                account_id TEXT NOT NULL REFERENCES accounts(id),
                insured_person_id TEXT NOT NULL REFERENCES insured_persons(id),
                region TEXT NOT NULL,
                mode TEXT NOT NULL,
                state TEXT NOT NULL,
                reason TEXT,
                approved_fen BIGINT,
                settlement_id TEXT REFERENCES settlements(id),
                filed_at BIGINT NOT NULL,
                decided_at BIGINT,
                decided_by TEXT REFERENCES accounts(id)
            )
            """,
            "CREATE INDEX claims_by_region ON claims (region, state, id)",
            "CREATE INDEX claims_by_account ON claims (account_id, id)",
            "ALTER TABLE ledger_entries ADD COLUMN settlement_id TEXT REFERENCES settlements(id)",
            "CREATE INDEX ledger_entries_by_settlement ON ledger_entries (settlement_id)",
            "ALTER TABLE encounters ADD COLUMN prescribed BOOLEAN NOT NULL DEFAULT FALSE",
        ] + shippedPolicyRows()
    }

    /// The policies as shipped, as INSERT statements; later shipped versions arrive through
    /// `PolicyStore.syncShipped` at start-up. The app refuses to start when they do not load.
    static func shippedPolicyRows() -> [String] {
        guard let policies = try? RegionPolicy.shipped() else { return [] }
        return policies.compactMap { policy in
            guard let document = try? PolicyStore.json(policy) else { return nil }
            let values = [policy.region.value, policy.version, policy.effectiveFrom.description].map(Migrations.literal)
                + [policy.effectiveTo.map { Migrations.literal($0.description) } ?? "NULL", Migrations.literal(document), "0"]
            return """
                INSERT INTO insurance_policies (region, version, effective_from, effective_to, document, created_at)
                VALUES (\(values.joined(separator: ", ")))
                """
        }
    }
}
