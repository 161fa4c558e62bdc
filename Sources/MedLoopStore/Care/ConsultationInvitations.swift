import Foundation
import MedLoopDomain
import SQLKit

/// Remote multidisciplinary consultations: the doctor brings another doctor into one case.
extension ConsultationStore {
    /// The consultation's doctor invites another doctor to a remote multidisciplinary consultation:
    /// the invited doctor reads and writes the chat of this one case.
    public func invite(doctor invited: UUID, to id: UUID, byDoctorAccount account: UUID, context: AuditContext) async throws {
        try await database.unitOfWork { tx in
            let consultation = try await participantConsultation(id, account: account, doctorOnly: true, in: tx)
            try consultation.checkOpen(at: context.at)
            guard let row = try await tx.sql.raw("""
                SELECT account_id, qualification FROM doctors WHERE id = \(bind: invited.text)
                """).first(), try row.value("qualification", as: QualificationStatus.self) == .approved,
                  let invitedAccount = try row.optionalUUID("account_id"), invited != consultation.doctorId else {
                throw DomainError.invalidField("doctorId", code: "not_invitable", "Invite another approved doctor with an account.")
            }
            do {
                try await tx.sql.raw("""
                    INSERT INTO consultation_invitations (consultation_id, doctor_id, doctor_account_id, invited_by, invited_at)
                    VALUES (\(bind: id.text), \(bind: invited.text), \(bind: invitedAccount.text), \(bind: account.text),
                            \(bind: context.at.epochMillis))
                    """).run()
            } catch where isUniqueViolation(error) {
                throw DomainError.conflict(code: "already_invited", message: "This doctor is already in the consultation.")
            }
            try await audit.append(AuditRecord(action: "consultation.invite", resourceType: "consultation", resourceId: id.text,
                                               patientId: consultation.patientId), context: context, in: tx)
        }
    }
}
