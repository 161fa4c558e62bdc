import Foundation
import Hummingbird
import MedLoopDomain

/// A patient's medicine orders: pharmacy options, reserving, paying with the insurance quote, delivery.
struct MedicineOrderPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
    }
}
