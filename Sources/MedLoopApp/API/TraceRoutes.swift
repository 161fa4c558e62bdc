import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Full-process traces and data-access views for regulators (issue 20, parts 5 and 6):
///
/// - `GET /api/v1/supervision/traces/{prescriptionId}`: the whole chain, checked;
/// - `GET /api/v1/supervision/traces?code=|patient=|doctor=`: prescriptions to trace, newest first;
/// - `GET /api/v1/supervision/access-log?patient=&actor=&from=&to=`: who read which patient's data,
///   when, from where and for which purpose.
///
/// A regulator sees its own region's prescriptions only; another region's is a 403, audited.
/// Reading a trace or the access log is a read of the patient's data, audited with the patient.
struct TraceRoutes: SupervisionRouteGroup {
    let dependencies: SupervisionDependencies

    func register(_ authenticated: RouterGroup<AppContext>) {
        authenticated.get("supervision/traces", use: find)
        authenticated.get("supervision/traces/:id", use: show)
        authenticated.get("supervision/access-log", use: accessLog)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> SupervisionTraceView {
        let id = try context.parameters.uuid("id")
        let scope = try await regions.scope(.superviseRegion, context, action: "supervision.trace.read",
                                            resourceType: "prescription", resourceId: id.text)
        guard let owner = try await stores.traces.region(of: id) else { throw AppError.notFound("prescription") }
        try await regions.check(owner.region, within: scope, context, action: "supervision.trace.read",
                                resourceType: "prescription", resourceId: id.text)
        guard let trace = try await stores.traces.trace(id) else { throw AppError.notFound("prescription") }
        try await stores.audit.recordRead("supervision.trace.read", of: "prescription", id: id.text, patient: owner.patientId,
                                          by: context, at: clock.now())
        return SupervisionTraceView(trace)
    }

    @Sendable func find(_ request: Request, context: AppContext) async throws -> ListView<TraceSummaryView> {
        let scope = try await regions.scope(.superviseRegion, context, action: "supervision.trace.find", resourceType: "prescription")
        let paging = try Paging(request)
        let code = request.uri.queryParameters["code"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let patient = try request.uuidQuery("patient")
        let doctor = try request.uuidQuery("doctor")
        let query: TraceQuery
        switch (code, patient, doctor) {
        case (let code?, nil, nil):
            guard TraceabilityCode.isWellFormed(code) else {
                throw AppError.invalid("code", code: "format", "A traceability code is 20 digits.")
            }
            query = .code(code)
        case (nil, let patient?, nil): query = .patient(patient)
        case (nil, nil, let doctor?): query = .doctor(doctor)
        default:
            throw AppError.invalid("query", code: "one_of", "Search by exactly one of code, patient or doctor.")
        }
        let page = try await stores.traces.find(query, prefix: scope.prefix, limit: paging.limit, cursor: paging.cursor)
        try await stores.audit.recordReads("supervision.trace.find", of: "prescription",
                                           page.items.map { ($0.prescriptionId.text, $0.patientId) }, by: context, at: clock.now())
        return ListView(items: page.items.map(TraceSummaryView.init), nextCursor: page.nextCursor)
    }

    @Sendable func accessLog(_ request: Request, context: AppContext) async throws -> ListView<DataAccessView> {
        let scope = try await regions.scope(.superviseRegion, context, action: "supervision.access_log.read", resourceType: "audit_log")
        let paging = try Paging(request)
        let patient = try request.uuidQuery("patient")
        let from = try request.timeQuery("from"), to = try request.timeQuery("to")
        if let from, let to, from >= to { throw AppError.invalid("to", code: "range", "to comes after from.") }
        let page = try await stores.traces.accessLog(patient: patient, actor: try request.uuidQuery("actor"), from: from, to: to,
                                                     readersIn: scope.prefix, limit: paging.limit, cursor: paging.cursor)
        // Reading who read a patient's data is itself a read of it.
        try await stores.audit.recordRead("supervision.access_log.read", of: "audit_log", patient: patient, by: context,
                                          at: clock.now())
        return ListView(items: page.items.map(DataAccessView.init), nextCursor: page.nextCursor)
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

/// A prescription's whole chain as the regulator reads it: the parts, the trail, each step's
/// status, and whether it all verifies.
struct SupervisionTraceView: APIView, Encodable {
    var prescriptionId: UUID
    var region: String
    var consultation: PrescriptionTrace.Consultation
    var prescription: PrescriptionTrace.Prescription
    var review: PrescriptionTrace.Review?
    var order: PrescriptionTrace.Order?
    var settlement: PrescriptionTrace.Settlement?
    var trail: [PrescriptionTrace.TrailStep]
    var auditChainBreak: Int64?
    var steps: [TraceStepCheck]
    var complete: Bool
    var verifies: Bool

    init(_ trace: PrescriptionTrace) {
        prescriptionId = trace.prescription.id
        region = trace.prescription.region
        consultation = trace.consultation
        prescription = trace.prescription
        review = trace.review
        order = trace.order
        settlement = trace.settlement
        trail = trace.trail
        auditChainBreak = trace.auditChainBreak
        steps = trace.steps()
        complete = trace.isComplete
        verifies = trace.verifies
    }
}

/// A prescription found to trace.
struct TraceSummaryView: APIView, Encodable {
    var prescriptionId: UUID
    var state: PrescriptionState
    var patientId: UUID
    var doctorAccountId: UUID
    var institutionId: UUID
    var region: String
    var diagnosis: String
    var createdAt: Date

    init(_ summary: TraceSummary) {
        prescriptionId = summary.prescriptionId
        state = summary.state
        patientId = summary.patientId
        doctorAccountId = summary.doctorAccountId
        institutionId = summary.institutionId
        region = summary.region.value
        diagnosis = summary.diagnosis
        createdAt = summary.createdAt
    }
}

/// One read of a patient's data: who, in which role, when, from where, what, for which purpose,
/// and whether it was allowed.
struct DataAccessView: APIView, Encodable {
    var sequence: Int64
    var at: Date
    var patientId: UUID?
    var actorAccountId: UUID?
    var actorRole: Role?
    var action: String
    var resourceType: String
    var resourceId: String?
    var purpose: AccessPurpose
    var outcome: AuditOutcome
    var clientAddress: String?

    init(_ entry: AuditEntry) {
        sequence = entry.sequence
        at = entry.at
        patientId = entry.patientId
        actorAccountId = entry.actorAccountId
        actorRole = entry.actorRole
        action = entry.action
        resourceType = entry.resourceType
        resourceId = entry.resourceId
        // The patient's own account acting on their record: the access log cannot tell a family
        // member's account from the patient's here, so only the role decides (`ownRecord`).
        purpose = AccessPurpose.of(action: entry.action, role: entry.actorRole, bySelf: false)
        outcome = entry.outcome
        clientAddress = entry.clientAddress
    }
}
