import Foundation
import Hummingbird
import MedLoopDomain

/// A courier's deliveries and their status updates.
struct CourierPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
    }
}
