import Foundation
import Hummingbird
import MedLoopDomain

/// The web app at `/`: every page, by area, behind `WebPageMiddleware`, and the stylesheet and
/// scripts (resources of MedLoopApp, read once at start-up).
struct WebRoutes: Sendable {
    let web: WebKit
    let clock: any MedLoopClock
    let assets: WebAssets
    let iceServers: String

    func register(pages: RouterGroup<AppContext>, assets group: RouterGroup<AppContext>) {
        SessionPages(web: web, clock: clock).register(pages)
        DoctorPages(web: web).register(pages)
        OrderPages(web: web).register(pages)
        WalletPages(web: web).register(pages)
        ConsultationPages(web: web, iceServers: iceServers).register(pages)
        DoctorWorkPages(web: web).register(pages)
        PatientProfilePages(web: web).register(pages)
        PrescriptionPages(web: web).register(pages)
        MedicineOrderPages(web: web).register(pages)
        PharmacistPages(web: web).register(pages)
        PharmacyPages(web: web).register(pages)
        CourierPages(web: web).register(pages)
        InsurerPages(web: web).register(pages)
        OperatorPages(web: web).register(pages)
        AuditPages(web: web).register(pages)
        TracePages(web: web).register(pages)
        QualificationPages(web: web).register(pages)
        AlertPages(web: web).register(pages)
        MonitorPages(web: web).register(pages)
        AuditSamplePages(web: web).register(pages)
        AccessPages(web: web).register(pages)
        AnalyticsPages(web: web).register(pages)
        group.get("static/:name", use: asset)
    }

    @Sendable func asset(_ request: Request, context: AppContext) async throws -> Response {
        guard let name = context.parameters.get("name"), let asset = assets.files[name] else { throw AppError.notFound("file") }
        return Response(status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "public, max-age=300"],
                        body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}

/// The stylesheet and scripts of the web app, by file name.
struct WebAssets: Sendable {
    struct File: Sendable {
        let contentType: String
        let bytes: Data
    }

    let files: [String: File]

    init() throws {
        var files: [String: File] = [:]
        for (ext, type) in [("css", "text/css; charset=utf-8"), ("js", "text/javascript; charset=utf-8")] {
            for path in Bundle.module.paths(forResourcesOfType: ext, inDirectory: nil) {
                let url = URL(fileURLWithPath: path)
                files[url.lastPathComponent] = File(contentType: type, bytes: try Data(contentsOf: url))
            }
        }
        guard files["medloop.css"] != nil else { throw WebResourceError.missing("medloop.css") }
        self.files = files
    }
}
