import Foundation
import MedLoopDomain
import SQLKit

/// The facts of a dispense: what the pharmacy dispensed of each drug over the window against what
/// it recorded receiving, and the codes a refused dispense scanned again.
extension FraudFacts {
    /// Medicine-order states at and after the dispense.
    static let dispensedStates = "'dispensed', 'delivered', 'received'"

    func dispensed(_ event: DomainEvent, rules: FraudRuleSet) async throws -> [AlertDraft] {
        let rule = rules.dispensingAboveReceipts
        guard rule.enabled else { return [] }
        return try await database.read { sql in
            guard let order = try await sql.raw("""
                SELECT pharmacy_id, dispensed_at FROM medicine_orders
                WHERE id = \(bind: event.subjectId.text) AND dispensed_at IS NOT NULL
                """).first() else { return [] }
            let pharmacy = try order.uuid("pharmacy_id")
            let dispensedAt = try order.instant("dispensed_at")
            guard let region = try await Self.region(of: pharmacy, in: sql) else { return [] }
            let from = dispensedAt.addingTimeInterval(-TimeInterval(rule.windowDays) * 86_400)
            // Bounded by the pharmacy's order index: an order is dispensed within days of being placed.
            let placedFrom = from.addingTimeInterval(-7 * 86_400)
            let drugs = try await sql.raw("""
                SELECT DISTINCT drug_id FROM medicine_order_lines WHERE order_id = \(bind: event.subjectId.text)
                """).all().map { try $0.uuid("drug_id") }
            var balances: [DispensingBalance] = []
            for drug in drugs {
                let dispensed = try await sql.raw("""
                    SELECT COALESCE(SUM(l.quantity), 0) AS n FROM medicine_orders o
                    JOIN medicine_order_lines l ON l.order_id = o.id
                    WHERE o.pharmacy_id = \(bind: pharmacy.text) AND o.state IN (\(unsafeRaw: Self.dispensedStates))
                      AND o.created_at >= \(bind: placedFrom.epochMillis)
                      AND o.dispensed_at >= \(bind: from.epochMillis) AND o.dispensed_at <= \(bind: dispensedAt.epochMillis)
                      AND l.drug_id = \(bind: drug.text)
                    """).first()?.int64("n") ?? 0
                let received = try await Self.received(pharmacy: pharmacy, drug: drug, from: from, to: dispensedAt, in: sql)
                balances.append(DispensingBalance(pharmacyId: pharmacy, drugId: drug, dispensed: Int(dispensed), received: received))
            }
            return rule.evaluate(balances, region: region, at: event.occurredAt)
        }
    }

    /// The packages a pharmacy recorded receiving of a drug between two instants: every rise of
    /// the stock its staff set (the platform keeps no purchase invoices; the stock count is the
    /// only record of medicine coming in).
    static func received(pharmacy: UUID, drug: UUID, from: Date, to: Date, in sql: any SQLDatabase) async throws -> Int {
        struct Change: Decodable { var onHandBefore: Int; var onHandAfter: Int }
        let rows = try await sql.raw("""
            SELECT detail FROM audit_log
            WHERE resource_type = 'pharmacy_stock' AND resource_id = \(bind: "\(pharmacy.text)/\(drug.text)")
              AND at >= \(bind: from.epochMillis) AND at <= \(bind: to.epochMillis)
              AND action = 'pharmacy.stock.set' AND outcome = 'success'
            """).all()
        var received = 0
        for row in rows {
            guard let detail = try row.optionalText("detail"),
                  let change = try? StoredJSON.value(Change.self, from: detail) else { continue }
            received += max(0, change.onHandAfter - change.onHandBefore)
        }
        return received
    }

    func codesReused(_ event: DomainEvent, rules: FraudRuleSet) async throws -> [AlertDraft] {
        let rule = rules.traceabilityCodeReused
        guard rule.enabled else { return [] }
        struct Payload: Decodable { var codes: String }
        guard let payload = try? event.decodePayload(as: Payload.self) else { return [] }
        let codes = payload.codes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return try await database.read { sql in
            guard let pharmacy = try await sql.raw("SELECT pharmacy_id FROM medicine_orders WHERE id = \(bind: event.subjectId.text)")
                .first()?.uuid("pharmacy_id"),
                  let region = try await Self.region(of: pharmacy, in: sql) else { return [] }
            var reused: [ReusedCode] = []
            for code in codes {
                let first = try await sql.raw("""
                    SELECT c.order_id, o.pharmacy_id FROM dispensed_codes c JOIN medicine_orders o ON o.id = c.order_id
                    WHERE c.code = \(bind: code)
                    """).first()
                reused.append(ReusedCode(code: code, orderId: event.subjectId, pharmacyId: pharmacy,
                                         firstOrderId: try first?.uuid("order_id"), firstPharmacyId: try first?.uuid("pharmacy_id")))
            }
            return rule.evaluate(reused, region: region, at: event.occurredAt)
        }
    }
}
