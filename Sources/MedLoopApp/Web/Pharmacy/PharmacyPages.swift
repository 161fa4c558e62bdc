import Foundation
import Hummingbird
import MedLoopDomain

/// Pharmacy staff: orders to dispense with traceability codes, stock and its CSV import.
struct PharmacyPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
    }
}
