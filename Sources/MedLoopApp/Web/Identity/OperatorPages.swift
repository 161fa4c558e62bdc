import Foundation
import Hummingbird
import MedLoopDomain

/// The operator's pages: institutions, staff accounts, commission rates.
struct OperatorPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
    }
}
