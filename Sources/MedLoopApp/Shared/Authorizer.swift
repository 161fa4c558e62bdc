import Foundation
import MedLoopDomain
import MedLoopStore

/// Asks `AccessPolicy` for every protected action and writes the audit entry of a denial before
/// refusing with 403.
struct Authorizer: Sendable {
    let audit: AuditStore
    let patients: PatientStore
    let clock: any MedLoopClock

    /// The caller, if their role has `permission`.
    func require(_ permission: Permission, _ context: AppContext, action: String, resourceType: String,
                 resourceId: String? = nil) async throws -> Caller {
        let caller = try context.requireCaller()
        guard AccessPolicy.allows(caller.role, permission) else {
            try await deny(context, action: action, resourceType: resourceType, resourceId: resourceId, patientId: nil)
        }
        return caller
    }

    /// The caller, if they may reach the personal and health data of `patientId`; with
    /// `holderOnly`, only the patient's own account qualifies (not a guardian).
    func requirePatient(_ patientId: UUID, _ context: AppContext, action: String,
                        holderOnly: Bool = false) async throws -> Caller {
        let caller = try context.requireCaller()
        var actsFor: Set<UUID> = []
        if !holderOnly, caller.role == .patient, let own = caller.patientId, own != patientId {
            actsFor = try await patients.actsFor(own)
        }
        guard AccessPolicy.canAccessPatient(caller, patientId: patientId, actsFor: actsFor) else {
            try await deny(context, action: action, resourceType: "patient", resourceId: patientId.text, patientId: patientId)
        }
        return caller
    }

    /// The caller and their doctor record, if the caller is a doctor listed in the directory.
    func requireDoctor(_ context: AppContext, doctors: DoctorStore, action: String) async throws -> (Caller, UUID) {
        let caller = try context.requireCaller()
        guard caller.role == .doctor, let doctor = try await doctors.doctorId(account: caller.accountId) else {
            try await deny(context, action: action, resourceType: "doctor", resourceId: nil, patientId: nil)
        }
        return (caller, doctor)
    }

    private func deny(_ context: AppContext, action: String, resourceType: String, resourceId: String?,
                      patientId: UUID?) async throws -> Never {
        try await audit.record(AuditRecord(action: action, resourceType: resourceType, resourceId: resourceId,
                                           patientId: patientId, outcome: .denied),
                               context: context.auditContext(at: clock.now()))
        throw AppError.forbidden()
    }
}
