import Foundation
import Hummingbird
import MedLoopDomain

/// The doctor's service menu, prices and slots, and earnings.
struct DoctorWorkPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
    }
}
