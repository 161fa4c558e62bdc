import MedLoopDomain
import Synchronization

/// What a unit of work appends to the two logs that are ordered across the whole database — the
/// hash-chained audit log and the domain-event outbox — held until the unit is about to commit and
/// written then, in the order appended. Each log is serialised by a lock (the chain's head row;
/// the outbox's commit-order lock on PostgreSQL) that is held until the commit: written last, a
/// unit holds them for its final few statements instead of for all the work that follows its
/// first audit line, so that concurrent units are not queued one behind another on them.
final class PendingWrites: Sendable {
    struct Audit: Sendable {
        let record: AuditRecord
        let context: AuditContext
    }

    private struct Pending {
        var audit: [Audit] = []
        var events: [DomainEvent] = []
    }

    private let pending = Mutex(Pending())

    func append(_ record: AuditRecord, context: AuditContext) {
        pending.withLock { $0.audit.append(Audit(record: record, context: context)) }
    }

    func append(_ event: DomainEvent) {
        pending.withLock { $0.events.append(event) }
    }

    /// Writes what is pending in `tx`, events first and then the audit lines (always in this
    /// order, so that two units never wait on each other's lock), and forgets it.
    func write(in tx: Transaction) async throws {
        let (audit, events) = pending.withLock { pending in
            defer { pending = Pending() }
            return (pending.audit, pending.events)
        }
        if !events.isEmpty { try await EventStore.write(events, in: tx) }
        if !audit.isEmpty { try await AuditStore.write(audit, in: tx) }
    }
}
