import Foundation

/// How a pharmacy hands over medicine (DOMAIN.md, "Medicines").
public enum FulfilmentMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// A courier of the pharmacy delivers within its radius, within the hour.
    case o2o
    /// Shipped by a carrier.
    case b2c
    /// The patient collects it at the counter.
    case pickup
}

/// A point on the earth, in degrees (WGS-84 as phones report it).
public struct GeoPoint: Sendable, Hashable, Codable {
    public let latitude: Double
    public let longitude: Double

    /// - Throws: 400 on `lat` or `lon` when out of range or not a number.
    public init(latitude: Double, longitude: Double) throws(DomainError) {
        var validator = FieldValidator()
        if !(latitude.isFinite && (-90...90).contains(latitude)) { validator.add("lat", code: "out_of_range", "Latitude is -90 to 90.") }
        if !(longitude.isFinite && (-180...180).contains(longitude)) {
            validator.add("lon", code: "out_of_range", "Longitude is -180 to 180.")
        }
        try validator.finish()
        self.latitude = latitude
        self.longitude = longitude
    }

    /// The great-circle distance to `other` in kilometres (haversine, mean earth radius).
    public func kilometres(to other: GeoPoint) -> Double {
        let radians = Double.pi / 180
        let dLat = (other.latitude - latitude) * radians
        let dLon = (other.longitude - longitude) * radians
        let a = sin(dLat / 2) * sin(dLat / 2)
            + cos(latitude * radians) * cos(other.latitude * radians) * sin(dLon / 2) * sin(dLon / 2)
        return 6371.0088 * 2 * atan2(a.squareRoot(), (1 - a).squareRoot())
    }
}

/// What a pharmacy offers: where it is, when it is open, how it hands medicine over.
public struct PharmacyProfile: Sendable, Hashable, Codable {
    public let pharmacyId: UUID
    public let name: String
    public let location: GeoPoint
    /// Opening hours in China Standard Time, minutes after midnight (`opensAt` < `closesAt`).
    public let opensAt: Int
    public let closesAt: Int
    public let modes: Set<FulfilmentMode>
    /// How far its couriers deliver (O2O), in kilometres.
    public let deliveryRadiusKm: Double
    /// Whether insurance settles at this pharmacy (a designated pharmacy).
    public let isInsuranceDesignated: Bool
    /// A hospital pharmacy sells at the purchase price, with zero markup (DOMAIN.md).
    public let isZeroMarkup: Bool

    public init(pharmacyId: UUID, name: String, location: GeoPoint, opensAt: Int, closesAt: Int, modes: Set<FulfilmentMode>,
                deliveryRadiusKm: Double, isInsuranceDesignated: Bool, isZeroMarkup: Bool) {
        self.pharmacyId = pharmacyId
        self.name = name
        self.location = location
        self.opensAt = opensAt
        self.closesAt = closesAt
        self.modes = modes
        self.deliveryRadiusKm = deliveryRadiusKm
        self.isInsuranceDesignated = isInsuranceDesignated
        self.isZeroMarkup = isZeroMarkup
    }

    /// Whether it is open at `instant` (its hours are China Standard Time).
    public func isOpen(at instant: Date) -> Bool {
        let minute = ChinaTime.minuteOfDay(instant)
        return opensAt <= minute && minute < closesAt
    }
}

/// The rules of a pharmacy's profile as its staff set it.
public enum PharmacyProfileRule {
    /// The farthest a pharmacy's couriers may promise to deliver within the hour.
    public static let longestDeliveryRadiusKm = 30.0

    /// Checks hours (minutes after midnight, opening before closing), at least one way of handing
    /// medicine over, and a delivery radius of 0 to 30 km (above 0 when it delivers O2O).
    ///
    /// - Throws: 400 naming each bad field (`opensAt`, `closesAt`, `modes`, `deliveryRadiusKm`).
    public static func check(opensAt: Int, closesAt: Int, modes: Set<FulfilmentMode>, deliveryRadiusKm: Double) throws(DomainError) {
        var validator = FieldValidator()
        if !(0..<1440).contains(opensAt) { validator.add("opensAt", code: "out_of_range", "Opening is 0 to 1439 minutes after midnight.") }
        if !(1...1440).contains(closesAt) || closesAt <= opensAt {
            validator.add("closesAt", code: "out_of_range", "Closing is after opening, at most 1440 minutes after midnight.")
        }
        if modes.isEmpty { validator.add("modes", code: "required", "A pharmacy hands medicine over one way at least.") }
        if !(deliveryRadiusKm.isFinite && (0...longestDeliveryRadiusKm).contains(deliveryRadiusKm))
            || (modes.contains(.o2o) && deliveryRadiusKm <= 0) {
            validator.add("deliveryRadiusKm", code: "out_of_range",
                          "An O2O radius is more than 0 and at most \(Int(longestDeliveryRadiusKm)) km.")
        }
        try validator.finish()
    }
}

/// China Standard Time: UTC+8 all year.
public enum ChinaTime {
    public static let offset: TimeInterval = 8 * 3600

    /// The instant the China day of `instant` began (China has one zone, UTC+8, and no DST).
    public static func startOfDay(_ instant: Date) -> Date {
        let day: TimeInterval = 24 * 3600
        return Date(timeIntervalSince1970: ((instant.timeIntervalSince1970 + offset) / day).rounded(.down) * day - offset)
    }

    /// Minutes after midnight in China at `instant`.
    public static func minuteOfDay(_ instant: Date) -> Int {
        let seconds = (instant.timeIntervalSince1970 + offset).truncatingRemainder(dividingBy: 86_400)
        return Int((seconds < 0 ? seconds + 86_400 : seconds) / 60)
    }
}

/// One drug a pharmacy holds: on hand, reserved for unpaid or undispensed orders, and its price.
public struct StockLevel: Sendable, Hashable, Codable {
    public let drugId: UUID
    public let onHand: Int
    public let reserved: Int
    public let priceFen: Int64

    public init(drugId: UUID, onHand: Int, reserved: Int, priceFen: Int64) {
        self.drugId = drugId
        self.onHand = onHand
        self.reserved = reserved
        self.priceFen = priceFen
    }

    /// What can still be promised to a new order.
    public var available: Int { onHand - reserved }
}

/// The rules of stock, so that it never goes below zero and reservations never exceed it.
public enum StockRule {
    /// More packages of one drug than any pharmacy keeps: a typing error.
    public static let maximumOnHand = 1_000_000
    /// The dearest package a pharmacy may price (100,000 yuan).
    public static let maximumPriceFen: Int64 = 10_000_000
    /// Checks a stock level a pharmacy sets: whole packages, not below what is reserved, a price.
    ///
    /// - Throws: 400 on `onHand` (negative, or below the reserved packages) or `priceFen` (not positive).
    public static func checkLevel(onHand: Int, reserved: Int, priceFen: Int64, zeroMarkup: Bool,
                                  referencePriceFen: Int64) throws(DomainError) {
        var validator = FieldValidator()
        if onHand < 0 { validator.add("onHand", code: "negative", "Stock on hand is zero or more.") }
        if onHand > maximumOnHand { validator.add("onHand", code: "too_large", "At most \(maximumOnHand) packages of one drug.") }
        if priceFen > maximumPriceFen {
            validator.add("priceFen", code: "too_large", "A package costs at most \(maximumPriceFen) fen.")
        }
        if onHand >= 0, onHand < reserved {
            validator.add("onHand", code: "below_reserved", "\(reserved) packages are reserved for orders; keep at least that many.")
        }
        if priceFen <= 0 { validator.add("priceFen", code: "not_positive", "A price is more than zero.") }
        if zeroMarkup, priceFen > referencePriceFen {
            validator.add("priceFen", code: "markup", "A hospital pharmacy sells at the reference price or below (zero markup).")
        }
        try validator.finish()
    }

    /// Whether `quantity` more packages can be reserved from `level`.
    public static func canReserve(_ quantity: Int, from level: StockLevel) -> Bool {
        quantity > 0 && level.available >= quantity
    }
}
