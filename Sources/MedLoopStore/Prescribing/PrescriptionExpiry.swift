import Foundation
import MedLoopDomain
import SQLKit

extension PrescriptionStore {
    /// Expires the signed or approved prescriptions whose validity ended before they were filled
    /// (a job under a lease runs it); one that a pharmacy order fills is left to the order.
    public func expireLapsed(now: Date, context: AuditContext) async throws -> Int {
        let due = try await database.read { sql in
            try await sql.raw(Self.lapsedQuery(now: now)).all().map { try $0.uuid("id") }
        }
        var expired = 0
        for id in due {
            let done = try await database.unitOfWork { tx -> Bool in
                guard var prescription = try await load(id, in: tx.sql),
                      let next = try? prescription.state.after(.expire),
                      try await MedicineOrderStore.fillingOrder(of: id, in: tx) == nil,
                      let touched = try await tx.sql.raw("SELECT updated_at FROM prescriptions WHERE id = \(bind: id.text)").first()
                else { return false }
                // Conditional on the row as read: a pharmacy chosen meanwhile touched it, and wins.
                let moved = try await tx.sql.raw("""
                    UPDATE prescriptions SET state = \(bind: next.rawValue)
                    WHERE id = \(bind: id.text) AND state = \(bind: prescription.state.rawValue)
                      AND updated_at = \(bind: try touched.int64("updated_at"))
                    RETURNING id
                    """).first()
                guard moved != nil else { return false }
                prescription.state = next
                try await trail(.expired, prescription, detail: [:], context: context, in: tx)
                try await EventStore.append(.prescription(.prescriptionExpired, id, state: next, at: context.at), in: tx)
                return true
            }
            if done { expired += 1 }
        }
        return expired
    }

    /// Up to 200 prescriptions past their validity and not yet filled, those lapsed first
    /// (`prescriptions_by_validity`).
    static func lapsedQuery(now: Date) -> SQLQueryString {
        """
        SELECT id FROM prescriptions WHERE state IN ('signed', 'approved') AND valid_until <= \(bind: now.epochMillis)
        ORDER BY valid_until LIMIT 200
        """
    }
}
