/// Doctors invited into a consultation for a remote multidisciplinary consultation.
extension Migrations {
    static let invitations = Migration(version: 10, name: "consultation_invitations") { _ in
        [
            """
            CREATE TABLE consultation_invitations (
                consultation_id TEXT NOT NULL REFERENCES consultations(id),
                doctor_id TEXT NOT NULL REFERENCES doctors(id),
                doctor_account_id TEXT NOT NULL REFERENCES accounts(id),
                invited_by TEXT NOT NULL REFERENCES accounts(id),
                invited_at BIGINT NOT NULL,
                PRIMARY KEY (consultation_id, doctor_id)
            )
            """,
            "CREATE INDEX consultation_invitations_by_account ON consultation_invitations (doctor_account_id, consultation_id)",
        ]
    }
}
