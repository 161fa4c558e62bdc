/// Lab and exam results imported from hospitals, and patients' consent to share them with the
/// doctor of a consultation.
extension Migrations {
    static let records = Migration(version: 8, name: "records") { _ in
        [
            """
            CREATE TABLE lab_reports (
                id TEXT PRIMARY KEY,
                patient_id TEXT NOT NULL REFERENCES patients(id),
                hospital_id TEXT NOT NULL REFERENCES institutions(id),
                title TEXT NOT NULL,
                taken_on TEXT NOT NULL,
                values_json TEXT NOT NULL,
                file_name TEXT,
                imported_by TEXT NOT NULL REFERENCES accounts(id),
                imported_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX lab_reports_by_patient ON lab_reports (patient_id, taken_on)",
            "ALTER TABLE consultations ADD COLUMN records_shared_at BIGINT",
        ]
    }
}
