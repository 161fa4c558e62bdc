/// What the escrow account holds for one order (care issue, payment): a fee paid for a service
/// not yet delivered stays in escrow; before payment, and once the order is completed (fee
/// released to commission and earnings) or cancelled or refunded, nothing.
public enum Escrow {
    /// The amount escrow holds for an order of `priceFen` in `state`.
    public static func heldFen(for state: OrderState, priceFen: Int64) -> Int64 {
        switch state {
        case .paid, .inService: return priceFen
        case .created, .completed, .cancelled, .refunded: return 0
        }
    }
}

extension Escrow {
    /// The amount the medicine escrow holds for a medicine order of `totalFen` in `state`: paid
    /// and not yet dispensed, all of it; once dispensed it is the pharmacy's, and before payment,
    /// or after expiry, cancellation or refund, nothing.
    public static func heldFen(for state: MedicineOrderState, totalFen: Int64) -> Int64 {
        switch state {
        case .paid: return totalFen
        case .reserved, .dispensed, .delivered, .received, .expired, .cancelled, .refunded: return 0
        }
    }
}
