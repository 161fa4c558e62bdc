import Foundation
import MedLoopDomain
import SQLKit

/// The background job's refund of consultations nobody accepted in time.
extension ConsultationStore {
    /// Refunds every paid consultation left waiting since before `cutoff` (care issue: not
    /// accepted within 24 h); returns how many. Each one is its own unit of work, and the
    /// conditional update makes a racing acceptance or a second job run harmless.
    public func refundUnaccepted(queuedBefore cutoff: Date, context: AuditContext) async throws -> Int {
        let stale = try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM consultations WHERE state = \(bind: ConsultationState.waiting.rawValue)
                  AND queued_at < \(bind: cutoff.epochMillis) ORDER BY queued_at LIMIT 500
                """).all().map(Self.consultation(from:))
        }
        var refunded = 0
        for consultation in stale {
            let done = try await database.unitOfWork { tx -> Bool in
                // An acceptance that won the race leaves nothing to refund.
                guard (try? await tx.move("consultations", id: consultation.id, from: consultation.state, by: .refund)) != nil else {
                    return false
                }
                try await refundOrder(of: consultation, action: "consultation.refund_unaccepted", notice: .consultationRefunded,
                                      context: context, in: tx)
                return true
            }
            if done { refunded += 1 }
        }
        return refunded
    }

    /// Inside `tx`, once the consultation itself has moved to refunded: ends its order refunded,
    /// gives back everything the order holds in escrow (nothing of the fee was earned) — the
    /// fund's share by reversing its settlement, the rest to the wallet — and records `action`,
    /// tells the patient (`notice`) and appends the events.
    func refundOrder(of consultation: Consultation, action: String, notice: NotificationKind, context: AuditContext,
                     in tx: Transaction) async throws {
        guard let order = try await tx.sql.raw("""
            SELECT price_fen, account_id, state FROM orders WHERE id = \(bind: consultation.orderId.text)
            """).first() else { throw DomainError.notFound(resource: "order") }
        try await tx.move("orders", id: consultation.orderId, from: try order.value("state", as: OrderState.self), by: .refund)
        let price = try order.int64("price_fen")
        if price > 0, try await !settlements.reverse(orderId: consultation.orderId, medicineOrderId: nil,
                                                       context: context, in: tx) {
            try await ledger.post(try .transfer(.refund, amountFen: price, from: .escrow,
                                                to: .wallet(try order.uuid("account_id")), orderId: consultation.orderId),
                                  at: context.at, in: tx)
        }
        try await audit.append(AuditRecord(action: action, resourceType: "consultation", resourceId: consultation.id.text,
                                           patientId: consultation.patientId), context: context, in: tx)
        try await notifications.notify(consultation.accountId, kind: notice, subjectType: "consultation",
                                       subjectId: consultation.id.text, at: context.at, in: tx)
        try await EventStore.append(.order(.orderRefunded, consultation.orderId, state: OrderState.refunded.rawValue,
                                           at: context.at), in: tx)
        try await EventStore.append(.consultation(.consultationRefunded, consultation.id,
                                                  payload: StateChange(state: "refunded"), at: context.at), in: tx)
    }
}
