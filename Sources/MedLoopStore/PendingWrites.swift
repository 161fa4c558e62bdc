import MedLoopDomain
import Synchronization

/// What a unit of work writes to rows that many units share, held until the unit is about to
/// commit and written then: the two logs ordered across the whole database — the hash-chained
/// audit log and the domain-event outbox, in the order appended — and the running balances of
/// the ledger's shared accounts (the platform's, a fund's, an institution's). Each is serialised
/// by a lock held until the commit (the chain's head row; the outbox's commit-order lock and the
/// balance rows on PostgreSQL): written last, a unit holds them for its final few statements
/// instead of for all the work that follows its first posting or audit line, so that concurrent
/// units are not queued one behind another on them.
final class PendingWrites: Sendable {
    struct Audit: Sendable {
        let record: AuditRecord
        let context: AuditContext
    }

    private struct Pending {
        var audit: [Audit] = []
        var events: [DomainEvent] = []
        /// The change to each shared account's balance, by account name.
        var balances: [String: Int64] = [:]
    }

    private let pending = Mutex(Pending())

    func append(_ record: AuditRecord, context: AuditContext) {
        pending.withLock { $0.audit.append(Audit(record: record, context: context)) }
    }

    func append(_ event: DomainEvent) {
        pending.withLock { $0.events.append(event) }
    }

    func add(_ amountFen: Int64, toBalanceOf account: String) {
        pending.withLock { $0.balances[account, default: 0] += amountFen }
    }

    /// Writes what is pending in `tx`, and forgets it: the balances first (by account name), then
    /// the events, then the audit lines. Always in this order, so that two units never wait on
    /// each other's locks. On PostgreSQL the events and the audit lines go in one statement
    /// (`AuditStore.sealing`): the outbox's lock and the chain's head are then held for its answer
    /// and the `COMMIT` only.
    func write(in tx: Transaction) async throws {
        let (audit, events, balances) = pending.withLock { pending in
            defer { pending = Pending() }
            return (pending.audit, pending.events, pending.balances)
        }
        if !balances.isEmpty { try await LedgerStore.write(balances, in: tx) }
        if tx.engine == .postgres && !events.isEmpty && !audit.isEmpty {
            try await EventStore.write(events, in: tx, then: try AuditStore.sealing(audit))
            return
        }
        if !events.isEmpty { try await EventStore.write(events, in: tx) }
        if !audit.isEmpty { try await AuditStore.write(audit, in: tx) }
    }
}
