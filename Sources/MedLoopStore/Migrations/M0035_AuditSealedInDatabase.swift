/// The audit chain sealed by PostgreSQL itself (issue 21, the loop on PostgreSQL). Every audited
/// unit of work waits for the chain's head and holds it until it commits, so the time between
/// taking the head and the `COMMIT` bounds how many units commit a second across the whole city.
/// A unit read the head, computed the hashes here and sent the lines back: three round trips
/// under the lock, each waiting for the server's turn on a busy machine. `medloop_audit_append`
/// takes the head, numbers and hashes the lines exactly as `AuditChain.hash(of:)` does and moves
/// the head, in the statement that also takes the event outbox's lock (`PendingWrites`): the
/// locks are then held for that statement's answer and the `COMMIT` only.
///
/// The hash's canonical text, field by field: the UTF-8 length, a colon and the text, or `-`
/// when absent; joined by commas; the detail appended only when present. `medloop check` and
/// `verify-chain` recompute every hash in Swift, so a difference between the two shows there.
/// SQLite has one writer and keeps sealing in Swift (`AuditStore.write`).
extension Migrations {
    static let auditSealedInDatabase = Migration(version: 35, name: "audit_sealed_in_database") { engine in
        guard engine == .postgres else { return [] }
        return [
            """
            CREATE FUNCTION medloop_audit_field(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
                SELECT CASE WHEN value IS NULL THEN '-' ELSE octet_length(convert_to(value, 'UTF8'))::text || ':' || value END
            $$
            """,
            """
            CREATE FUNCTION medloop_audit_append(lines jsonb) RETURNS bigint LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
            DECLARE
                last_sequence bigint;
                last_hash text;
                line jsonb;
                canonical text;
                sealed text;
            BEGIN
                SELECT sequence, hash INTO last_sequence, last_hash FROM audit_head WHERE id = 1 FOR UPDATE;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'the audit chain has no head';
                END IF;
                FOR line IN SELECT value FROM jsonb_array_elements(lines) LOOP
                    last_sequence := last_sequence + 1;
                    canonical := concat_ws(',',
                        medloop_audit_field(last_sequence::text), medloop_audit_field((line->>'at')::bigint::text),
                        medloop_audit_field(line->>'actor'), medloop_audit_field(line->>'role'),
                        medloop_audit_field(line->>'action'), medloop_audit_field(line->>'resourceType'),
                        medloop_audit_field(line->>'resourceId'), medloop_audit_field(line->>'patient'),
                        medloop_audit_field(line->>'outcome'), medloop_audit_field(line->>'client'),
                        medloop_audit_field(line->>'request'), medloop_audit_field(last_hash))
                        || CASE WHEN line->>'detail' IS NULL THEN '' ELSE ',' || medloop_audit_field(line->>'detail') END;
                    sealed := encode(sha256(convert_to(canonical, 'UTF8')), 'hex');
                    -- The detail column is named only for a line with a detail, as in Swift (a
                    -- database part-way through its migrations has none before M0015).
                    IF line->>'detail' IS NULL THEN
                        INSERT INTO audit_log (sequence, at, actor_account_id, actor_role, action, resource_type, resource_id,
                                               patient_id, outcome, client_address, request_id, previous_hash, hash)
                        VALUES (last_sequence, (line->>'at')::bigint, line->>'actor', line->>'role', line->>'action',
                                line->>'resourceType', line->>'resourceId', line->>'patient', line->>'outcome', line->>'client',
                                line->>'request', last_hash, sealed);
                    ELSE
                        INSERT INTO audit_log (sequence, at, actor_account_id, actor_role, action, resource_type, resource_id,
                                               patient_id, outcome, client_address, request_id, previous_hash, hash, detail)
                        VALUES (last_sequence, (line->>'at')::bigint, line->>'actor', line->>'role', line->>'action',
                                line->>'resourceType', line->>'resourceId', line->>'patient', line->>'outcome', line->>'client',
                                line->>'request', last_hash, sealed, line->>'detail');
                    END IF;
                    last_hash := sealed;
                END LOOP;
                UPDATE audit_head SET sequence = last_sequence, hash = last_hash WHERE id = 1;
                RETURN last_sequence;
            END
            $$
            """,
        ]
    }
}
