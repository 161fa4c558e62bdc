/// Voice and video consultations are charged per started minute (DOMAIN.md, service menu). The
/// patient prepays a number of minutes with the order; at the end the minutes used are charged
/// and the rest goes back to the wallet.
public enum CallMetering {
    /// Minutes a patient may prepay for one consultation.
    public static let prepaidMinutes: ClosedRange<Int> = 1...60
    /// What a booking prepays when it does not say.
    public static let defaultPrepaidMinutes = 15

    /// Started minutes of a call of `seconds` (a call of 61 seconds is 2 minutes; 0 is 0).
    public static func startedMinutes(seconds: Int64) -> Int64 {
        seconds <= 0 ? 0 : (seconds + 59) / 60
    }

    /// What a finished consultation costs and what goes back: the minutes used, at most the
    /// prepaid ones, at the unit price; the charge and the refund add up to the prepayment.
    public static func settle(usedMinutes: Int64, prepaidMinutes: Int64, unitPriceFen: Int64) -> (chargeFen: Int64, refundFen: Int64) {
        let billed = min(max(0, usedMinutes), prepaidMinutes)
        let charge = billed * unitPriceFen
        return (charge, prepaidMinutes * unitPriceFen - charge)
    }
}
