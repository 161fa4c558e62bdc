import Foundation
import Testing
@testable import MedLoopDomain

/// The settlement terms of a policy that a bill reads (INSURANCE.md, "The settlement of one bill"),
/// with the values most cases share: a 20-yuan in-scope fee limit, class B paid 10 % first, delivery
/// not covered, no deductible, a 10 000-yuan cap, ratios 70 / 80 / 90 % and no personal account.
struct PolicyTerms: Sendable {
    var fee = ConsultationFeeRule.inScopeLimit(fen: 2000)
    var classBSelfPayFirstBp = 1000
    var deliveryCovered = false
    var deductibleFen: Int64 = 0
    var capFen: Int64 = 1_000_000
    var ratioBp: [HospitalLevel: Int] = [.tertiary: 7000, .secondary: 8000, .primary: 9000]
    var personalAccount = PersonalAccountUse.none
}

/// A policy of region 330800 with `terms` for `scheme` and no terms for the other scheme.
func aSettlementPolicy(_ terms: PolicyTerms, for scheme: InsuranceScheme = .employee) throws -> RegionPolicy {
    RegionPolicy(
        region: try RegionCode("330800"), version: "2020-03", effectiveFrom: try day("2020-03-01"), effectiveTo: nil,
        name: LocalizedText(zh: "衢州市“互联网+”医保", en: "Quzhou Internet+ insurance"), coveredConditions: [],
        admittedKinds: [.internetHospital, .pharmacy], onlyInstitutions: [], platformLevel: nil, priorVisit: nil,
        consultationFee: terms.fee, classBSelfPayFirstBp: terms.classBSelfPayFirstBp, deliveryCovered: terms.deliveryCovered,
        schemes: [scheme: SchemeTerms(deductibleFen: terms.deductibleFen, capFen: terms.capFen, ratioBp: terms.ratioBp,
                                      personalAccount: terms.personalAccount)],
        quotaSharedWithPhysicalHospital: false, homeSettles: false)
}

extension ChargeLine {
    static func consultation(_ fen: Int64) -> ChargeLine { ChargeLine(kind: .consultation, amountFen: fen) }
    static func delivery(_ fen: Int64) -> ChargeLine { ChargeLine(kind: .delivery, amountFen: fen) }
    static func classA(_ fen: Int64, reference: Int64) -> ChargeLine { ChargeLine(kind: .drug(.a), amountFen: fen, referenceFen: reference) }
    static func classB(_ fen: Int64, reference: Int64) -> ChargeLine { ChargeLine(kind: .drug(.b), amountFen: fen, referenceFen: reference) }
    static func unlisted(_ fen: Int64) -> ChargeLine { ChargeLine(kind: .drug(.unlisted), amountFen: fen, referenceFen: fen) }
}

/// Every figure of a settlement, written out by hand; a figure not written is 0.
struct SettlementFigures: Sendable, Equatable, CustomStringConvertible {
    var total: Int64 = 0
    var fullOwnPay: Int64 = 0
    var overLimit: Int64 = 0
    var preSelfPay: Int64 = 0
    var inScope: Int64 = 0
    var deductible: Int64 = 0
    var ratioBase: Int64 = 0
    var fixedFund: Int64 = 0
    var fund: Int64 = 0
    var coInsurance: Int64 = 0
    var overCap: Int64 = 0
    var selfShare: Int64 = 0
    var personalAccount: Int64 = 0
    var cash: Int64 = 0

    var description: String {
        "total \(total), fullOwnPay \(fullOwnPay), overLimit \(overLimit), preSelfPay \(preSelfPay), inScope \(inScope), "
            + "deductible \(deductible), ratioBase \(ratioBase), fixedFund \(fixedFund), fund \(fund), coInsurance \(coInsurance), "
            + "overCap \(overCap), selfShare \(selfShare), personalAccount \(personalAccount), cash \(cash)"
    }
}

extension SettlementFigures {
    init(_ s: Settlement) {
        self.init(total: s.totalFen, fullOwnPay: s.fullOwnPayFen, overLimit: s.overLimitFen, preSelfPay: s.preSelfPayFen,
                  inScope: s.inScopeFen, deductible: s.deductibleFen, ratioBase: s.ratioBaseFen, fixedFund: s.fixedFundFen,
                  fund: s.fundFen, coInsurance: s.coInsuranceFen, overCap: s.overCapFen, selfShare: s.selfShareFen,
                  personalAccount: s.personalAccountFen, cash: s.cashFen)
    }
}

/// A bill under a policy, and its settlement worked out by hand from INSURANCE.md.
struct SettlementCase: Sendable, CustomTestStringConvertible {
    var rule: String
    var terms = PolicyTerms()
    var scheme = InsuranceScheme.employee
    var level = HospitalLevel.tertiary
    var lines: [ChargeLine]
    var yearToDate = YearToDate.zero
    var balanceFen: Int64 = 0
    var coverage = CoverageDecision.covered
    var expected: SettlementFigures

    var testDescription: String { rule }

    func request() throws -> SettlementRequest {
        SettlementRequest(lines: lines, policy: try aSettlementPolicy(terms, for: scheme), scheme: scheme, level: level,
                          yearToDate: yearToDate, personalAccountBalanceFen: balanceFen, coverage: coverage)
    }
}

/// Input the settlement refuses, with every issue it reports as `field/code`.
struct RefusedBill: Sendable, CustomTestStringConvertible {
    var rule: String
    var lines: [ChargeLine]
    var yearToDate = YearToDate.zero
    var balanceFen: Int64 = 0
    var issues: [String]

    var testDescription: String { rule }
}

@Suite("Settlement: what the fund and the patient pay for a bill, to the fen (INSURANCE.md)")
struct SettlementTests {
    /// The Guangzhou-like terms of the first worked example: the fund pays 7 yuan of the fee.
    static let guangdong = PolicyTerms(fee: .fundPaysFixed(fen: 700), capFen: 300_000,
                                       ratioBp: [.tertiary: 8500, .secondary: 8800, .primary: 9000], personalAccount: .inScope)
    /// The resident terms of the second worked example: deductible 300 yuan, ratio 60 % at the secondary level.
    static let resident = PolicyTerms(deductibleFen: 30_000, capFen: 200_000, ratioBp: [.tertiary: 5000, .secondary: 6000, .primary: 7000])
    /// A bill with a part in every column: an unlisted drug of 10 yuan and a class-B drug of 30 yuan
    /// above its 25-yuan reference, under a 10-yuan deductible none of which is used. By hand:
    /// fullOwnPay 1000; overLimit 500; preSelfPay 250 (10 % of 2500); inScope 2250; deductible 1000;
    /// ratioBase 1250; fund 875 (70 %); coInsurance 375; selfShare 3125; the in-scope part of it
    /// 250 + 1000 + 375 = 1625.
    static let mixedBill: [ChargeLine] = [.unlisted(1000), .classB(3000, reference: 2500)]
    static let mixedFigures = SettlementFigures(total: 4000, fullOwnPay: 1000, overLimit: 500, preSelfPay: 250, inScope: 2250,
                                                deductible: 1000, ratioBase: 1250, fund: 875, coInsurance: 375, selfShare: 3125)

    static let cases: [SettlementCase] = [
        // INSURANCE.md, worked examples.
        SettlementCase(rule: "Guangdong-like: of a 20-yuan fee the fund pays the fixed 7 yuan and the patient the 13 over it",
                       terms: guangdong, lines: [.consultation(2000)], balanceFen: 100_000,
                       expected: SettlementFigures(total: 2000, overLimit: 1300, fixedFund: 700, fund: 700, selfShare: 1300, cash: 1300)),
        SettlementCase(rule: "a first-time patient (no prior visit) pays the whole 20-yuan fee himself",
                       terms: guangdong, lines: [.consultation(2000)], balanceFen: 100_000, coverage: .notCovered(.priorVisitMissing),
                       expected: SettlementFigures(total: 2000, fullOwnPay: 2000, selfShare: 2000, cash: 2000)),
        // 5005 × 10 % = 500.5 → 501; 4504 in scope; 1000 of deductible left; 3504 × 60 % = 2102.4 → 2102.
        SettlementCase(rule: "resident, secondary level: a 5005-fen class-B line with 10 yuan of deductible left",
                       terms: resident, scheme: .resident, level: .secondary, lines: [.classB(5005, reference: 5005)],
                       yearToDate: YearToDate(deductibleUsedFen: 29_000, fundPaidFen: 0),
                       expected: SettlementFigures(total: 5005, preSelfPay: 501, inScope: 4504, deductible: 1000, ratioBase: 3504,
                                                   fund: 2102, coInsurance: 1402, selfShare: 2903, cash: 2903)),
        // The simulation body of INSURANCE.md under Quzhou-like employee terms: fee 20 yuan within the
        // 25-yuan limit, class B 3200 (320 first), delivery 600 not covered; 4880 × 70 % = 3416.
        SettlementCase(rule: "a consultation, a class-B drug and a delivery on one bill, the in-scope self share from the account",
                       terms: PolicyTerms(fee: .inScopeLimit(fen: 2500), capFen: 600_000, personalAccount: .inScope),
                       lines: [.consultation(2000), .classB(3200, reference: 3200), .delivery(600)], balanceFen: 100_000,
                       expected: SettlementFigures(total: 5800, fullOwnPay: 600, preSelfPay: 320, inScope: 4880, ratioBase: 4880,
                                                   fund: 3416, coInsurance: 1464, selfShare: 2384, personalAccount: 1784, cash: 600)),

        // The line table.
        SettlementCase(rule: "an unlisted drug is wholly self-paid",
                       lines: [.unlisted(3000)],
                       expected: SettlementFigures(total: 3000, fullOwnPay: 3000, selfShare: 3000, cash: 3000)),
        SettlementCase(rule: "a delivery the policy does not cover is wholly self-paid",
                       lines: [.delivery(600)],
                       expected: SettlementFigures(total: 600, fullOwnPay: 600, selfShare: 600, cash: 600)),
        SettlementCase(rule: "a delivery the policy covers is in scope: 600 × 70 % = 420 from the fund",
                       terms: PolicyTerms(deliveryCovered: true), lines: [.delivery(600)],
                       expected: SettlementFigures(total: 600, inScope: 600, ratioBase: 600, fund: 420, coInsurance: 180,
                                                   selfShare: 180, cash: 180)),
        SettlementCase(rule: "a class-A drug under its reference price is wholly in scope",
                       lines: [.classA(3000, reference: 3500)],
                       expected: SettlementFigures(total: 3000, inScope: 3000, ratioBase: 3000, fund: 2100, coInsurance: 900,
                                                   selfShare: 900, cash: 900)),
        SettlementCase(rule: "a class-A drug over its reference price pays the difference as over-limit",
                       lines: [.classA(3000, reference: 2500)],
                       expected: SettlementFigures(total: 3000, overLimit: 500, inScope: 2500, ratioBase: 2500, fund: 1750,
                                                   coInsurance: 750, selfShare: 1250, cash: 1250)),
        SettlementCase(rule: "a class-B drug under its reference price pays 10 % of it first",
                       lines: [.classB(3000, reference: 3500)],
                       expected: SettlementFigures(total: 3000, preSelfPay: 300, inScope: 2700, ratioBase: 2700, fund: 1890,
                                                   coInsurance: 810, selfShare: 1110, cash: 1110)),
        SettlementCase(rule: "a class-B drug over its reference price pays the difference, then 10 % of the reference first",
                       lines: [.classB(3000, reference: 2500)],
                       expected: SettlementFigures(total: 3000, overLimit: 500, preSelfPay: 250, inScope: 2250, ratioBase: 2250,
                                                   fund: 1575, coInsurance: 675, selfShare: 1425, cash: 1425)),
        SettlementCase(rule: "a consultation fee under the in-scope limit is wholly in scope",
                       lines: [.consultation(1500)],
                       expected: SettlementFigures(total: 1500, inScope: 1500, ratioBase: 1500, fund: 1050, coInsurance: 450,
                                                   selfShare: 450, cash: 450)),
        SettlementCase(rule: "a consultation fee over the in-scope limit pays the rest as over-limit",
                       lines: [.consultation(2500)],
                       expected: SettlementFigures(total: 2500, overLimit: 500, inScope: 2000, ratioBase: 2000, fund: 1400,
                                                   coInsurance: 600, selfShare: 1100, cash: 1100)),
        SettlementCase(rule: "a consultation fee below the fund's fixed amount is paid wholly by the fund",
                       terms: PolicyTerms(fee: .fundPaysFixed(fen: 700)), lines: [.consultation(500)],
                       expected: SettlementFigures(total: 500, fixedFund: 500, fund: 500)),
        SettlementCase(rule: "a consultation fee above the fund's fixed amount leaves the rest over-limit",
                       terms: PolicyTerms(fee: .fundPaysFixed(fen: 700)), lines: [.consultation(900)],
                       expected: SettlementFigures(total: 900, overLimit: 200, fixedFund: 700, fund: 700, selfShare: 200, cash: 200)),
        SettlementCase(rule: "the fund's fixed amount for the fee is outside the deductible and the ratio",
                       terms: PolicyTerms(fee: .fundPaysFixed(fen: 700), deductibleFen: 1000,
                                          ratioBp: [.tertiary: 5000, .secondary: 5000, .primary: 5000]),
                       lines: [.consultation(2000)],
                       expected: SettlementFigures(total: 2000, overLimit: 1300, fixedFund: 700, fund: 700, selfShare: 1300, cash: 1300)),

        // The level whose ratio applies.
        SettlementCase(rule: "at the secondary level the fund pays 80 %",
                       level: .secondary, lines: [.classA(1000, reference: 1000)],
                       expected: SettlementFigures(total: 1000, inScope: 1000, ratioBase: 1000, fund: 800, coInsurance: 200,
                                                   selfShare: 200, cash: 200)),
        SettlementCase(rule: "at the primary level the fund pays 90 %",
                       level: .primary, lines: [.classA(1000, reference: 1000)],
                       expected: SettlementFigures(total: 1000, inScope: 1000, ratioBase: 1000, fund: 900, coInsurance: 100,
                                                   selfShare: 100, cash: 100)),

        // The deductible: 10 yuan a year.
        SettlementCase(rule: "a deductible partly used takes only what is left of it (600 of 1000)",
                       terms: PolicyTerms(deductibleFen: 1000), lines: [.classA(3000, reference: 3000)],
                       yearToDate: YearToDate(deductibleUsedFen: 400, fundPaidFen: 0),
                       expected: SettlementFigures(total: 3000, inScope: 3000, deductible: 600, ratioBase: 2400, fund: 1680,
                                                   coInsurance: 720, selfShare: 1320, cash: 1320)),
        SettlementCase(rule: "a deductible already used up takes nothing",
                       terms: PolicyTerms(deductibleFen: 1000), lines: [.classA(3000, reference: 3000)],
                       yearToDate: YearToDate(deductibleUsedFen: 1000, fundPaidFen: 0),
                       expected: SettlementFigures(total: 3000, inScope: 3000, ratioBase: 3000, fund: 2100, coInsurance: 900,
                                                   selfShare: 900, cash: 900)),
        SettlementCase(rule: "a year to date past the deductible (a smaller new version) takes nothing either",
                       terms: PolicyTerms(deductibleFen: 1000), lines: [.classA(3000, reference: 3000)],
                       yearToDate: YearToDate(deductibleUsedFen: 1500, fundPaidFen: 0),
                       expected: SettlementFigures(total: 3000, inScope: 3000, ratioBase: 3000, fund: 2100, coInsurance: 900,
                                                   selfShare: 900, cash: 900)),
        SettlementCase(rule: "a bill that uses up exactly the rest of the deductible leaves the fund nothing to pay",
                       terms: PolicyTerms(deductibleFen: 1000), lines: [.classA(600, reference: 600)],
                       yearToDate: YearToDate(deductibleUsedFen: 400, fundPaidFen: 0),
                       expected: SettlementFigures(total: 600, inScope: 600, deductible: 600, selfShare: 600, cash: 600)),
        SettlementCase(rule: "a bill smaller than the deductible left goes wholly to the deductible",
                       terms: PolicyTerms(deductibleFen: 1000), lines: [.classA(600, reference: 600)],
                       expected: SettlementFigures(total: 600, inScope: 600, deductible: 600, selfShare: 600, cash: 600)),

        // The cap: 100 yuan a year.
        SettlementCase(rule: "a cap reached by this bill leaves the rest of the fund's share to the patient as over-cap",
                       terms: PolicyTerms(capFen: 10_000), lines: [.classA(3000, reference: 3000)],
                       yearToDate: YearToDate(deductibleUsedFen: 0, fundPaidFen: 9000),
                       expected: SettlementFigures(total: 3000, inScope: 3000, ratioBase: 3000, fund: 1000, coInsurance: 900,
                                                   overCap: 1100, selfShare: 2000, cash: 2000)),
        SettlementCase(rule: "a cap already exhausted leaves the fund nothing to pay",
                       terms: PolicyTerms(capFen: 10_000), lines: [.classA(3000, reference: 3000)],
                       yearToDate: YearToDate(deductibleUsedFen: 0, fundPaidFen: 10_000),
                       expected: SettlementFigures(total: 3000, inScope: 3000, ratioBase: 3000, coInsurance: 900, overCap: 2100,
                                                   selfShare: 3000, cash: 3000)),
        SettlementCase(rule: "the fund's fixed amount for the fee is capped too",
                       terms: PolicyTerms(fee: .fundPaysFixed(fen: 700), capFen: 10_000), lines: [.consultation(2000)],
                       yearToDate: YearToDate(deductibleUsedFen: 0, fundPaidFen: 9700),
                       expected: SettlementFigures(total: 2000, overLimit: 1300, fixedFund: 700, fund: 300, overCap: 400,
                                                   selfShare: 1700, cash: 1700)),

        // Class-B share, rounded half up: 0.4 → 0, 0.5 → 1, 1.5 → 2, 2.5 → 3 (then the ratio on the rest).
        SettlementCase(rule: "a class-B share of 0.4 fen rounds down to 0",
                       lines: [.classB(4, reference: 4)],
                       expected: SettlementFigures(total: 4, inScope: 4, ratioBase: 4, fund: 3, coInsurance: 1, selfShare: 1, cash: 1)),
        SettlementCase(rule: "a class-B share of 0.5 fen rounds up to 1",
                       lines: [.classB(5, reference: 5)],
                       expected: SettlementFigures(total: 5, preSelfPay: 1, inScope: 4, ratioBase: 4, fund: 3, coInsurance: 1,
                                                   selfShare: 2, cash: 2)),
        SettlementCase(rule: "a class-B share of 1.5 fen rounds up to 2",
                       lines: [.classB(15, reference: 15)],
                       expected: SettlementFigures(total: 15, preSelfPay: 2, inScope: 13, ratioBase: 13, fund: 9, coInsurance: 4,
                                                   selfShare: 6, cash: 6)),
        SettlementCase(rule: "a class-B share of 2.5 fen rounds up to 3",
                       lines: [.classB(25, reference: 25)],
                       expected: SettlementFigures(total: 25, preSelfPay: 3, inScope: 22, ratioBase: 22, fund: 15, coInsurance: 7,
                                                   selfShare: 10, cash: 10)),

        // The fund's ratio share, rounded half up.
        SettlementCase(rule: "a fund share of 2.1 fen rounds down to 2",
                       lines: [.classA(3, reference: 3)],
                       expected: SettlementFigures(total: 3, inScope: 3, ratioBase: 3, fund: 2, coInsurance: 1, selfShare: 1, cash: 1)),
        SettlementCase(rule: "a fund share of 3.5 fen rounds up to 4",
                       lines: [.classA(5, reference: 5)],
                       expected: SettlementFigures(total: 5, inScope: 5, ratioBase: 5, fund: 4, coInsurance: 1, selfShare: 1, cash: 1)),
        SettlementCase(rule: "a fund share of 10.5 fen rounds up to 11",
                       lines: [.classA(15, reference: 15)],
                       expected: SettlementFigures(total: 15, inScope: 15, ratioBase: 15, fund: 11, coInsurance: 4, selfShare: 4, cash: 4)),
        SettlementCase(rule: "a fund share of 4.5 fen at 90 % rounds up to all 5",
                       level: .primary, lines: [.classA(5, reference: 5)],
                       expected: SettlementFigures(total: 5, inScope: 5, ratioBase: 5, fund: 5)),

        // Who pays the self share.
        SettlementCase(rule: "with no personal account use, a large balance pays nothing",
                       terms: PolicyTerms(deductibleFen: 1000, personalAccount: .none), lines: mixedBill, balanceFen: 100_000,
                       expected: mixedFigures.paid(fromAccount: 0)),
        SettlementCase(rule: "with no personal account use, a small balance pays nothing",
                       terms: PolicyTerms(deductibleFen: 1000, personalAccount: .none), lines: mixedBill, balanceFen: 1000,
                       expected: mixedFigures.paid(fromAccount: 0)),
        SettlementCase(rule: "an in-scope account with enough balance pays the class-B share, deductible and co-insurance",
                       terms: PolicyTerms(deductibleFen: 1000, personalAccount: .inScope), lines: mixedBill, balanceFen: 100_000,
                       expected: mixedFigures.paid(fromAccount: 1625)),
        SettlementCase(rule: "an in-scope account with too little balance pays its balance",
                       terms: PolicyTerms(deductibleFen: 1000, personalAccount: .inScope), lines: mixedBill, balanceFen: 1000,
                       expected: mixedFigures.paid(fromAccount: 1000)),
        SettlementCase(rule: "an account for everything with enough balance pays the whole self share",
                       terms: PolicyTerms(deductibleFen: 1000, personalAccount: .all), lines: mixedBill, balanceFen: 100_000,
                       expected: mixedFigures.paid(fromAccount: 3125)),
        SettlementCase(rule: "an account for everything with too little balance pays its balance",
                       terms: PolicyTerms(deductibleFen: 1000, personalAccount: .all), lines: mixedBill, balanceFen: 1000,
                       expected: mixedFigures.paid(fromAccount: 1000)),
        // The cap leaves 500 of the 875: over-cap 375, in-scope part 250 + 1000 + 375 + 375 = 2000.
        SettlementCase(rule: "an in-scope account pays the over-cap part too",
                       terms: PolicyTerms(deductibleFen: 1000, capFen: 10_000, personalAccount: .inScope), lines: mixedBill,
                       yearToDate: YearToDate(deductibleUsedFen: 0, fundPaidFen: 9500), balanceFen: 100_000,
                       expected: SettlementFigures(total: 4000, fullOwnPay: 1000, overLimit: 500, preSelfPay: 250, inScope: 2250,
                                                   deductible: 1000, ratioBase: 1250, fund: 500, coInsurance: 375, overCap: 375,
                                                   selfShare: 3500, personalAccount: 2000, cash: 1500)),

        // Bills the fund does not take part in, and the empty bill.
        SettlementCase(rule: "a bill of a condition not covered is wholly self-paid, whatever its lines",
                       terms: PolicyTerms(deliveryCovered: true, personalAccount: .inScope),
                       lines: [.consultation(2000), .classA(3000, reference: 3000), .classB(1000, reference: 900), .delivery(600)],
                       balanceFen: 100_000, coverage: .notCovered(.conditionNotCovered),
                       expected: SettlementFigures(total: 6600, fullOwnPay: 6600, selfShare: 6600, cash: 6600)),
        SettlementCase(rule: "a bill without lines settles to nothing",
                       lines: [],
                       expected: SettlementFigures()),
    ]

    @Test("a bill settles to the figures worked out by hand from INSURANCE.md", arguments: Self.cases)
    func settles(_ example: SettlementCase) throws {
        let settlement = try SettlementRule.settle(try example.request())
        #expect(SettlementFigures(settlement) == example.expected)
        #expect(settlement.coverage == example.coverage)
        #expect(settlement.yearToDateAfter == YearToDate(
            deductibleUsedFen: example.yearToDate.deductibleUsedFen + example.expected.deductible,
            fundPaidFen: example.yearToDate.fundPaidFen + example.expected.fund))
        // A bill of one line: that line's columns are the bill's.
        if example.lines.count == 1, let line = settlement.lines.first {
            #expect(line.amountFen == example.expected.total)
            #expect(line.fullOwnPayFen == example.expected.fullOwnPay)
            #expect(line.overLimitFen == example.expected.overLimit)
            #expect(line.preSelfPayFen == example.expected.preSelfPay)
            #expect(line.inScopeFen == example.expected.inScope)
            #expect(line.fixedFundFen == example.expected.fixedFund)
        }
    }

    @Test("the lines of a bill keep their order, kind and class with their own columns")
    func linesOfABill() throws {
        let example = try #require(Self.cases.first { $0.lines.count == 3 })
        let settlement = try SettlementRule.settle(try example.request())
        #expect(settlement.lines.map(\.kind) == ["consultation", "drug", "delivery"])
        #expect(settlement.lines.map(\.drugClass) == [nil, .b, nil])
        #expect(settlement.lines.map(\.inScopeFen) == [2000, 2880, 0])
        #expect(settlement.lines.map(\.preSelfPayFen) == [0, 320, 0])
        #expect(settlement.lines.map(\.fullOwnPayFen) == [0, 0, 600])
    }

    @Test("a scheme the policy has no terms for is not covered: every line is wholly self-paid")
    func schemeMissing() throws {
        let policy = try aSettlementPolicy(PolicyTerms(personalAccount: .all), for: .employee)
        let request = SettlementRequest(lines: [.consultation(2000), .classA(3000, reference: 3000)], policy: policy,
                                        scheme: .resident, level: .tertiary, yearToDate: .zero, personalAccountBalanceFen: 100_000,
                                        coverage: .covered)
        let settlement = try SettlementRule.settle(request)
        #expect(settlement.coverage == .notCovered(.schemeNotCovered))
        #expect(SettlementFigures(settlement) == SettlementFigures(total: 5000, fullOwnPay: 5000, selfShare: 5000, cash: 5000))
        #expect(settlement.lines.map(\.fullOwnPayFen) == [2000, 3000])
        #expect(settlement.yearToDateAfter == .zero)
    }

    static let refusals: [RefusedBill] = [
        RefusedBill(rule: "a negative amount", lines: [.consultation(-1)], issues: ["lines[0].amountFen/range"]),
        RefusedBill(rule: "an amount above ten million yuan", lines: [.consultation(1_000_000_001)], issues: ["lines[0].amountFen/range"]),
        RefusedBill(rule: "a drug line without its reference price",
                    lines: [.consultation(2000), ChargeLine(kind: .drug(.a), amountFen: 3000)], issues: ["lines[1].referenceFen/required"]),
        RefusedBill(rule: "a negative reference price", lines: [.classB(3000, reference: -1)], issues: ["lines[0].referenceFen/range"]),
        RefusedBill(rule: "a negative year to date", lines: [.consultation(2000)],
                    yearToDate: YearToDate(deductibleUsedFen: 0, fundPaidFen: -1), issues: ["yearToDate/negative"]),
        RefusedBill(rule: "a negative balance", lines: [.consultation(2000)], balanceFen: -1, issues: ["personalAccountBalanceFen/negative"]),
        RefusedBill(rule: "every bad field at once",
                    lines: [.delivery(-600), ChargeLine(kind: .drug(.unlisted), amountFen: 100)],
                    yearToDate: YearToDate(deductibleUsedFen: -1, fundPaidFen: 0), balanceFen: -1,
                    issues: ["lines[0].amountFen/range", "lines[1].referenceFen/required", "yearToDate/negative",
                             "personalAccountBalanceFen/negative"]),
    ]

    @Test("bad input is refused as invalid, naming each bad field", arguments: Self.refusals)
    func refused(_ example: RefusedBill) throws {
        let request = SettlementRequest(lines: example.lines, policy: try aSettlementPolicy(PolicyTerms()), scheme: .employee,
                                        level: .tertiary, yearToDate: example.yearToDate,
                                        personalAccountBalanceFen: example.balanceFen, coverage: .covered)
        #expect(fieldIssues { () throws(DomainError) in try SettlementRule.settle(request) } == example.issues)
        // Refused even when the fund takes no part: the bill itself is malformed.
        var notCovered = request
        notCovered.coverage = .notCovered(.noCoverage)
        #expect(fieldIssues { () throws(DomainError) in try SettlementRule.settle(notCovered) } == example.issues)
    }
}

extension SettlementFigures {
    /// The same figures with `fen` of the self share paid from the personal account and the rest in cash.
    func paid(fromAccount fen: Int64) -> SettlementFigures {
        var figures = self
        figures.personalAccount = fen
        figures.cash = selfShare - fen
        return figures
    }
}

@Suite("Settlement explanation: a sentence per figure, in zh-CN and en")
struct SettlementExplanationTests {
    @Test("every settlement explains itself in zh and en, the coverage first and the total, fund, self share and cash always",
          arguments: SettlementTests.cases)
    func everySettlementIsExplained(_ example: SettlementCase) throws {
        let policy = try aSettlementPolicy(example.terms, for: example.scheme)
        let sentences = try SettlementRule.settle(try example.request()).explanation(policy: policy)
        #expect(sentences.first?.field == "coverage")
        #expect(sentences.allSatisfy { !$0.zh.isEmpty && !$0.en.isEmpty && $0.zh != $0.en })
        let fields = sentences.map(\.field)
        for always in ["totalFen", "fundFen", "selfShareFen", "cashFen"] {
            #expect(fields.contains(always), "no sentence for \(always)")
        }
    }

    @Test("the class-B share reads \"乙类药品先行自付 10%：3.20 元\" for a 32-yuan line at its reference price")
    func classBSentence() throws {
        let policy = try aSettlementPolicy(PolicyTerms(classBSelfPayFirstBp: 1000))
        let request = SettlementRequest(lines: [.classB(3200, reference: 3200)], policy: policy, scheme: .employee, level: .tertiary,
                                        yearToDate: .zero, personalAccountBalanceFen: 0, coverage: .covered)
        let sentences = try SettlementRule.settle(request).explanation(policy: policy)
        let sentence = try #require(sentences.first { $0.field == "preSelfPayFen" })
        #expect(sentence.zh == "乙类药品先行自付 10%：3.20 元")
        #expect(sentence.en == "Class-B drugs, share paid first (10%): 3.20 yuan")
    }

    @Test("the resident example explains its deductible, ratio and fund in yuan")
    func residentSentences() throws {
        let example = try #require(SettlementTests.cases.first { $0.scheme == .resident })
        let policy = try aSettlementPolicy(example.terms, for: .resident)
        let sentences = try SettlementRule.settle(try example.request()).explanation(policy: policy)
        let zh = Dictionary(uniqueKeysWithValues: sentences.map { ($0.field, $0.zh) })
        #expect(zh["coverage"] == "按衢州市“互联网+”医保（2020-03 版）居民医保结算，二级医疗机构报销比例 60%")
        #expect(zh["preSelfPayFen"] == "乙类药品先行自付 10%：5.01 元")
        #expect(zh["deductibleFen"] == "起付线自付（年度起付线 300.00 元）：10.00 元")
        #expect(zh["coInsuranceFen"] == "起付线以上按比例自付（基金支付 60%）：14.02 元")
        #expect(zh["fundFen"] == "统筹基金支付：21.02 元")
        #expect(zh["selfShareFen"] == "个人负担合计：29.03 元")
        #expect(zh["overCapFen"] == nil, "a figure of 0 has no sentence")
    }

    @Test("a bill not covered gives the reason as its first sentence")
    func notCoveredSentence() throws {
        let example = try #require(SettlementTests.cases.first { $0.coverage == .notCovered(.priorVisitMissing) })
        let sentences = try SettlementRule.settle(try example.request()).explanation(policy: try aSettlementPolicy(example.terms))
        #expect(sentences.first?.zh == "未找到符合政策的线下就诊记录，本单按自费结算")
        #expect(sentences.first?.en == "No in-person visit meets the policy's prior-visit rule: the bill is self-paid")
    }

    @Test("fen read as yuan with two decimals", arguments: [
        (Int64(0), "0.00"), (5, "0.05"), (10, "0.10"), (99, "0.99"), (100, "1.00"), (320, "3.20"), (123_456, "1234.56"),
        (-5, "-0.05"), (-150, "-1.50"),
    ])
    func yuanText(_ fen: Int64, _ text: String) {
        #expect(Yuan.text(fen) == text)
    }

    @Test("basis points read as a percentage without trailing zeros", arguments: [
        (1000, "10%"), (0, "0%"), (10_000, "100%"), (6050, "60.5%"), (7525, "75.25%"), (5, "0.05%"), (10, "0.1%"), (8505, "85.05%"),
    ])
    func percent(_ basisPoints: Int, _ text: String) {
        #expect(Yuan.percent(basisPoints) == text)
    }
}
