import Foundation
import Hummingbird
import MedLoopDomain

/// The doctor's prescription editor and the patient's prescriptions, with their verification.
struct PrescriptionPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
    }
}
