import Foundation

/// What happens to a cross-region settlement (DOMAIN.md: remote cross-region consultation with
/// local settlement): the home insurer's share is reserved in the payment's unit of work, then
/// confirmed as owed to the visited institution in a step of its own — or released by a refund
/// that comes first.
public enum CrossRegionEvent: String, Sendable, CaseIterable {
    case confirm, release
}

/// The two-step settlement across regions: reserved at home → confirmed, or released.
public enum CrossRegionState: String, Sendable, Codable, CaseIterable, StateMachine {
    case reserved, confirmed, released

    /// reserved + confirm → confirmed; reserved + release → released; anything else is a 409
    /// `cross_region_state` (a step runs once: a second confirm, or a confirm after a release, is refused).
    public func after(_ event: CrossRegionEvent) throws(DomainError) -> CrossRegionState {
        switch (self, event) {
        case (.reserved, .confirm): return .confirmed
        case (.reserved, .release): return .released
        default:
            throw .conflict(code: Self.conflictCode, message: "A cross-region settlement that is \(rawValue) cannot be \(event == .confirm ? "confirmed" : "released").")
        }
    }

    public static var conflictCode: String { "cross_region_state" }
}

extension SettledAmounts {
    /// The confirmation's journal entry: the home fund's reserved share becomes its payable to the
    /// visited institution. `nil` when the fund pays nothing.
    public func confirmation(reserved: LedgerAccount, payable: LedgerAccount, settlementId: UUID, orderId: UUID?,
                             medicineOrderId: UUID?) throws(DomainError) -> JournalEntry? {
        guard fundFen > 0 else { return nil }
        return try JournalEntry(kind: .insuranceSettlement, lines: [LedgerLine(payable, -fundFen), LedgerLine(reserved, fundFen)],
                                orderId: orderId, medicineOrderId: medicineOrderId, settlementId: settlementId)
    }
}
