/// Random prescription audit samples, assignments and verdicts (issue 20, part 4): a sample is
/// what was asked (seed, period, filters) and how large the population was; each sampled
/// prescription is one item, which carries its assigned pharmacist and, once judged, the verdict.
extension Migrations {
    static let auditSamples = Migration(version: 23, name: "audit_samples") { _ in
        [
            """
            CREATE TABLE audit_samples (
                id TEXT PRIMARY KEY,
                seed BIGINT NOT NULL,
                period_from BIGINT NOT NULL,
                period_to BIGINT NOT NULL,
                doctor_account_id TEXT REFERENCES accounts(id),
                department TEXT,
                drug_class TEXT,
                region_prefix TEXT NOT NULL,
                size INTEGER NOT NULL,
                population INTEGER NOT NULL,
                drawn_by TEXT NOT NULL REFERENCES accounts(id),
                created_at BIGINT NOT NULL
            )
            """,
            // A supervisor's list: the samples of a region (the operator's: prefix ''), newest first.
            "CREATE INDEX audit_samples_by_region ON audit_samples (region_prefix, created_at, id)",
            "CREATE INDEX audit_samples_by_created ON audit_samples (created_at, id)",
            """
            CREATE TABLE audit_sample_items (
                sample_id TEXT NOT NULL REFERENCES audit_samples(id),
                position INTEGER NOT NULL,
                prescription_id TEXT NOT NULL REFERENCES prescriptions(id),
                doctor_account_id TEXT NOT NULL REFERENCES accounts(id),
                prescriber_institutions TEXT NOT NULL,
                pharmacist_account_id TEXT NOT NULL REFERENCES accounts(id),
                assigned_at BIGINT NOT NULL,
                verdict TEXT,
                category TEXT,
                notes TEXT,
                judged_at BIGINT,
                PRIMARY KEY (sample_id, prescription_id)
            )
            """,
            "CREATE UNIQUE INDEX audit_sample_items_by_position ON audit_sample_items (sample_id, position)",
            // A pharmacist's assigned items, oldest first.
            "CREATE INDEX audit_sample_items_by_pharmacist ON audit_sample_items (pharmacist_account_id, assigned_at, sample_id, position)",
            // A doctor's results.
            "CREATE INDEX audit_sample_items_by_doctor ON audit_sample_items (doctor_account_id, verdict, category)",
            // The population of a draw: prescriptions signed in a period, of everyone or of one doctor.
            "CREATE INDEX prescriptions_by_signed ON prescriptions (signed_at, id)",
            "CREATE INDEX prescriptions_by_doctor_signed ON prescriptions (doctor_account_id, signed_at, id)",
        ]
    }
}
