import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// One step applied to a cross-region settlement in one state, and the state after it (`nil`: a
/// 409 `cross_region_state` with `message`).
struct CrossRegionMove: Sendable, CustomTestStringConvertible {
    var from: CrossRegionState
    var event: CrossRegionEvent
    var to: CrossRegionState?
    var message: String?

    var testDescription: String { "\(from) + \(event) → \(to?.rawValue ?? "409 cross_region_state")" }
}

/// The figures of a settled bill, drawn so that the bill is the fund, the account and the cash together.
struct DrawnAmounts: Sendable, CustomStringConvertible {
    var fund: Int64
    var account: Int64
    var cash: Int64

    var amounts: SettledAmounts {
        SettledAmounts(totalFen: fund + account + cash, cashFen: cash, personalAccountFen: account, fundFen: fund, deductibleFen: 0)
    }

    var description: String { "fund \(fund), account \(account), cash \(cash)" }
}

@Suite("Cross-region settlement and the ledger postings of a settled bill")
struct CrossRegionAndPostingTests {
    static let region = try! RegionCode("330800")
    static let institution = UUID(uuidString: "a0000000-0000-7000-8000-000000000001")!
    static let patientAccount = UUID(uuidString: "c0000000-0000-7000-8000-000000000003")!
    static let insuredPerson = UUID(uuidString: "d0000000-0000-7000-8000-000000000004")!
    static let settlementId = UUID(uuidString: "5e000000-0000-7000-8000-000000000005")!
    static let orderId = UUID(uuidString: "0d000000-0000-7000-8000-000000000006")!

    static let accounts = SettledAmounts.Accounts(
        wallet: .wallet(patientAccount), personalAccount: .personalAccount(insuredPerson),
        fundPayable: .fundPayable(region, to: institution), escrow: .escrow)

    // MARK: Cross-region state

    static let everyCrossRegionMove: [CrossRegionMove] = [
        CrossRegionMove(from: .reserved, event: .confirm, to: .confirmed),
        CrossRegionMove(from: .reserved, event: .release, to: .released),
        CrossRegionMove(from: .confirmed, event: .confirm, message: "A cross-region settlement that is confirmed cannot be confirmed."),
        CrossRegionMove(from: .confirmed, event: .release, message: "A cross-region settlement that is confirmed cannot be released."),
        CrossRegionMove(from: .released, event: .confirm, message: "A cross-region settlement that is released cannot be confirmed."),
        CrossRegionMove(from: .released, event: .release, message: "A cross-region settlement that is released cannot be released."),
    ]

    @Test("a reserved share is confirmed or released once; any later step is a 409 cross_region_state saying why",
          arguments: everyCrossRegionMove)
    func crossRegionMove(_ move: CrossRegionMove) {
        let result = Result { () throws(DomainError) in try move.from.after(move.event) }
        switch result {
        case .success(let state):
            #expect(state == move.to, "\(move.from) + \(move.event) was allowed, to \(state)")
        case .failure(let error):
            #expect(move.to == nil, "\(move.from) + \(move.event) was refused: \(error)")
            #expect(error == .conflict(code: "cross_region_state", message: move.message ?? "(allowed)"))
        }
    }

    @Test("the cross-region table covers every pair of state and step exactly once")
    func crossRegionTableIsComplete() {
        let pairs = Self.everyCrossRegionMove.map { "\($0.from)+\($0.event)" }
        #expect(pairs.count == CrossRegionState.allCases.count * CrossRegionEvent.allCases.count)
        #expect(Set(pairs).count == pairs.count)
        #expect(CrossRegionState.conflictCode == "cross_region_state")
    }

    @Test("a confirmation moves the 3416 fen reserved at home to the fund's payable to the visited institution")
    func confirmationWrittenOut() throws {
        let amounts = SettledAmounts(totalFen: 5800, cashFen: 600, personalAccountFen: 1784, fundFen: 3416, deductibleFen: 0)
        let entry = try #require(try amounts.confirmation(reserved: .crossRegionReserved(Self.region), payable: Self.accounts.fundPayable,
                                                          settlementId: Self.settlementId, orderId: Self.orderId, medicineOrderId: nil))
        #expect(entry.lines == [
            LedgerLine(LedgerAccount(name: "insurer:330800:fund-payable:a0000000-0000-7000-8000-000000000001"), -3416),
            LedgerLine(LedgerAccount(name: "insurer:330800:cross-region-reserved"), 3416),
        ])
        #expect(entry.kind == .insuranceSettlement)
        #expect(entry.settlementId == Self.settlementId)
        #expect(entry.orderId == Self.orderId)
    }

    @Test("for any amounts, a confirmation moves exactly the fund's share from the reserve to the payable, and there is none for a fund of 0")
    func confirmationMovesTheFund() async {
        await propertyCheck(input: Self.drawnAmounts) { drawn in
            let entry = try drawn.amounts.confirmation(reserved: .crossRegionReserved(Self.region), payable: Self.accounts.fundPayable,
                                                       settlementId: Self.settlementId, orderId: nil, medicineOrderId: Self.orderId)
            guard drawn.fund > 0 else {
                #expect(entry == nil)
                return
            }
            #expect(entry?.lines == [LedgerLine(Self.accounts.fundPayable, -drawn.fund),
                                     LedgerLine(.crossRegionReserved(Self.region), drawn.fund)])
            #expect(entry?.medicineOrderId == Self.orderId)
        }
    }

    // MARK: Reversal

    @Test("a settlement may be reversed once; a reversal never", arguments: [
        (SettlementKind.settlement, false, "ok"),
        (.settlement, true, "409 settlement_reversed"),
        (.reversal, false, "409 reversal_not_reversible"),
        (.reversal, true, "409 reversal_not_reversible"),
    ])
    func reversible(_ kind: SettlementKind, _ alreadyReversed: Bool, _ expected: String) {
        #expect(outcome { () throws(DomainError) in try kind.checkReversible(alreadyReversed: alreadyReversed) } == expected)
    }

    // MARK: Postings

    @Test("a bill of 5800 fen posts 600 from the wallet, 1784 from the personal account, 3416 as the fund's payable and 5800 into escrow")
    func postingWrittenOut() throws {
        let amounts = SettledAmounts(totalFen: 5800, cashFen: 600, personalAccountFen: 1784, fundFen: 3416, deductibleFen: 0)
        let posting = try #require(try amounts.posting(to: Self.accounts, settlementId: Self.settlementId, orderId: Self.orderId,
                                                       medicineOrderId: nil))
        #expect(posting.kind == .insuranceSettlement)
        #expect(posting.lines == [
            LedgerLine(LedgerAccount(name: "wallet:c0000000-0000-7000-8000-000000000003"), -600),
            LedgerLine(LedgerAccount(name: "personal-account:d0000000-0000-7000-8000-000000000004"), -1784),
            LedgerLine(LedgerAccount(name: "insurer:330800:fund-payable:a0000000-0000-7000-8000-000000000001"), -3416),
            LedgerLine(LedgerAccount(name: "escrow:orders"), 5800),
        ])
        let reversal = try #require(try amounts.reversal(of: Self.accounts, settlementId: Self.settlementId, orderId: Self.orderId,
                                                         medicineOrderId: nil))
        #expect(reversal.kind == .insuranceReversal)
        #expect(reversal.lines.map(\.amountFen) == [600, 1784, 3416, -5800])
    }

    @Test("a share of 0 posts no line: a self-paid bill of 2000 fen moves only the wallet and escrow")
    func zeroSharePostsNoLine() throws {
        let amounts = SettledAmounts(totalFen: 2000, cashFen: 2000, personalAccountFen: 0, fundFen: 0, deductibleFen: 0)
        let posting = try #require(try amounts.posting(to: Self.accounts, settlementId: Self.settlementId, orderId: Self.orderId,
                                                       medicineOrderId: nil))
        #expect(posting.lines == [LedgerLine(Self.accounts.wallet, -2000), LedgerLine(.escrow, 2000)])
    }

    @Test("a bill whose figures do not add up cannot be posted: 422 ledger_unbalanced")
    func unbalancedBill() {
        let amounts = SettledAmounts(totalFen: 5801, cashFen: 600, personalAccountFen: 1784, fundFen: 3416, deductibleFen: 0)
        #expect(outcome { () throws(DomainError) in
            try amounts.posting(to: Self.accounts, settlementId: Self.settlementId, orderId: nil, medicineOrderId: nil)
        } == "422 ledger_unbalanced")
    }

    /// Each share 0 a quarter of the time, so that bills with empty shares and the empty bill come up.
    static let share = zip(Gen.bool(0.25), Gen.int64(in: 1...10_000_000)).map { isZero, fen in isZero ? 0 : fen }
    static let drawnAmounts = zip(share, share, share).map { fund, account, cash in DrawnAmounts(fund: fund, account: account, cash: cash) }

    @Test("""
        for any bill that is fund + account + cash, the posting and the reversal each sum to zero, the reversal's lines are \
        exactly the posting's with signs turned, no line is 0, and a bill of 0 fen posts nothing
        """)
    func postingAndReversalMirror() async {
        await propertyCheck(count: 500, input: Self.drawnAmounts) { drawn in
            let amounts = drawn.amounts
            let posting = try amounts.posting(to: Self.accounts, settlementId: Self.settlementId, orderId: Self.orderId, medicineOrderId: nil)
            let reversal = try amounts.reversal(of: Self.accounts, settlementId: Self.settlementId, orderId: Self.orderId,
                                                medicineOrderId: nil)
            guard amounts.totalFen > 0 else {
                #expect(posting == nil)
                #expect(reversal == nil)
                return
            }
            guard let posting, let reversal else {
                Issue.record("a bill of \(amounts.totalFen) fen posted nothing")
                return
            }
            #expect(posting.lines.reduce(0) { $0 + $1.amountFen } == 0)
            #expect(reversal.lines.reduce(0) { $0 + $1.amountFen } == 0)
            #expect(reversal.lines == posting.lines.map { LedgerLine($0.account, -$0.amountFen) })
            #expect(posting.lines.allSatisfy { $0.amountFen != 0 })
            // Each share on its own account, the whole bill into escrow.
            let moved = Dictionary(uniqueKeysWithValues: posting.lines.map { ($0.account, $0.amountFen) })
            #expect(moved[Self.accounts.wallet] ?? 0 == -drawn.cash)
            #expect(moved[Self.accounts.personalAccount] ?? 0 == -drawn.account)
            #expect(moved[Self.accounts.fundPayable] ?? 0 == -drawn.fund)
            #expect(moved[.escrow] == amounts.totalFen)
            #expect(posting.settlementId == Self.settlementId && reversal.settlementId == Self.settlementId)
        }
    }

    // MARK: The new ledger accounts

    @Test("only a wallet and a personal account hold a person's own money", arguments: [
        (LedgerAccount.wallet(patientAccount), true),
        (.personalAccount(insuredPerson), true),
        (.sandboxGateway, false),
        (.escrow, false),
        (.medicineEscrow, false),
        (.platformCommission, false),
        (.doctorEarnings(patientAccount), false),
        (.pharmacyPayable(institution), false),
        (.personalAccountFunding(region), false),
        (.fundPayable(region, to: institution), false),
        (.crossRegionReserved(region), false),
        (.claimsPaid(region), false),
    ])
    func isPersonal(_ account: LedgerAccount, _ personal: Bool) {
        #expect(account.isPersonal == personal)
    }

    @Test("the insurer's accounts are named by region (and institution)", arguments: [
        (LedgerAccount.personalAccount(insuredPerson), "personal-account:d0000000-0000-7000-8000-000000000004"),
        (.personalAccountFunding(region), "insurer:330800:account-funding"),
        (.fundPayable(region, to: institution), "insurer:330800:fund-payable:a0000000-0000-7000-8000-000000000001"),
        (.crossRegionReserved(region), "insurer:330800:cross-region-reserved"),
        (.claimsPaid(region), "insurer:330800:claims-paid"),
    ])
    func accountNames(_ account: LedgerAccount, _ name: String) {
        #expect(account.name == name)
    }
}
