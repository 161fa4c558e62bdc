import Foundation
import MedLoopDomain
import SQLKit

/// In-person appointments: doctors open slots at their hospital; a booked slot is held by its
/// order; the visit's diagnosis becomes an encounter that later online follow-ups rest on.
public struct AppointmentStore: Sendable {
    let database: Database
    let audit: AuditStore
    let ledger: LedgerStore
    let doctors: DoctorStore

    public init(database: Database, audit: AuditStore, ledger: LedgerStore, doctors: DoctorStore) {
        self.database = database
        self.audit = audit
        self.ledger = ledger
        self.doctors = doctors
    }

    /// Opens a slot for `doctor` at their physical hospital.
    public func openSlot(doctor: UUID, startsAt: Date, minutes: Int, capacity: Int, context: AuditContext) async throws -> AppointmentSlot {
        try AppointmentSlot.validate(startsAt: startsAt, minutes: minutes, capacity: capacity, now: context.at)
        return try await database.unitOfWork { tx in
            guard let row = try await tx.sql.raw("""
                SELECT d.hospital_id, i.kind FROM doctors d JOIN institutions i ON i.id = d.hospital_id WHERE d.id = \(bind: doctor.text)
                """).first() else { throw DomainError.notFound(resource: "doctor") }
            guard try row.value("kind", as: InstitutionKind.self) == .physicalHospital else {
                throw DomainError.refused(code: "no_physical_hospital", message: "Only doctors of a physical hospital see patients in person.")
            }
            let slot = AppointmentSlot(id: .v7(at: context.at), doctorId: doctor, hospitalId: try row.uuid("hospital_id"),
                                       startsAt: Date(epochMillis: startsAt.epochMillis),
                                       endsAt: Date(epochMillis: startsAt.addingTimeInterval(TimeInterval(minutes * 60)).epochMillis),
                                       capacity: capacity, booked: 0)
            try await tx.sql.raw("""
                INSERT INTO appointment_slots (id, doctor_id, hospital_id, starts_at, ends_at, capacity, booked)
                VALUES (\(bind: slot.id.text), \(bind: doctor.text), \(bind: slot.hospitalId.text), \(bind: slot.startsAt.epochMillis),
                        \(bind: slot.endsAt.epochMillis), \(bind: capacity), 0)
                """).run()
            try await audit.append(AuditRecord(action: "doctor.slot.open", resourceType: "appointment_slot", resourceId: slot.id.text),
                                   context: context, in: tx)
            return slot
        }
    }

    /// A doctor's slots that have not started yet and are not cancelled, soonest first.
    public func upcomingSlots(doctor: UUID, now: Date) async throws -> [AppointmentSlot] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM appointment_slots
                WHERE doctor_id = \(bind: doctor.text) AND starts_at > \(bind: now.epochMillis) AND cancelled_at IS NULL
                ORDER BY starts_at LIMIT 200
                """).all().map(Self.slot(from:))
        }
    }

    /// Gives a slot of `doctor` room for `capacity` patients. The update is conditional on the
    /// slot being open and on `booked <= capacity`, so a booking racing for a place either lands
    /// first (and is counted against the new capacity) or sees the new capacity.
    public func setCapacity(_ capacity: Int, ofSlot id: UUID, doctor: UUID, context: AuditContext) async throws -> AppointmentSlot {
        try AppointmentSlot.validate(capacity: capacity)
        let now = context.at
        return try await database.unitOfWork { tx in
            guard let row = try await tx.sql.raw("""
                UPDATE appointment_slots SET capacity = \(bind: capacity)
                WHERE id = \(bind: id.text) AND doctor_id = \(bind: doctor.text) AND cancelled_at IS NULL
                  AND starts_at > \(bind: now.epochMillis) AND booked <= \(bind: capacity)
                RETURNING *
                """).first() else {
                try await ownSlot(id, doctor: doctor, in: tx).checkCapacityChange(to: capacity, now: now)
                throw AppointmentSlot.capacityBelowBooked
            }
            try await audit.append(AuditRecord(action: "doctor.slot.capacity", resourceType: "appointment_slot", resourceId: id.text),
                                   context: context, in: tx)
            return try Self.slot(from: row)
        }
    }

    /// Cancels a slot of `doctor` that nobody has booked and that has not begun. The update is
    /// conditional on `booked = 0`, so of a cancel and a racing booking only one wins.
    public func cancelSlot(_ id: UUID, doctor: UUID, context: AuditContext) async throws {
        let now = context.at
        try await database.unitOfWork { tx in
            let cancelled = try await tx.sql.raw("""
                UPDATE appointment_slots SET cancelled_at = \(bind: now.epochMillis)
                WHERE id = \(bind: id.text) AND doctor_id = \(bind: doctor.text) AND cancelled_at IS NULL
                  AND starts_at > \(bind: now.epochMillis) AND booked = 0
                RETURNING id
                """).first()
            guard cancelled != nil else {
                try await ownSlot(id, doctor: doctor, in: tx).checkCancellable(now: now)
                throw AppointmentSlot.hasBookings
            }
            try await audit.append(AuditRecord(action: "doctor.slot.cancel", resourceType: "appointment_slot", resourceId: id.text),
                                   context: context, in: tx)
        }
    }

    /// A slot of `doctor`, read inside `tx` to say why a change was refused; another doctor's
    /// slot is one they may not know of (404).
    private func ownSlot(_ id: UUID, doctor: UUID, in tx: Transaction) async throws -> AppointmentSlot {
        guard let row = try await tx.sql.raw("""
            SELECT * FROM appointment_slots WHERE id = \(bind: id.text) AND doctor_id = \(bind: doctor.text)
            """).first() else { throw DomainError.notFound(resource: "slot") }
        return try Self.slot(from: row)
    }

    /// Takes one place in a slot for a booking, inside the order's transaction. Of racing bookings
    /// for the last place only one wins; the others get 409 `slot_full`. A cancelled slot takes
    /// no booking (409 `slot_cancelled`).
    func reserve(slot: UUID, doctor: UUID, now: Date, in tx: Transaction) async throws {
        let taken = try await tx.sql.raw("""
            UPDATE appointment_slots SET booked = booked + 1
            WHERE id = \(bind: slot.text) AND doctor_id = \(bind: doctor.text) AND booked < capacity AND starts_at > \(bind: now.epochMillis)
              AND cancelled_at IS NULL
            RETURNING id
            """).first()
        guard taken == nil else { return }
        guard let row = try await tx.sql.raw("SELECT * FROM appointment_slots WHERE id = \(bind: slot.text) AND doctor_id = \(bind: doctor.text)").first() else {
            throw DomainError.invalidField("slotId", code: "unknown", "This doctor has no such slot.")
        }
        try Self.slot(from: row).checkBookable(now: now)
        throw AppointmentSlot.full
    }

    /// Gives back the place of a cancelled booking.
    func release(slot: UUID, in tx: Transaction) async throws {
        try await tx.sql.raw("UPDATE appointment_slots SET booked = booked - 1 WHERE id = \(bind: slot.text) AND booked > 0").run()
    }

    /// The doctor records the visit of a paid appointment: the order completes, the fee is split,
    /// and the diagnosis is kept as an in-person encounter on the patient's record.
    public func recordVisit(order id: UUID, byDoctorAccount account: UUID, diagnosis: ICD10Code,
                            context: AuditContext) async throws -> Encounter {
        try await database.unitOfWork { tx in
            guard let row = try await tx.sql.raw("""
                SELECT o.*, d.account_id AS doctor_account_id, s.hospital_id AS slot_hospital_id, s.starts_at AS slot_starts_at,
                       i.commission_rate_bp
                FROM orders o JOIN doctors d ON d.id = o.doctor_id JOIN institutions i ON i.id = d.hospital_id
                LEFT JOIN appointment_slots s ON s.id = o.slot_id
                WHERE o.id = \(bind: id.text)
                """).first(), try row.optionalUUID("doctor_account_id") == account else {
                throw DomainError.notFound(resource: "order")
            }
            let order = try OrderStore.order(from: row)
            guard order.service == .appointment, let hospital = try row.optionalUUID("slot_hospital_id"),
                  let startsAt = try row.optionalInstant("slot_starts_at") else {
                throw DomainError.conflict(code: "not_an_appointment", message: "This order is not an in-person appointment.")
            }
            guard context.at >= startsAt else {
                throw DomainError.conflict(code: "visit_not_started", message: "The appointment has not begun yet.")
            }
            // The visit starts and ends the service: paid → in service → completed.
            let inService = try await tx.move("orders", id: id, from: order.state, by: .startService)
            try await tx.move("orders", id: id, from: inService, by: .complete)
            if order.priceFen > 0 {
                let split = try CommissionSplit(feeFen: order.priceFen, rateBasisPoints: Int(try row.int64("commission_rate_bp")))
                try await ledger.post(try split.settlement(doctor: order.doctorId, orderId: id), at: context.at, in: tx)
            }
            let encounter = Encounter(id: .v7(at: context.at), patientId: order.patientId, hospitalId: hospital,
                                      date: CalendarDate.shanghai(startsAt), icd10: diagnosis, source: .medloopAppointment)
            try await tx.sql.raw("""
                INSERT INTO encounters (id, patient_id, hospital_id, visit_date, icd10, source, created_at)
                VALUES (\(bind: encounter.id.text), \(bind: encounter.patientId.text), \(bind: hospital.text),
                        \(bind: encounter.date.description), \(bind: diagnosis.value), \(bind: encounter.source.rawValue),
                        \(bind: context.at.epochMillis))
                """).run()
            try await tx.sql.raw("""
                UPDATE doctors SET consultations = consultations + 1, patients_served = patients_served + 1 WHERE id = \(bind: order.doctorId.text)
                """).run()
            try await doctors.refreshRank(of: order.doctorId, in: tx)
            try await audit.append(AuditRecord(action: "appointment.visit", resourceType: "order", resourceId: id.text,
                                               patientId: order.patientId), context: context, in: tx)
            try await EventStore.append(.order(.orderCompleted, id, state: OrderState.completed.rawValue, at: context.at), in: tx)
            try await EventStore.append(.doctorChanged(order.doctorId, .counters, at: context.at), in: tx)
            return encounter
        }
    }

    static func slot(from row: any SQLRow) throws -> AppointmentSlot {
        AppointmentSlot(id: try row.uuid("id"), doctorId: try row.uuid("doctor_id"), hospitalId: try row.uuid("hospital_id"),
                        startsAt: try row.instant("starts_at"), endsAt: try row.instant("ends_at"),
                        capacity: Int(try row.int64("capacity")), booked: Int(try row.int64("booked")),
                        cancelledAt: try row.optionalInstant("cancelled_at"))
    }
}
