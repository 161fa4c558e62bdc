import Foundation
import MedLoopDomain
import SQLKit

/// The patient's medication record and refills, from their effective prescriptions.
extension PrescriptionStore {
    /// The patient's medications, most recent first: each item of an approved or dispensed
    /// prescription, its supply counted from the day it was dispensed (or approved, until then).
    public func medicationRecord(of patient: UUID, at now: Date) async throws -> [MedicationEntry] {
        let effective = try await database.read { sql in
            let rows = try await sql.raw(Self.medicationRecordQuery(of: patient)).all()
            return try zip(rows, try await prescriptions(from: rows, in: sql)).map { row, prescription in
                (prescription: prescription, startsOn: MedicationRecord.supplyStart(
                    dispensedAt: try row.optionalInstant("dispensed_at"), reviewedAt: prescription.reviewedAt,
                    createdAt: prescription.createdAt))
            }
        }
        return MedicationRecord.entries(effective, today: .shanghai(now), isChronic: ChronicConditions.isChronic)
    }

    /// The drugs `patient` takes now, as the medication record counts them: the items of effective
    /// prescriptions whose supply covers today. The clinical checks ask this inside the unit of
    /// work of every draft, override and signature, so it reads each item's drug and days, not
    /// whole prescriptions.
    func activeMedications(of patient: UUID, at now: Date, in sql: any SQLDatabase) async throws -> [Drug] {
        let supplies = try await sql.raw(Self.supplyQuery(of: patient)).all().map { row in
            MedicationRecord.Supply(
                prescriptionId: try row.uuid("prescription_id"), position: try row.decode(column: "position", as: Int.self),
                drugId: try row.uuid("drug_id"),
                startsOn: MedicationRecord.supplyStart(dispensedAt: try row.optionalInstant("dispensed_at"),
                                                       reviewedAt: try row.optionalInstant("reviewed_at"),
                                                       createdAt: try row.instant("created_at")),
                days: try row.decode(column: "days", as: Int.self))
        }
        return MedicationRecord.activeDrugs(supplies, today: .shanghai(now)).compactMap { formulary.catalogue.drug($0) }
    }

    /// The items of the prescriptions `medicationRecordQuery` reads, each with its prescription's
    /// times and dispensing day.
    static func supplyQuery(of patient: UUID) -> SQLQueryString {
        """
        SELECT i.prescription_id, i.position, i.drug_id, i.days, p.created_at, p.reviewed_at,
               (SELECT MAX(o.dispensed_at) FROM medicine_orders o WHERE o.prescription_id = p.id) AS dispensed_at
        FROM prescriptions p JOIN prescription_items i ON i.prescription_id = p.id
        WHERE p.id IN (SELECT id FROM prescriptions WHERE patient_id = \(bind: patient.text) AND state IN ('approved', 'dispensed')
                       ORDER BY signed_at DESC LIMIT 200)
        """
    }

    /// The patient's effective prescriptions, latest first, each with the day it was dispensed
    /// (its orders read through `medicine_orders_by_prescription`).
    static func medicationRecordQuery(of patient: UUID) -> SQLQueryString {
        """
        SELECT p.*, (SELECT MAX(o.dispensed_at) FROM medicine_orders o WHERE o.prescription_id = p.id) AS dispensed_at
        FROM prescriptions p WHERE p.patient_id = \(bind: patient.text) AND p.state IN ('approved', 'dispensed')
        ORDER BY p.signed_at DESC LIMIT 200
        """
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
                SELECT c.doctor_id, o.encounter_id, o.site_id FROM consultations c JOIN orders o ON o.id = c.order_id
                WHERE c.id = \(bind: prescription.consultationId.text)
                """).first() else { throw DomainError.notFound(resource: "consultation") }
            return NewOrder(accountId: caller.accountId, patientId: prescription.patientId, doctorId: try row.uuid("doctor_id"),
                            service: .textPackage, encounterId: try row.optionalUUID("encounter_id"), guardianPresent: false,
                            refillOf: prescription.id, siteId: try row.optionalUUID("site_id"))
        }
    }
}
