/// Voice and video consultations are charged per started minute (DOMAIN.md, service menu). The
/// patient prepays a number of minutes with the order; at the end the minutes used are charged
/// and the rest goes back to the wallet.
public enum CallMetering {
    /// Minutes a patient may prepay for one consultation.
    public static let prepaidMinutes: ClosedRange<Int> = 1...60
    /// What a booking prepays when it does not say.
    public static let defaultPrepaidMinutes = 15

    /// The minutes a booking prepays: `requested`, or `defaultPrepaidMinutes` when it does not say.
    ///
    /// - Throws: `DomainError.invalid` on `prepaidMinutes` (`range`) unless the minutes are in
    ///   `prepaidMinutes`.
    public static func minutes(requested: Int?) throws(DomainError) -> Int {
        let minutes = requested ?? defaultPrepaidMinutes
        try checkPrepaid(minutes)
        return minutes
    }

    /// What a patient prepays for `minutes` at `unitPriceFen` a minute: their exact product.
    ///
    /// - Throws: `DomainError.invalid` on `prepaidMinutes` (`range`) unless the minutes are in
    ///   `prepaidMinutes`; on `unitPriceFen` when the price is negative (`negative`) or the product
    ///   does not fit in 64 bits (`too_large`).
    public static func prepaidPriceFen(unitPriceFen: Int64, minutes: Int) throws(DomainError) -> Int64 {
        try checkPrepaid(minutes)
        guard unitPriceFen >= 0 else {
            throw .invalidField("unitPriceFen", code: "negative", "A price is not negative.")
        }
        let (price, overflow) = unitPriceFen.multipliedReportingOverflow(by: Int64(minutes))
        guard !overflow else {
            throw .invalidField("unitPriceFen", code: "too_large", "The price of a minute is too large.")
        }
        return price
    }

    private static func checkPrepaid(_ minutes: Int) throws(DomainError) {
        guard prepaidMinutes.contains(minutes) else {
            throw .invalidField("prepaidMinutes", code: "range", "Prepay 1 to 60 minutes.")
        }
    }

    /// Started minutes of a call of `seconds` (a call of 61 seconds is 2 minutes; 0 or less is 0),
    /// for every `Int64` without overflow; never decreases as `seconds` grows.
    public static func startedMinutes(seconds: Int64) -> Int64 {
        seconds <= 0 ? 0 : seconds / 60 + (seconds % 60 == 0 ? 0 : 1)
    }

    /// What a finished consultation costs and what goes back: the minutes used, at most the
    /// prepaid ones, at the unit price; the charge and the refund add up to the prepayment, and both
    /// are non-negative when the prepaid minutes and the unit price are (as `prepaidPriceFen` checked).
    public static func settle(usedMinutes: Int64, prepaidMinutes: Int64, unitPriceFen: Int64) -> (chargeFen: Int64, refundFen: Int64) {
        let billed = min(max(0, usedMinutes), prepaidMinutes)
        let charge = billed * unitPriceFen
        return (charge, prepaidMinutes * unitPriceFen - charge)
    }
}
