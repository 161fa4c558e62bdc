import Foundation
import Hummingbird
import MedLoopDomain

/// A patient's own record: profile, family members, prior visits, claims and invoices, who accessed it.
struct PatientProfilePages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
    }
}
