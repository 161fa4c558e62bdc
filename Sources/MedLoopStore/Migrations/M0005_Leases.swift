/// Leases: a background job runs in every server but takes its lease first, so each run happens
/// once across servers (ARCHITECTURE.md, jobs).
extension Migrations {
    static let leases = Migration(version: 5, name: "leases") { _ in
        [
            """
            CREATE TABLE leases (
                name TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """,
        ]
    }
}
