/// The services a doctor sells (DOMAIN.md, service menu and prices).
public enum ServiceKind: String, Codable, Sendable, CaseIterable {
    /// Unlimited text and image messages for 48 hours, one price.
    case textPackage
    /// A voice call, priced per started minute.
    case voicePerMinute
    /// A video call, priced per started minute.
    case videoPerMinute
    /// An in-person visit at a hospital: the registration fee, in bookable time slots.
    case appointment

    /// The platform's bounds on a doctor's price, in fen. Price 0 is a free service, as many
    /// doctors offered during the outbreak.
    public var priceBounds: ClosedRange<Int64> {
        switch self {
        case .textPackage: return 0...50_000
        case .voicePerMinute: return 0...5_000
        case .videoPerMinute: return 0...10_000
        case .appointment: return 0...50_000
        }
    }

    /// Whether the service is a call priced per started minute (`CallMetering`).
    public var isMetered: Bool { self == .voicePerMinute || self == .videoPerMinute }

    /// How long a text package stays open, in seconds.
    public static let textPackageWindow: Int = 48 * 3600
}

/// One line of a doctor's menu.
public struct ServiceOffer: Sendable, Equatable, Codable {
    public var kind: ServiceKind
    public var priceFen: Int64
    public var isPaused: Bool
    /// Consultations of this kind the doctor takes per day.
    public var dailyCap: Int

    /// A doctor can handle up to ~300 consultations a day with software help (DOMAIN.md).
    public static let defaultDailyCap = 300

    public init(kind: ServiceKind, priceFen: Int64, isPaused: Bool = false, dailyCap: Int = ServiceOffer.defaultDailyCap) {
        self.kind = kind
        self.priceFen = priceFen
        self.isPaused = isPaused
        self.dailyCap = dailyCap
    }

    /// Checks the price against the platform's bounds and the cap against 1...1000.
    public func validate() throws(DomainError) {
        var validator = FieldValidator()
        if !kind.priceBounds.contains(priceFen) {
            validator.add("priceFen", code: "out_of_bounds",
                          "The price of \(kind.rawValue) is between \(kind.priceBounds.lowerBound) and \(kind.priceBounds.upperBound) fen.")
        }
        if !(1...1000).contains(dailyCap) {
            validator.add("dailyCap", code: "range", "The daily cap is between 1 and 1000.")
        }
        try validator.finish()
    }

    public var isFree: Bool { priceFen == 0 }
}
