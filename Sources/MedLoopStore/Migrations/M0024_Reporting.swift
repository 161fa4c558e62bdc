/// What the traces and the provincial report need (issue 20, parts 5 and 9): prescriptions found
/// by patient or doctor newest first, the day's records found by time, and the platform key that
/// signs the daily report.
extension Migrations {
    static let reporting = Migration(version: 24, name: "reporting") { _ in
        [
            // Traces by patient and by doctor, newest first (identifiers are time-ordered v7).
            "CREATE INDEX prescriptions_trace_by_patient ON prescriptions (patient_id, id)",
            "CREATE INDEX prescriptions_trace_by_doctor ON prescriptions (doctor_account_id, id)",
            // The data-access views walk a patient's or a reader's entries newest first.
            "CREATE INDEX audit_log_by_patient_sequence ON audit_log (patient_id, sequence)",
            "CREATE INDEX audit_log_by_actor_sequence ON audit_log (actor_account_id, sequence)",
            // The daily report reads each kind of record by the instant that puts it in the day.
            "CREATE INDEX consultations_by_queued_at ON consultations (queued_at)",
            "CREATE INDEX prescriptions_by_signed_at ON prescriptions (signed_at)",
            "CREATE INDEX medicine_orders_by_dispensed_at ON medicine_orders (dispensed_at)",
            // The platform's report-signing key: the public key in the clear for the province, the
            // private key sealed with the data key, made on first use; one key per purpose.
            """
            CREATE TABLE platform_keys (
                id TEXT PRIMARY KEY,
                purpose TEXT NOT NULL,
                public_key TEXT NOT NULL,
                sealed_private_key TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX platform_keys_one_per_purpose ON platform_keys (purpose)",
        ]
    }
}
