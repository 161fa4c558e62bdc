import Foundation
import Hummingbird
import MedLoopStore
import Prometheus

/// `/health/live`, `/health/ready` (the database answers) and `/metrics` (Prometheus text).
struct HealthRoutes {
    let database: Database
    let registry: PrometheusCollectorRegistry

    func register(_ router: RecordingRouter) {
        router.get("health/live", use: live)
        router.get("health/ready", use: ready)
        router.get("metrics", use: metrics)
    }

    struct Status: APIView, Encodable {
        var status: String
        var database: String?
    }

    @Sendable func live(_ request: Request, context: AppContext) async throws -> Status {
        Status(status: "ok")
    }

    @Sendable func ready(_ request: Request, context: AppContext) async throws -> Response {
        let reachable = await database.isReachable()
        let body = Status(status: reachable ? "ok" : "unavailable", database: database.engine.rawValue)
        var response = try body.response(from: request, context: context)
        if !reachable { response.status = .serviceUnavailable }
        return response
    }

    @Sendable func metrics(_ request: Request, context: AppContext) async throws -> Response {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        registry.emit(into: &buffer)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }
}
