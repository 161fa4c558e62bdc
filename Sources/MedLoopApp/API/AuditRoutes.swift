import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// The audit log, for regulators: `GET /api/v1/audit?actorId=&patientId=&from=&to=`.
struct AuditRoutes {
    let audit: AuditStore
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("audit", use: list)
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
