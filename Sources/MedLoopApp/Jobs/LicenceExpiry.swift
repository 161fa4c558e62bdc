import Foundation
import Logging
import MedLoopDomain
import MedLoopStore

extension Job {
    /// Reminds holders and regulators 30 days before a licence expires, and suspends on the day
    /// (issue 20, part 1); under a lease, so it runs once across servers, and each reminder and
    /// suspension is a conditional update, so a second run does nothing twice.
    static func licenceExpiry(_ services: AppServices, logger: Logger) -> Job {
        Job(name: "licence-expiry", every: .seconds(3600)) { now in
            let context = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "job", at: now)
            let run = try await services.stores.credentials.runLicenceExpiry(context: context)
            if run.reminded > 0 || run.suspended > 0 {
                logger.info("licence expiry", metadata: ["reminded": "\(run.reminded)", "suspended": "\(run.suspended)"])
            }
        }
    }
}
