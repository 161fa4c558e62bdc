import Hummingbird
import NIOConcurrencyHelpers

/// The methods each route path takes, recorded as routes are registered, so that a request for
/// a known path with a method it does not take is answered 405 with `Allow` instead of 404.
final class RouteTable: Sendable {
    private let routes = NIOLockedValueBox<[(path: RouterPath, method: HTTPRequest.Method)]>([])

    func add(_ path: RouterPath, method: HTTPRequest.Method) {
        routes.withLockedValue { $0.append((path, method)) }
    }

    /// The methods registered for paths that match `path`; empty when no route matches it.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.withLockedValue { routes in
            routes.filter { Self.matches($0.path, segments) }.map(\.method)
        }
    }

    private static func matches(_ route: RouterPath, _ segments: [Substring]) -> Bool {
        let components = route.components
        if components.last?.description == "**" {
            return segments.count >= components.count - 1
                && zip(components.dropLast(), segments).allSatisfy { $0 ~= $1 }
        }
        return components.count == segments.count && zip(components, segments).allSatisfy { $0 ~= $1 }
    }
}

/// The router as the route files see it: registers each route with the router and in the
/// `RouteTable`. Groups made from it (`group("api/v1")`) register through it with their prefix.
struct RecordingRouter: RouterMethods {
    typealias Context = AppContext
    let router: Router<AppContext>
    let table: RouteTable

    @discardableResult
    func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
        where Responder.Context == AppContext {
        table.add(path, method: method)
        router.on(path, method: method, responder: responder)
        return self
    }

    func add(middleware: any MiddlewareProtocol<Request, Response, AppContext>) -> Self {
        router.add(middleware: middleware)
        return self
    }
}
