import Foundation
import MedLoopDomain
import SQLKit

/// The events of a prescription's trail, from draft to the patient's door.
public enum TrailEvent: String, Sendable, CaseIterable {
    case drafted, signed, approved, rejected, voided, expired, routed, reserved, paid, dispensed, delivered
    /// A reservation left unpaid ran out; the prescription may be filled elsewhere.
    case released
}

/// One entry of a prescription's trail, as the trace shows it.
public struct TrailEntry: Sendable {
    public let entry: AuditEntry
    /// Whether the entry's hash recomputes and it links to its neighbours in the chain.
    public let verifies: Bool
}

/// The trail is written into the audit log, in the unit of work of the change it records, so it
/// shares the log's one hash chain (`AuditChain`): the chain that proves nobody edited who read
/// what also proves nobody edited what happened to a prescription.
extension PrescriptionStore {
    func trail(_ event: TrailEvent, _ prescription: Prescription, detail: [String: String?], context: AuditContext,
               in tx: Transaction) async throws {
        var facts = detail.compactMapValues { $0 }
        facts["state"] = prescription.state.rawValue
        try await audit.append(AuditRecord(action: "prescription.\(event.rawValue)", resourceType: "prescription",
                                           resourceId: prescription.id.text, patientId: prescription.patientId,
                                           detail: CanonicalJSON.text(of: facts)),
                               context: context, in: tx)
    }

    /// The trail of prescription `id`, oldest first, each entry checked in place: its own hash, and
    /// its links to the entries before and after it in the whole chain.
    public func trace(_ id: UUID) async throws -> [TrailEntry] {
        try await database.read { sql in
            let entries = try await sql.raw("""
                SELECT * FROM audit_log WHERE resource_type = 'prescription' AND resource_id = \(bind: id.text)
                  AND detail IS NOT NULL ORDER BY sequence
                """).all().map(AuditStore.entry(from:))
            var checked: [TrailEntry] = []
            for entry in entries {
                let neighbours = try await sql.raw("""
                    SELECT * FROM audit_log WHERE sequence IN (\(bind: entry.sequence - 1), \(bind: entry.sequence + 1))
                    """).all().map(AuditStore.entry(from:))
                let before = neighbours.first { $0.sequence == entry.sequence - 1 }
                let after = neighbours.first { $0.sequence == entry.sequence + 1 }
                checked.append(TrailEntry(entry: entry, verifies: AuditChain.holds(entry, after: before, before: after)))
            }
            return checked
        }
    }
}
