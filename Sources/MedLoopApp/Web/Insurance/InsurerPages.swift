import Foundation
import Hummingbird
import MedLoopDomain

/// The insurer's pages: claims, insured persons, policies, quotas, clearing files, the simulator.
struct InsurerPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
    }
}
