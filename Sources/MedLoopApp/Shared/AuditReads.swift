import Foundation
import MedLoopDomain
import MedLoopStore

extension AuditStore {
    /// Records, in a unit of work of its own, that the caller of `context` read `resourceType`
    /// `id` (belonging to `patient`, when it is personal or health data) at `now`. A refused read
    /// is recorded with `outcome: .denied`.
    func recordRead(_ action: String, of resourceType: String, id: String? = nil, patient: UUID? = nil,
                    outcome: AuditOutcome = .success, by context: AppContext, at now: Date) async throws {
        try await record(AuditRecord(action: action, resourceType: resourceType, resourceId: id, patientId: patient,
                                     outcome: outcome),
                         context: context.auditContext(at: now))
    }

    /// Records, in one unit of work, that the caller read each of `reads` (a resource id and
    /// the patient it belongs to), as `recordRead` would one by one.
    func recordReads(_ action: String, of resourceType: String, _ reads: [(id: String, patient: UUID?)], by context: AppContext,
                     at now: Date) async throws {
        try await record(reads.map { AuditRecord(action: action, resourceType: resourceType, resourceId: $0.id, patientId: $0.patient) },
                         context: context.auditContext(at: now))
    }
}
