import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// The alert queue the fraud and abuse rules fill (issue 20, part 3): a regulator lists its
/// region's alerts by state and rule, reads one with its evidence and history, moves it
/// open → investigating → confirmed or dismissed, and adds notes. Another region's alert is a 403,
/// audited.
struct AlertRoutes: SupervisionRouteGroup {
    let dependencies: SupervisionDependencies

    func register(_ authenticated: RouterGroup<AppContext>) {
        authenticated.get("supervision/alerts", use: list)
        authenticated.get("supervision/alerts/:id", use: show)
        authenticated.post("supervision/alerts/:id/transitions", use: move)
        authenticated.post("supervision/alerts/:id/notes", use: addNote)
    }

    /// `?state=` (default `open`), `?rule=`, `?region=` (within the caller's), `limit`, `cursor`.
    @Sendable func list(_ request: Request, context: AppContext) async throws -> ListView<AlertView> {
        let scope = try await regions.scope(.superviseRegion, context, action: "alert.list", resourceType: "alert")
        let region = try await regions.named(request.uri.queryParameters.get("region"), within: scope, context,
                                             action: "alert.list", resourceType: "alert")
        let state = try request.enumQuery("state", as: AlertState.self) ?? .open
        let rule = try request.enumQuery("rule", as: FraudRuleName.self)
        let paging = try Paging(request)
        let page = try await stores.alerts.list(AlertFilter(regionPrefix: region?.coveredPrefix, state: state, rule: rule?.rawValue,
                                                            limit: paging.limit, cursor: paging.cursor))
        try await stores.audit.recordRead("alert.list", of: "alert_queue", id: region?.value, by: context, at: clock.now())
        return ListView(items: page.items.map(AlertView.init), nextCursor: page.nextCursor)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> AlertDetailView {
        let alert = try await alertInScope(context, action: "alert.read")
        let history = try await stores.alerts.history(of: alert.id)
        try await stores.audit.recordRead("alert.read", of: "alert", id: alert.id.text,
                                          patient: alert.entities.first { $0.type == "patient" }?.id, by: context, at: clock.now())
        return AlertDetailView(alert, history: history)
    }

    struct MoveBody: Decodable {
        var to: String
        var note: String?
    }

    @Sendable func move(_ request: Request, context: AppContext) async throws -> AlertDetailView {
        let alert = try await alertInScope(context, action: "alert.move")
        let body = try await request.decodeJSON(as: MoveBody.self, context: context)
        guard let target = AlertState(rawValue: body.to) else {
            throw AppError.invalid("to", code: "unknown_value",
                                   "Expected one of: \(AlertState.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let moved = try await stores.alerts.move(alert.id, to: target, note: body.note, context: context.auditContext(at: clock.now()))
        return AlertDetailView(moved, history: try await stores.alerts.history(of: alert.id))
    }

    struct NoteBody: Decodable {
        var note: String?
    }

    @Sendable func addNote(_ request: Request, context: AppContext) async throws -> Created<AlertHistoryView> {
        let alert = try await alertInScope(context, action: "alert.note")
        let body = try await request.decodeJSON(as: NoteBody.self, context: context)
        let entry = try await stores.alerts.addNote(alert.id, note: body.note, context: context.auditContext(at: clock.now()))
        return Created(value: AlertHistoryView(entry))
    }

    /// The alert of the path, if it lies in the caller's region: 404 when there is none, 403
    /// (audited) when it is another region's.
    private func alertInScope(_ context: AppContext, action: String) async throws -> Alert {
        let scope = try await regions.scope(.superviseRegion, context, action: action, resourceType: "alert")
        let id = try context.parameters.uuid("id")
        guard let alert = try await stores.alerts.alert(id) else { throw AppError.notFound("alert") }
        try await regions.check(alert.region, within: scope, context, action: action, resourceType: "alert", resourceId: id.text)
        return alert
    }
}

/// An alert in the queue.
struct AlertView: APIView, Encodable {
    var id: UUID
    var rule: String
    var severity: AlertSeverity
    var state: AlertState
    var region: RegionCode
    var caseKey: String
    var entities: [AlertEntity]
    var evidence: [String: String]
    var occurredAt: Date
    var raisedAt: Date
    var updatedAt: Date

    init(_ alert: Alert) {
        id = alert.id
        rule = alert.rule
        severity = alert.severity
        state = alert.state
        region = alert.region
        caseKey = alert.caseKey
        entities = alert.entities
        evidence = alert.evidence
        occurredAt = alert.occurredAt
        raisedAt = alert.raisedAt
        updatedAt = alert.updatedAt
    }
}

/// One line of an alert's history: raised, moved or noted, by whom.
struct AlertHistoryView: APIView, Encodable {
    var at: Date
    var actorAccountId: UUID?
    var actorRole: Role?
    var from: AlertState?
    var to: AlertState?
    var note: String?

    init(_ entry: AlertHistoryEntry) {
        at = entry.at
        actorAccountId = entry.actorAccountId
        actorRole = entry.actorRole
        from = entry.from
        to = entry.to
        note = entry.note
    }
}

/// An alert (its fields at the top level) with its history, oldest first, and the states it may
/// move to next.
struct AlertDetailView: APIView, Encodable {
    var alert: AlertView
    var history: [AlertHistoryView]
    var nextStates: [AlertState]

    init(_ alert: Alert, history: [AlertHistoryEntry]) {
        self.alert = AlertView(alert)
        self.history = history.map(AlertHistoryView.init)
        nextStates = AlertState.allCases.filter { (try? alert.state.after($0)) != nil }
    }

    private enum CodingKeys: String, CodingKey {
        case history, nextStates
    }

    func encode(to encoder: any Encoder) throws {
        try alert.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(history, forKey: .history)
        try container.encode(nextStates, forKey: .nextStates)
    }
}
