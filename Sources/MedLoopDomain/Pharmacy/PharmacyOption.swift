import Foundation

/// A pharmacy that can fill a prescription, how, for how much, and how soon.
public struct PharmacyOption: Sendable, Hashable {
    public let pharmacy: PharmacyProfile
    public let mode: FulfilmentMode
    public let distanceKm: Double
    public let bill: Bill
    /// Minutes until the medicine is at the door (O2O, B2C) or ready at the counter (pickup).
    public let estimatedMinutes: Int
    /// Whether insurance can settle there (a designated pharmacy); the policy decides the amount.
    public let insuranceCanPay: Bool
}

/// The pharmacies that can fill a prescription (DOMAIN.md: the pharmacy must have every item).
public enum PharmacyOptions {
    /// Preparing an order before it leaves or is ready.
    public static let preparationMinutes = 20
    /// A courier's average speed in a city, km/h.
    public static let courierSpeedKmPerHour = 15.0
    /// A carrier's usual time within a province.
    public static let shippingMinutes = 2 * 24 * 60

    /// Every (pharmacy, mode) that holds every item in the quantity needed and offers the mode —
    /// O2O only within its delivery radius — nearest first, then cheapest, then soonest.
    public static func options(for items: [(drug: Drug, quantity: Int)],
                               from pharmacies: [(profile: PharmacyProfile, stock: [UUID: StockLevel])],
                               at location: GeoPoint, mode wanted: FulfilmentMode?, now: Date) -> [PharmacyOption] {
        // Two items of one product need their packages together.
        var needed: [UUID: Int] = [:]
        for item in items { needed[item.drug.id, default: 0] += item.quantity }
        var options: [PharmacyOption] = []
        for (profile, stock) in pharmacies {
            guard needed.allSatisfy({ drug, quantity in stock[drug].map { StockRule.canReserve(quantity, from: $0) } ?? false }) else {
                continue
            }
            var lines: [BillLine] = []
            for item in items {
                guard let level = stock[item.drug.id],
                      let line = try? BillLine(drugId: item.drug.id, quantity: item.quantity, unitPriceFen: level.priceFen,
                                               insuranceClass: item.drug.insuranceClass) else { break }
                lines.append(line)
            }
            guard lines.count == items.count, !items.isEmpty,
                  let bill = try? Bill(institutionId: profile.pharmacyId, lines: lines) else { continue }
            let distance = profile.location.kilometres(to: location)
            for mode in FulfilmentMode.allCases where profile.modes.contains(mode) && (wanted == nil || wanted == mode) {
                if mode == .o2o, distance > profile.deliveryRadiusKm { continue }
                options.append(PharmacyOption(pharmacy: profile, mode: mode, distanceKm: distance, bill: bill,
                                              estimatedMinutes: estimatedMinutes(profile, mode: mode, distanceKm: distance, now: now),
                                              insuranceCanPay: profile.isInsuranceDesignated))
            }
        }
        return options.sorted {
            ($0.distanceKm, $0.bill.totalFen, $0.estimatedMinutes, $0.pharmacy.pharmacyId, $0.mode.rawValue)
                < ($1.distanceKm, $1.bill.totalFen, $1.estimatedMinutes, $1.pharmacy.pharmacyId, $1.mode.rawValue)
        }
    }

    /// Why `pharmacy` (its profile and stock, or nil when it holds not every item) is not an
    /// option for `items` by `mode` from `location`.
    public static func refusal(for items: [(drug: Drug, quantity: Int)],
                               at pharmacy: (profile: PharmacyProfile, stock: [UUID: StockLevel])?,
                               from location: GeoPoint, mode: FulfilmentMode) -> DomainError {
        if let pharmacy {
            if !pharmacy.profile.modes.contains(mode) {
                return .refused(code: "mode_not_offered", message: "This pharmacy does not offer \(mode.rawValue).")
            }
            if mode == .o2o, pharmacy.profile.location.kilometres(to: location) > pharmacy.profile.deliveryRadiusKm {
                return .refused(code: "out_of_delivery_range", message: "This place is beyond the pharmacy's delivery radius.")
            }
        }
        return .conflict(code: "stock_insufficient", message: "This pharmacy does not hold every item in the quantity needed.")
    }

    /// Minutes until delivery or collection: the wait until the pharmacy opens, preparation, and
    /// the courier's ride (O2O) or the carrier's days (B2C).
    public static func estimatedMinutes(_ profile: PharmacyProfile, mode: FulfilmentMode, distanceKm: Double, now: Date) -> Int {
        let minute = ChinaTime.minuteOfDay(now)
        let untilOpen: Int
        if profile.isOpen(at: now) {
            untilOpen = 0
        } else if minute < profile.opensAt {
            untilOpen = profile.opensAt - minute
        } else {
            untilOpen = 24 * 60 - minute + profile.opensAt
        }
        switch mode {
        case .o2o: return untilOpen + preparationMinutes + Int((distanceKm / courierSpeedKmPerHour * 60).rounded(.up))
        case .pickup: return untilOpen + preparationMinutes
        case .b2c: return untilOpen + preparationMinutes + shippingMinutes
        }
    }
}
