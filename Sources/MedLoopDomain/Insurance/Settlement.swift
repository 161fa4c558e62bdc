import Foundation

/// What one line of a bill is, for the settlement (INSURANCE.md, the line table).
public enum ChargeKind: Sendable, Hashable {
    case consultation
    case drug(InsuranceClass)
    case delivery
}

/// One line of a bill as the settlement reads it.
public struct ChargeLine: Sendable, Hashable {
    public var kind: ChargeKind
    public var amountFen: Int64
    /// The catalogue reference price of the line's quantity (drug lines only).
    public var referenceFen: Int64?
    /// The product, for a drug line of a real order.
    public var drugId: UUID?

    public init(kind: ChargeKind, amountFen: Int64, referenceFen: Int64? = nil, drugId: UUID? = nil) {
        self.kind = kind
        self.amountFen = amountFen
        self.referenceFen = referenceFen
        self.drugId = drugId
    }
}

/// A person's figures so far this year under one policy region and scheme (INSURANCE.md, step 4).
public struct YearToDate: Sendable, Hashable, Codable {
    public var deductibleUsedFen: Int64
    public var fundPaidFen: Int64

    public static let zero = YearToDate(deductibleUsedFen: 0, fundPaidFen: 0)

    public init(deductibleUsedFen: Int64, fundPaidFen: Int64) {
        self.deductibleUsedFen = deductibleUsedFen
        self.fundPaidFen = fundPaidFen
    }
}

/// Why the fund pays nothing for a bill (INSURANCE.md, step 0). Not an error: the patient may
/// still pay in full.
public enum NotCoveredReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// The patient has no verified, active coverage.
    case noCoverage
    /// The person's scheme has no terms under the policy.
    case schemeNotCovered
    /// No version of the region's policy is in force on the service day.
    case noPolicyInForce
    /// The condition treated is not among the policy's covered conditions.
    case conditionNotCovered
    /// The institution is not of an admitted kind, not designated, not listed or not in the region.
    case institutionNotAdmitted
    /// No prior in-person visit meets the policy's rule.
    case priorVisitMissing
    /// The institution's budget for the month would be passed.
    case quotaExhausted
}

/// Whether the fund takes part in a bill, and why.
public enum CoverageDecision: Sendable, Hashable {
    case covered
    case notCovered(NotCoveredReason)

    public var isCovered: Bool { self == .covered }
}

/// A bill with everything the settlement rule reads (INSURANCE.md, "The settlement of one bill").
public struct SettlementRequest: Sendable, Hashable {
    public var lines: [ChargeLine]
    public var policy: RegionPolicy
    public var scheme: InsuranceScheme
    /// The level whose ratio applies (`SettlementLevel`).
    public var level: HospitalLevel
    public var yearToDate: YearToDate
    public var personalAccountBalanceFen: Int64
    public var coverage: CoverageDecision

    public init(lines: [ChargeLine], policy: RegionPolicy, scheme: InsuranceScheme, level: HospitalLevel,
                yearToDate: YearToDate, personalAccountBalanceFen: Int64, coverage: CoverageDecision) {
        self.lines = lines
        self.policy = policy
        self.scheme = scheme
        self.level = level
        self.yearToDate = yearToDate
        self.personalAccountBalanceFen = personalAccountBalanceFen
        self.coverage = coverage
    }
}

/// One line after step 1: its four columns (and the fund's fixed payment for a consultation).
public struct SettledLine: Sendable, Hashable, Codable {
    public var kind: String
    public var drugClass: InsuranceClass?
    public var drugId: UUID?
    public var amountFen: Int64
    public var fullOwnPayFen: Int64
    public var overLimitFen: Int64
    public var preSelfPayFen: Int64
    public var inScopeFen: Int64
    public var fixedFundFen: Int64

    public init(kind: String, drugClass: InsuranceClass?, drugId: UUID?, amountFen: Int64, fullOwnPayFen: Int64, overLimitFen: Int64,
                preSelfPayFen: Int64, inScopeFen: Int64, fixedFundFen: Int64) {
        self.kind = kind
        self.drugClass = drugClass
        self.drugId = drugId
        self.amountFen = amountFen
        self.fullOwnPayFen = fullOwnPayFen
        self.overLimitFen = overLimitFen
        self.preSelfPayFen = preSelfPayFen
        self.inScopeFen = inScopeFen
        self.fixedFundFen = fixedFundFen
    }
}

/// The settlement of one bill: every figure of INSURANCE.md, "What a settlement shows", which
/// always satisfy `selfShareFen = fullOwnPayFen + overLimitFen + preSelfPayFen + deductibleFen +
/// coInsuranceFen + overCapFen`, `totalFen = fundFen + selfShareFen` and
/// `selfShareFen = personalAccountFen + cashFen`, with every figure ≥ 0.
public struct Settlement: Sendable, Hashable {
    public var totalFen: Int64
    public var fullOwnPayFen: Int64
    public var overLimitFen: Int64
    public var preSelfPayFen: Int64
    public var inScopeFen: Int64
    public var deductibleFen: Int64
    /// The in-scope amount above the deductible that the ratio applies to.
    public var ratioBaseFen: Int64
    public var ratioFundFen: Int64
    /// The fund's fixed payments (a consultation fee under `fundPaysFixedFen`).
    public var fixedFundFen: Int64
    public var fundFen: Int64
    public var coInsuranceFen: Int64
    public var overCapFen: Int64
    public var selfShareFen: Int64
    public var personalAccountFen: Int64
    public var cashFen: Int64
    public var coverage: CoverageDecision
    public var scheme: InsuranceScheme
    public var level: HospitalLevel
    public var ratioBp: Int
    public var lines: [SettledLine]
    /// The year to date after this settlement.
    public var yearToDateAfter: YearToDate

    /// The same amounts with the signs a reversal records: what it takes back.
    public var yearToDateChange: YearToDate {
        YearToDate(deductibleUsedFen: deductibleFen, fundPaidFen: fundFen)
    }
}

/// The level whose ratio applies to a bill (INSURANCE.md, "The settlement of one bill").
public enum SettlementLevel {
    /// An internet hospital takes its physical hospital's level; a platform internet hospital the
    /// policy's `platformLevel`. `nil` when neither is known: the institution is not admitted.
    public static func of(_ kind: InstitutionKind, physicalHospitalLevel: HospitalLevel?, policy: RegionPolicy) -> HospitalLevel? {
        switch kind {
        case .internetHospital, .physicalHospital: return physicalHospitalLevel
        case .platformInternetHospital: return policy.platformLevel
        case .pharmacy, .insurer, .regulator: return nil
        }
    }
}

/// The settlement rule of INSURANCE.md, to the fen.
public enum SettlementRule {
    /// The largest amount one line may carry: ten million yuan, so that no product overflows.
    public static let largestLineFen: Int64 = 1_000_000_000

    /// Settles one bill. A bill the fund does not take part in (`request.coverage` not covered, or
    /// the scheme without terms in the policy) is wholly `fullOwnPayFen` and names the reason.
    ///
    /// - Throws: 400 on `lines[i].amountFen` (`range`) or `lines[i].referenceFen` (`required`,
    ///   `range`), on `yearToDate` (`negative`) and `personalAccountBalanceFen` (`negative`).
    public static func settle(_ request: SettlementRequest) throws(DomainError) -> Settlement {
        try check(request)
        let policy = request.policy
        var coverage = request.coverage
        if coverage.isCovered && policy.schemes[request.scheme] == nil { coverage = .notCovered(.schemeNotCovered) }
        let terms = policy.schemes[request.scheme]
        let covered = coverage.isCovered
        // Step 1: each line.
        var lines: [SettledLine] = []
        for line in request.lines {
            lines.append(covered ? settle(line, policy: policy) : wholeOwnPay(line))
        }
        // Step 2: the bill.
        let total = lines.reduce(0) { $0 + $1.amountFen }
        let fullOwnPay = lines.reduce(0) { $0 + $1.fullOwnPayFen }
        let overLimit = lines.reduce(0) { $0 + $1.overLimitFen }
        let preSelfPay = lines.reduce(0) { $0 + $1.preSelfPayFen }
        let inScope = lines.reduce(0) { $0 + $1.inScopeFen }
        let fixedFund = lines.reduce(0) { $0 + $1.fixedFundFen }
        let ratio = covered ? terms?.ratio(at: request.level) ?? 0 : 0
        let deductibleLeft = max(0, (terms?.deductibleFen ?? 0) - request.yearToDate.deductibleUsedFen)
        let deductible = covered ? min(inScope, deductibleLeft) : 0
        let ratioBase = inScope - deductible
        let ratioFund = halfUp(ratioBase, basisPoints: ratio)
        let coInsurance = ratioBase - ratioFund
        let fundBeforeCap = ratioFund + fixedFund
        let capLeft = max(0, (terms?.capFen ?? 0) - request.yearToDate.fundPaidFen)
        let fund = min(fundBeforeCap, capLeft)
        let overCap = fundBeforeCap - fund
        let selfShare = total - fund
        // Step 3: who pays the self share.
        let accountPayable: Int64
        switch covered ? terms?.personalAccount ?? .none : .none {
        case .none: accountPayable = 0
        case .inScope: accountPayable = preSelfPay + deductible + coInsurance + overCap
        case .all: accountPayable = selfShare
        }
        let personalAccount = min(accountPayable, request.personalAccountBalanceFen)
        return Settlement(
            totalFen: total, fullOwnPayFen: fullOwnPay, overLimitFen: overLimit, preSelfPayFen: preSelfPay, inScopeFen: inScope,
            deductibleFen: deductible, ratioBaseFen: ratioBase, ratioFundFen: ratioFund, fixedFundFen: fixedFund, fundFen: fund,
            coInsuranceFen: coInsurance, overCapFen: overCap, selfShareFen: selfShare, personalAccountFen: personalAccount,
            cashFen: selfShare - personalAccount, coverage: coverage, scheme: request.scheme, level: request.level, ratioBp: ratio,
            lines: lines,
            yearToDateAfter: YearToDate(deductibleUsedFen: request.yearToDate.deductibleUsedFen + deductible,
                                        fundPaidFen: request.yearToDate.fundPaidFen + fund))
    }

    /// `half-up(amount × basisPoints / 10000)` for a non-negative amount (INSURANCE.md): the only
    /// rounding of the rule besides the class-B share.
    public static func halfUp(_ amountFen: Int64, basisPoints: Int) -> Int64 {
        (amountFen * Int64(basisPoints) + 5_000) / 10_000
    }

    private static func check(_ request: SettlementRequest) throws(DomainError) {
        var validator = FieldValidator()
        for (index, line) in request.lines.enumerated() {
            if !(0...largestLineFen).contains(line.amountFen) {
                validator.add("lines[\(index)].amountFen", code: "range", "An amount is 0 to \(largestLineFen) fen.")
            }
            if case .drug = line.kind {
                switch line.referenceFen {
                case nil: validator.add("lines[\(index)].referenceFen", code: "required", "A drug line has its reference price.")
                case .some(let reference) where !(0...largestLineFen).contains(reference):
                    validator.add("lines[\(index)].referenceFen", code: "range", "A reference price is 0 to \(largestLineFen) fen.")
                case .some: break
                }
            }
        }
        if request.yearToDate.deductibleUsedFen < 0 || request.yearToDate.fundPaidFen < 0 {
            validator.add("yearToDate", code: "negative", "Year-to-date figures are not negative.")
        }
        if request.personalAccountBalanceFen < 0 {
            validator.add("personalAccountBalanceFen", code: "negative", "A balance is not negative.")
        }
        try validator.finish()
    }

    private static func wholeOwnPay(_ line: ChargeLine) -> SettledLine {
        SettledLine(kind: line.kind.name, drugClass: line.kind.drugClass, drugId: line.drugId, amountFen: line.amountFen,
                    fullOwnPayFen: line.amountFen, overLimitFen: 0, preSelfPayFen: 0, inScopeFen: 0, fixedFundFen: 0)
    }

    /// Step 1 of INSURANCE.md: the four columns of one line under a policy that covers the bill.
    private static func settle(_ line: ChargeLine, policy: RegionPolicy) -> SettledLine {
        let amount = line.amountFen
        var settled = wholeOwnPay(line)
        settled.fullOwnPayFen = 0
        switch line.kind {
        case .drug(.unlisted):
            settled.fullOwnPayFen = amount
        case .delivery:
            if policy.deliveryCovered { settled.inScopeFen = amount } else { settled.fullOwnPayFen = amount }
        case .drug(.a):
            settled.overLimitFen = max(0, amount - (line.referenceFen ?? 0))
            settled.inScopeFen = amount - settled.overLimitFen
        case .drug(.b):
            settled.overLimitFen = max(0, amount - (line.referenceFen ?? 0))
            settled.preSelfPayFen = halfUp(amount - settled.overLimitFen, basisPoints: policy.classBSelfPayFirstBp)
            settled.inScopeFen = amount - settled.overLimitFen - settled.preSelfPayFen
        case .consultation:
            switch policy.consultationFee {
            case .inScopeLimit(let limit):
                settled.overLimitFen = max(0, amount - limit)
                settled.inScopeFen = amount - settled.overLimitFen
            case .fundPaysFixed(let fixed):
                settled.fixedFundFen = min(amount, fixed)
                settled.overLimitFen = amount - settled.fixedFundFen
            }
        }
        return settled
    }
}

extension ChargeKind {
    /// The line kind's name in the API (`consultation`, `drug`, `delivery`).
    public var name: String {
        switch self {
        case .consultation: return "consultation"
        case .drug: return "drug"
        case .delivery: return "delivery"
        }
    }

    public var drugClass: InsuranceClass? {
        if case .drug(let drugClass) = self { return drugClass }
        return nil
    }
}
