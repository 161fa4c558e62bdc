import Foundation

/// One settlement or reversal of a clearing day, as the clearing file lists it.
public struct ClearingEntry: Sendable, Hashable {
    public var settlementId: UUID
    public var kind: SettlementKind
    public var reversesId: UUID?
    public var institutionId: UUID
    public var orderId: UUID?
    public var medicineOrderId: UUID?
    public var serviceDay: CalendarDate
    public var totalFen: Int64
    public var fundFen: Int64
    public var personalAccountFen: Int64
    public var cashFen: Int64
    /// A deferred claim's reimbursement: the fund pays the patient's wallet back after a payment in full.
    public var isClaim: Bool

    public init(settlementId: UUID, kind: SettlementKind, reversesId: UUID?, institutionId: UUID, orderId: UUID?,
                medicineOrderId: UUID?, serviceDay: CalendarDate, totalFen: Int64, fundFen: Int64, personalAccountFen: Int64,
                cashFen: Int64, isClaim: Bool = false) {
        self.settlementId = settlementId
        self.kind = kind
        self.reversesId = reversesId
        self.institutionId = institutionId
        self.orderId = orderId
        self.medicineOrderId = medicineOrderId
        self.serviceDay = serviceDay
        self.totalFen = totalFen
        self.fundFen = fundFen
        self.personalAccountFen = personalAccountFen
        self.cashFen = cashFen
        self.isClaim = isClaim
    }

    /// What the day's wallets paid through this entry: the cash share of a settlement at payment;
    /// for a claim, the fund's reimbursement flowing back (the bill itself was paid in full before).
    var walletPaidFen: Int64 { isClaim ? -fundFen : cashFen }

    /// +1 for a settlement, −1 for a reversal: how the entry counts in the day's net figures.
    var sign: Int64 { kind == .settlement ? 1 : -1 }
}

/// What the ledger moved for one institution's settlements of the day, by kind of account (each
/// the sum of the lines of the entries that name those settlements; debits negative).
public struct LedgerMovement: Sendable, Hashable {
    public var institutionId: UUID
    public var account: LedgerAccount
    public var amountFen: Int64

    public init(institutionId: UUID, account: LedgerAccount, amountFen: Int64) {
        self.institutionId = institutionId
        self.account = account
        self.amountFen = amountFen
    }
}

/// One institution's figures for the day: net of settlements minus reversals, and what the ledger moved.
public struct ClearingTotal: Sendable, Hashable, Codable {
    public var institutionId: UUID
    public var settlements: Int
    public var reversals: Int
    public var netTotalFen: Int64
    public var netFundFen: Int64
    public var netPersonalAccountFen: Int64
    public var netCashFen: Int64
    public var ledgerFundFen: Int64
    public var ledgerPersonalAccountFen: Int64
    public var ledgerCashFen: Int64

    /// Whether the settlements and the ledger agree to the fen.
    public var isReconciled: Bool {
        netFundFen == ledgerFundFen && netPersonalAccountFen == ledgerPersonalAccountFen && netCashFen == ledgerCashFen
    }
}

/// A region insurer's clearing for one Asia/Shanghai day (the issue, item 8).
public struct ClearingReport: Sendable, Hashable {
    public var region: RegionCode
    public var day: CalendarDate
    public var entries: [ClearingEntry]
    /// By institution id.
    public var totals: [ClearingTotal]

    public var isReconciled: Bool { totals.allSatisfy(\.isReconciled) }

    /// Every disagreement between the settlements and the ledger, in words; empty when reconciled.
    public var problems: [String] {
        totals.filter { !$0.isReconciled }.map { total in
            "institution \(total.institutionId.text): settlements net fund \(total.netFundFen), account \(total.netPersonalAccountFen), "
                + "cash \(total.netCashFen); ledger fund \(total.ledgerFundFen), account \(total.ledgerPersonalAccountFen), cash \(total.ledgerCashFen)"
        }
    }
}

/// A region insurer's own totals for one institution and day, as it uploads them.
public struct InsurerTotal: Sendable, Hashable, Codable {
    public var institutionId: UUID
    public var fundFen: Int64
    public var personalAccountFen: Int64

    public init(institutionId: UUID, fundFen: Int64, personalAccountFen: Int64) {
        self.institutionId = institutionId
        self.fundFen = fundFen
        self.personalAccountFen = personalAccountFen
    }
}

/// One figure on which MedLoop and the insurer disagree.
public struct ClearingDifference: Sendable, Hashable, Codable {
    public var institutionId: UUID
    /// `fundFen` or `personalAccountFen`.
    public var field: String
    public var medloopFen: Int64
    public var insurerFen: Int64
    public var differenceFen: Int64
}

/// Daily clearing: the day's settlements and reversals per institution, reconciled to the ledger
/// and compared with the insurer's own totals. A mismatch is reported, never absorbed.
public enum ClearingRule {
    /// The report of a day: each institution's net figures beside what the ledger moved for the
    /// same settlements (the fund's payable and reserve, the personal accounts, the wallets).
    public static func report(region: RegionCode, day: CalendarDate, entries: [ClearingEntry],
                              ledger: [LedgerMovement]) -> ClearingReport {
        var totals: [UUID: ClearingTotal] = [:]
        func blank(_ id: UUID) -> ClearingTotal {
            ClearingTotal(institutionId: id, settlements: 0, reversals: 0, netTotalFen: 0, netFundFen: 0, netPersonalAccountFen: 0,
                          netCashFen: 0, ledgerFundFen: 0, ledgerPersonalAccountFen: 0, ledgerCashFen: 0)
        }
        for entry in entries {
            var total = totals[entry.institutionId] ?? blank(entry.institutionId)
            if entry.kind == .settlement { total.settlements += 1 } else { total.reversals += 1 }
            total.netTotalFen += entry.sign * entry.totalFen
            total.netFundFen += entry.sign * entry.fundFen
            total.netPersonalAccountFen += entry.sign * entry.personalAccountFen
            total.netCashFen += entry.sign * entry.walletPaidFen
            totals[entry.institutionId] = total
        }
        let fundPrefix = "insurer:\(region.value):fund-payable:"
        let reserve = LedgerAccount.crossRegionReserved(region).name
        let claims = LedgerAccount.claimsPaid(region).name
        for movement in ledger {
            var total = totals[movement.institutionId] ?? blank(movement.institutionId)
            let name = movement.account.name
            // The ledger debits what is paid out: its negated sums are the figures paid.
            if name.hasPrefix(fundPrefix) || name == reserve || name == claims {
                total.ledgerFundFen -= movement.amountFen
            } else if name.hasPrefix("personal-account:") {
                total.ledgerPersonalAccountFen -= movement.amountFen
            } else if name.hasPrefix("wallet:") {
                total.ledgerCashFen -= movement.amountFen
            } else {
                continue
            }
            totals[movement.institutionId] = total
        }
        return ClearingReport(region: region, day: day, entries: entries.sorted { $0.settlementId.text < $1.settlementId.text },
                              totals: totals.values.sorted { $0.institutionId.text < $1.institutionId.text })
    }

    /// Every figure on which the insurer's totals differ from the report's; an institution only one
    /// side lists counts as zero on the other.
    public static func compare(_ report: ClearingReport, with insurer: [InsurerTotal]) -> [ClearingDifference] {
        var theirs: [UUID: InsurerTotal] = [:]
        for total in insurer { theirs[total.institutionId] = total }
        let ours = Dictionary(uniqueKeysWithValues: report.totals.map { ($0.institutionId, $0) })
        var differences: [ClearingDifference] = []
        for id in Set(ours.keys).union(theirs.keys).sorted(by: { $0.text < $1.text }) {
            let fund = (ours[id]?.netFundFen ?? 0, theirs[id]?.fundFen ?? 0)
            let account = (ours[id]?.netPersonalAccountFen ?? 0, theirs[id]?.personalAccountFen ?? 0)
            if fund.0 != fund.1 {
                differences.append(ClearingDifference(institutionId: id, field: "fundFen", medloopFen: fund.0, insurerFen: fund.1,
                                                      differenceFen: fund.1 - fund.0))
            }
            if account.0 != account.1 {
                differences.append(ClearingDifference(institutionId: id, field: "personalAccountFen", medloopFen: account.0,
                                                      insurerFen: account.1, differenceFen: account.1 - account.0))
            }
        }
        return differences
    }

    /// The clearing file: one CSV row per settlement or reversal, then one summary row per
    /// institution with its net figures, the ledger's, and whether they reconcile.
    public static func csv(_ report: ClearingReport) -> String {
        var lines = ["record,settlementId,kind,reversesId,institutionId,orderId,medicineOrderId,serviceDay,totalFen,fundFen,personalAccountFen,cashFen,claim"]
        for entry in report.entries {
            lines.append([
                "entry", entry.settlementId.text, entry.kind.rawValue, entry.reversesId?.text ?? "", entry.institutionId.text,
                entry.orderId?.text ?? "", entry.medicineOrderId?.text ?? "", entry.serviceDay.description, String(entry.totalFen),
                String(entry.fundFen), String(entry.personalAccountFen), String(entry.cashFen), entry.isClaim ? "yes" : "no",
            ].joined(separator: ","))
        }
        lines.append("record,institutionId,settlements,reversals,netTotalFen,netFundFen,netPersonalAccountFen,netCashFen,ledgerFundFen,ledgerPersonalAccountFen,ledgerCashFen,reconciled")
        for total in report.totals {
            lines.append([
                "summary", total.institutionId.text, String(total.settlements), String(total.reversals), String(total.netTotalFen),
                String(total.netFundFen), String(total.netPersonalAccountFen), String(total.netCashFen), String(total.ledgerFundFen),
                String(total.ledgerPersonalAccountFen), String(total.ledgerCashFen), total.isReconciled ? "yes" : "no",
            ].joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
