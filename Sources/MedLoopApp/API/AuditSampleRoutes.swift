import Foundation
import HTTPTypes
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Random prescription audits: samples, assignments, verdicts, results per doctor (issue 20, part 4).
/// A regulator draws and reads within its region, an operator (for the internet hospitals) over
/// the whole platform; the assigned pharmacists judge; a doctor reads their own results.
struct AuditSampleRoutes: SupervisionRouteGroup {
    let dependencies: SupervisionDependencies

    var samples: AuditSampleStore { stores.auditSamples }

    func register(_ authenticated: RouterGroup<AppContext>) {
        authenticated.post("audit-samples", use: draw)
        authenticated.get("audit-samples", use: list)
        authenticated.get("audit-samples/assigned", use: assigned)
        authenticated.get("audit-samples/results", use: results)
        authenticated.get("audit-samples/:id", use: show)
        authenticated.post("audit-samples/:id/items/:prescriptionId/verdict", use: verdict)
        authenticated.get("doctors/me/audit-results", use: ownResults)
    }

    // MARK: Drawing

    struct DrawBody: Decodable {
        /// Absent: the server picks one and records it, so the sample can still be drawn again.
        var seed: Int64?
        var from: Date
        var to: Date
        var doctorId: UUID?
        var department: String?
        var drugClass: String?
        var size: Int
    }

    /// Draws a sample; with an `Idempotency-Key`, a retry returns the first sample.
    @Sendable func draw(_ request: Request, context: AppContext) async throws -> Response {
        let scope = try await regions.scope(.drawAuditSamples, context, action: "audit_sample.draw", resourceType: "audit_sample")
        // The population is read and drawn from before the unit of work that stores the sample.
        typealias Drawn = (request: AuditSampleRequest, prescriptions: AuditSampleStore.DrawnPrescriptions)
        let prepare: @Sendable (Request) async throws -> Drawn = { request in
            let body = try await request.decodeJSON(as: DrawBody.self, context: context)
            let sampleRequest = try AuditSampleRequest(
                seed: body.seed ?? Int64.random(in: 0...AuditSampleRequest.maximumSeed), from: body.from, to: body.to,
                doctorAccountId: body.doctorId, department: body.department, drugClass: body.drugClass, size: body.size)
            return (sampleRequest, try await samples.population(sampleRequest, regionPrefix: scope.prefix))
        }
        let handler: @Sendable (Request, Drawn) async throws -> (HTTPResponse.Status, any Encodable & Sendable) = { _, drawn in
            let (sample, items) = try await samples.draw(drawn.request, drawn.prescriptions, regionPrefix: scope.prefix, by: scope.caller,
                                                         context: context.auditContext(at: clock.now()))
            return (.created, AuditSampleView(sample, items: items))
        }
        if request.headers[.idempotencyKey] != nil {
            return try await idempotent.respond(to: request, context: context, prepare: prepare, handler)
        }
        let (status, value) = try await handler(request, try await prepare(request))
        var response = try JSONCoding.encoder.encode(AnyEncodable(value), from: request, context: context)
        response.status = status
        return response
    }

    // MARK: Reading

    @Sendable func list(_ request: Request, context: AppContext) async throws -> ListView<AuditSampleView> {
        let scope = try await regions.scope(.drawAuditSamples, context, action: "audit_sample.read", resourceType: "audit_sample")
        let paging = try Paging(request)
        let page = try await samples.samples(regionPrefix: scope.prefix, limit: paging.limit, cursor: paging.cursor)
        return ListView(items: page.items.map { AuditSampleView($0, items: nil) }, nextCursor: page.nextCursor)
    }

    /// A sample with its items, assignments and verdicts; another region's sample does not exist
    /// for a regulator.
    @Sendable func show(_ request: Request, context: AppContext) async throws -> AuditSampleView {
        let id = try context.parameters.uuid("id")
        let scope = try await regions.scope(.drawAuditSamples, context, action: "audit_sample.read", resourceType: "audit_sample",
                                            resourceId: id.text)
        guard let (sample, items) = try await samples.sample(id, regionPrefix: scope.prefix) else {
            throw AppError.notFound("audit sample")
        }
        return AuditSampleView(sample, items: items)
    }

    /// The caller's assigned prescriptions, with what they need to judge them (the reads of
    /// patient data audited); `?pending=true` leaves out the judged ones.
    @Sendable func assigned(_ request: Request, context: AppContext) async throws -> ListView<AssignedAuditItemView> {
        let caller = try await authorizer.require(.judgeAuditSamples, context, action: "audit_sample.assigned", resourceType: "audit_sample")
        let paging = try Paging(request)
        let pending = request.uri.queryParameters["pending"].map { $0 == "true" } ?? false
        let page = try await samples.assigned(to: caller.accountId, pendingOnly: pending, limit: paging.limit, cursor: paging.cursor)
        try await stores.audit.recordReads("prescription.audit.read", of: "prescription",
                                           page.items.map { ($0.item.prescriptionId.text, $0.patientId) }, by: context, at: clock.now())
        return ListView(items: page.items.map(AssignedAuditItemView.init), nextCursor: page.nextCursor)
    }

    // MARK: Verdicts

    struct VerdictBody: Decodable {
        var verdict: AuditVerdict
        var category: RejectionReason?
        var notes: String?
    }

    @Sendable func verdict(_ request: Request, context: AppContext) async throws -> AuditSampleItemView {
        let caller = try await authorizer.require(.judgeAuditSamples, context, action: "audit_sample.verdict", resourceType: "audit_sample")
        let sample = try context.parameters.uuid("id")
        let prescription = try context.parameters.uuid("prescriptionId")
        let body = try await request.decodeJSON(as: VerdictBody.self, context: context)
        let judgement = try AuditJudgement(verdict: body.verdict, category: body.category, notes: body.notes)
        return AuditSampleItemView(try await samples.recordVerdict(sample: sample, prescription: prescription, judgement: judgement,
                                                                   by: caller, context: context.auditContext(at: clock.now())))
    }

    // MARK: Results

    /// Results per doctor within the caller's scope, for one doctor (`?doctor=`) or one sample
    /// (`?sample=`) when asked, a page of doctors at a time (`limit`, `cursor`).
    @Sendable func results(_ request: Request, context: AppContext) async throws -> ListView<DoctorAuditResultView> {
        let scope = try await regions.scope(.drawAuditSamples, context, action: "audit_sample.results", resourceType: "audit_sample")
        let paging = try Paging(request)
        let page = try await samples.results(regionPrefix: scope.prefix, doctor: try request.uuidQuery("doctor"),
                                             sample: try request.uuidQuery("sample"), limit: paging.limit, cursor: paging.cursor)
        return ListView(items: page.items.map(DoctorAuditResultView.init), nextCursor: page.nextCursor)
    }

    /// The calling doctor's own results and the verdicts on their sampled prescriptions.
    @Sendable func ownResults(_ request: Request, context: AppContext) async throws -> OwnAuditResultsView {
        let caller = try await authorizer.require(.prescribe, context, action: "audit_sample.own_results", resourceType: "audit_sample")
        let result = try await samples.results(regionPrefix: nil, doctor: caller.accountId, sample: nil, limit: 1, cursor: nil).items.first
        let items = try await samples.judged(ofDoctor: caller.accountId, limit: 100)
        return OwnAuditResultsView(
            result: DoctorAuditResultView(result ?? .none(caller.accountId)),
            items: items.map { OwnAuditItemView($0) })
    }
}

/// Lets a value typed `any Encodable` go through the JSON encoder.
private struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

// MARK: Views

/// A sample; its items with their assignments and verdicts when read one at a time.
struct AuditSampleView: APIView, Encodable {
    var id: UUID
    var seed: Int64
    var from: Date
    var to: Date
    var doctorId: UUID?
    var department: String?
    var drugClass: String?
    var regionPrefix: String?
    var size: Int
    var population: Int
    var drawnBy: UUID
    var createdAt: Date
    var judged: Int?
    var items: [AuditSampleItemView]?

    init(_ sample: AuditSample, items: [AuditSampleItem]?) {
        id = sample.id
        seed = sample.seed
        from = sample.from
        to = sample.to
        doctorId = sample.doctorAccountId
        department = sample.department
        drugClass = sample.drugClass
        regionPrefix = sample.regionPrefix.isEmpty ? nil : sample.regionPrefix
        size = sample.size
        population = sample.population
        drawnBy = sample.drawnBy
        createdAt = sample.createdAt
        judged = items.map { $0.filter { $0.verdict != nil }.count }
        self.items = items?.map(AuditSampleItemView.init)
    }
}

/// One sampled prescription, its pharmacist and verdict.
struct AuditSampleItemView: APIView, Encodable {
    var sampleId: UUID
    var position: Int
    var prescriptionId: UUID
    var doctorId: UUID
    var pharmacistId: UUID
    var assignedAt: Date
    var verdict: AuditVerdict?
    var category: RejectionReason?
    var notes: String?
    var judgedAt: Date?

    init(_ item: AuditSampleItem) {
        sampleId = item.sampleId
        position = item.position
        prescriptionId = item.prescriptionId
        doctorId = item.doctorAccountId
        pharmacistId = item.pharmacistAccountId
        assignedAt = item.assignedAt
        verdict = item.verdict
        category = item.category
        notes = item.notes
        judgedAt = item.judgedAt
    }
}

/// A prescription assigned to the calling pharmacist, with what they judge it on.
struct AssignedAuditItemView: Encodable, Sendable {
    struct Line: Encodable, Sendable {
        var drugId: UUID
        var genericNameZh: String
        var genericNameEn: String
        var atc: String
        var dose: Double
        var doseUnit: String
        var timesPerDay: Int
        var route: String
        var days: Int
        var quantity: Int
    }
    var sampleId: UUID
    var prescriptionId: UUID
    var assignedAt: Date
    var diagnosis: String
    var state: PrescriptionState
    var signedAt: Date?
    var notes: String?
    var items: [Line]
    var verdict: AuditVerdict?
    var category: RejectionReason?
    var verdictNotes: String?
    var judgedAt: Date?

    init(_ audited: AuditedPrescription) {
        sampleId = audited.item.sampleId
        prescriptionId = audited.item.prescriptionId
        assignedAt = audited.item.assignedAt
        diagnosis = audited.diagnosis
        state = audited.state
        signedAt = audited.signedAt
        notes = audited.notes
        items = audited.lines.map {
            Line(drugId: $0.drugId, genericNameZh: $0.genericNameZh, genericNameEn: $0.genericNameEn, atc: $0.atc, dose: $0.dose,
                 doseUnit: $0.doseUnit, timesPerDay: $0.timesPerDay, route: $0.route, days: $0.days, quantity: $0.quantity)
        }
        verdict = audited.item.verdict
        category = audited.item.category
        verdictNotes = audited.item.notes
        judgedAt = audited.item.judgedAt
    }
}

/// One doctor's audit results.
struct DoctorAuditResultView: Encodable, Sendable {
    var doctorId: UUID
    var sampled: Int
    var judged: Int
    var appropriate: Int
    var inappropriate: Int
    var inappropriateRateBasisPoints: Int
    /// Inappropriate verdicts by category of the review standard.
    var byCategory: [String: Int]

    init(_ result: DoctorAuditResult) {
        doctorId = result.doctorAccountId
        sampled = result.sampled
        judged = result.judged
        appropriate = result.appropriate
        inappropriate = result.inappropriate
        inappropriateRateBasisPoints = result.inappropriateRateBasisPoints
        byCategory = Dictionary(uniqueKeysWithValues: result.byCategory.map { ($0.key.rawValue, $0.value) })
    }
}

/// A verdict on one of the calling doctor's prescriptions (the pharmacist is not named).
struct OwnAuditItemView: Encodable, Sendable {
    var sampleId: UUID
    var prescriptionId: UUID
    var verdict: AuditVerdict?
    var category: RejectionReason?
    var notes: String?
    var judgedAt: Date?

    init(_ item: AuditSampleItem) {
        sampleId = item.sampleId
        prescriptionId = item.prescriptionId
        verdict = item.verdict
        category = item.category
        notes = item.notes
        judgedAt = item.judgedAt
    }
}

/// A doctor's own audit results and the verdicts behind them.
struct OwnAuditResultsView: APIView, Encodable {
    var result: DoctorAuditResultView
    var items: [OwnAuditItemView]
}
