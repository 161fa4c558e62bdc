import Foundation

/// An account of MedLoop's double-entry ledger. Balances are signed fen; every journal entry's
/// lines sum to zero, so the balances of all accounts together are always zero.
public struct LedgerAccount: Hashable, Sendable, Codable, CustomStringConvertible {
    public let name: String

    public init(name: String) { self.name = name }

    /// A patient's sandbox wallet: money the platform holds for them (positive = theirs).
    public static func wallet(_ account: UUID) -> LedgerAccount { LedgerAccount(name: "wallet:\(account.text)") }
    /// Money that entered through the sandbox payment provider (its balance is negative by what came in).
    public static let sandboxGateway = LedgerAccount(name: "gateway:sandbox")
    /// Fees paid for services not yet delivered.
    public static let escrow = LedgerAccount(name: "escrow:orders")
    /// What the platform earned in commission.
    public static let platformCommission = LedgerAccount(name: "platform:commission")
    /// What a doctor earned.
    public static func doctorEarnings(_ doctor: UUID) -> LedgerAccount { LedgerAccount(name: "doctor:\(doctor.text)") }
    /// Medicine paid for and not yet dispensed.
    public static let medicineEscrow = LedgerAccount(name: "escrow:medicine")
    /// What the platform owes a pharmacy for medicine it dispensed.
    public static func pharmacyPayable(_ pharmacy: UUID) -> LedgerAccount { LedgerAccount(name: "pharmacy:\(pharmacy.text)") }

    /// An insured person's personal account (employee scheme), held by the region's insurer.
    public static func personalAccount(_ insuredPerson: UUID) -> LedgerAccount {
        LedgerAccount(name: "personal-account:\(insuredPerson.text)")
    }
    /// Where a region's insurer funds personal accounts from (its balance is negative by what it put in).
    public static func personalAccountFunding(_ region: RegionCode) -> LedgerAccount {
        LedgerAccount(name: "insurer:\(region.value):account-funding")
    }
    /// What a region's pooled fund owes an institution for bills it settled (negative = owed),
    /// until the day's clearing pays it.
    public static func fundPayable(_ region: RegionCode, to institution: UUID) -> LedgerAccount {
        LedgerAccount(name: "insurer:\(region.value):fund-payable:\(institution.text)")
    }

    /// The home fund's share of cross-region bills reserved and not yet confirmed (negative = reserved).
    public static func crossRegionReserved(_ home: RegionCode) -> LedgerAccount {
        LedgerAccount(name: "insurer:\(home.value):cross-region-reserved")
    }

    /// What a region's fund paid patients on deferred claims (negative = paid out).
    public static func claimsPaid(_ region: RegionCode) -> LedgerAccount {
        LedgerAccount(name: "insurer:\(region.value):claims-paid")
    }

    /// Whether the account holds a person's own money, which never goes below zero.
    public var isPersonal: Bool { name.hasPrefix("wallet:") || name.hasPrefix("personal-account:") }

    public var description: String { name }
}

/// One line of a journal entry: an amount moved into (positive) or out of (negative) an account.
public struct LedgerLine: Sendable, Equatable, Codable {
    public var account: LedgerAccount
    public var amountFen: Int64

    public init(_ account: LedgerAccount, _ amountFen: Int64) {
        self.account = account
        self.amountFen = amountFen
    }
}

/// What a journal entry records.
public enum LedgerEntryKind: String, Codable, Sendable, CaseIterable {
    case topUp, charge, refund, settlement
    /// An insurance settlement at payment, and its reversal on a refund.
    case insuranceSettlement, insuranceReversal
    /// The insurer sets a personal account's balance.
    case accountFunding
}

/// A balanced set of lines, posted together or not at all.
public struct JournalEntry: Sendable, Equatable {
    public var kind: LedgerEntryKind
    public var lines: [LedgerLine]
    public var orderId: UUID?
    /// The medicine order the entry belongs to, if any.
    public var medicineOrderId: UUID?
    /// The insurance settlement (or reversal) the entry posts, if any.
    public var settlementId: UUID?

    /// Fails unless the lines are non-zero and sum to zero.
    public init(kind: LedgerEntryKind, lines: [LedgerLine], orderId: UUID? = nil, medicineOrderId: UUID? = nil,
                settlementId: UUID? = nil) throws(DomainError) {
        guard !lines.isEmpty, lines.allSatisfy({ $0.amountFen != 0 }) else {
            throw .refused(code: "ledger_entry_empty", message: "A journal entry moves a non-zero amount.")
        }
        var sum: Int64 = 0
        for line in lines {
            let (result, overflow) = sum.addingReportingOverflow(line.amountFen)
            guard !overflow else { throw .refused(code: "ledger_overflow", message: "The amounts are too large.") }
            sum = result
        }
        guard sum == 0 else {
            throw .refused(code: "ledger_unbalanced", message: "A journal entry's lines must sum to zero.")
        }
        self.kind = kind
        self.lines = lines
        self.orderId = orderId
        self.medicineOrderId = medicineOrderId
        self.settlementId = settlementId
    }

    /// Money moved from one account to another.
    public static func transfer(_ kind: LedgerEntryKind, amountFen: Int64, from: LedgerAccount, to: LedgerAccount,
                                orderId: UUID? = nil, medicineOrderId: UUID? = nil) throws(DomainError) -> JournalEntry {
        guard amountFen > 0 else { throw .invalidField("amountFen", code: "not_positive", "The amount must be positive.") }
        return try JournalEntry(kind: kind, lines: [LedgerLine(from, -amountFen), LedgerLine(to, amountFen)], orderId: orderId,
                                medicineOrderId: medicineOrderId)
    }
}

/// How a completed service's fee is shared (care issue, doctor earnings).
public struct CommissionSplit: Sendable, Equatable {
    public var commissionFen: Int64
    public var doctorFen: Int64

    /// The default commission rate: 10 % (1000 basis points).
    public static let defaultRateBasisPoints = 1000

    /// Splits `feeFen` at `rateBasisPoints` (1 bp = 0.01 %). The commission is rounded half up to
    /// the fen and the doctor gets exactly the rest, so the two always add up to the fee and
    /// neither is negative, for every fee `Int64` holds.
    ///
    /// - Throws: `DomainError.invalid` on `feeFen` (`negative`) or `commissionRate` (`range`,
    ///   outside 0...10 000).
    public init(feeFen: Int64, rateBasisPoints: Int) throws(DomainError) {
        guard feeFen >= 0 else { throw .invalidField("feeFen", code: "negative", "A fee is not negative.") }
        guard (0...10_000).contains(rateBasisPoints) else {
            throw .invalidField("commissionRate", code: "range", "A commission rate is between 0 and 10000 basis points.")
        }
        // fee × rate / 10 000, rounded half up, without forming fee × rate (which overflows for
        // the largest fees): the whole ten-thousands of the fee pay exactly `rate` each.
        let rate = Int64(rateBasisPoints)
        let (tenThousands, rest) = feeFen.quotientAndRemainder(dividingBy: 10_000)
        commissionFen = tenThousands * rate + (rest * rate + 5_000) / 10_000
        doctorFen = feeFen - commissionFen
    }

    /// The journal entry that releases the fee from escrow to the platform and the doctor.
    public func settlement(doctor: UUID, orderId: UUID) throws(DomainError) -> JournalEntry {
        var lines = [LedgerLine(.escrow, -(commissionFen + doctorFen))]
        if commissionFen > 0 { lines.append(LedgerLine(.platformCommission, commissionFen)) }
        if doctorFen > 0 { lines.append(LedgerLine(.doctorEarnings(doctor), doctorFen)) }
        return try JournalEntry(kind: .settlement, lines: lines, orderId: orderId)
    }
}

/// How much a patient may add to their wallet at once (through the payment provider).
public enum TopUpRule {
    public static let limitFen: Int64 = 500_000

    /// - Throws: 400 `amountFen` / `range` outside 1 fen – 5,000 yuan.
    public static func check(_ amountFen: Int64) throws(DomainError) {
        guard (1...limitFen).contains(amountFen) else {
            throw .invalidField("amountFen", code: "range", "A top-up is between 1 fen and 5000 yuan.")
        }
    }
}
