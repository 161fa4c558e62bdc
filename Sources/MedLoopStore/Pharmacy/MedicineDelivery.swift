import Foundation
import MedLoopDomain
import SQLKit

/// How a dispensed order leaves the pharmacy: B2C orders name their carrier and tracking number.
public struct Shipment: Sendable {
    public var carrier: String
    public var trackingNumber: String

    public init(carrier: String, trackingNumber: String) {
        self.carrier = carrier
        self.trackingNumber = trackingNumber
    }
}

/// Dispensing with traceability codes, and the way to the patient: a courier's updates (O2O),
/// the carrier's delivery (B2C), the pickup code at the counter, the patient's receipt.
extension MedicineOrderStore {
    /// Dispenses a paid order at its pharmacy: one traceability code per package, each of the
    /// product of its line and never dispensed before anywhere; the stock leaves the shelf, the
    /// money goes to the pharmacy, the prescription is used. An O2O order gets a courier of the
    /// pharmacy.
    ///
    /// A code already dispensed is refused with 409 `code_already_dispensed`, and the attempt is
    /// recorded for supervision (an event and an audit entry) while the order stays as it was.
    public func dispense(_ id: UUID, codes: [String], shipment: Shipment?, by staff: Caller,
                         context: AuditContext) async throws -> MedicineOrder {
        do {
            return try await database.unitOfWork { tx in
                var order = try await atPharmacy(id, staff: staff, in: tx)
                guard let prescription = try await prescriptions.load(order.prescriptionId, in: tx.sql) else {
                    throw StoredValueError(column: "prescription_id", value: order.prescriptionId.text)
                }
                try MedicineOrderRules.checkDispensable(mode: order.mode, hasShipment: shipment != nil)
                let lines = order.bill.lines.compactMap { line in
                    prescriptions.formulary.catalogue.drug(line.drugId).map { (drug: $0, quantity: line.quantity) }
                }
                order.state = try order.state.after(.dispense)
                let matched = try TraceabilityCode.match(codes, to: lines)
                guard try await tx.transition("medicine_orders", id: id, from: [MedicineOrderState.paid.rawValue],
                                              to: order.state.rawValue) else {
                    throw DomainError.conflict(code: MedicineOrderState.conflictCode, message: "It changed meanwhile; read it again.")
                }
                // Each code is kept once, anywhere: a code another dispense holds (even one racing
                // this) is not inserted, and the whole dispense is refused.
                var reused: [String] = []
                for (code, drug) in matched {
                    let kept = try await tx.sql.raw("""
                        INSERT INTO dispensed_codes (code, order_id, drug_id, dispensed_at)
                        VALUES (\(bind: code), \(bind: id.text), \(bind: drug.text), \(bind: context.at.epochMillis))
                        ON CONFLICT (code) DO NOTHING RETURNING code
                        """).first()
                    if kept == nil { reused.append(code) }
                }
                if !reused.isEmpty { throw CodeReuse(codes: reused.sorted()) }
                for line in order.bill.lines {
                    try await tx.sql.raw("""
                        UPDATE pharmacy_stock SET on_hand = on_hand - \(bind: line.quantity), reserved = reserved - \(bind: line.quantity),
                            updated_at = \(bind: context.at.epochMillis)
                        WHERE pharmacy_id = \(bind: order.pharmacyId.text) AND drug_id = \(bind: line.drugId.text)
                        """).run()
                }
                order.dispensedAt = context.at
                if order.mode == .o2o {
                    order.courierAccountId = try await courier(of: order.pharmacyId, in: tx)
                    order.deliveryStatus = order.courierAccountId == nil ? nil : .assigned
                }
                order.carrier = shipment?.carrier
                order.trackingNumber = shipment?.trackingNumber
                try await tx.sql.raw("""
                    UPDATE medicine_orders SET dispensed_at = \(bind: context.at.epochMillis), courier_account_id = \(bind: order.courierAccountId?.text),
                        delivery_status = \(bind: order.deliveryStatus?.rawValue), carrier = \(bind: order.carrier),
                        tracking_number = \(bind: order.trackingNumber), updated_at = \(bind: context.at.epochMillis)
                    WHERE id = \(bind: id.text)
                    """).run()
                try await tx.move("prescriptions", id: prescription.id, from: prescription.state, by: .dispense)
                try await ledger.post(try .transfer(.settlement, amountFen: order.bill.totalFen, from: .medicineEscrow,
                                                    to: .pharmacyPayable(order.pharmacyId), medicineOrderId: id),
                                      at: context.at, in: tx)
                try await trail(.dispensed, order, detail: ["codes": matched.map(\.code).joined(separator: ",")],
                                context: context, in: tx)
                try await EventStore.append(.medicineOrder(.medicineOrderDispensed, id, state: .dispensed, at: context.at), in: tx)
                if order.mode != .pickup {
                    try await notifications.notify(order.accountId, kind: .orderShipped, subjectType: "medicine_order",
                                                   subjectId: id.text, at: context.at, in: tx)
                }
                return order
            }
        } catch let reuse as CodeReuse {
            // Recorded in a unit of its own: the dispense itself changed nothing.
            try await database.unitOfWork { tx in
                try await EventStore.append(DomainEvent(
                    id: .v7(at: context.at), kind: .traceabilityCodeReused, subjectType: "medicine_order", subjectId: id,
                    payload: CanonicalJSON.text(of: ["codes": reuse.codes.joined(separator: ",")]), occurredAt: context.at), in: tx)
                try await audit.append(AuditRecord(action: "medicine_order.dispense", resourceType: "medicine_order",
                                                   resourceId: id.text, outcome: .failure,
                                                   detail: CanonicalJSON.text(of: ["reusedCodes": reuse.codes.joined(separator: ",")])),
                                       context: context, in: tx)
            }
            throw DomainError.conflict(code: "code_already_dispensed",
                                       message: "These traceability codes were dispensed before: \(reuse.codes.joined(separator: ", ")).")
        }
    }

    /// A courier's report on the order assigned to them: picked up, in transit, delivered, or
    /// failed with the reason. Delivered completes the delivery.
    public func reportDelivery(_ id: UUID, status: DeliveryStatus, note: String?, by courier: UUID,
                               context: AuditContext) async throws -> MedicineOrder {
        try await database.unitOfWork { tx in
            guard var order = try await load(id, in: tx.sql), order.courierAccountId == courier, let current = order.deliveryStatus else {
                throw DomainError.notFound(resource: "medicine_order")
            }
            try MedicineOrderRules.checkReport(status, note: note)
            let next = try current.after(status)
            let moved = try await tx.sql.raw("""
                UPDATE medicine_orders SET delivery_status = \(bind: next.rawValue), delivery_note = \(bind: note),
                    updated_at = \(bind: context.at.epochMillis)
                WHERE id = \(bind: id.text) AND delivery_status = \(bind: current.rawValue) RETURNING id
                """).first()
            guard moved != nil else { throw DomainError.conflict(code: "delivery_state", message: "It changed meanwhile; read it again.") }
            order.deliveryStatus = next
            order.deliveryNote = note
            try await tx.sql.raw("""
                INSERT INTO delivery_updates (id, order_id, status, note, account_id, at)
                VALUES (\(bind: UUID.v7(at: context.at).text), \(bind: id.text), \(bind: next.rawValue), \(bind: note),
                        \(bind: courier.text), \(bind: context.at.epochMillis))
                """).run()
            if next == .inTransit {
                try await notifications.notify(order.accountId, kind: .orderArriving, subjectType: "medicine_order",
                                               subjectId: id.text, at: context.at, in: tx)
            }
            if next == .delivered { try await markDelivered(&order, context: context, in: tx) }
            try await EventStore.append(.medicineOrder(.medicineOrderDeliveryUpdated, id, state: order.state, at: context.at), in: tx)
            return order
        }
    }

    /// The pharmacy gives a dispensed O2O order whose delivery failed to one of its couriers (the
    /// one named, or the least busy), who starts again from the pharmacy.
    public func assignCourier(_ id: UUID, courier wanted: UUID?, by staff: Caller, context: AuditContext) async throws -> MedicineOrder {
        try await database.unitOfWork { tx in
            var order = try await atPharmacy(id, staff: staff, in: tx)
            guard order.state == .dispensed, order.mode == .o2o else {
                throw DomainError.conflict(code: "delivery_state", message: "Only a dispensed O2O order gets a courier.")
            }
            let next = try (order.deliveryStatus ?? .failed).after(.assigned)
            let chosen: UUID?
            if let wanted {
                let ofPharmacy = try await tx.sql.raw("""
                    SELECT id FROM accounts WHERE id = \(bind: wanted.text) AND institution_id = \(bind: order.pharmacyId.text)
                      AND role = \(bind: Role.courier.rawValue)
                    """).first()
                guard ofPharmacy != nil else {
                    throw DomainError.invalidField("courierAccountId", code: "not_a_courier", "Not a courier of this pharmacy.")
                }
                chosen = wanted
            } else {
                chosen = try await courier(of: order.pharmacyId, in: tx)
            }
            guard let chosen else { throw DomainError.conflict(code: "no_courier", message: "This pharmacy has no courier.") }
            let moved = try await tx.sql.raw("""
                UPDATE medicine_orders SET courier_account_id = \(bind: chosen.text), delivery_status = \(bind: next.rawValue),
                    delivery_note = NULL, updated_at = \(bind: context.at.epochMillis)
                WHERE id = \(bind: id.text) AND state = \(bind: MedicineOrderState.dispensed.rawValue)
                  AND delivery_status IS NOT DISTINCT FROM \(bind: order.deliveryStatus?.rawValue)
                RETURNING id
                """).first()
            guard moved != nil else { throw DomainError.conflict(code: "delivery_state", message: "It changed meanwhile; read it again.") }
            try await tx.sql.raw("""
                INSERT INTO delivery_updates (id, order_id, status, note, account_id, at)
                VALUES (\(bind: UUID.v7(at: context.at).text), \(bind: id.text), \(bind: next.rawValue), NULL,
                        \(bind: staff.accountId.text), \(bind: context.at.epochMillis))
                """).run()
            order.courierAccountId = chosen
            order.deliveryStatus = next
            order.deliveryNote = nil
            try await EventStore.append(.medicineOrder(.medicineOrderDeliveryUpdated, id, state: order.state, at: context.at), in: tx)
            return order
        }
    }

    /// The pharmacy hands a dispensed order over: a pickup order at the counter with its pickup
    /// code, or a B2C order the carrier reports delivered.
    public func handOver(_ id: UUID, pickupCode: String?, by staff: Caller, context: AuditContext) async throws -> MedicineOrder {
        try await database.unitOfWork { tx in
            var order = try await atPharmacy(id, staff: staff, in: tx)
            try MedicineOrderRules.checkHandOver(mode: order.mode, code: pickupCode, expected: order.pickupCode)
            try await markDelivered(&order, context: context, in: tx)
            try await EventStore.append(.medicineOrder(.medicineOrderDeliveryUpdated, id, state: order.state, at: context.at), in: tx)
            return order
        }
    }

    /// The patient confirms they received the medicine.
    public func confirmReceipt(_ id: UUID, by account: UUID, context: AuditContext) async throws -> MedicineOrder {
        try await database.unitOfWork { tx in
            var order = try await owned(id, by: account, in: tx)
            order.state = try await tx.move("medicine_orders", id: id, from: order.state, by: .confirmReceipt)
            order.receivedAt = context.at
            try await tx.sql.raw("""
                UPDATE medicine_orders SET received_at = \(bind: context.at.epochMillis), updated_at = \(bind: context.at.epochMillis)
                WHERE id = \(bind: id.text)
                """).run()
            try await EventStore.append(.medicineOrder(.medicineOrderReceived, id, state: .received, at: context.at), in: tx)
            return order
        }
    }

    private func markDelivered(_ order: inout MedicineOrder, context: AuditContext, in tx: Transaction) async throws {
        order.state = try await tx.move("medicine_orders", id: order.id, from: order.state, by: .deliver)
        order.deliveredAt = context.at
        try await tx.sql.raw("""
            UPDATE medicine_orders SET delivered_at = \(bind: context.at.epochMillis), updated_at = \(bind: context.at.epochMillis)
            WHERE id = \(bind: order.id.text)
            """).run()
        try await trail(.delivered, order, detail: ["mode": order.mode.rawValue], context: context, in: tx)
        try await notifications.notify(order.accountId, kind: .orderDelivered, subjectType: "medicine_order",
                                       subjectId: order.id.text, at: context.at, in: tx)
    }

    /// The order, if `staff` works at its pharmacy; 404 otherwise.
    private func atPharmacy(_ id: UUID, staff: Caller, in tx: Transaction) async throws -> MedicineOrder {
        guard let order = try await load(id, in: tx.sql), order.pharmacyId == staff.institutionId else {
            throw DomainError.notFound(resource: "medicine_order")
        }
        return order
    }

    /// The courier of the pharmacy with the fewest deliveries under way.
    private func courier(of pharmacy: UUID, in tx: Transaction) async throws -> UUID? {
        try await tx.sql.raw("""
            SELECT a.id, (SELECT COUNT(*) FROM medicine_orders o WHERE o.courier_account_id = a.id
                          AND o.state = \(bind: MedicineOrderState.dispensed.rawValue)) AS busy
            FROM accounts a WHERE a.institution_id = \(bind: pharmacy.text) AND a.role = \(bind: Role.courier.rawValue)
            ORDER BY busy, a.id LIMIT 1
            """).first()?.uuid("id")
    }
}

/// Codes of a dispense that were dispensed before.
struct CodeReuse: Error {
    let codes: [String]
}

extension MedicineOrderStore {
    /// A page of the orders a courier carries now: dispensed and not yet delivered, in the order
    /// they were dispensed.
    public func deliveries(of courier: UUID, limit: Int, cursor: String?) async throws -> Page<MedicineOrder> {
        let after = try Cursor.instantAndId(cursor)
        return try await database.read { sql in
            var query: SQLQueryString = """
                SELECT * FROM medicine_orders WHERE courier_account_id = \(bind: courier.text)
                  AND state = \(bind: MedicineOrderState.dispensed.rawValue)
                """
            query += Cursor.condition(after: after, column: "dispensed_at")
            query += " ORDER BY dispensed_at, id LIMIT \(literal: limit + 1)"
            var found: [MedicineOrder] = []
            for row in try await sql.raw(query).all() { found.append(try await order(from: row, in: sql)) }
            let page = Array(found.prefix(limit))
            let next = found.count > limit
                ? page.last.map { Cursor.after(millis: $0.dispensedAt?.epochMillis ?? 0, id: $0.id) } : nil
            return Page(items: page, nextCursor: next)
        }
    }
}
