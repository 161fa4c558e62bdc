import Foundation
import HTTPTypes
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// The live supervision dashboard and its stream (issue 20, part 2):
///
/// - `GET /api/v1/supervision/dashboard?region=`: the figures now (`DashboardFigures`);
/// - `GET /api/v1/supervision/stream?region=`: server-sent events, the `figures` at once, then a
///   `change` for every domain event in scope, made on any server, and fresh `figures` after it.
///
/// A regulator sees its own region (or a region inside it); the operator the whole platform or
/// any region. A regulator asking for another region gets a 403, audited. The figures are counts:
/// nothing personal, so opening the dashboard is audited as a read of the region's figures only.
struct MonitorRoutes: SupervisionRouteGroup {
    let dependencies: SupervisionDependencies

    var feed: MonitorFeed { dependencies.services.monitorFeed }

    func register(_ authenticated: RouterGroup<AppContext>) {
        authenticated.get("supervision/dashboard", use: dashboard)
        authenticated.get("supervision/stream", use: stream)
    }

    @Sendable func dashboard(_ request: Request, context: AppContext) async throws -> DashboardView {
        let region = try await scopedRegion(request, context, action: "supervision.dashboard.read")
        return DashboardView(try await stores.monitor.figures(region: region, now: clock.now()))
    }

    @Sendable func stream(_ request: Request, context: AppContext) async throws -> Response {
        let region = try await scopedRegion(request, context, action: "supervision.stream.open")
        let (monitor, accounts, clock, tokenHash) = (stores.monitor, stores.accounts, clock, context.tokenHash)
        let stream = MonitorStream(feed: feed, scope: region?.coveredPrefix,
                                   figures: { [feed] in
                                       try await feed.figures.figures(of: region?.value ?? "") {
                                           try await monitor.figures(region: region, now: clock.now())
                                       }
                                   },
                                   isAuthorised: {
                                       // A session that cannot be checked (the database gone) ends the stream too:
                                       // the client reconnects, and is asked again.
                                       guard let tokenHash, case .valid = try? await accounts.session(tokenHash: tokenHash, now: clock.now())
                                       else { return false }
                                       return true
                                   },
                                   logger: context.logger)
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        // A proxy in front must pass events on as they come rather than buffer the response.
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: stream.body)
    }

    /// The region asked for (`?region=`), within the caller's scope; the caller's own without one.
    private func scopedRegion(_ request: Request, _ context: AppContext, action: String) async throws -> RegionCode? {
        let scope = try await regions.scope(.readAnalytics, context, action: action, resourceType: "dashboard")
        let region = try await regions.named(request.uri.queryParameters.get("region"), within: scope, context,
                                             action: action, resourceType: "dashboard")
        try await stores.audit.recordRead(action, of: "dashboard", id: region?.value, by: context, at: clock.now())
        return region
    }
}
