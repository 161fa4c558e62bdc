import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// One decision on a claim in one state, and the state after it (`nil`: a 409 `claim_state`).
struct ClaimMove: Sendable, CustomTestStringConvertible {
    var from: ClaimState
    var decision: ClaimDecision
    var to: ClaimState?

    var testDescription: String { "\(from) + \(decision) → \(to?.rawValue ?? "409 claim_state")" }
}

/// A review as the insurer submits it, and what the check must say.
struct ClaimReview: Sendable, CustomTestStringConvertible {
    var rule: String
    var decision: ClaimDecision
    var approvedFen: Int64?
    var reason: String?
    var engineFundFen: Int64 = 1000
    var expected: String

    var testDescription: String { rule }
}

/// An insurer's adjustment of the mixed bill (fund 875 of 4000, 1000 of it from the account, the
/// year's fund paid 1000 before it), and the figures it leaves.
struct FundAdjustment: Sendable, CustomTestStringConvertible {
    var target: Int64
    var fund: Int64
    var fullOwnPay: Int64
    var selfShare: Int64
    var cash: Int64
    var fundPaidAfter: Int64

    var testDescription: String { "adjusted to \(target) fen → fund \(fund)" }
}

@Suite("Claims: deferred reimbursement of a bill paid in full (the issue, item 5)")
struct ClaimRulesTests {
    // MARK: The claim's life

    /// Every state against every decision, written out.
    static let everyClaimMove: [ClaimMove] = [
        ClaimMove(from: .filed, decision: .approve, to: .approved),
        ClaimMove(from: .filed, decision: .adjust, to: .adjusted),
        ClaimMove(from: .filed, decision: .reject, to: .rejected),

        ClaimMove(from: .approved, decision: .approve, to: nil),
        ClaimMove(from: .approved, decision: .adjust, to: nil),
        ClaimMove(from: .approved, decision: .reject, to: nil),

        ClaimMove(from: .adjusted, decision: .approve, to: nil),
        ClaimMove(from: .adjusted, decision: .adjust, to: nil),
        ClaimMove(from: .adjusted, decision: .reject, to: nil),

        ClaimMove(from: .rejected, decision: .approve, to: nil),
        ClaimMove(from: .rejected, decision: .adjust, to: nil),
        ClaimMove(from: .rejected, decision: .reject, to: nil),
    ]

    @Test("a filed claim is decided once: approve, adjust or reject; any decision on a decided claim is a 409 claim_state",
          arguments: everyClaimMove)
    func claimMove(_ move: ClaimMove) {
        let result = Result { () throws(DomainError) in try move.from.after(move.decision) }
        switch result {
        case .success(let state):
            #expect(state == move.to, "\(move.from) + \(move.decision) was allowed, to \(state)")
        case .failure(let error):
            #expect(move.to == nil, "\(move.from) + \(move.decision) was refused: \(error)")
            #expect(error == .conflict(code: "claim_state", message: "A claim that is \(move.from.rawValue) has been decided already."))
        }
    }

    @Test("the claim table covers every pair of state and decision exactly once, and its conflict code is claim_state")
    func claimTableIsComplete() {
        let pairs = Self.everyClaimMove.map { "\($0.from)+\($0.decision)" }
        #expect(pairs.count == ClaimState.allCases.count * ClaimDecision.allCases.count)
        #expect(Set(pairs).count == pairs.count)
        #expect(ClaimState.conflictCode == "claim_state")
    }

    // MARK: What may be claimed

    @Test("only a bill paid in full may be claimed: one settled directly is a 409 settled_directly, an unpaid one a 409 not_paid",
          arguments: [
              (false, true, "ok"),
              (false, false, "409 not_paid"),
              (true, true, "409 settled_directly"),
              (true, false, "409 settled_directly"),
          ])
    func claimable(_ settledDirectly: Bool, _ isPaid: Bool, _ expected: String) {
        #expect(outcome { () throws(DomainError) in try ClaimRule.checkClaimable(settledDirectly: settledDirectly, isPaid: isPaid) }
            == expected)
    }

    // MARK: The review

    static let reviews: [ClaimReview] = [
        ClaimReview(rule: "an approval without an amount takes the engine's figures",
                    decision: .approve, approvedFen: nil, reason: nil, expected: "ok"),
        ClaimReview(rule: "an approval may give a reason",
                    decision: .approve, approvedFen: nil, reason: "documents complete", expected: "ok"),
        ClaimReview(rule: "an approval with an amount is refused: to pay another amount is to adjust",
                    decision: .approve, approvedFen: 500, reason: nil, expected: "400 approvedFen/not_allowed"),
        ClaimReview(rule: "an approval naming the engine's own amount is refused too",
                    decision: .approve, approvedFen: 1000, reason: nil, expected: "400 approvedFen/not_allowed"),
        ClaimReview(rule: "an adjustment without an amount names the amount as required",
                    decision: .adjust, approvedFen: nil, reason: "one drug not on the list", expected: "400 approvedFen/required"),
        ClaimReview(rule: "an adjustment without a reason names the reason as required",
                    decision: .adjust, approvedFen: 500, reason: nil, expected: "400 reason/required"),
        ClaimReview(rule: "an adjustment whose reason is only blanks has no reason",
                    decision: .adjust, approvedFen: 500, reason: "  \n ", expected: "400 reason/required"),
        ClaimReview(rule: "an adjustment with neither amount nor reason names both",
                    decision: .adjust, approvedFen: nil, reason: nil, expected: "400 approvedFen/required reason/required"),
        ClaimReview(rule: "an adjustment to exactly the engine's 1000 fen is out of range: that is an approval",
                    decision: .adjust, approvedFen: 1000, reason: "no change", expected: "400 approvedFen/range"),
        ClaimReview(rule: "an adjustment above the engine's 1000 fen is out of range",
                    decision: .adjust, approvedFen: 1001, reason: "generous", expected: "400 approvedFen/range"),
        ClaimReview(rule: "an adjustment to a negative amount is out of range",
                    decision: .adjust, approvedFen: -1, reason: "clawback", expected: "400 approvedFen/range"),
        ClaimReview(rule: "an adjustment out of range and without reason names both",
                    decision: .adjust, approvedFen: 2000, reason: "", expected: "400 approvedFen/range reason/required"),
        ClaimReview(rule: "an adjustment of a claim the engine pays nothing on is always out of range",
                    decision: .adjust, approvedFen: 0, reason: "nothing to cut", engineFundFen: 0, expected: "400 approvedFen/range"),
        ClaimReview(rule: "an adjustment to 0 fen with a reason is valid",
                    decision: .adjust, approvedFen: 0, reason: "the prior visit is not on record", expected: "ok"),
        ClaimReview(rule: "an adjustment to 500 of 1000 fen with a reason is valid",
                    decision: .adjust, approvedFen: 500, reason: "one drug above its reference price", expected: "ok"),
        ClaimReview(rule: "an adjustment to one fen below the engine's with a reason is valid",
                    decision: .adjust, approvedFen: 999, reason: "rounding", expected: "ok"),
        ClaimReview(rule: "a rejection without a reason names the reason as required",
                    decision: .reject, approvedFen: nil, reason: nil, expected: "400 reason/required"),
        ClaimReview(rule: "a rejection whose reason is empty names the reason as required",
                    decision: .reject, approvedFen: nil, reason: "", expected: "400 reason/required"),
        ClaimReview(rule: "a rejection with a reason is valid",
                    decision: .reject, approvedFen: nil, reason: "the condition is not covered", expected: "ok"),
    ]

    @Test("""
        a review is checked field by field: an adjustment names an amount from 0 to below the engine's fund and a reason, \
        a rejection a reason, an approval no amount
        """, arguments: reviews)
    func review(_ review: ClaimReview) {
        #expect(outcome { () throws(DomainError) in
            try ClaimRule.checkReview(review.decision, approvedFen: review.approvedFen, reason: review.reason,
                                      engineFundFen: review.engineFundFen)
        } == review.expected)
    }

    // MARK: The adjusted settlement

    /// The mixed bill of SettlementTests (fund 875 of 4000) with 1000 fen in the personal account,
    /// settled in a year whose fund had paid 1000 before: account 1000, cash 2125, fund paid after 1875.
    static func mixedSettlement() throws -> Settlement {
        let request = SettlementRequest(lines: SettlementTests.mixedBill,
                                        policy: try aSettlementPolicy(PolicyTerms(deductibleFen: 1000, personalAccount: .inScope)),
                                        scheme: .employee, level: .tertiary, yearToDate: YearToDate(deductibleUsedFen: 0, fundPaidFen: 1000),
                                        personalAccountBalanceFen: 1000, coverage: .covered)
        return try SettlementRule.settle(request)
    }

    static let adjustments: [FundAdjustment] = [
        FundAdjustment(target: 500, fund: 500, fullOwnPay: 1375, selfShare: 3500, cash: 2500, fundPaidAfter: 1500),
        FundAdjustment(target: 0, fund: 0, fullOwnPay: 1875, selfShare: 4000, cash: 3000, fundPaidAfter: 1000),
        FundAdjustment(target: 874, fund: 874, fullOwnPay: 1001, selfShare: 3126, cash: 2126, fundPaidAfter: 1874),
        FundAdjustment(target: 875, fund: 875, fullOwnPay: 1000, selfShare: 3125, cash: 2125, fundPaidAfter: 1875),
        // Never more than the rule gave, never less than nothing.
        FundAdjustment(target: 2000, fund: 875, fullOwnPay: 1000, selfShare: 3125, cash: 2125, fundPaidAfter: 1875),
        FundAdjustment(target: -100, fund: 0, fullOwnPay: 1875, selfShare: 4000, cash: 3000, fundPaidAfter: 1000),
    ]

    @Test("an adjustment leaves the cut to the patient as wholly self-paid cash and takes it off the year's fund paid",
          arguments: adjustments)
    func adjusted(_ example: FundAdjustment) throws {
        let original = try Self.mixedSettlement()
        #expect(SettlementFigures(original) == SettlementTests.mixedFigures.paid(fromAccount: 1000))
        #expect(original.yearToDateAfter == YearToDate(deductibleUsedFen: 1000, fundPaidFen: 1875))

        let adjusted = original.adjusted(toFundFen: example.target)
        #expect(adjusted.fundFen == example.fund)
        #expect(adjusted.fullOwnPayFen == example.fullOwnPay)
        #expect(adjusted.selfShareFen == example.selfShare)
        #expect(adjusted.cashFen == example.cash)
        #expect(adjusted.yearToDateAfter == YearToDate(deductibleUsedFen: 1000, fundPaidFen: example.fundPaidAfter))
        // Everything else stands as the rule gave it.
        #expect(adjusted.totalFen == 4000)
        #expect(adjusted.personalAccountFen == 1000)
        #expect(adjusted.overLimitFen == 500)
        #expect(adjusted.preSelfPayFen == 250)
        #expect(adjusted.inScopeFen == 2250)
        #expect(adjusted.deductibleFen == 1000)
        #expect(adjusted.coInsuranceFen == 375)
        #expect(adjusted.overCapFen == 0)
        #expect(adjusted.lines == original.lines)
    }

    @Test("""
        for any settlement and any target from 0 to its fund, the adjusted one keeps every identity, pays exactly the target \
        with the total unchanged, and the year's fund paid falls by exactly the cut
        """)
    func adjustedKeepsTheIdentities() async {
        await propertyCheck(count: 500, input: SettlementPropertyTests.bills, Gen.int64(in: 0...10_000)) { bill, share in
            let s = try SettlementRule.settle(try bill.request())
            // Any target in 0...fund: `share` ten-thousandths of the fund.
            let target = s.fundFen * share / 10_000
            let a = s.adjusted(toFundFen: target)
            #expect(SettledAmounts.addUp(totalFen: a.totalFen, fullOwnPayFen: a.fullOwnPayFen, overLimitFen: a.overLimitFen,
                                         preSelfPayFen: a.preSelfPayFen, deductibleFen: a.deductibleFen,
                                         coInsuranceFen: a.coInsuranceFen, overCapFen: a.overCapFen, fundFen: a.fundFen,
                                         selfShareFen: a.selfShareFen, personalAccountFen: a.personalAccountFen, cashFen: a.cashFen),
                    "\(SettlementFigures(a))")
            #expect(a.fundFen == target)
            #expect(a.totalFen == s.totalFen)
            #expect(a.personalAccountFen == s.personalAccountFen)
            #expect(a.yearToDateAfter.fundPaidFen == s.yearToDateAfter.fundPaidFen - (s.fundFen - target))
            #expect(a.yearToDateAfter.deductibleUsedFen == s.yearToDateAfter.deductibleUsedFen)
        }
    }

    // MARK: Whether a payment stands

    static let orderPayments: [(OrderState, Bool)] = [
        (.created, false), (.paid, true), (.inService, true), (.completed, true), (.cancelled, false), (.refunded, false),
    ]
    static let medicineOrderPayments: [(MedicineOrderState, Bool)] = [
        (.reserved, false), (.paid, true), (.dispensed, true), (.delivered, true), (.received, true), (.expired, false),
        (.cancelled, false), (.refunded, false),
    ]

    @Test("an order holds the patient's payment while paid, in service or completed, not before and not after a refund",
          arguments: orderPayments)
    func orderHoldsPayment(_ state: OrderState, _ holds: Bool) {
        #expect(state.holdsPayment == holds)
    }

    @Test("a medicine order holds the payment while paid, dispensed, delivered or received, not reserved, expired, cancelled or refunded",
          arguments: medicineOrderPayments)
    func medicineOrderHoldsPayment(_ state: MedicineOrderState, _ holds: Bool) {
        #expect(state.holdsPayment == holds)
    }

    @Test("the two payment tables name every order state and every medicine order state once")
    func holdsPaymentTablesAreComplete() {
        #expect(Self.orderPayments.map(\.0) == OrderState.allCases)
        #expect(Self.medicineOrderPayments.map(\.0) == MedicineOrderState.allCases)
    }

    // MARK: The invoice

    static let hospital = UUID(uuidString: "a0000000-0000-7000-8000-000000000001")!

    static func anInvoice(_ amounts: [Int64], number: String = "ML20260302A1B2C3D4E5F6") -> InvoiceDocument {
        InvoiceDocument(number: number, institutionId: hospital, institutionName: "衢州市人民医院互联网医院", payer: "张三",
                        orderId: UUID(uuidString: "0190f5e2-7a1b-7c3d-8e4f-000000000042"), medicineOrderId: nil,
                        lines: amounts.enumerated().map { InvoiceDocument.Line(description: "line \($0.offset + 1)", quantity: 1, amountFen: $0.element) },
                        issuedAt: "2026-03-02T10:15:00+08:00")
    }

    static let invoiceTotals: [([Int64], Int64)] = [
        ([], 0),
        ([2000], 2000),
        ([2000, 3200, 600], 5800),
        ([1, 1, 1], 3),
        ([0, 5005], 5005),
    ]

    @Test("an invoice's total is the sum of its lines", arguments: invoiceTotals)
    func invoiceTotal(_ amounts: [Int64], _ total: Int64) {
        #expect(Self.anInvoice(amounts).totalFen == total)
    }

    @Test("an invoice number is ML, the day as yyyymmdd and the last 12 hex digits of the invoice's id in upper case", arguments: [
        ("2026-03-02", "0190f5e2-7a1b-7c3d-8e4f-a1b2c3d4e5f6", "ML20260302A1B2C3D4E5F6"),
        ("2026-12-31", "00000000-0000-0000-0000-000000000000", "ML20261231000000000000"),
        ("2000-01-01", "ffffffff-ffff-ffff-ffff-abcdefabcdef", "ML20000101ABCDEFABCDEF"),
    ])
    func invoiceNumber(_ isoDay: String, _ id: String, _ number: String) throws {
        #expect(InvoiceDocument.number(day: try day(isoDay), id: try #require(UUID(uuidString: id))) == number)
    }

    @Test("for any day and id, the invoice number is ML, 8 digits of the day and 12 upper-case hex digits")
    func invoiceNumberFormat() async throws {
        let format = try Regex("ML[0-9]{8}[0-9A-F]{12}")
        let days = zip(Gen.int(in: 1900...2200), Gen.int(in: 1...12), Gen.int(in: 1...28)).map { year, month, day in
            CalendarDate(year: year, month: month, day: day)!
        }
        let ids = zip(Gen.uint64(), Gen.uint64()).map { high, low in
            withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { UUID(uuid: $0.load(as: uuid_t.self)) }
        }
        await propertyCheck(input: days, ids) { day, id in
            let number = InvoiceDocument.number(day: day, id: id)
            #expect(number.wholeMatch(of: format) != nil, "\(number)")
            #expect(number.dropFirst(2).prefix(8) == day.description.replacingOccurrences(of: "-", with: ""))
        }
    }

    @Test("an invoice's canonical text is its JSON with sorted keys: the same invoice gives the same text, which reads back to it")
    func invoiceCanonical() throws {
        let invoice = Self.anInvoice([2000, 3200, 600])
        #expect(invoice.canonical == Self.anInvoice([2000, 3200, 600]).canonical)
        #expect(invoice.canonical != Self.anInvoice([2000, 3200, 601]).canonical)
        #expect(invoice.canonical.contains("\"totalFen\":5800"))
        #expect(invoice.canonical.hasPrefix("{\"institutionId\":"))
        let decoded = try JSONDecoder().decode(InvoiceDocument.self, from: Data(invoice.canonical.utf8))
        #expect(decoded == invoice)
    }
}
