import Foundation
import Hummingbird
import MedLoopDomain

/// The regulator's view of the audit log: who read which patient's data, when and why.
struct AuditPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
    }
}
