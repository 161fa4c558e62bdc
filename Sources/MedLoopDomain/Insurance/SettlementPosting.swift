import Foundation

/// Whether a recorded settlement settles a bill or reverses one.
public enum SettlementKind: String, Sendable, Hashable, Codable, CaseIterable {
    case settlement, reversal

    /// Checks that a settlement of this kind may be reversed: a reversal never is, and a
    /// settlement only once.
    ///
    /// - Throws: 409 `reversal_not_reversible` for a reversal, 409 `settlement_reversed` when
    ///   `alreadyReversed`.
    public func checkReversible(alreadyReversed: Bool) throws(DomainError) {
        guard self == .settlement else {
            throw .conflict(code: "reversal_not_reversible", message: "A reversal cannot itself be reversed.")
        }
        guard !alreadyReversed else {
            throw .conflict(code: "settlement_reversed", message: "The settlement has already been reversed.")
        }
    }
}

/// The figures a recorded settlement moved, as the ledger and the registry saw them: what a
/// reversal gives back exactly.
public struct SettledAmounts: Sendable, Hashable {
    public var totalFen: Int64
    public var cashFen: Int64
    public var personalAccountFen: Int64
    public var fundFen: Int64
    public var deductibleFen: Int64

    public init(totalFen: Int64, cashFen: Int64, personalAccountFen: Int64, fundFen: Int64, deductibleFen: Int64) {
        self.totalFen = totalFen
        self.cashFen = cashFen
        self.personalAccountFen = personalAccountFen
        self.fundFen = fundFen
        self.deductibleFen = deductibleFen
    }

    /// Where the money of one settled bill sits in the ledger.
    public struct Accounts: Sendable, Hashable {
        public var wallet: LedgerAccount
        public var personalAccount: LedgerAccount
        public var fundPayable: LedgerAccount
        /// Where the bill's money is held until the service is delivered.
        public var escrow: LedgerAccount

        public init(wallet: LedgerAccount, personalAccount: LedgerAccount, fundPayable: LedgerAccount, escrow: LedgerAccount) {
            self.wallet = wallet
            self.personalAccount = personalAccount
            self.fundPayable = fundPayable
            self.escrow = escrow
        }
    }

    /// The payment's journal entry (the issue, "Real-time settlement at payment"): the cash from
    /// the wallet, the personal-account share from that account, the fund's share as the insurer's
    /// payable to the institution, the whole bill into escrow. `nil` for a bill of 0 fen.
    public func posting(to accounts: Accounts, settlementId: UUID, orderId: UUID?, medicineOrderId: UUID?) throws(DomainError) -> JournalEntry? {
        try entry(.insuranceSettlement, sign: 1, accounts: accounts, settlementId: settlementId, orderId: orderId,
                  medicineOrderId: medicineOrderId)
    }

    /// The reversal's journal entry: exactly the payment's lines with their signs turned.
    public func reversal(of accounts: Accounts, settlementId: UUID, orderId: UUID?, medicineOrderId: UUID?) throws(DomainError) -> JournalEntry? {
        try entry(.insuranceReversal, sign: -1, accounts: accounts, settlementId: settlementId, orderId: orderId,
                  medicineOrderId: medicineOrderId)
    }

    private func entry(_ kind: LedgerEntryKind, sign: Int64, accounts: Accounts, settlementId: UUID, orderId: UUID?,
                       medicineOrderId: UUID?) throws(DomainError) -> JournalEntry? {
        let lines = [
            LedgerLine(accounts.wallet, -cashFen * sign), LedgerLine(accounts.personalAccount, -personalAccountFen * sign),
            LedgerLine(accounts.fundPayable, -fundFen * sign), LedgerLine(accounts.escrow, totalFen * sign),
        ].filter { $0.amountFen != 0 }
        guard !lines.isEmpty else { return nil }
        return try JournalEntry(kind: kind, lines: lines, orderId: orderId, medicineOrderId: medicineOrderId, settlementId: settlementId)
    }
}

extension Settlement {
    public var amounts: SettledAmounts {
        SettledAmounts(totalFen: totalFen, cashFen: cashFen, personalAccountFen: personalAccountFen, fundFen: fundFen,
                       deductibleFen: deductibleFen)
    }

    /// The national platform's names of the figures (settlement message 2207), for
    /// `?format=national` (INSURANCE.md, "What a settlement shows"); `overCapFen` has none.
    public static let nationalFieldNames: KeyValuePairs<String, String> = [
        "totalFen": "medfee_sumamt", "fullOwnPayFen": "fulamt_ownpay_amt", "overLimitFen": "overlmt_selfpay",
        "preSelfPayFen": "preselfpay_amt", "inScopeFen": "inscp_scp_amt", "deductibleFen": "act_pay_dedc",
        "fundFen": "hifp_pay", "coInsuranceFen": "pool_prop_selfpay", "selfShareFen": "psn_part_amt",
        "personalAccountFen": "acct_pay", "cashFen": "psn_cash_pay",
    ]
}

extension SettledAmounts {
    /// Whether a written settlement's figures keep the identities of INSURANCE.md: the self share is
    /// the sum of its parts, the bill is fund plus self share, the self share is account plus cash,
    /// and nothing is negative.
    public static func addUp(totalFen: Int64, fullOwnPayFen: Int64, overLimitFen: Int64, preSelfPayFen: Int64, deductibleFen: Int64,
                             coInsuranceFen: Int64, overCapFen: Int64, fundFen: Int64, selfShareFen: Int64, personalAccountFen: Int64,
                             cashFen: Int64) -> Bool {
        let figures = [totalFen, fullOwnPayFen, overLimitFen, preSelfPayFen, deductibleFen, coInsuranceFen, overCapFen, fundFen,
                       selfShareFen, personalAccountFen, cashFen]
        return figures.allSatisfy { $0 >= 0 }
            && selfShareFen == fullOwnPayFen + overLimitFen + preSelfPayFen + deductibleFen + coInsuranceFen + overCapFen
            && totalFen == fundFen + selfShareFen
            && selfShareFen == personalAccountFen + cashFen
    }
}
