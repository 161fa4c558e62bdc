import Foundation
import Hummingbird
import MedLoopDomain

/// The pharmacist's review queue: findings, approve or reject.
struct PharmacistPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
    }
}
