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
}
