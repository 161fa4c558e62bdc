/// Review fixes of the qualification queue (issue 20): one credential waiting for review per
/// holder, held by the database so two submissions at once cannot both wait; the review queue by
/// submission time in a region when no state is asked for.
extension Migrations {
    static let credentialQueue = Migration(version: 27, name: "credential_queue") { _ in
        [
            "CREATE UNIQUE INDEX credentials_one_submitted ON credentials (holder_key) WHERE state = 'submitted'",
            // The queue of every state in a region, oldest first (the state-first indexes of
            // migration 21 serve a queue of one state).
            "CREATE INDEX credentials_any_state_by_province ON credentials (holder_province, id)",
            "CREATE INDEX credentials_any_state_by_city ON credentials (holder_city, id)",
            "CREATE INDEX credentials_any_state_by_region ON credentials (holder_region, id)",
        ]
    }
}
