import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A random bill under a random policy: everything the settlement reads (`PolicyTerms` and
/// `aSettlementPolicy` are those of SettlementTests.swift).
struct DrawnBill: Sendable {
    var terms: PolicyTerms
    /// Whether the policy has terms for the patient's scheme (otherwise only for the other scheme).
    var policyHasScheme: Bool
    var scheme: InsuranceScheme
    var level: HospitalLevel
    var lines: [ChargeLine]
    var yearToDate: YearToDate
    var balanceFen: Int64
    var coverage: CoverageDecision

    var policy: RegionPolicy {
        get throws {
            try aSettlementPolicy(terms, for: policyHasScheme ? scheme : scheme == .employee ? .resident : .employee)
        }
    }

    func request() throws -> SettlementRequest {
        SettlementRequest(lines: lines, policy: try policy, scheme: scheme, level: level, yearToDate: yearToDate,
                          personalAccountBalanceFen: balanceFen, coverage: coverage)
    }
}

@Suite("Settlement laws: for any policy and any bill (INSURANCE.md)")
struct SettlementPropertyTests {
    static let fee = zip(Gen.bool, Gen.int64(in: 0...1_000_000)).map { isFixed, fen in
        isFixed ? ConsultationFeeRule.fundPaysFixed(fen: fen) : .inScopeLimit(fen: fen)
    }
    static let ratios = zip(Gen.int(in: 0...10_000), Gen.int(in: 0...10_000), Gen.int(in: 0...10_000)).map { tertiary, secondary, primary in
        [HospitalLevel.tertiary: tertiary, .secondary: secondary, .primary: primary]
    }
    static let terms = zip(fee, Gen.int(in: 0...10_000), Gen.bool, Gen.int64(in: 0...1_000_000), Gen.int64(in: 0...1_000_000),
                           ratios, Gen<PersonalAccountUse>.case)
        .map { fee, classB, deliveryCovered, deductible, cap, ratioBp, account in
            PolicyTerms(fee: fee, classBSelfPayFirstBp: classB, deliveryCovered: deliveryCovered, deductibleFen: deductible,
                        capFen: cap, ratioBp: ratioBp, personalAccount: account)
        }

    static let kinds: [ChargeKind] = [.consultation, .drug(.a), .drug(.b), .drug(.unlisted), .delivery]
    static let line = zip(Gen.int(in: 0...(kinds.count - 1)), Gen.int64(in: 0...1_000_000), Gen.int64(in: 0...1_000_000))
        .map { index, amount, reference in
            let kind = kinds[index]
            return ChargeLine(kind: kind, amountFen: amount, referenceFen: kind.drugClass == nil ? nil : reference)
        }

    static let yearToDate = zip(Gen.int64(in: 0...2_000_000), Gen.int64(in: 0...2_000_000)).map { deductibleUsed, fundPaid in
        YearToDate(deductibleUsedFen: deductibleUsed, fundPaidFen: fundPaid)
    }
    /// Covered three bills in four; otherwise for any reason.
    static let coverage = zip(Gen.bool(0.75), Gen<NotCoveredReason>.case).map { covered, reason in
        covered ? CoverageDecision.covered : .notCovered(reason)
    }

    /// The policy has terms for the patient's scheme nine bills in ten.
    static let bills = zip(terms, Gen.bool(0.9), Gen<InsuranceScheme>.case, Gen<HospitalLevel>.case, line.array(of: 0...6),
                           yearToDate, Gen.int64(in: 0...1_000_000), coverage)
        .map { terms, policyHasScheme, scheme, level, lines, yearToDate, balance, coverage in
            DrawnBill(terms: terms, policyHasScheme: policyHasScheme, scheme: scheme, level: level, lines: lines,
                      yearToDate: yearToDate, balanceFen: balance, coverage: coverage)
        }

    @Test("the self share is fullOwnPay + overLimit + preSelfPay + deductible + coInsurance + overCap")
    func selfShareIsTheSumOfItsParts() async {
        await propertyCheck(count: 1000, input: Self.bills) { bill in
            let s = try SettlementRule.settle(try bill.request())
            #expect(s.selfShareFen == s.fullOwnPayFen + s.overLimitFen + s.preSelfPayFen + s.deductibleFen + s.coInsuranceFen + s.overCapFen)
        }
    }

    @Test("the fund and the self share add up to the bill, and the bill to the amounts of its lines")
    func totalAddsUp() async {
        await propertyCheck(count: 1000, input: Self.bills) { bill in
            let s = try SettlementRule.settle(try bill.request())
            #expect(s.totalFen == s.fundFen + s.selfShareFen)
            #expect(s.totalFen == bill.lines.reduce(0) { $0 + $1.amountFen })
        }
    }

    @Test("the personal account and the cash add up to the self share, and the account pays at most its balance")
    func selfShareIsAccountAndCash() async {
        await propertyCheck(count: 1000, input: Self.bills) { bill in
            let s = try SettlementRule.settle(try bill.request())
            #expect(s.selfShareFen == s.personalAccountFen + s.cashFen)
            #expect(s.personalAccountFen <= bill.balanceFen)
        }
    }

    @Test("no figure of a settlement or of its lines is negative")
    func nothingIsNegative() async {
        await propertyCheck(count: 1000, input: Self.bills) { bill in
            let s = try SettlementRule.settle(try bill.request())
            let figures = [s.totalFen, s.fullOwnPayFen, s.overLimitFen, s.preSelfPayFen, s.inScopeFen, s.deductibleFen, s.ratioBaseFen,
                           s.ratioFundFen, s.fixedFundFen, s.fundFen, s.coInsuranceFen, s.overCapFen, s.selfShareFen,
                           s.personalAccountFen, s.cashFen]
            #expect(figures.allSatisfy { $0 >= 0 }, "\(SettlementFigures(s))")
            #expect(s.lines.allSatisfy { [$0.fullOwnPayFen, $0.overLimitFen, $0.preSelfPayFen, $0.inScopeFen, $0.fixedFundFen].allSatisfy { $0 >= 0 } })
        }
    }

    @Test("the fund pays at most the in-scope amount and the fixed payments")
    func fundIsBounded() async {
        await propertyCheck(count: 1000, input: Self.bills) { bill in
            let s = try SettlementRule.settle(try bill.request())
            #expect(s.fundFen <= s.inScopeFen + s.fixedFundFen)
        }
    }

    @Test("""
        the year to date grows by exactly the deductible and the fund, and never ends above the larger of the yearly \
        term and where it started: a year that started within its deductible or cap stays within it, and one \
        already past it does not grow
        """)
    func yearToDateStaysWithinTheTerms() async {
        await propertyCheck(count: 1000, input: Self.bills) { bill in
            let s = try SettlementRule.settle(try bill.request())
            let before = bill.yearToDate
            let after = s.yearToDateAfter
            // A policy without terms for the scheme has neither deductible nor cap: 0.
            let deductibleTerm = bill.policyHasScheme ? bill.terms.deductibleFen : 0
            let capTerm = bill.policyHasScheme ? bill.terms.capFen : 0
            #expect(after.deductibleUsedFen == before.deductibleUsedFen + s.deductibleFen)
            #expect(after.fundPaidFen == before.fundPaidFen + s.fundFen)
            #expect(after.deductibleUsedFen <= max(deductibleTerm, before.deductibleUsedFen))
            #expect(after.fundPaidFen <= max(capTerm, before.fundPaidFen))
            #expect(s.yearToDateChange == YearToDate(deductibleUsedFen: s.deductibleFen, fundPaidFen: s.fundFen))
        }
    }

    @Test("each line's fullOwnPay + overLimit + preSelfPay + inScope + fixedFund is its amount, and the bill's columns are the lines' sums")
    func linesAddUp() async {
        await propertyCheck(count: 1000, input: Self.bills) { bill in
            let s = try SettlementRule.settle(try bill.request())
            #expect(s.lines.map(\.amountFen) == bill.lines.map(\.amountFen))
            for line in s.lines {
                #expect(line.fullOwnPayFen + line.overLimitFen + line.preSelfPayFen + line.inScopeFen + line.fixedFundFen == line.amountFen)
            }
            #expect(s.fullOwnPayFen == s.lines.reduce(0) { $0 + $1.fullOwnPayFen })
            #expect(s.overLimitFen == s.lines.reduce(0) { $0 + $1.overLimitFen })
            #expect(s.preSelfPayFen == s.lines.reduce(0) { $0 + $1.preSelfPayFen })
            #expect(s.inScopeFen == s.lines.reduce(0) { $0 + $1.inScopeFen })
            #expect(s.fixedFundFen == s.lines.reduce(0) { $0 + $1.fixedFundFen })
        }
    }

    @Test("a bill the fund takes no part in (not covered, or a scheme without terms) is wholly self-paid with the fund at 0")
    func notCoveredIsWhollySelfPaid() async {
        await propertyCheck(count: 1000, input: Self.bills) { bill in
            let s = try SettlementRule.settle(try bill.request())
            let expected: CoverageDecision = bill.coverage.isCovered && !bill.policyHasScheme ? .notCovered(.schemeNotCovered) : bill.coverage
            #expect(s.coverage == expected)
            guard !s.coverage.isCovered else { return }
            #expect(s.fundFen == 0)
            #expect(s.fullOwnPayFen == s.totalFen)
            #expect(s.selfShareFen == s.totalFen)
            #expect(s.yearToDateAfter == bill.yearToDate)
        }
    }

    @Test("the explanation has the coverage first, then one zh and en sentence, in yuan, for the total, fund, self share, cash and every other figure that is not 0")
    func explanationNamesEveryFigure() async {
        await propertyCheck(count: 1000, input: Self.bills) { bill in
            let s = try SettlementRule.settle(try bill.request())
            let sentences = s.explanation(policy: try bill.policy)
            let shown: [(field: String, fen: Int64, always: Bool)] = [
                ("totalFen", s.totalFen, true), ("fullOwnPayFen", s.fullOwnPayFen, false), ("overLimitFen", s.overLimitFen, false),
                ("preSelfPayFen", s.preSelfPayFen, false), ("inScopeFen", s.inScopeFen, false),
                ("deductibleFen", s.deductibleFen, false), ("fixedFundFen", s.fixedFundFen, false),
                ("coInsuranceFen", s.coInsuranceFen, false), ("overCapFen", s.overCapFen, false), ("fundFen", s.fundFen, true),
                ("selfShareFen", s.selfShareFen, true), ("personalAccountFen", s.personalAccountFen, false), ("cashFen", s.cashFen, true),
            ]
            let expected = shown.filter { $0.always || $0.fen != 0 }
            #expect(sentences.first?.field == "coverage")
            #expect(sentences.count == expected.count + 1)
            #expect(Set(sentences.dropFirst().map(\.field)) == Set(expected.map(\.field)))
            #expect(sentences.allSatisfy { !$0.zh.isEmpty && !$0.en.isEmpty })
            for figure in expected {
                let sentence = sentences.first { $0.field == figure.field }
                #expect(sentence?.zh.hasSuffix("：\(Yuan.text(figure.fen)) 元") == true, "\(figure.field)")
                #expect(sentence?.en.hasSuffix(": \(Yuan.text(figure.fen)) yuan") == true, "\(figure.field)")
            }
        }
    }
}
