import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore
import NIOCore

/// Consultations: the doctor's queue, accepting, messages and images, read receipts, completing
/// with a diagnosis, and the patient's rating and gifts. Only the two participants reach a
/// consultation; anyone else is told there is none.
struct ConsultationRoutes {
    let consultations: ConsultationStore
    let messages: ConsultationMessageStore
    let reputation: ReputationStore
    let doctors: DoctorStore
    let chat: Chat
    let audit: AuditStore
    let authorizer: Authorizer
    let idempotent: IdempotentPost
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("doctors/me/queue", use: queue)
        group.get("doctors/me/consultations", use: doctorsConsultations)
        group.get("doctors/me/earnings", use: earnings)
        group.get("consultations/:id", use: show)
        group.post("consultations/:id/accept", use: accept)
        group.get("consultations/:id/messages", use: history)
        group.post("consultations/:id/messages", use: send)
        group.post("consultations/:id/read", use: read)
        group.post("consultations/:id/images", use: upload)
        group.get("images/:id", use: image)
        group.get("consultations/:id/calls", use: calls)
        group.post("consultations/:id/calls", use: startCall)
        group.post("consultations/:id/calls/:callId/end", use: endCall)
        group.post("consultations/:id/complete", use: complete)
        group.post("consultations/:id/invitations", use: invite)
        group.post("consultations/:id/rating", use: rate)
        group.post("consultations/:id/gifts", use: gift)
    }


    @Sendable func queue(_ request: Request, context: AppContext) async throws -> ListView<ConsultationView> {
        let (_, doctor) = try await authorizer.requireDoctor(context, doctors: doctors, action: "doctor.queue.read")
        let waiting = try await consultations.queue(doctor: doctor)
        let now = clock.now()
        try await audit.recordReads("consultation.read", of: "consultation", waiting.map { ($0.id.text, $0.patientId) },
                                    by: context, at: now)
        return ListView(items: waiting.enumerated().map { index, consultation in
            ConsultationView(consultation, queue: QueuePosition(index: index, averageReplySeconds: nil))
        }, nextCursor: nil)
    }

    struct EarningsView: APIView, Encodable {
        var doctorId: UUID
        var balanceFen: Int64
    }

    /// The doctor's consultations in one state (`active` by default), oldest first, paged.
    @Sendable func doctorsConsultations(_ request: Request, context: AppContext) async throws -> ListView<ConsultationView> {
        let (_, doctor) = try await authorizer.requireDoctor(context, doctors: doctors, action: "doctor.consultations.read")
        let state = try request.enumQuery("state", as: ConsultationState.self) ?? .active
        let paging = try Paging(request)
        let page = try await consultations.consultations(doctor: doctor, state: state, limit: paging.limit, cursor: paging.cursor)
        let now = clock.now()
        try await audit.recordReads("consultation.read", of: "consultation", page.items.map { ($0.id.text, $0.patientId) },
                                    by: context, at: now)
        return ListView(items: page.items.map { ConsultationView($0, queue: nil) }, nextCursor: page.nextCursor)
    }

    @Sendable func earnings(_ request: Request, context: AppContext) async throws -> EarningsView {
        let (_, doctor) = try await authorizer.requireDoctor(context, doctors: doctors, action: "doctor.earnings.read")
        return EarningsView(doctorId: doctor, balanceFen: try await reputation.earnings(of: doctor))
    }

    /// The consultation if the caller takes part in it.
    private func participant(_ context: AppContext) async throws -> (Caller, Consultation) {
        let caller = try context.requireCaller()
        let id = try context.parameters.uuid("id")
        guard let consultation = try await consultations.consultation(id, visibleTo: caller.accountId) else {
            guard let other = try await consultations.consultation(id) else { throw AppError.notFound("consultation") }
            try await audit.recordRead("consultation.read", of: "consultation", id: id.text, patient: other.patientId,
                                       outcome: .denied, by: context, at: clock.now())
            throw AppError.notYours("consultation")
        }
        return (caller, consultation)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> ConsultationView {
        let (_, consultation) = try await participant(context)
        try await audit.recordRead("consultation.read", of: "consultation", id: consultation.id.text,
                                   patient: consultation.patientId, by: context, at: clock.now())
        return ConsultationView(consultation, queue: try await consultations.position(of: consultation))
    }

    @Sendable func accept(_ request: Request, context: AppContext) async throws -> ConsultationView {
        let caller = try context.requireCaller()
        let consultation = try await consultations.accept(try context.parameters.uuid("id"), byDoctorAccount: caller.accountId,
                                                          context: context.auditContext(at: clock.now()))
        return ConsultationView(consultation, queue: nil)
    }

    @Sendable func history(_ request: Request, context: AppContext) async throws -> ListView<MessageView> {
        let (caller, consultation) = try await participant(context)
        let paging = try Paging(request)
        let after = try request.uuidQuery("after")
        let list = try await messages.messages(consultation.id, for: caller.accountId, after: after, limit: paging.limit)
        try await audit.recordRead("consultation.messages.read", of: "consultation", id: consultation.id.text,
                                   patient: consultation.patientId, by: context, at: clock.now())
        let next = list.count == paging.limit ? list.last.map { $0.id.text } : nil
        return ListView(items: list.map(MessageView.init), nextCursor: next)
    }

    struct SendBody: Decodable {
        var text: String?
        var imageId: UUID?
    }

    @Sendable func send(_ request: Request, context: AppContext) async throws -> Created<MessageView> {
        let (_, consultation) = try await participant(context)
        let body = try await request.decodeJSON(as: SendBody.self, context: context)
        return Created(value: try await chat.send(consultation.id, text: body.text, imageId: body.imageId, context: context))
    }

    struct ReadBody: Decodable {
        var upTo: UUID
    }

    struct ReadResult: APIView, Encodable {
        var marked: Int
    }

    @Sendable func read(_ request: Request, context: AppContext) async throws -> ReadResult {
        let (_, consultation) = try await participant(context)
        let body = try await request.decodeJSON(as: ReadBody.self, context: context)
        return ReadResult(marked: try await chat.markRead(consultation.id, upTo: body.upTo, context: context))
    }

    struct ImageView: APIView, Encodable {
        var imageId: UUID
        var mediaType: String
    }

    /// The body is the image itself (JPEG, PNG or WebP, at most 5 MiB).
    @Sendable func upload(_ request: Request, context: AppContext) async throws -> Created<ImageView> {
        let (caller, consultation) = try await participant(context)
        let bytes = try await request.uploadedBytes(upTo: ImageRule.maximumBytes,
                                                    tooLarge: AppError(.contentTooLarge, code: "image_too_large",
                                                                       message: "An image is at most 5 MiB."))
        let stored = try await messages.upload(bytes, to: consultation.id, by: caller.accountId, at: clock.now())
        return Created(value: ImageView(imageId: stored.id, mediaType: stored.mediaType))
    }

    @Sendable func image(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try context.requireCaller()
        let stored = try await messages.image(try context.parameters.uuid("id"), for: caller.accountId)
        return .file(try await messages.bytes(of: stored), mediaType: stored.mediaType, cacheControl: "no-store")
    }

    struct CallView: APIView, Encodable {
        var id: UUID
        var startedAt: Date
        var endedAt: Date?
        var seconds: Int64?
        var minutes: Int64?

        init(_ call: ConsultationStore.CallSession) {
            id = call.id
            startedAt = call.startedAt
            endedAt = call.endedAt
            seconds = call.seconds
            minutes = call.minutes
        }
    }

    /// The consultation's calls with their metered minutes.
    @Sendable func calls(_ request: Request, context: AppContext) async throws -> ListView<CallView> {
        let (_, consultation) = try await participant(context)
        return ListView(items: try await consultations.calls(consultation.id).map(CallView.init), nextCursor: nil)
    }

    @Sendable func startCall(_ request: Request, context: AppContext) async throws -> Created<CallView> {
        let (caller, consultation) = try await participant(context)
        let call = try await consultations.startCall(consultation.id, by: caller.accountId, at: clock.now())
        return Created(value: CallView(call))
    }

    @Sendable func endCall(_ request: Request, context: AppContext) async throws -> CallView {
        let (caller, consultation) = try await participant(context)
        let call = try await consultations.endCall(consultation.id, session: try context.parameters.uuid("callId"),
                                                   by: caller.accountId, at: clock.now())
        return CallView(call)
    }

    struct InviteBody: Decodable {
        var doctorId: UUID
    }

    /// The consultation's doctor brings in another doctor (remote multidisciplinary consultation).
    @Sendable func invite(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = try await request.decodeJSON(as: InviteBody.self, context: context)
        try await consultations.invite(doctor: body.doctorId, to: try context.parameters.uuid("id"),
                                       byDoctorAccount: caller.accountId, context: context.auditContext(at: clock.now()))
        return Response(status: .created)
    }

    struct CompleteBody: Decodable {
        var diagnosis: String
        var notes: String?
        var outcome: ConsultationOutcome?
    }

    @Sendable func complete(_ request: Request, context: AppContext) async throws -> ConsultationView {
        let caller = try context.requireCaller()
        let id = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: CompleteBody.self, context: context)
        var validator = FieldValidator()
        let diagnosis = validator.check { () throws(DomainError) in try ICD10Code(body.diagnosis, field: "diagnosis") }
        if let notes = body.notes, notes.count > 4000 { validator.add("notes", code: "length", "Notes have at most 4000 characters.") }
        try validator.finish()
        let consultation = try await consultations.complete(id, byDoctorAccount: caller.accountId, diagnosis: diagnosis!,
                                                            notes: body.notes, outcome: body.outcome ?? .advised,
                                                            context: context.auditContext(at: clock.now()))
        return ConsultationView(consultation, queue: nil)
    }

    struct RatingBody: Decodable {
        var efficiency: Int
        var attitude: Int
        var professionalism: Int
        var comment: String?
    }

    @Sendable func rate(_ request: Request, context: AppContext) async throws -> Response {
        let (caller, consultation) = try await participant(context)
        let body = try await request.decodeJSON(as: RatingBody.self, context: context)
        let rating = try Rating(efficiency: body.efficiency, attitude: body.attitude, professionalism: body.professionalism,
                                comment: body.comment)
        try await reputation.rate(consultation.id, by: caller.accountId, rating: rating, context: context.auditContext(at: clock.now()))
        return Response(status: .created)
    }

    struct GiftBody: Decodable {
        var kind: GiftKind
    }

    struct GiftView: APIView, Encodable {
        var giftId: UUID
        var kind: GiftKind
        var priceFen: Int64
    }

    @Sendable func gift(_ request: Request, context: AppContext) async throws -> Response {
        let (caller, consultation) = try await participant(context)
        return try await idempotent.respond(to: request, context: context) { request in
            let body = try await request.decodeJSON(as: GiftBody.self, context: context)
            let id = try await reputation.sendGift(body.kind, for: consultation.id, by: caller.accountId,
                                                   context: context.auditContext(at: clock.now()))
            return (.created, GiftView(giftId: id, kind: body.kind, priceFen: body.kind.priceFen))
        }
    }
}

/// A consultation as its participants see it.
struct ConsultationView: APIView, Encodable {
    var id: UUID
    var orderId: UUID
    var patientId: UUID
    var doctorId: UUID
    var service: ServiceKind
    var state: ConsultationState
    var queuedAt: Date
    var acceptedAt: Date?
    var closesAt: Date?
    var completedAt: Date?
    var diagnosis: String?
    var notes: String?
    var outcome: ConsultationOutcome?
    /// While waiting: the place in the doctor's queue and the expected wait.
    var queue: QueuePosition?

    init(_ consultation: Consultation, queue: QueuePosition?) {
        id = consultation.id
        orderId = consultation.orderId
        patientId = consultation.patientId
        doctorId = consultation.doctorId
        service = consultation.service
        state = consultation.state
        queuedAt = consultation.queuedAt
        acceptedAt = consultation.acceptedAt
        closesAt = consultation.closesAt
        completedAt = consultation.completedAt
        diagnosis = consultation.diagnosis?.value
        notes = consultation.notes
        outcome = consultation.outcome
        self.queue = queue
    }
}
