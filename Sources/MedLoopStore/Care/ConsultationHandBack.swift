import Foundation
import MedLoopDomain
import SQLKit

/// What a doctor's suspension does to their consultations (issue 20): every open one, waiting or
/// active, is handed back and its fee refunded, in the suspension's own unit of work; and a
/// doctor who is not qualified accepts nothing.
extension ConsultationStore {
    /// Hands back every open consultation of `doctor` inside `tx`: the consultation and its order
    /// end refunded, an open call is closed, the fee leaves escrow for the patient's wallet (or the
    /// fund's share is reversed), and the patient is told. Returns how many were handed back.
    func handBack(openConsultationsOf doctor: UUID, context: AuditContext, in tx: Transaction) async throws -> Int {
        let open = try await tx.sql.raw("""
            SELECT * FROM consultations WHERE doctor_id = \(bind: doctor.text)
              AND state IN (\(bind: ConsultationState.waiting.rawValue), \(bind: ConsultationState.active.rawValue))
            ORDER BY queued_at, id
            """).all().map(Self.consultation(from:))
        for consultation in open {
            try await tx.move("consultations", id: consultation.id, from: consultation.state, by: .handBack)
            if consultation.state == .active { _ = try await closeCalls(consultation.id, at: context.at, in: tx) }
            try await refundOrder(of: consultation, action: "consultation.hand_back", notice: .consultationHandedBack,
                                  context: context, in: tx)
        }
        return open.count
    }

    /// Refuses (403 `doctor_not_qualified`) unless `doctor` is qualified now, read inside the
    /// accepting unit of work so that an acceptance racing a suspension finds it.
    func checkPractising(_ doctor: UUID, in tx: Transaction) async throws {
        let status = try await tx.sql.raw("SELECT qualification FROM doctors WHERE id = \(bind: doctor.text)").first()?
            .value("qualification", as: QualificationStatus.self)
        try CredentialRules.checkPractising(status)
    }
}
