import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A settlement, reversal or claim of a clearing day drawn at random, with what the ledger moved for it.
struct DrawnClearingEntry: Sendable, CustomStringConvertible {
    var institution: Int
    var kind: SettlementKind
    var isClaim: Bool
    /// A cross-region share still reserved at home rather than owed to the institution.
    var viaReserve: Bool
    var fund: Int64
    var account: Int64
    var cash: Int64

    var description: String {
        "\(kind) at institution \(institution)\(isClaim ? " (claim)" : "")\(viaReserve ? " (reserved)" : ""): "
            + "fund \(fund), account \(account), cash \(cash)"
    }
}

@Suite("Daily clearing: each institution's settlements reconciled to the ledger and compared with the insurer's totals")
struct ClearingRuleTests {
    static let region = try! RegionCode("330800")
    static let otherRegion = try! RegionCode("330100")
    static let clearingDay = CalendarDate(year: 2026, month: 3, day: 2)!
    static let hospital = UUID(uuidString: "a0000000-0000-7000-8000-000000000001")!
    static let pharmacy = UUID(uuidString: "b0000000-0000-7000-8000-000000000002")!
    static let clinic = UUID(uuidString: "c0000000-0000-7000-8000-000000000003")!

    static func id(_ n: Int) -> UUID { UUID(uuidString: String(format: "5e000000-0000-7000-8000-%012d", n))! }
    static func wallet(_ n: Int) -> LedgerAccount { .wallet(UUID(uuidString: String(format: "0a000000-0000-7000-8000-%012d", n))!) }
    static func personalAccount(_ n: Int) -> LedgerAccount {
        .personalAccount(UUID(uuidString: String(format: "0b000000-0000-7000-8000-%012d", n))!)
    }

    /// The day: at the hospital a 20-yuan fee settled (fund 700, cash 1300) and a claim reimbursed
    /// (fund 1400 of a 2000 bill paid in full); at the pharmacy a drug bill settled (fund 3416,
    /// account 1784, cash 600) and an earlier one reversed (fund 2100, account 500, cash 400).
    ///
    /// Net, by hand: hospital fund 700 + 1400 = 2100, account 0, wallets 1300 − 1400 = −100 (the
    /// claim pays the wallet back); pharmacy fund 3416 − 2100 = 1316, account 1784 − 500 = 1284,
    /// cash 600 − 400 = 200.
    static let entries: [ClearingEntry] = [
        ClearingEntry(settlementId: id(1), kind: .settlement, reversesId: nil, institutionId: hospital, orderId: id(101),
                      medicineOrderId: nil, serviceDay: clearingDay, totalFen: 2000, fundFen: 700, personalAccountFen: 0, cashFen: 1300),
        ClearingEntry(settlementId: id(2), kind: .settlement, reversesId: nil, institutionId: pharmacy, orderId: nil,
                      medicineOrderId: id(102), serviceDay: clearingDay, totalFen: 5800, fundFen: 3416, personalAccountFen: 1784,
                      cashFen: 600),
        ClearingEntry(settlementId: id(3), kind: .reversal, reversesId: id(90), institutionId: pharmacy, orderId: nil,
                      medicineOrderId: id(103), serviceDay: CalendarDate(year: 2026, month: 3, day: 1)!, totalFen: 3000, fundFen: 2100,
                      personalAccountFen: 500, cashFen: 400),
        ClearingEntry(settlementId: id(4), kind: .settlement, reversesId: nil, institutionId: hospital, orderId: id(104),
                      medicineOrderId: nil, serviceDay: clearingDay, totalFen: 2000, fundFen: 1400, personalAccountFen: 0, cashFen: 600,
                      isClaim: true),
    ]

    /// What the ledger moved for those entries (escrow lines included: clearing ignores them).
    static let ledger: [LedgerMovement] = [
        LedgerMovement(institutionId: hospital, account: wallet(1), amountFen: -1300),
        LedgerMovement(institutionId: hospital, account: .fundPayable(region, to: hospital), amountFen: -700),
        LedgerMovement(institutionId: hospital, account: .escrow, amountFen: 2000),
        LedgerMovement(institutionId: hospital, account: .claimsPaid(region), amountFen: -1400),
        LedgerMovement(institutionId: hospital, account: wallet(4), amountFen: 1400),
        LedgerMovement(institutionId: pharmacy, account: wallet(2), amountFen: -600),
        LedgerMovement(institutionId: pharmacy, account: personalAccount(2), amountFen: -1784),
        LedgerMovement(institutionId: pharmacy, account: .fundPayable(region, to: pharmacy), amountFen: -3416),
        LedgerMovement(institutionId: pharmacy, account: .medicineEscrow, amountFen: 5800),
        LedgerMovement(institutionId: pharmacy, account: wallet(3), amountFen: 400),
        LedgerMovement(institutionId: pharmacy, account: personalAccount(3), amountFen: 500),
        LedgerMovement(institutionId: pharmacy, account: .fundPayable(region, to: pharmacy), amountFen: 2100),
        LedgerMovement(institutionId: pharmacy, account: .medicineEscrow, amountFen: -3000),
    ]

    static func report(_ ledger: [LedgerMovement] = ledger, entries: [ClearingEntry] = entries) -> ClearingReport {
        ClearingRule.report(region: region, day: clearingDay, entries: entries, ledger: ledger)
    }

    static let hospitalTotal = ClearingTotal(institutionId: hospital, settlements: 2, reversals: 0, netTotalFen: 4000, netFundFen: 2100,
                                             netPersonalAccountFen: 0, netCashFen: -100, ledgerFundFen: 2100, ledgerPersonalAccountFen: 0,
                                             ledgerCashFen: -100)
    static let pharmacyTotal = ClearingTotal(institutionId: pharmacy, settlements: 1, reversals: 1, netTotalFen: 2800, netFundFen: 1316,
                                             netPersonalAccountFen: 1284, netCashFen: 200, ledgerFundFen: 1316,
                                             ledgerPersonalAccountFen: 1284, ledgerCashFen: 200)

    // MARK: The report

    @Test("a day whose ledger moved what its settlements, reversal and claim say is reconciled, with the net figures worked out by hand")
    func reconciledDay() {
        let report = Self.report()
        #expect(report.isReconciled)
        #expect(report.problems.isEmpty)
        #expect(report.totals == [Self.hospitalTotal, Self.pharmacyTotal])
        #expect(report.entries.map(\.settlementId) == [Self.id(1), Self.id(2), Self.id(3), Self.id(4)])
        #expect(report.region == Self.region && report.day == Self.clearingDay)
    }

    @Test("a ledger missing the pharmacy's wallet line is not reconciled, and the one problem names the pharmacy with both sides")
    func missingLine() {
        let report = Self.report(Self.ledger.filter { $0.account != Self.wallet(2) })
        #expect(!report.isReconciled)
        #expect(report.totals.map(\.isReconciled) == [true, false])
        #expect(report.problems == [
            "institution b0000000-0000-7000-8000-000000000002: settlements net fund 1316, account 1284, cash 200; "
                + "ledger fund 1316, account 1284, cash -400",
        ])
    }

    @Test("a ledger one fen off on the hospital's fund payable is not reconciled, and the problem names the hospital")
    func oneFenOff() {
        var ledger = Self.ledger
        ledger[1].amountFen = -701
        let report = Self.report(ledger)
        #expect(!report.isReconciled)
        #expect(report.problems == [
            "institution a0000000-0000-7000-8000-000000000001: settlements net fund 2100, account 0, cash -100; "
                + "ledger fund 2101, account 0, cash -100",
        ])
    }

    @Test("a ledger one fen off on a personal account is not reconciled either")
    func oneFenOffOnTheAccount() {
        var ledger = Self.ledger
        ledger[6].amountFen = -1785
        let report = Self.report(ledger)
        #expect(!report.isReconciled)
        #expect(report.totals.last?.ledgerPersonalAccountFen == 1285)
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.hasPrefix("institution b0000000-0000-7000-8000-000000000002:") == true)
    }

    @Test("accounts of another region, escrow and the account funding are not the day's figures: the report ignores them")
    func foreignAccountsIgnored() {
        let noise = [
            LedgerMovement(institutionId: Self.hospital, account: .fundPayable(Self.otherRegion, to: Self.hospital), amountFen: -999),
            LedgerMovement(institutionId: Self.hospital, account: .crossRegionReserved(Self.otherRegion), amountFen: -50),
            LedgerMovement(institutionId: Self.pharmacy, account: .claimsPaid(Self.otherRegion), amountFen: -10),
            LedgerMovement(institutionId: Self.pharmacy, account: .personalAccountFunding(Self.region), amountFen: -100_000),
            LedgerMovement(institutionId: Self.pharmacy, account: .escrow, amountFen: 77),
            LedgerMovement(institutionId: Self.clinic, account: .medicineEscrow, amountFen: 1234),
            LedgerMovement(institutionId: Self.clinic, account: .fundPayable(Self.otherRegion, to: Self.clinic), amountFen: -1234),
        ]
        let report = Self.report(Self.ledger + noise)
        #expect(report.isReconciled)
        #expect(report.totals == [Self.hospitalTotal, Self.pharmacyTotal], "an institution seen only on ignored accounts gets no row")
    }

    @Test("the home region's cross-region reserve counts as the fund's share")
    func reserveCountsAsFund() {
        var ledger = Self.ledger
        ledger[1] = LedgerMovement(institutionId: Self.hospital, account: .crossRegionReserved(Self.region), amountFen: -700)
        #expect(Self.report(ledger).isReconciled)
    }

    @Test("ledger movements for an institution without entries make a row of their own that does not reconcile")
    func movementWithoutEntries() {
        let stray = LedgerMovement(institutionId: Self.clinic, account: .fundPayable(Self.region, to: Self.clinic), amountFen: -500)
        let report = Self.report(Self.ledger + [stray])
        #expect(!report.isReconciled)
        #expect(report.totals.map(\.institutionId) == [Self.hospital, Self.pharmacy, Self.clinic])
        #expect(report.totals.last == ClearingTotal(institutionId: Self.clinic, settlements: 0, reversals: 0, netTotalFen: 0,
                                                    netFundFen: 0, netPersonalAccountFen: 0, netCashFen: 0, ledgerFundFen: 500,
                                                    ledgerPersonalAccountFen: 0, ledgerCashFen: 0))
    }

    @Test("a day without settlements is reconciled and has no rows")
    func emptyDay() {
        let report = Self.report([], entries: [])
        #expect(report.isReconciled)
        #expect(report.totals.isEmpty)
    }

    // MARK: The insurer's totals

    @Test("totals the insurer agrees with to the fen differ nowhere")
    func compareAgreeing() {
        let insurer = [InsurerTotal(institutionId: Self.pharmacy, fundFen: 1316, personalAccountFen: 1284),
                       InsurerTotal(institutionId: Self.hospital, fundFen: 2100, personalAccountFen: 0)]
        #expect(ClearingRule.compare(Self.report(), with: insurer).isEmpty)
    }

    @Test("""
        the comparison lists each differing figure, fund and account apart, with the insurer's minus MedLoop's; an \
        institution only one side lists counts as 0 on the other
        """)
    func compareDiffering() {
        let insurer = [
            // The hospital is missing; the pharmacy differs on both figures; the clinic is only the insurer's.
            InsurerTotal(institutionId: Self.pharmacy, fundFen: 1300, personalAccountFen: 1300),
            InsurerTotal(institutionId: Self.clinic, fundFen: 500, personalAccountFen: 0),
        ]
        #expect(ClearingRule.compare(Self.report(), with: insurer) == [
            ClearingDifference(institutionId: Self.hospital, field: "fundFen", medloopFen: 2100, insurerFen: 0, differenceFen: -2100),
            ClearingDifference(institutionId: Self.pharmacy, field: "fundFen", medloopFen: 1316, insurerFen: 1300, differenceFen: -16),
            ClearingDifference(institutionId: Self.pharmacy, field: "personalAccountFen", medloopFen: 1284, insurerFen: 1300,
                               differenceFen: 16),
            ClearingDifference(institutionId: Self.clinic, field: "fundFen", medloopFen: 0, insurerFen: 500, differenceFen: 500),
        ])
    }

    @Test("the comparison names only the figure that differs: an account off by one fen is one difference")
    func compareOneFigure() {
        let insurer = [InsurerTotal(institutionId: Self.hospital, fundFen: 2100, personalAccountFen: 1),
                       InsurerTotal(institutionId: Self.pharmacy, fundFen: 1316, personalAccountFen: 1284)]
        #expect(ClearingRule.compare(Self.report(), with: insurer) == [
            ClearingDifference(institutionId: Self.hospital, field: "personalAccountFen", medloopFen: 0, insurerFen: 1, differenceFen: 1),
        ])
    }

    // MARK: The clearing file

    @Test("the clearing file has one entry row per entry and one summary row per institution, and parses back as CSV")
    func csvRows() throws {
        let records = try CSV.records(ClearingRule.csv(Self.report()))
        let rows = records.map(\.fields)
        #expect(rows.count == 1 + 4 + 1 + 2)
        #expect(rows.first?.first == "record" && rows.first?.count == 13)
        #expect(rows.filter { $0.first == "entry" }.count == 4)
        #expect(rows.filter { $0.first == "summary" }.count == 2)
        #expect(rows.filter { $0.first == "entry" }.allSatisfy { $0.count == 13 })
        #expect(rows.filter { $0.first == "summary" }.allSatisfy { $0.count == 12 })
        #expect(rows[1] == ["entry", "5e000000-0000-7000-8000-000000000001", "settlement", "", "a0000000-0000-7000-8000-000000000001",
                            "5e000000-0000-7000-8000-000000000101", "", "2026-03-02", "2000", "700", "0", "1300", "no"])
        #expect(rows[3] == ["entry", "5e000000-0000-7000-8000-000000000003", "reversal", "5e000000-0000-7000-8000-000000000090",
                            "b0000000-0000-7000-8000-000000000002", "", "5e000000-0000-7000-8000-000000000103", "2026-03-01", "3000",
                            "2100", "500", "400", "no"])
        #expect(rows[4].last == "yes", "the claim says so")
        #expect(rows[5].first == "record" && rows[5].last == "reconciled")
        #expect(rows[6] == ["summary", "a0000000-0000-7000-8000-000000000001", "2", "0", "4000", "2100", "0", "-100", "2100", "0",
                            "-100", "yes"])
        #expect(rows[7] == ["summary", "b0000000-0000-7000-8000-000000000002", "1", "1", "2800", "1316", "1284", "200", "1316", "1284",
                            "200", "yes"])
        #expect(records.map(\.line) == Array(1...8), "one line a record")
    }

    @Test("the clearing file says no for an institution that does not reconcile")
    func csvSaysNo() throws {
        let report = Self.report(Self.ledger.filter { $0.account != Self.wallet(2) })
        let summaries = try CSV.records(ClearingRule.csv(report)).map(\.fields).filter { $0.first == "summary" }
        #expect(summaries.map { $0.last } == ["yes", "no"])
    }

    // MARK: Reconciliation for any day

    static let drawnEntry = zip(Gen.int(in: 0...2), Gen<SettlementKind>.case, Gen.bool(0.25), Gen.bool(0.2),
                                Gen.int64(in: 0...1_000_000), Gen.int64(in: 0...1_000_000), Gen.int64(in: 0...1_000_000))
        .map { institution, kind, isClaim, viaReserve, fund, account, cash in
            // A claim reimburses a bill paid in full: the personal account takes no part.
            DrawnClearingEntry(institution: institution, kind: kind, isClaim: isClaim, viaReserve: viaReserve, fund: fund,
                               account: isClaim ? 0 : account, cash: cash)
        }

    @Test("""
        for any day of settlements, reversals and claims and the ledger movements they make (a settlement: fund payable \
        −fund, personal account −account, wallet −cash, escrow +total; a reversal the opposite; a claim: wallet +fund, \
        claims paid −fund), the report is reconciled and counts every entry
        """)
    func anyDayReconciles() async {
        await propertyCheck(count: 500, input: Self.drawnEntry.array(of: 0...8)) { drawn in
            let institutions = [Self.hospital, Self.pharmacy, Self.clinic]
            var entries: [ClearingEntry] = []
            var ledger: [LedgerMovement] = []
            for (n, entry) in drawn.enumerated() {
                let institution = institutions[entry.institution]
                let sign: Int64 = entry.kind == .settlement ? 1 : -1
                let total = entry.fund + entry.account + entry.cash
                entries.append(ClearingEntry(settlementId: Self.id(n), kind: entry.kind, reversesId: entry.kind == .reversal ? Self.id(100 + n) : nil,
                                             institutionId: institution, orderId: Self.id(200 + n), medicineOrderId: nil,
                                             serviceDay: Self.clearingDay, totalFen: total, fundFen: entry.fund,
                                             personalAccountFen: entry.account, cashFen: entry.cash, isClaim: entry.isClaim))
                if entry.isClaim {
                    ledger.append(LedgerMovement(institutionId: institution, account: Self.wallet(n), amountFen: sign * entry.fund))
                    ledger.append(LedgerMovement(institutionId: institution, account: .claimsPaid(Self.region), amountFen: -sign * entry.fund))
                } else {
                    let fundAccount: LedgerAccount = entry.viaReserve ? .crossRegionReserved(Self.region)
                        : .fundPayable(Self.region, to: institution)
                    ledger.append(LedgerMovement(institutionId: institution, account: fundAccount, amountFen: -sign * entry.fund))
                    ledger.append(LedgerMovement(institutionId: institution, account: Self.personalAccount(n), amountFen: -sign * entry.account))
                    ledger.append(LedgerMovement(institutionId: institution, account: Self.wallet(n), amountFen: -sign * entry.cash))
                    ledger.append(LedgerMovement(institutionId: institution, account: .escrow, amountFen: sign * total))
                }
            }
            let report = ClearingRule.report(region: Self.region, day: Self.clearingDay, entries: entries, ledger: ledger)
            #expect(report.isReconciled, "\(report.problems)")
            #expect(report.entries.count == drawn.count)
            #expect(report.totals.reduce(0) { $0 + $1.settlements + $1.reversals } == drawn.count)
            #expect(Set(report.totals.map(\.institutionId)) == Set(drawn.map { institutions[$0.institution] }))
            #expect(ClearingRule.compare(report, with: report.totals.map {
                InsurerTotal(institutionId: $0.institutionId, fundFen: $0.netFundFen, personalAccountFen: $0.netPersonalAccountFen)
            }).isEmpty)
        }
    }
}
