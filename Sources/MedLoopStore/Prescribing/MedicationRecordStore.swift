import Foundation
import MedLoopDomain
import SQLKit

/// The patient's medication record and refills, from their effective prescriptions.
extension PrescriptionStore {
    /// The patient's medications, most recent first: each item of an approved or dispensed
    /// prescription, its supply counted from the day it was dispensed (or approved, until then).
    public func medicationRecord(of patient: UUID, at now: Date) async throws -> [MedicationEntry] {
        let effective = try await database.read { sql in
            var found: [(prescription: Prescription, startsOn: CalendarDate)] = []
            for row in try await sql.raw("""
                SELECT p.*, (SELECT MAX(o.dispensed_at) FROM medicine_orders o WHERE o.prescription_id = p.id) AS dispensed_at
                FROM prescriptions p WHERE p.patient_id = \(bind: patient.text) AND p.state IN ('approved', 'dispensed')
                ORDER BY p.signed_at DESC LIMIT 200
                """).all() {
                let prescription = try await prescription(from: row, in: sql)
                let start = try row.optionalInstant("dispensed_at") ?? prescription.reviewedAt ?? prescription.createdAt
                found.append((prescription, .shanghai(start)))
            }
            return found
        }
        return MedicationRecord.entries(effective, today: .shanghai(now), isChronic: ChronicConditions.isChronic)
    }

    /// The follow-up that renews `prescription` for `caller`: the same doctor, resting on the same
    /// prior in-person visit, naming the prescription it renews.
    ///
    /// - Throws: 422 `not_refillable` unless one of its medications is chronic and active or ended
    ///   within the refill window.
    public func refill(_ prescription: Prescription, for caller: Caller, at now: Date) async throws -> NewOrder {
        let entries = try await medicationRecord(of: prescription.patientId, at: now)
        guard entries.contains(where: { $0.prescriptionId == prescription.id && $0.isRefillable }) else {
            throw DomainError.refused(code: "not_refillable",
                                      message: "Only a chronic medication, taken now or within the last 30 days, is refilled.")
        }
        return try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT c.doctor_id, o.encounter_id FROM consultations c JOIN orders o ON o.id = c.order_id
                WHERE c.id = \(bind: prescription.consultationId.text)
                """).first() else { throw DomainError.notFound(resource: "consultation") }
            return NewOrder(accountId: caller.accountId, patientId: prescription.patientId, doctorId: try row.uuid("doctor_id"),
                            service: .textPackage, encounterId: try row.optionalUUID("encounter_id"), guardianPresent: false,
                            refillOf: prescription.id)
        }
    }
}

extension PrescriptionStore {
    /// Expires the signed or approved prescriptions whose validity ended before they were filled
    /// (a job under a lease runs it); one that has a pharmacy order under way is left to it.
    public func expireLapsed(now: Date, context: AuditContext) async throws -> Int {
        let due = try await database.read { sql in
            try await sql.raw("""
                SELECT p.id FROM prescriptions p WHERE p.state IN ('signed', 'approved') AND p.valid_until <= \(bind: now.epochMillis)
                  AND NOT EXISTS (SELECT 1 FROM medicine_orders o WHERE o.prescription_id = p.id
                                  AND o.state NOT IN ('expired', 'cancelled', 'refunded'))
                ORDER BY p.valid_until LIMIT 200
                """).all().map { try $0.uuid("id") }
        }
        var expired = 0
        for id in due {
            let done = try await database.unitOfWork { tx -> Bool in
                guard var prescription = try await load(id, in: tx.sql),
                      let next = try? prescription.state.after(.expire),
                      try await tx.transition("prescriptions", id: id, from: [prescription.state.rawValue], to: next.rawValue)
                else { return false }
                prescription.state = next
                try await trail(.expired, prescription, detail: [:], context: context, in: tx)
                try await EventStore.append(.prescription(.prescriptionExpired, id, state: next, at: context.at), in: tx)
                return true
            }
            if done { expired += 1 }
        }
        return expired
    }
}
