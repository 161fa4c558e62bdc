import Foundation
import MedLoopDomain
import SQLKit

/// A medicine order as stored.
public struct MedicineOrder: Sendable, Hashable {
    public var id: UUID
    public var prescriptionId: UUID
    public var pharmacyId: UUID
    public var accountId: UUID
    public var patientId: UUID
    public var mode: FulfilmentMode
    public var state: MedicineOrderState
    public var bill: Bill
    public var reservedUntil: Date
    public var createdAt: Date
    public var paidAt: Date?
    public var dispensedAt: Date?
    public var deliveredAt: Date?
    public var receivedAt: Date?
    public var pickupCode: String?
    public var carrier: String?
    public var trackingNumber: String?
    public var courierAccountId: UUID?
    public var deliveryStatus: DeliveryStatus?
    public var deliveryNote: String?
    /// Where the medicine goes: the point chosen from, and the patient's address (O2O and B2C).
    public var destination: GeoPoint?
    public var address: String?
    /// The courier's reports, oldest first.
    public var deliveryUpdates: [DeliveryUpdate] = []
}

/// One report of a courier on an O2O delivery.
public struct DeliveryUpdate: Sendable, Hashable, Codable {
    public let status: DeliveryStatus
    public let note: String?
    public let at: Date
}

/// Prescription circulation (issue 17): the pharmacies that can fill an approved prescription, the
/// patient's choice reserving the stock in the same unit of work, payment, expiry of unpaid
/// reservations (`releaseExpired`), dispensing with traceability codes and delivery
/// (`MedicineDelivery.swift`).
public struct MedicineOrderStore: Sendable {
    let database: Database
    let audit: AuditStore
    let ledger: LedgerStore
    let notifications: NotificationStore
    let prescriptions: PrescriptionStore
    let pharmacies: PharmacyStore
    let cipher: FieldCipher
    let settlements: SettlementStore

    public init(database: Database, audit: AuditStore, ledger: LedgerStore, notifications: NotificationStore,
                prescriptions: PrescriptionStore, pharmacies: PharmacyStore, cipher: FieldCipher, settlements: SettlementStore) {
        self.database = database
        self.audit = audit
        self.ledger = ledger
        self.notifications = notifications
        self.prescriptions = prescriptions
        self.pharmacies = pharmacies
        self.cipher = cipher
        self.settlements = settlements
    }

    /// The pharmacies that can fill `prescription` (approved, valid, not yet filled) as seen from
    /// `location`, nearest and cheapest first.
    public func options(for prescription: Prescription, at location: GeoPoint, mode: FulfilmentMode?,
                        now: Date) async throws -> [PharmacyOption] {
        try PrescriptionRules.checkFillable(prescription.state, validUntil: prescription.validUntil, now: now)
        let candidates = try await pharmacies.candidates(holding: prescription.items.map(\.drug.id))
        return PharmacyOptions.options(for: prescription.items.map { ($0.drug, $0.quantity) }, from: candidates,
                                       at: location, mode: mode, now: now)
    }

    /// The patient picks a pharmacy: the order is created and every item's stock reserved in one
    /// unit of work. A reservation is a conditional update (never below what is on hand), so of
    /// concurrent orders for the last packages only as many succeed as there are packages.
    public func reserve(_ prescription: Prescription, at pharmacy: UUID, mode: FulfilmentMode, location: GeoPoint,
                        by account: UUID, context: AuditContext) async throws -> MedicineOrder {
        let items = prescription.items.map { (drug: $0.drug, quantity: $0.quantity) }
        try PrescriptionRules.checkFillable(prescription.state, validUntil: prescription.validUntil, now: context.at)
        try await pharmacies.checkTakingOrders(pharmacy)  // issue 20: a suspended pharmacy gets no new orders
        let candidates = try await pharmacies.candidates(holding: items.map(\.drug.id))
        guard PharmacyOptions.options(for: items, from: candidates, at: location, mode: mode, now: context.at)
            .contains(where: { $0.pharmacy.pharmacyId == pharmacy }) else {
            throw PharmacyOptions.refusal(for: items, at: candidates.first { $0.profile.pharmacyId == pharmacy },
                                          from: location, mode: mode)
        }
        return try await database.unitOfWork { tx in
            try await CredentialStore.holdTakingOrders(pharmacy: pharmacy, in: tx)  // issue 20: nor one racing its suspension
            // The prescription as it stands now, touched so that a void or an expiry racing this
            // choice either happens first (and this one is refused) or finds the order.
            let current = try await tx.sql.raw("""
                UPDATE prescriptions SET updated_at = \(bind: context.at.epochMillis)
                WHERE id = \(bind: prescription.id.text) RETURNING state, valid_until
                """).first()
            try PrescriptionRules.checkFillable(try current?.value("state", as: PrescriptionState.self) ?? .voided,
                                                validUntil: try current?.optionalInstant("valid_until"), now: context.at)
            if mode == .o2o, try await tx.sql.raw("""
                SELECT id FROM accounts WHERE institution_id = \(bind: pharmacy.text) AND role = \(bind: Role.courier.rawValue) LIMIT 1
                """).first() == nil {
                throw DomainError.conflict(code: "no_courier", message: "This pharmacy has no courier to deliver now.")
            }
            // The stock is reserved first, and the bill priced from the rows this reservation
            // locked: a price changed since the options were read is the one charged.
            var lines: [BillLine] = []
            for (drug, quantity) in items {
                guard let reserved = try await tx.sql.raw("""
                    UPDATE pharmacy_stock SET reserved = reserved + \(bind: quantity), updated_at = \(bind: context.at.epochMillis)
                    WHERE pharmacy_id = \(bind: pharmacy.text) AND drug_id = \(bind: drug.id.text)
                      AND on_hand - reserved >= \(bind: quantity)
                    RETURNING price_fen
                    """).first() else {
                    throw DomainError.conflict(code: "stock_insufficient", message: "\(drug.genericNameEn) ran out at this pharmacy.")
                }
                lines.append(try BillLine(drugId: drug.id, quantity: quantity, unitPriceFen: try reserved.int64("price_fen"),
                                          insuranceClass: drug.insuranceClass))
            }
            let order = MedicineOrder(
                id: .v7(at: context.at), prescriptionId: prescription.id, pharmacyId: pharmacy, accountId: account,
                patientId: prescription.patientId, mode: mode, state: .reserved, bill: try Bill(institutionId: pharmacy, lines: lines),
                reservedUntil: context.at.addingTimeInterval(MedicineOrderState.reservationLifetime), createdAt: context.at)
            // The one order that fills the prescription: the unique index refuses a second.
            let inserted = try await tx.sql.raw("""
                INSERT INTO medicine_orders (id, prescription_id, pharmacy_id, account_id, patient_id, mode, state, total_fen,
                                             reserved_until, created_at, updated_at)
                VALUES (\(bind: order.id.text), \(bind: prescription.id.text), \(bind: pharmacy.text), \(bind: account.text),
                        \(bind: prescription.patientId.text), \(bind: mode.rawValue), \(bind: order.state.rawValue),
                        \(bind: order.bill.totalFen), \(bind: order.reservedUntil.epochMillis), \(bind: context.at.epochMillis),
                        \(bind: context.at.epochMillis))
                ON CONFLICT DO NOTHING RETURNING id
                """).first()
            guard inserted != nil else {
                throw DomainError.conflict(code: "prescription_filled", message: "This prescription already has a pharmacy order.")
            }
            // The courier or carrier needs to know where: the point chosen from and the profile's address.
            try await tx.sql.raw("""
                UPDATE medicine_orders SET destination_latitude = \(bind: location.latitude),
                    destination_longitude = \(bind: location.longitude),
                    address_cipher = (SELECT address_cipher FROM patients WHERE id = \(bind: prescription.patientId.text))
                WHERE id = \(bind: order.id.text)
                """).run()
            for (position, line) in order.bill.lines.enumerated() {
                try await tx.sql.raw("""
                    INSERT INTO medicine_order_lines (order_id, position, drug_id, quantity, unit_price_fen, amount_fen, insurance_class)
                    VALUES (\(bind: order.id.text), \(bind: position), \(bind: line.drugId.text), \(bind: line.quantity),
                            \(bind: line.unitPriceFen), \(bind: line.amountFen), \(bind: line.insuranceClass.rawValue))
                    """).run()
            }
            try await prescriptions.trail(.routed, prescription, detail: ["pharmacy": pharmacy.text], context: context, in: tx)
            try await prescriptions.trail(.reserved, prescription, detail: [
                "order": order.id.text, "pharmacy": pharmacy.text, "mode": mode.rawValue, "totalFen": String(order.bill.totalFen),
            ], context: context, in: tx)
            try await EventStore.append(.medicineOrder(.medicineOrderReserved, order.id, state: .reserved, at: context.at), in: tx)
            return order
        }
    }

    /// Pays a reserved order from the patient's wallet, before its reservation runs out; the money
    /// is held until the pharmacy dispenses. A pickup order gets its pickup code.
    public func pay(_ id: UUID, by account: UUID, pickupCode: String, context: AuditContext) async throws -> MedicineOrder {
        try await database.unitOfWork { tx in
            var order = try await owned(id, by: account, in: tx)
            try MedicineOrderRules.checkPayable(order.state, reservedUntil: order.reservedUntil, now: context.at)
            // A prescription voided or expired since the choice is no longer paid for.
            let prescription = try await tx.sql.raw("""
                SELECT state, valid_until FROM prescriptions WHERE id = \(bind: order.prescriptionId.text)
                """).first()
            try PrescriptionRules.checkFillable(try prescription?.value("state", as: PrescriptionState.self) ?? .voided,
                                                validUntil: try prescription?.optionalInstant("valid_until"), now: context.at)
            order.state = try await tx.move("medicine_orders", id: id, from: order.state, by: .pay)
            order.paidAt = context.at
            order.pickupCode = order.mode == .pickup ? pickupCode : nil
            try await tx.sql.raw("""
                UPDATE medicine_orders SET paid_at = \(bind: context.at.epochMillis), pickup_code = \(bind: order.pickupCode),
                    updated_at = \(bind: context.at.epochMillis)
                WHERE id = \(bind: id.text)
                """).run()
            if try await settlements.settle(medicineOrder: id, context: context, in: tx) == nil {
                try await ledger.post(try .transfer(.charge, amountFen: order.bill.totalFen, from: .wallet(account), to: .medicineEscrow,
                                                    medicineOrderId: id), at: context.at, in: tx)
            }
            try await trail(.paid, order, detail: ["totalFen": String(order.bill.totalFen)], context: context, in: tx)
            try await EventStore.append(.medicineOrder(.medicineOrderPaid, id, state: .paid, at: context.at), in: tx)
            return order
        }
    }

    /// Ends an order before it is dispensed: the patient cancels it (a reservation) or withdraws it
    /// (paid: refunded to the wallet), or its pharmacy finds it cannot fill it (paid: refunded).
    /// The reserved stock returns either way, and the prescription may be filled elsewhere.
    public func cancel(_ id: UUID, reason: String?, by caller: Caller, context: AuditContext) async throws -> MedicineOrder {
        try await database.unitOfWork { tx in
            guard var order = try await load(id, in: tx.sql),
                  order.accountId == caller.accountId || (caller.role != .patient && order.pharmacyId == caller.institutionId) else {
                throw DomainError.notFound(resource: "medicine_order")
            }
            let event = try MedicineOrderRules.cancellation(of: order.state, byPharmacy: caller.role != .patient)
            order.state = try await tx.move("medicine_orders", id: id, from: order.state, by: event)
            try await tx.sql.raw("""
                UPDATE medicine_orders SET delivery_note = \(bind: reason), updated_at = \(bind: context.at.epochMillis)
                WHERE id = \(bind: id.text)
                """).run()
            try await releaseStock(of: order, in: tx)
            if event == .refund, try await !settlements.reverse(orderId: nil, medicineOrderId: id, context: context, in: tx) {
                try await ledger.post(try .transfer(.refund, amountFen: order.bill.totalFen, from: .medicineEscrow,
                                                    to: .wallet(order.accountId), medicineOrderId: id), at: context.at, in: tx)
            }
            try await trail(.released, order, detail: ["reason": reason], context: context, in: tx)
            try await EventStore.append(.medicineOrder(.medicineOrderCancelled, id, state: order.state, at: context.at), in: tx)
            return order
        }
    }

    /// Expires every reservation left unpaid past its time and returns its stock (a job under a
    /// lease runs it); returns how many it expired.
    public func releaseExpired(now: Date, context: AuditContext) async throws -> Int {
        let due = try await database.read { sql in
            try await sql.raw("""
                SELECT id FROM medicine_orders WHERE state = \(bind: MedicineOrderState.reserved.rawValue)
                  AND reserved_until <= \(bind: now.epochMillis)
                ORDER BY reserved_until LIMIT 200
                """).all().map { try $0.uuid("id") }
        }
        var expired = 0
        for id in due {
            let done = try await database.unitOfWork { tx -> Bool in
                guard let order = try await load(id, in: tx.sql), order.state == .reserved else { return false }
                // Another server's run may have expired it, or the patient paid at the last moment.
                guard try await tx.transition("medicine_orders", id: id, from: [order.state.rawValue],
                                              to: try order.state.after(.expire).rawValue) else { return false }
                try await releaseStock(of: order, in: tx)
                var ended = order
                ended.state = .expired
                try await trail(.released, ended, detail: [:], context: context, in: tx)
                try await EventStore.append(.medicineOrder(.medicineOrderExpired, id, state: .expired, at: context.at), in: tx)
                return true
            }
            if done { expired += 1 }
        }
        return expired
    }

    func releaseStock(of order: MedicineOrder, in tx: Transaction) async throws {
        for line in order.bill.lines {
            try await tx.sql.raw("""
                UPDATE pharmacy_stock SET reserved = reserved - \(bind: line.quantity)
                WHERE pharmacy_id = \(bind: order.pharmacyId.text) AND drug_id = \(bind: line.drugId.text)
                """).run()
        }
    }

    // MARK: Reading

    /// The order if `caller` may see it: the patient who placed it, staff of its pharmacy, its
    /// courier.
    public func order(_ id: UUID, visibleTo caller: Caller) async throws -> MedicineOrder? {
        guard let order = try await database.read({ try await load(id, in: $0) }) else { return nil }
        switch caller.role {
        case .patient: return order.accountId == caller.accountId ? order : nil
        case .pharmacyStaff, .pharmacist: return order.pharmacyId == caller.institutionId ? order : nil
        case .courier: return order.courierAccountId == caller.accountId ? order : nil
        case .regulator: return order
        default: return nil
        }
    }

    /// A page of a pharmacy's orders in `states`, oldest first, after the cursor's order.
    public func orders(atPharmacy pharmacy: UUID, states: [MedicineOrderState], limit: Int,
                       cursor: String?) async throws -> Page<MedicineOrder> {
        let after = try Cursor.instantAndId(cursor)
        return try await database.read { sql in
            var query: SQLQueryString = """
                SELECT * FROM medicine_orders WHERE pharmacy_id = \(bind: pharmacy.text) AND state IN (\(binds: states.map(\.rawValue)))
                """
            query += Cursor.condition(after: after, column: "created_at")
            query += " ORDER BY created_at, id LIMIT \(literal: limit + 1)"
            var found: [MedicineOrder] = []
            for row in try await sql.raw(query).all() { found.append(try await order(from: row, in: sql)) }
            let page = Array(found.prefix(limit))
            let next = found.count > limit ? page.last.map { Cursor.after(millis: $0.createdAt.epochMillis, id: $0.id) } : nil
            return Page(items: page, nextCursor: next)
        }
    }

    // MARK: Helpers

    /// The order that fills prescription `id` now, if any, with its state.
    static func fillingOrder(of prescription: UUID, in tx: Transaction) async throws -> (id: UUID, state: MedicineOrderState)? {
        guard let row = try await tx.sql.raw("""
            SELECT id, state FROM medicine_orders WHERE prescription_id = \(bind: prescription.text)
              AND state NOT IN ('expired', 'cancelled', 'refunded')
            """).first() else { return nil }
        return (try row.uuid("id"), try row.value("state", as: MedicineOrderState.self))
    }

    /// Cancels an unpaid reservation (its prescription was voided) and returns its stock.
    static func cancelReservation(_ id: UUID, at now: Date, in tx: Transaction) async throws {
        try await tx.move("medicine_orders", id: id, from: MedicineOrderState.reserved, by: .cancel)
        for line in try await tx.sql.raw("""
            SELECT o.pharmacy_id, l.drug_id, l.quantity FROM medicine_order_lines l JOIN medicine_orders o ON o.id = l.order_id
            WHERE l.order_id = \(bind: id.text)
            """).all() {
            try await tx.sql.raw("""
                UPDATE pharmacy_stock SET reserved = reserved - \(bind: try line.decode(column: "quantity", as: Int.self))
                WHERE pharmacy_id = \(bind: try line.text("pharmacy_id")) AND drug_id = \(bind: try line.text("drug_id"))
                """).run()
        }
        try await EventStore.append(.medicineOrder(.medicineOrderCancelled, id, state: .cancelled, at: now), in: tx)
    }

    func owned(_ id: UUID, by account: UUID, in tx: Transaction) async throws -> MedicineOrder {
        guard let order = try await load(id, in: tx.sql), order.accountId == account else {
            throw DomainError.notFound(resource: "medicine_order")
        }
        return order
    }

    func load(_ id: UUID, in sql: any SQLDatabase) async throws -> MedicineOrder? {
        guard let row = try await sql.raw("SELECT * FROM medicine_orders WHERE id = \(bind: id.text)").first() else { return nil }
        return try await order(from: row, in: sql)
    }

    func order(from row: any SQLRow, in sql: any SQLDatabase) async throws -> MedicineOrder {
        let id = try row.uuid("id")
        let lines = try await sql.raw("SELECT * FROM medicine_order_lines WHERE order_id = \(bind: id.text) ORDER BY position")
            .all().map { line in
                try BillLine(drugId: try line.uuid("drug_id"), quantity: try line.decode(column: "quantity", as: Int.self),
                             unitPriceFen: try line.int64("unit_price_fen"),
                             insuranceClass: try line.value("insurance_class", as: InsuranceClass.self))
            }
        let pharmacy = try row.uuid("pharmacy_id")
        return MedicineOrder(
            id: id, prescriptionId: try row.uuid("prescription_id"), pharmacyId: pharmacy, accountId: try row.uuid("account_id"),
            patientId: try row.uuid("patient_id"), mode: try row.value("mode", as: FulfilmentMode.self),
            state: try row.value("state", as: MedicineOrderState.self), bill: try Bill(institutionId: pharmacy, lines: lines),
            reservedUntil: try row.instant("reserved_until"), createdAt: try row.instant("created_at"),
            paidAt: try row.optionalInstant("paid_at"), dispensedAt: try row.optionalInstant("dispensed_at"),
            deliveredAt: try row.optionalInstant("delivered_at"), receivedAt: try row.optionalInstant("received_at"),
            pickupCode: try row.optionalText("pickup_code"), carrier: try row.optionalText("carrier"),
            trackingNumber: try row.optionalText("tracking_number"), courierAccountId: try row.optionalUUID("courier_account_id"),
            deliveryStatus: try row.optionalValue("delivery_status", as: DeliveryStatus.self),
            deliveryNote: try row.optionalText("delivery_note"),
            destination: try row.decode(column: "destination_latitude", as: Double?.self).flatMap { latitude in
                try row.decode(column: "destination_longitude", as: Double?.self).flatMap { try? GeoPoint(latitude: latitude, longitude: $0) }
            },
            // Sealed with the profile's field name: the ciphertext is the profile's, copied.
            address: try row.optionalText("address_cipher").map { try cipher.open($0, field: "address") },
            deliveryUpdates: try await sql.raw("""
                SELECT status, note, at FROM delivery_updates WHERE order_id = \(bind: id.text) ORDER BY at, id
                """).all().map { update in
                    DeliveryUpdate(status: try update.value("status", as: DeliveryStatus.self), note: try update.optionalText("note"),
                                   at: try update.instant("at"))
                })
    }

    /// Appends the order's step to its prescription's trail.
    func trail(_ event: TrailEvent, _ order: MedicineOrder, detail: [String: String?], context: AuditContext,
               in tx: Transaction) async throws {
        guard let prescription = try await prescriptions.load(order.prescriptionId, in: tx.sql) else {
            throw StoredValueError(column: "prescription_id", value: order.prescriptionId.text)
        }
        var facts = detail
        facts["order"] = order.id.text
        facts["orderState"] = order.state.rawValue
        try await prescriptions.trail(event, prescription, detail: facts, context: context, in: tx)
    }
}
