import Foundation
import MedLoopDomain
import SQLKit

/// The life of consultations: opened when an order is paid, queued, accepted, completed with the
/// fee split into commission and doctor earnings, or refunded when nobody accepted in time
/// (`ConsultationRefunds.swift`); their calls (`ConsultationCalls.swift`) and invited doctors
/// (`ConsultationInvitations.swift`) are extensions of this store.
public struct ConsultationStore: Sendable {
    let database: Database
    let audit: AuditStore
    let ledger: LedgerStore
    let notifications: NotificationStore
    let doctors: DoctorStore
    let settlements: SettlementStore

    public init(database: Database, audit: AuditStore, ledger: LedgerStore, notifications: NotificationStore,
                doctors: DoctorStore, settlements: SettlementStore) {
        self.database = database
        self.audit = audit
        self.ledger = ledger
        self.notifications = notifications
        self.doctors = doctors
        self.settlements = settlements
    }

    /// Opens the consultation of a paid order for an online service (inside the payment's
    /// transaction) and returns its id. In-person appointments have none.
    @discardableResult
    func open(for order: Order, at now: Date, in tx: Transaction) async throws -> UUID? {
        guard order.service != .appointment else { return nil }
        let id = UUID.v7(at: now)
        let doctorAccount = try await tx.sql.raw("SELECT account_id FROM doctors WHERE id = \(bind: order.doctorId.text)")
            .first()?.optionalText("account_id")
        try await tx.sql.raw("""
            INSERT INTO consultations (id, order_id, account_id, patient_id, doctor_id, doctor_account_id, service, state, queued_at)
            VALUES (\(bind: id.text), \(bind: order.id.text), \(bind: order.accountId.text),
                    \(bind: order.patientId.text), \(bind: order.doctorId.text), \(bind: doctorAccount),
                    \(bind: order.service.rawValue), \(bind: ConsultationState.waiting.rawValue), \(bind: now.epochMillis))
            """).run()
        try await notifyTurnsNear(doctor: order.doctorId, at: now, in: tx)
        return id
    }

    /// Tells the patients now at the head of a doctor's queue, once each, that their turn is near.
    func notifyTurnsNear(doctor: UUID, at now: Date, in tx: Transaction) async throws {
        let head = try await tx.sql.raw("""
            SELECT id, account_id, turn_notified_at FROM consultations
            WHERE doctor_id = \(bind: doctor.text) AND state = \(bind: ConsultationState.waiting.rawValue)
            ORDER BY queued_at, id LIMIT \(literal: NotificationKind.turnNearPosition)
            """).all()
        for row in head where try row.optionalInt64("turn_notified_at") == nil {
            let id = try row.text("id")
            try await tx.sql.raw("UPDATE consultations SET turn_notified_at = \(bind: now.epochMillis) WHERE id = \(bind: id)").run()
            try await notifications.notify(try row.uuid("account_id"), kind: .queueTurnNear, subjectType: "consultation",
                                           subjectId: id, at: now, in: tx)
        }
    }

    public func consultation(_ id: UUID) async throws -> Consultation? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM consultations WHERE id = \(bind: id.text)").first().map(Self.consultation(from:))
        }
    }

    public func consultation(order: UUID) async throws -> Consultation? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM consultations WHERE order_id = \(bind: order.text)").first().map(Self.consultation(from:))
        }
    }

    /// A doctor's waiting patients, first paid first.
    public func queue(doctor: UUID) async throws -> [Consultation] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM consultations WHERE doctor_id = \(bind: doctor.text) AND state = \(bind: ConsultationState.waiting.rawValue)
                ORDER BY queued_at, id
                """).all().map(Self.consultation(from:))
        }
    }

    /// A doctor's consultations in `state`, first queued first, a page at a time (walks
    /// `consultations_queue`).
    public func consultations(doctor: UUID, state: ConsultationState, limit: Int, cursor: String?) async throws -> Page<Consultation> {
        var condition: SQLQueryString = ""
        if let cursor {
            let parts = try Cursor.decode(cursor).split(separator: " ")
            guard parts.count == 2, let queuedAt = Int64(parts[0]) else {
                throw DomainError.invalidField("cursor", code: "invalid", "The cursor is not one this server gave out.")
            }
            condition = " AND (queued_at > \(bind: queuedAt) OR (queued_at = \(bind: queuedAt) AND id > \(bind: String(parts[1]))))"
        }
        let after = condition
        let rows = try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM consultations WHERE doctor_id = \(bind: doctor.text) AND state = \(bind: state.rawValue)\(after)
                ORDER BY queued_at, id LIMIT \(literal: limit + 1)
                """).all().map(Self.consultation(from:))
        }
        let next = rows.count > limit ? rows[limit - 1] : nil
        return Page(items: Array(rows.prefix(limit)),
                    nextCursor: next.map { Cursor.encode("\($0.queuedAt.epochMillis) \($0.id.text)") })
    }

    /// Where a waiting consultation stands in its doctor's queue.
    public func position(of consultation: Consultation) async throws -> QueuePosition? {
        guard consultation.state == .waiting else { return nil }
        return try await database.read { sql in
            let ahead = try await sql.raw("""
                SELECT COUNT(*) AS n FROM consultations
                WHERE doctor_id = \(bind: consultation.doctorId.text) AND state = \(bind: ConsultationState.waiting.rawValue)
                  AND (queued_at < \(bind: consultation.queuedAt.epochMillis)
                       OR (queued_at = \(bind: consultation.queuedAt.epochMillis) AND id < \(bind: consultation.id.text)))
                """).first()?.int64("n") ?? 0
            let doctor = try await sql.raw("SELECT reply_seconds_total, replies FROM doctors WHERE id = \(bind: consultation.doctorId.text)").first()
            let replies = try doctor?.int64("replies") ?? 0
            let average = replies == 0 ? nil : Int(try doctor!.int64("reply_seconds_total") / replies)
            return QueuePosition(index: Int(ahead), averageReplySeconds: average)
        }
    }

    /// The doctor accepts a waiting consultation: it becomes active, a text package's 48-hour
    /// window opens, and the order is in service.
    public func accept(_ id: UUID, byDoctorAccount account: UUID, context: AuditContext) async throws -> Consultation {
        try await database.unitOfWork { tx in
            var consultation = try await participantConsultation(id, account: account, doctorOnly: true, in: tx)
            try await checkPractising(consultation.doctorId, in: tx)  // a suspended doctor accepts nothing (issue 20)
            // The time to accept counts as the doctor's reply time. The doctor's row is locked
            // before any consultation: an acceptance also marks the waiting ones at the head of
            // the queue, so two acceptances at once that took their own consultation first would
            // each wait for the other's.
            let waited = max(0, Int64(context.at.timeIntervalSince(consultation.queuedAt)))
            try await tx.sql.raw("""
                UPDATE doctors SET reply_seconds_total = reply_seconds_total + \(bind: waited), replies = replies + 1
                WHERE id = \(bind: consultation.doctorId.text)
                """).run()
            try await tx.move("consultations", id: id, from: consultation.state, by: .accept)
            let closesAt = consultation.service == .textPackage
                ? context.at.addingTimeInterval(TimeInterval(ServiceKind.textPackageWindow)) : nil
            try await tx.sql.raw("""
                UPDATE consultations SET accepted_at = \(bind: context.at.epochMillis), closes_at = \(bind: closesAt?.epochMillis)
                WHERE id = \(bind: id.text)
                """).run()
            try await tx.move("orders", id: consultation.orderId, from: try await orderState(consultation.orderId, in: tx),
                              by: .startService)
            try await audit.append(AuditRecord(action: "consultation.accept", resourceType: "consultation", resourceId: id.text,
                                               patientId: consultation.patientId), context: context, in: tx)
            try await notifications.notify(consultation.accountId, kind: .consultationAccepted, subjectType: "consultation",
                                           subjectId: id.text, at: context.at, in: tx)
            try await notifyTurnsNear(doctor: consultation.doctorId, at: context.at, in: tx)
            try await EventStore.append(.consultation(.consultationAccepted, id, payload: StateChange(state: "active"),
                                                      at: context.at), in: tx)
            try await EventStore.append(.doctorChanged(consultation.doctorId, .counters, at: context.at), in: tx)
            consultation.state = .active
            consultation.acceptedAt = Date(epochMillis: context.at.epochMillis)
            consultation.closesAt = closesAt.map { Date(epochMillis: $0.epochMillis) }
            return consultation
        }
    }

    /// The doctor ends an active consultation with a diagnosis: the order completes and its fee
    /// leaves escrow, split between the platform's commission (the institution's rate) and the
    /// doctor's earnings.
    public func complete(_ id: UUID, byDoctorAccount account: UUID, diagnosis: ICD10Code, notes: String?,
                         outcome: ConsultationOutcome, context: AuditContext) async throws -> Consultation {
        try await database.unitOfWork { tx in
            var consultation = try await participantConsultation(id, account: account, doctorOnly: true, in: tx)
            try await tx.move("consultations", id: id, from: consultation.state, by: .complete)
            try await tx.sql.raw("""
                UPDATE consultations SET completed_at = \(bind: context.at.epochMillis), diagnosis_icd10 = \(bind: diagnosis.value),
                    notes = \(bind: notes), outcome = \(bind: outcome.rawValue)
                WHERE id = \(bind: id.text)
                """).run()
            try await tx.move("orders", id: consultation.orderId, from: try await orderState(consultation.orderId, in: tx),
                              by: .complete)
            let row = try await tx.sql.raw("""
                SELECT o.price_fen, o.unit_price_fen, o.prepaid_minutes, o.account_id, i.commission_rate_bp FROM orders o
                JOIN doctors d ON d.id = o.doctor_id JOIN institutions i ON i.id = d.hospital_id
                WHERE o.id = \(bind: consultation.orderId.text)
                """).first()
            var fee = try row?.int64("price_fen") ?? 0
            if let row, let unit = try row.optionalInt64("unit_price_fen"), let prepaid = try row.optionalInt64("prepaid_minutes") {
                // A call still open ends with the consultation; the minutes used are charged, the rest refunded.
                let used = try await closeCalls(id, at: context.at, in: tx)
                let (charge, refund) = CallMetering.settle(usedMinutes: used, prepaidMinutes: prepaid, unitPriceFen: unit)
                if refund > 0 {
                    try await ledger.post(try .transfer(.refund, amountFen: refund, from: .escrow,
                                                        to: .wallet(try row.uuid("account_id")), orderId: consultation.orderId),
                                          at: context.at, in: tx)
                }
                fee = charge
            }
            if fee > 0 {
                let rate = try row?.optionalInt64("commission_rate_bp").map(Int.init) ?? CommissionSplit.defaultRateBasisPoints
                let split = try CommissionSplit(feeFen: fee, rateBasisPoints: rate)
                try await ledger.post(try split.settlement(doctor: consultation.doctorId, orderId: consultation.orderId),
                                      at: context.at, in: tx)
            }
            // A patient counts once per doctor; every consultation counts.
            let seenBefore = try await tx.sql.raw("""
                SELECT id FROM consultations WHERE doctor_id = \(bind: consultation.doctorId.text)
                  AND patient_id = \(bind: consultation.patientId.text) AND state = \(bind: ConsultationState.completed.rawValue)
                  AND id <> \(bind: id.text)
                LIMIT 1
                """).first() != nil
            let department = try await tx.sql.raw("""
                UPDATE doctors SET consultations = consultations + 1, patients_served = patients_served + \(bind: seenBefore ? 0 : 1)
                WHERE id = \(bind: consultation.doctorId.text) RETURNING department
                """).first()?.text("department")
            if let department {
                try await DoctorVolumes.count(.consultations, doctor: consultation.doctorId, department: department, at: context.at, in: tx)
            }
            try await doctors.refreshRank(of: consultation.doctorId, in: tx)
            try await audit.append(AuditRecord(action: "consultation.complete", resourceType: "consultation", resourceId: id.text,
                                               patientId: consultation.patientId), context: context, in: tx)
            try await EventStore.append(.consultation(.consultationCompleted, id, payload: StateChange(state: "completed"),
                                                      at: context.at), in: tx)
            try await EventStore.append(.doctorChanged(consultation.doctorId, .counters, at: context.at), in: tx)
            consultation.state = .completed
            consultation.completedAt = Date(epochMillis: context.at.epochMillis)
            consultation.diagnosis = diagnosis
            consultation.notes = notes
            consultation.outcome = outcome
            return consultation
        }
    }

    /// The state of an order, read inside the unit of work that moves it.
    func orderState(_ order: UUID, in tx: Transaction) async throws -> OrderState {
        guard let state = try await tx.sql.raw("SELECT state FROM orders WHERE id = \(bind: order.text)").first()?
            .value("state", as: OrderState.self) else { throw DomainError.notFound(resource: "order") }
        return state
    }

    /// The consultation, if `account` takes part in it (or is its doctor, with `doctorOnly`);
    /// anyone else is told there is no such consultation.
    func participantConsultation(_ id: UUID, account: UUID, doctorOnly: Bool = false, in tx: Transaction) async throws -> Consultation {
        guard let consultation = try await tx.sql.raw("SELECT * FROM consultations WHERE id = \(bind: id.text)").first()
            .map(Self.consultation(from:)) else { throw DomainError.notFound(resource: "consultation") }
        if doctorOnly {
            guard consultation.doctorAccountId == account else {
                throw consultation.isParticipant(account)
                    ? DomainError.forbidden(code: "forbidden", message: "Only the doctor may do this.")
                    : DomainError.notFound(resource: "consultation")
            }
        } else if !consultation.isParticipant(account) {
            let invited = try await tx.sql.raw("""
                SELECT doctor_id FROM consultation_invitations
                WHERE consultation_id = \(bind: id.text) AND doctor_account_id = \(bind: account.text)
                """).first()
            if invited == nil { throw DomainError.notFound(resource: "consultation") }
        }
        return consultation
    }

    /// The consultation, if `account` is its patient, its doctor or an invited doctor.
    public func consultation(_ id: UUID, visibleTo account: UUID) async throws -> Consultation? {
        guard let consultation = try await consultation(id) else { return nil }
        if consultation.isParticipant(account) { return consultation }
        let invited = try await database.read { sql in
            try await sql.raw("""
                SELECT doctor_id FROM consultation_invitations
                WHERE consultation_id = \(bind: id.text) AND doctor_account_id = \(bind: account.text)
                """).first()
        }
        return invited == nil ? nil : consultation
    }

    static func consultation(from row: any SQLRow) throws -> Consultation {
        Consultation(
            id: try row.uuid("id"), orderId: try row.uuid("order_id"), accountId: try row.uuid("account_id"),
            patientId: try row.uuid("patient_id"), doctorId: try row.uuid("doctor_id"),
            doctorAccountId: try row.optionalUUID("doctor_account_id"), service: try row.value("service", as: ServiceKind.self),
            state: try row.value("state", as: ConsultationState.self), queuedAt: try row.instant("queued_at"),
            acceptedAt: try row.optionalInstant("accepted_at"), closesAt: try row.optionalInstant("closes_at"),
            completedAt: try row.optionalInstant("completed_at"),
            diagnosis: try row.optionalText("diagnosis_icd10").map { try ICD10Code($0) }, notes: try row.optionalText("notes"),
            outcome: try row.optionalValue("outcome", as: ConsultationOutcome.self))
    }
}
