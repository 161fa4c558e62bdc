import Foundation
import MedLoopDomain
import SQLKit

/// A pharmacist's decision on a signed prescription.
public enum ReviewDecision: Sendable {
    case approve
    case reject(RejectionReason, text: String)
}

/// Pharmacist review (DOMAIN.md, "Prescription rules": a pharmacist checks every prescription and
/// signs before it is charged or dispensed). The queue is the issuing institution's, oldest first.
extension PrescriptionStore {
    /// A page of the signed prescriptions waiting for the pharmacists of `institution`, oldest
    /// first, with their findings and overrides.
    public func reviewQueue(institution: UUID, limit: Int, cursor: String?) async throws -> Page<Prescription> {
        let after = try Cursor.instantAndId(cursor)
        return try await database.read { sql in
            var query: SQLQueryString = """
                SELECT * FROM prescriptions WHERE institution_id = \(bind: institution.text)
                  AND state = \(bind: PrescriptionState.signed.rawValue)
                """
            query += Cursor.condition(after: after, column: "signed_at")
            query += " ORDER BY signed_at, id LIMIT \(literal: limit + 1)"
            var items = try await prescriptions(from: try await sql.raw(query).all(), in: sql)
            let hasMore = items.count > limit
            items = Array(items.prefix(limit))
            let next = hasMore ? items.last.map { Cursor.after(millis: $0.signedAt?.epochMillis ?? 0, id: $0.id) } : nil
            return Page(items: items, nextCursor: next)
        }
    }

    /// Records a pharmacist's review of a signed prescription of their own institution: the
    /// decision is signed with the pharmacist's key over the prescription's hash. An approval
    /// makes it take effect and tells the patient; a rejection goes back to the doctor.
    public func review(_ id: UUID, decision: ReviewDecision, by pharmacist: Caller, context: AuditContext) async throws -> Prescription {
        try await database.unitOfWork { tx in
            guard var prescription = try await load(id, in: tx.sql), prescription.state != .draft,
                  prescription.institutionId == pharmacist.institutionId else {
                throw DomainError.notFound(resource: "prescription")
            }
            try await CredentialStore.checkReviewing(pharmacist: pharmacist.accountId, in: tx)  // issue 20: not while suspended
            if case .approve = decision { try PrescriptionRules.checkValid(until: prescription.validUntil, now: context.at) }
            let approved: Bool
            var reason: RejectionReason?
            var text: String?
            switch decision {
            case .approve: approved = true
            case .reject(let why, let written):
                approved = false
                reason = why
                text = written
            }
            prescription.state = try await tx.move("prescriptions", id: id, from: prescription.state,
                                                   by: approved ? .approve : .reject)
            guard let hash = prescription.documentHash else { throw StoredValueError(column: "document_hash", value: "missing") }
            let document = ReviewDocument(prescriptionId: id, prescriptionHash: hash, approved: approved, reason: reason,
                                          pharmacistAccountId: pharmacist.accountId, reviewedAt: context.at).canonical
            let signature = try DocumentSigning.sign(document, role: "pharmacist", accountId: pharmacist.accountId,
                                                     key: try await keys.key(of: pharmacist.accountId, at: context.at, in: tx),
                                                     at: context.at)
            try await tx.sql.raw("""
                UPDATE prescriptions SET reviewed_at = \(bind: context.at.epochMillis),
                    reviewer_account_id = \(bind: pharmacist.accountId.text), rejection_reason = \(bind: reason?.rawValue),
                    rejection_text = \(bind: text), review_document = \(bind: document),
                    review_signature = \(bind: CanonicalJSON.text(of: signature)), updated_at = \(bind: context.at.epochMillis)
                WHERE id = \(bind: id.text)
                """).run()
            prescription.reviewedAt = context.at
            prescription.reviewerAccountId = pharmacist.accountId
            prescription.rejectionReason = reason
            prescription.rejectionText = text
            try await trail(approved ? .approved : .rejected, prescription,
                            detail: ["reviewHash": signature.hash, "reason": reason?.rawValue], context: context, in: tx)
            try await EventStore.append(.prescription(approved ? .prescriptionApproved : .prescriptionRejected, id,
                                                      state: prescription.state, at: context.at), in: tx)
            // The patient hears either way (a rejected prescription is corrected by the doctor, who
            // hears it too, with the reason).
            let patientAccount = try await tx.sql.raw("""
                SELECT c.account_id FROM consultations c WHERE c.id = \(bind: prescription.consultationId.text)
                """).first()?.uuid("account_id")
            if let patientAccount {
                // A rejected prescription is not the patient's to open: the notice points at the consultation.
                try await notifications.notify(patientAccount, kind: approved ? .prescriptionApproved : .prescriptionRejected,
                                               subjectType: approved ? "prescription" : "consultation",
                                               subjectId: approved ? id.text : prescription.consultationId.text, at: context.at, in: tx)
            }
            if !approved {
                try await notifications.notify(prescription.doctorAccountId, kind: .prescriptionReturned,
                                               subjectType: "prescription", subjectId: id.text, at: context.at, in: tx)
            }
            return prescription
        }
    }
}
