import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// In-person appointments: doctors open slots (and change the capacity of, or cancel, their own
/// until they begin), anyone sees a doctor's upcoming slots, and the doctor records the visit
/// (which becomes the encounter later follow-ups rest on).
struct AppointmentRoutes {
    let appointments: AppointmentStore
    let doctors: DoctorStore
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(public group: RouterGroup<AppContext>, authenticated: RouterGroup<AppContext>) {
        group.get("doctors/:id/slots", use: slots)
        authenticated.post("doctors/me/slots", use: open)
        authenticated.patch("doctors/me/slots/:id", use: change)
        authenticated.delete("doctors/me/slots/:id", use: cancel)
        authenticated.post("orders/:id/visit", use: visit)
    }

    struct SlotView: APIView, Encodable {
        var id: UUID
        var doctorId: UUID
        var hospitalId: UUID
        var startsAt: Date
        var endsAt: Date
        var capacity: Int
        var available: Int

        init(_ slot: AppointmentSlot) {
            id = slot.id
            doctorId = slot.doctorId
            hospitalId = slot.hospitalId
            startsAt = slot.startsAt
            endsAt = slot.endsAt
            capacity = slot.capacity
            available = max(0, slot.capacity - slot.booked)
        }
    }

    @Sendable func slots(_ request: Request, context: AppContext) async throws -> ListView<SlotView> {
        let slots = try await appointments.upcomingSlots(doctor: try context.parameters.uuid("id"), now: clock.now())
        return ListView(items: slots.map(SlotView.init), nextCursor: nil)
    }

    struct OpenBody: Decodable {
        var startsAt: Date
        var minutes: Int
        var capacity: Int
    }

    @Sendable func open(_ request: Request, context: AppContext) async throws -> Created<SlotView> {
        let (_, doctor) = try await authorizer.requireDoctor(context, doctors: doctors, action: "doctor.slot.open")
        let body = try await request.decodeJSON(as: OpenBody.self, context: context)
        let slot = try await appointments.openSlot(doctor: doctor, startsAt: body.startsAt, minutes: body.minutes,
                                                   capacity: body.capacity, context: context.auditContext(at: clock.now()))
        return Created(value: SlotView(slot))
    }

    struct ChangeBody: Decodable {
        var capacity: Int
    }

    /// A doctor changes the capacity of one of their slots (never below the places booked).
    @Sendable func change(_ request: Request, context: AppContext) async throws -> SlotView {
        let (_, doctor) = try await authorizer.requireDoctor(context, doctors: doctors, action: "doctor.slot.capacity")
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: ChangeBody.self, context: context)
        let slot = try await appointments.setCapacity(body.capacity, ofSlot: id, doctor: doctor,
                                                      context: context.auditContext(at: clock.now()))
        return SlotView(slot)
    }

    /// A doctor cancels one of their slots that nobody has booked.
    @Sendable func cancel(_ request: Request, context: AppContext) async throws -> Response {
        let (_, doctor) = try await authorizer.requireDoctor(context, doctors: doctors, action: "doctor.slot.cancel")
        try await appointments.cancelSlot(try context.parameters.uuid("id"), doctor: doctor,
                                          context: context.auditContext(at: clock.now()))
        return Response(status: .noContent)
    }

    struct VisitBody: Decodable {
        var diagnosis: String
    }

    @Sendable func visit(_ request: Request, context: AppContext) async throws -> EncounterView {
        let caller = try context.requireCaller()
        let body = try await request.decodeJSON(as: VisitBody.self, context: context)
        let encounter = try await appointments.recordVisit(order: try context.parameters.uuid("id"), byDoctorAccount: caller.accountId,
                                                           diagnosis: try ICD10Code(body.diagnosis, field: "diagnosis"),
                                                           context: context.auditContext(at: clock.now()))
        return EncounterView(encounter)
    }
}
