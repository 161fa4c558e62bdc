import Foundation
import MedLoopDomain
import SQLKit

/// A booking as the patient (or guardian) asks for it.
public struct NewOrder: Sendable {
    public var accountId: UUID
    public var patientId: UUID
    public var doctorId: UUID
    public var service: ServiceKind
    public var encounterId: UUID?
    public var guardianPresent: Bool
    /// The red flag triage found in the symptoms given with the booking, if any.
    public var redFlag: String?
    /// Minutes prepaid for a voice or video consultation.
    public var prepaidMinutes: Int?
    /// The slot an in-person appointment takes.
    public var slotId: UUID?
    /// The prescription a refill follow-up renews.
    public var refillOf: UUID?
    /// The internet hospital the patient books an online service at, when the doctor has several.
    public var siteId: UUID?

    public init(accountId: UUID, patientId: UUID, doctorId: UUID, service: ServiceKind, encounterId: UUID?,
                guardianPresent: Bool, redFlag: String? = nil, prepaidMinutes: Int? = nil, slotId: UUID? = nil,
                refillOf: UUID? = nil, siteId: UUID? = nil) {
        self.accountId = accountId
        self.patientId = patientId
        self.doctorId = doctorId
        self.service = service
        self.encounterId = encounterId
        self.guardianPresent = guardianPresent
        self.redFlag = redFlag
        self.prepaidMinutes = prepaidMinutes
        self.slotId = slotId
        self.refillOf = refillOf
        self.siteId = siteId
    }
}

/// Orders and their payment through the sandbox wallet. Every move is a conditional update in one
/// unit of work with its ledger entry and audit entry.
public struct OrderStore: Sendable {
    let database: Database
    let audit: AuditStore
    let ledger: LedgerStore
    let doctors: DoctorStore
    let appointments: AppointmentStore
    let consultations: ConsultationStore
    let settlements: SettlementStore

    public init(database: Database, audit: AuditStore, ledger: LedgerStore, doctors: DoctorStore,
                appointments: AppointmentStore, consultations: ConsultationStore, settlements: SettlementStore) {
        self.database = database
        self.audit = audit
        self.ledger = ledger
        self.doctors = doctors
        self.appointments = appointments
        self.consultations = consultations
        self.settlements = settlements
    }

    /// Places an order after the eligibility rules. A free service is paid at once (it skips
    /// payment but follows every other rule).
    public func place(_ request: NewOrder, context: AuditContext) async throws -> Order {
        guard let profile = try await doctors.profile(request.doctorId), profile.doctor.qualification != .suspended else {
            throw DomainError.notFound(resource: "doctor")
        }
        let today = CalendarDate.shanghai(context.at)
        return try await database.unitOfWork { tx in
            guard let patientRow = try await tx.sql.raw("SELECT birth_date FROM patients WHERE id = \(bind: request.patientId.text)").first(),
                  let birth = CalendarDate(iso: try patientRow.text("birth_date")) else {
                throw DomainError.notFound(resource: "patient")
            }
            // Locks the menu line on PostgreSQL so that racing bookings count the cap one at a time.
            let lock: SQLQueryString = tx.engine == .postgres ? " FOR UPDATE" : ""
            let offer = try await tx.sql.raw("""
                SELECT * FROM doctor_services WHERE doctor_id = \(bind: request.doctorId.text) AND kind = \(bind: request.service.rawValue)\(lock)
                """).first().map { row in
                    ServiceOffer(kind: request.service, priceFen: try row.int64("price_fen"), isPaused: try row.bool("paused"),
                                 dailyCap: Int(try row.int64("daily_cap")))
                }
            let ordersToday = try await tx.sql.raw("""
                SELECT COUNT(*) AS n FROM orders
                WHERE doctor_id = \(bind: request.doctorId.text) AND service = \(bind: request.service.rawValue)
                  AND service_day = \(bind: today.description) AND state NOT IN ('cancelled', 'refunded')
                """).first()?.int64("n") ?? 0
            var encounter: Encounter?
            if let encounterId = request.encounterId {
                guard let found = try await tx.sql.raw("""
                    SELECT * FROM encounters WHERE id = \(bind: encounterId.text) AND patient_id = \(bind: request.patientId.text)
                    """).first().map(EncounterStore.encounter(from:)) else {
                    throw DomainError.invalidField("encounterId", code: "unknown", "No such visit on this patient's record.")
                }
                encounter = found
            }
            let booking = BookingRequest(service: request.service, offer: offer, ordersToday: Int(ordersToday),
                                         encounter: encounter, patientAge: birth.years(until: today),
                                         guardianPresent: request.guardianPresent, redFlag: request.redFlag)
            try Eligibility.check(booking, doctor: profile.doctor, today: today)
            let site = request.service == .appointment ? nil : try PracticeSite.choose(request.siteId, from: profile.doctor.practiceSites)
            if request.service == .appointment {
                guard let slot = request.slotId else {
                    throw DomainError.invalidField("slotId", code: "required", "An in-person appointment takes a time slot.")
                }
                try await appointments.reserve(slot: slot, doctor: request.doctorId, now: context.at, in: tx)
            }
            let isCall = request.service.isMetered
            let minutes = isCall ? try CallMetering.minutes(requested: request.prepaidMinutes) : nil
            let unit = offer!.priceFen
            let price = try minutes.map { try CallMetering.prepaidPriceFen(unitPriceFen: unit, minutes: $0) } ?? unit
            let order = Order(id: .v7(at: context.at), accountId: request.accountId, patientId: request.patientId,
                              doctorId: request.doctorId, service: request.service, priceFen: price,
                              state: price == 0 ? .paid : .created, encounterId: request.encounterId,
                              guardianPresent: request.guardianPresent, createdAt: Date(epochMillis: context.at.epochMillis),
                              paidAt: price == 0 ? Date(epochMillis: context.at.epochMillis) : nil,
                              unitPriceFen: isCall ? unit : nil, prepaidMinutes: minutes)
            try await tx.sql.raw("""
                INSERT INTO orders (id, account_id, patient_id, doctor_id, service, price_fen, state, encounter_id,
                                    guardian_present, service_day, created_at, paid_at, updated_at, unit_price_fen, prepaid_minutes,
                                    slot_id)
                VALUES (\(bind: order.id.text), \(bind: order.accountId.text), \(bind: order.patientId.text),
                        \(bind: order.doctorId.text), \(bind: order.service.rawValue), \(bind: order.priceFen),
                        \(bind: order.state.rawValue), \(bind: order.encounterId?.text), \(bind: order.guardianPresent),
                        \(bind: today.description), \(bind: context.at.epochMillis), \(bind: order.paidAt?.epochMillis),
                        \(bind: context.at.epochMillis), \(bind: order.unitPriceFen), \(bind: order.prepaidMinutes.map(Int64.init)),
                        \(bind: request.service == .appointment ? request.slotId?.text : nil))
                """).run()
            if let site {
                try await tx.sql.raw("UPDATE orders SET site_id = \(bind: site.text) WHERE id = \(bind: order.id.text)").run()
            }
            if let refill = request.refillOf {
                try await tx.sql.raw("""
                    UPDATE orders SET refill_of_prescription_id = \(bind: refill.text) WHERE id = \(bind: order.id.text)
                    """).run()
            }
            // A free service skips payment: its consultation joins the queue at once.
            let queued = order.state == .paid
                ? try await consultations.open(for: order, at: context.at, in: tx) : nil
            try await audit.append(AuditRecord(action: "order.create", resourceType: "order", resourceId: order.id.text,
                                               patientId: order.patientId), context: context, in: tx)
            try await EventStore.append(.order(.orderPlaced, order.id, state: order.state.rawValue, at: context.at), in: tx)
            if let queued {
                try await EventStore.append(.consultation(.consultationQueued, queued, payload: StateChange(state: "waiting"),
                                                          at: context.at), in: tx)
            }
            return order
        }
    }

    /// Pays a created order: an insured patient's bill is settled in the same unit of work (the
    /// wallet pays the cash share only); anyone else's from the wallet in full.
    public func pay(_ id: UUID, by account: UUID, context: AuditContext) async throws -> Order {
        try await database.unitOfWork { tx in
            let order = try await ownedOrder(id, account: account, in: tx)
            try await tx.move("orders", id: id, from: order.state, by: .pay)
            try await tx.sql.raw("UPDATE orders SET paid_at = \(bind: context.at.epochMillis), updated_at = \(bind: context.at.epochMillis) WHERE id = \(bind: id.text)").run()
            if try await settlements.settle(order: id, context: context, in: tx) == nil {
                try await ledger.post(try .transfer(.charge, amountFen: order.priceFen, from: .wallet(account), to: .escrow, orderId: id),
                                      at: context.at, in: tx)
            }
            try await audit.append(AuditRecord(action: "order.pay", resourceType: "order", resourceId: id.text,
                                               patientId: order.patientId), context: context, in: tx)
            var paid = order
            paid.state = .paid
            paid.paidAt = Date(epochMillis: context.at.epochMillis)
            let queued = try await consultations.open(for: paid, at: context.at, in: tx)
            try await EventStore.append(.order(.orderPaid, id, state: OrderState.paid.rawValue, at: context.at), in: tx)
            if let queued {
                try await EventStore.append(.consultation(.consultationQueued, queued, payload: StateChange(state: "waiting"),
                                                          at: context.at), in: tx)
            }
            return paid
        }
    }

    /// Cancels an unpaid order, or refunds a paid one not yet in service, to the wallet.
    public func cancel(_ id: UUID, by account: UUID, context: AuditContext) async throws -> Order {
        try await database.unitOfWork { tx in
            let order = try await ownedOrder(id, account: account, in: tx)
            // Unpaid: cancelled. Paid and not yet in service: refunded (an accepted consultation
            // has put its order in service, so it can no longer be cancelled).
            let target = try await tx.move("orders", id: id, from: order.state, by: .cancel)
            var refundedConsultation: UUID?
            if target == .refunded, let consultation = try await tx.sql.raw("""
                SELECT id, state FROM consultations WHERE order_id = \(bind: id.text)
                """).first() {
                let consultationId = try consultation.uuid("id")
                try await tx.move("consultations", id: consultationId,
                                  from: try consultation.value("state", as: ConsultationState.self), by: .refund)
                refundedConsultation = consultationId
            }
            if let slot = try await tx.sql.raw("SELECT slot_id FROM orders WHERE id = \(bind: id.text)").first()?.optionalUUID("slot_id") {
                try await appointments.release(slot: slot, in: tx)
            }
            if target == .refunded && order.priceFen > 0,
               try await !settlements.reverse(orderId: id, medicineOrderId: nil, context: context, in: tx) {
                try await ledger.post(try .transfer(.refund, amountFen: order.priceFen, from: .escrow, to: .wallet(order.accountId),
                                                    orderId: id), at: context.at, in: tx)
            }
            try await audit.append(AuditRecord(action: "order.\(target.rawValue)", resourceType: "order", resourceId: id.text,
                                               patientId: order.patientId), context: context, in: tx)
            try await EventStore.append(.order(target == .refunded ? .orderRefunded : .orderCancelled, id, state: target.rawValue,
                                               at: context.at), in: tx)
            if let refundedConsultation {
                try await EventStore.append(.consultation(.consultationRefunded, refundedConsultation,
                                                          payload: StateChange(state: "refunded"), at: context.at), in: tx)
            }
            var changed = order
            changed.state = target
            return changed
        }
    }

    public func order(_ id: UUID) async throws -> Order? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM orders WHERE id = \(bind: id.text)").first().map(Self.order(from:))
        }
    }

    /// The orders an account placed, newest first.
    public func orders(of account: UUID, limit: Int, cursor: String?) async throws -> Page<Order> {
        var condition: SQLQueryString = "account_id = \(bind: account.text)"
        if let cursor { condition += " AND id < \(bind: try Cursor.decode(cursor))" }
        let whereClause = condition
        let orders = try await database.read { sql in
            try await sql.raw("SELECT * FROM orders WHERE \(whereClause) ORDER BY id DESC LIMIT \(literal: limit + 1)")
                .all().map(Self.order(from:))
        }
        let next = orders.count > limit ? orders[limit - 1].id.text : nil
        return Page(items: Array(orders.prefix(limit)), nextCursor: next.map(Cursor.encode))
    }

    /// Credits a wallet from the sandbox payment provider.
    public func topUp(_ account: UUID, amountFen: Int64, context: AuditContext) async throws -> Int64 {
        try TopUpRule.check(amountFen)
        try await database.unitOfWork { tx in
            try await ledger.post(try .transfer(.topUp, amountFen: amountFen, from: .sandboxGateway, to: .wallet(account)),
                                  at: context.at, in: tx)
            try await audit.append(AuditRecord(action: "wallet.top_up", resourceType: "wallet", resourceId: account.text),
                                   context: context, in: tx)
        }
        return try await ledger.balance(of: .wallet(account))
    }

    /// The order, if `account` placed it; anyone else is told there is no such order.
    private func ownedOrder(_ id: UUID, account: UUID, in tx: Transaction) async throws -> Order {
        guard let order = try await tx.sql.raw("SELECT * FROM orders WHERE id = \(bind: id.text)").first().map(Self.order(from:)),
              order.accountId == account else {
            throw DomainError.notFound(resource: "order")
        }
        return order
    }

    static func order(from row: any SQLRow) throws -> Order {
        Order(id: try row.uuid("id"), accountId: try row.uuid("account_id"), patientId: try row.uuid("patient_id"),
              doctorId: try row.uuid("doctor_id"), service: try row.value("service", as: ServiceKind.self),
              priceFen: try row.int64("price_fen"), state: try row.value("state", as: OrderState.self),
              encounterId: try row.optionalUUID("encounter_id"), guardianPresent: try row.bool("guardian_present"),
              createdAt: try row.instant("created_at"), paidAt: try row.optionalInstant("paid_at"),
              unitPriceFen: try row.optionalInt64("unit_price_fen"), prepaidMinutes: try row.optionalInt64("prepaid_minutes").map(Int.init))
    }
}
