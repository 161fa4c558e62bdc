import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// The audit log, for regulators: `GET /api/v1/audit?actorId=&patientId=&from=&to=`; and a
/// patient's own view of it, `GET /api/v1/me/access-log`: who read their record, when, from where.
struct AuditRoutes {
    let audit: AuditStore
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("audit", use: list)
        group.get("me/access-log", use: accessLog)
    }

    /// One access to a patient's record, as the patient sees it: who (their role, and whether it
    /// was the patient themselves), what, when, from which address, and whether it was allowed.
    struct AccessView: APIView, Encodable {
        var at: Date
        var actorRole: Role?
        var isSelf: Bool
        var action: String
        var resourceType: String
        var outcome: AuditOutcome
        var clientAddress: String?
        /// Why it was read, derived from the action and the reader's role (issue 20, part 6).
        var purpose: AccessPurpose
    }

    @Sendable func accessLog(_ request: Request, context: AppContext) async throws -> ListView<AccessView> {
        let caller = try context.requireCaller()
        guard let patient = caller.patientId else { throw AppError.forbidden() }
        let paging = try Paging(request)
        let page = try await audit.list(AuditFilter(patientId: patient, limit: paging.limit, cursor: paging.cursor))
        return ListView(items: page.items.map { entry in
            AccessView(at: entry.at, actorRole: entry.actorRole, isSelf: entry.actorAccountId == caller.accountId,
                       action: entry.action, resourceType: entry.resourceType, outcome: entry.outcome,
                       clientAddress: entry.clientAddress,
                       purpose: AccessPurpose.of(action: entry.action, role: entry.actorRole,
                                                 bySelf: entry.actorAccountId == caller.accountId))
        }, nextCursor: page.nextCursor)
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> ListView<AuditEntry> {
        _ = try await authorizer.require(.readAuditLog, context, action: "audit.read", resourceType: "audit_log")
        let paging = try Paging(request)
        let filter = AuditFilter(actorAccountId: try request.uuidQuery("actorId"), patientId: try request.uuidQuery("patientId"),
                                 from: try request.timeQuery("from"), to: try request.timeQuery("to"),
                                 limit: paging.limit, cursor: paging.cursor)
        let page = try await audit.list(filter)
        // Reading the log is itself a read of patients' data.
        try await audit.recordRead("audit.read", of: "audit_log", patient: filter.patientId, by: context, at: clock.now())
        return ListView(items: page.items, nextCursor: page.nextCursor)
    }
}
