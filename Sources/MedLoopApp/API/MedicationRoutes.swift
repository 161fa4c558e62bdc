import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// The patient's medication record (what they take, from when to when) and refills of chronic
/// medications: a follow-up with the same doctor that names the prescription it renews.
struct MedicationRoutes {
    let prescriptions: PrescriptionStore
    let orders: OrderStore
    let patients: PatientStore
    let audit: AuditStore
    let authorizer: Authorizer
    let idempotent: IdempotentPost
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("patients/:id/medications", use: record)
        group.post("prescriptions/:id/refill", use: refill)
    }

    @Sendable func record(_ request: Request, context: AppContext) async throws -> ListView<MedicationEntry> {
        let patient = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(patient, context, action: "patient.medications.read")
        let now = clock.now()
        try await audit.recordRead("patient.medications.read", of: "patient", id: patient.text, patient: patient, by: context, at: now)
        return ListView(items: try await prescriptions.medicationRecord(of: patient, at: now), nextCursor: nil)
    }

    @Sendable func refill(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try await authorizer.require(.buyServices, context, action: "prescription.refill", resourceType: "prescription")
        let id = try context.parameters.uuid("id")
        var actsFor: Set<UUID> = []
        if let own = caller.patientId { actsFor = try await patients.actsFor(own) }
        guard let prescription = try await prescriptions.prescription(id, visibleTo: caller, actsFor: actsFor) else {
            throw AppError.notFound("prescription")
        }
        return try await idempotent.respond(to: request, context: context) { _ in
            let now = clock.now()
            let order = try await orders.place(try await prescriptions.refill(prescription, for: caller, at: now),
                                               context: context.auditContext(at: now))
            return (.created, OrderView(order, consultationId: nil))
        }
    }
}
