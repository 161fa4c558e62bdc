import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Everyone's in-app inbox: `GET /api/v1/notifications?unread=true`, `POST .../{id}/read`.
struct NotificationRoutes {
    let notifications: NotificationStore
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("notifications", use: inbox)
        group.post("notifications/:id/read", use: read)
    }

    struct NotificationView: APIView, Encodable {
        var id: UUID
        var kind: NotificationKind
        var title: String
        var subjectType: String?
        var subjectId: String?
        var createdAt: Date
        var readAt: Date?
    }

    @Sendable func inbox(_ request: Request, context: AppContext) async throws -> ListView<NotificationView> {
        let caller = try context.requireCaller()
        let paging = try Paging(request)
        let unread = request.uri.queryParameters["unread"].map { $0 == "true" } ?? false
        let page = try await notifications.inbox(of: caller.accountId, unreadOnly: unread, limit: paging.limit, cursor: paging.cursor)
        return ListView(items: page.items.map { item in
            NotificationView(id: item.id, kind: item.kind,
                             title: context.language == .english ? item.kind.title.en : item.title,
                             subjectType: item.subjectType, subjectId: item.subjectId, createdAt: item.createdAt, readAt: item.readAt)
        }, nextCursor: page.nextCursor)
    }

    @Sendable func read(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try context.requireCaller()
        try await notifications.markRead(try context.parameters.uuid("id"), of: caller.accountId, at: clock.now())
        return Response(status: .noContent)
    }
}
