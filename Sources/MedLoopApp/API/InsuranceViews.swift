import Foundation
import MedLoopDomain
import MedLoopStore

/// A settlement as the API shows it (INSURANCE.md, "What a settlement shows"): the figures at the
/// top level, the lines with their four columns, the reason, and a sentence per figure in both
/// languages. The same shape serves a quote, a simulation and a written settlement.
struct SettlementView: APIView, Encodable {
    struct PolicyRef: Encodable, Sendable {
        var region: String
        var version: String
    }

    struct Line: Encodable, Sendable {
        var kind: String
        var drugClass: String?
        var drugId: UUID?
        var amountFen: Int64
        var fullOwnPayFen: Int64
        var overLimitFen: Int64
        var preSelfPayFen: Int64
        var inScopeFen: Int64
        var fixedFundFen: Int64

        init(_ line: SettledLine) {
            kind = line.kind
            drugClass = line.drugClass.map(SettlementView.className)
            drugId = line.drugId
            amountFen = line.amountFen
            fullOwnPayFen = line.fullOwnPayFen
            overLimitFen = line.overLimitFen
            preSelfPayFen = line.preSelfPayFen
            inScopeFen = line.inScopeFen
            fixedFundFen = line.fixedFundFen
        }
    }

    var id: UUID?
    var kind: SettlementKind?
    var reversesId: UUID?
    var orderId: UUID?
    var medicineOrderId: UUID?
    var policy: PolicyRef
    var scheme: InsuranceScheme
    var level: HospitalLevel
    var ratioBp: Int
    var totalFen: Int64
    var fullOwnPayFen: Int64
    var overLimitFen: Int64
    var preSelfPayFen: Int64
    var inScopeFen: Int64
    var deductibleFen: Int64
    var fixedFundFen: Int64
    var fundFen: Int64
    var coInsuranceFen: Int64
    var overCapFen: Int64
    var selfShareFen: Int64
    var personalAccountFen: Int64
    var cashFen: Int64
    var coveredReason: String?
    var notCoveredReason: NotCoveredReason?
    var lines: [Line]
    var explanation: [ExplanationSentence]
    var serviceDay: String?
    var clearingDay: String?
    var createdAt: Date?
    /// For a bill settled across regions: the home and visited regions and the step it has reached.
    var crossRegion: CrossRegionView?

    struct CrossRegionView: Encodable, Sendable {
        var homeRegion: String
        var visitedRegion: String
        var state: CrossRegionState
    }

    /// The national list's own names of a drug class (`A`, `B`, `unlisted`).
    static func className(_ drugClass: InsuranceClass) -> String {
        drugClass == .unlisted ? "unlisted" : drugClass.rawValue.uppercased()
    }

    init(_ settlement: Settlement, policy: RegionPolicy, explanation: [ExplanationSentence]) {
        self.policy = PolicyRef(region: policy.region.value, version: policy.version)
        scheme = settlement.scheme
        level = settlement.level
        ratioBp = settlement.ratioBp
        let figures = SettlementFigures(settlement)
        (totalFen, fullOwnPayFen, overLimitFen, preSelfPayFen, inScopeFen, deductibleFen) =
            (figures.totalFen, figures.fullOwnPayFen, figures.overLimitFen, figures.preSelfPayFen, figures.inScopeFen, figures.deductibleFen)
        (fixedFundFen, fundFen, coInsuranceFen, overCapFen, selfShareFen, personalAccountFen, cashFen) =
            (figures.fixedFundFen, figures.fundFen, figures.coInsuranceFen, figures.overCapFen, figures.selfShareFen,
             figures.personalAccountFen, figures.cashFen)
        if case .notCovered(let reason) = settlement.coverage { notCoveredReason = reason } else { coveredReason = "covered" }
        lines = settlement.lines.map(Line.init)
        self.explanation = explanation
    }

    init(_ record: SettlementRecord) {
        id = record.id
        kind = record.kind
        reversesId = record.reversesId
        orderId = record.orderId
        medicineOrderId = record.medicineOrderId
        policy = PolicyRef(region: record.region.value, version: record.policyVersion)
        scheme = record.scheme
        level = record.level
        ratioBp = record.ratioBp
        let figures = record.figures
        (totalFen, fullOwnPayFen, overLimitFen, preSelfPayFen, inScopeFen, deductibleFen) =
            (figures.totalFen, figures.fullOwnPayFen, figures.overLimitFen, figures.preSelfPayFen, figures.inScopeFen, figures.deductibleFen)
        (fixedFundFen, fundFen, coInsuranceFen, overCapFen, selfShareFen, personalAccountFen, cashFen) =
            (figures.fixedFundFen, figures.fundFen, figures.coInsuranceFen, figures.overCapFen, figures.selfShareFen,
             figures.personalAccountFen, figures.cashFen)
        if let reason = record.notCoveredReason { notCoveredReason = reason } else { coveredReason = "covered" }
        lines = record.lines.map(Line.init)
        explanation = record.explanation
        serviceDay = record.serviceDay.description
        clearingDay = record.clearingDay.description
        createdAt = record.createdAt
        crossRegion = record.crossRegion.map {
            CrossRegionView(homeRegion: $0.homeRegion.value, visitedRegion: $0.visitedRegion.value, state: $0.state)
        }
    }
}

/// The same figures under the national platform's field names (settlement message 2207), in fen.
struct NationalSettlementView: APIView, Encodable {
    var setlId: UUID?
    var fields: [String: Int64]

    init(_ record: SettlementRecord) {
        setlId = record.id
        let figures = record.figures
        let values: [String: Int64] = [
            "totalFen": figures.totalFen, "fullOwnPayFen": figures.fullOwnPayFen, "overLimitFen": figures.overLimitFen,
            "preSelfPayFen": figures.preSelfPayFen, "inScopeFen": figures.inScopeFen, "deductibleFen": figures.deductibleFen,
            "fundFen": figures.fundFen, "coInsuranceFen": figures.coInsuranceFen, "selfShareFen": figures.selfShareFen,
            "personalAccountFen": figures.personalAccountFen, "cashFen": figures.cashFen,
        ]
        var fields: [String: Int64] = [:]
        for (name, national) in Settlement.nationalFieldNames { fields[national] = values[name] }
        self.fields = fields
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(setlId, forKey: Key("setl_id"))
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) { try container.encode(value, forKey: Key(name)) }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// An insured person as the registry shows them: the national ID masked.
struct InsuredPersonView: APIView, Encodable {
    var id: UUID
    var region: String
    var nationalId: String
    var insuredNumber: String
    var scheme: InsuranceScheme
    var status: InsuredStatus
    var personalAccountFen: Int64

    init(_ person: InsuredPerson) {
        id = person.id
        region = person.region.value
        nationalId = person.maskedNationalId
        insuredNumber = person.insuredNumber
        scheme = person.scheme
        status = person.status
        personalAccountFen = person.personalAccountFen
    }
}

/// A patient's linked coverage.
struct CoverageView: APIView, Encodable {
    var region: String
    var scheme: InsuranceScheme
    var status: InsuredStatus
    var insuredNumber: String
    var personalAccountFen: Int64
    var verifiedAt: Date
    var yearToDate: YearToDate?

    init(_ coverage: Coverage, yearToDate: YearToDate?) {
        region = coverage.person.region.value
        scheme = coverage.person.scheme
        status = coverage.person.status
        insuredNumber = coverage.person.insuredNumber
        personalAccountFen = coverage.person.personalAccountFen
        verifiedAt = coverage.verifiedAt
        self.yearToDate = yearToDate
    }
}

/// A policy version: its document with the keys of INSURANCE.md.
struct PolicyView: APIView, Encodable {
    var document: DocumentValue

    init(_ policy: RegionPolicy) { document = policy.document }

    func encode(to encoder: any Encoder) throws { try document.encode(to: encoder) }
}

struct QuotaView: APIView, Encodable {
    var institutionId: UUID
    var institutionName: String
    var month: String
    var budgetFen: Int64
    var usedFen: Int64
    var remainingFen: Int64

    init(_ use: QuotaUse) {
        institutionId = use.institutionId
        institutionName = use.institutionName
        month = use.month
        budgetFen = use.budgetFen
        usedFen = use.usedFen
        remainingFen = use.budgetFen - use.usedFen
    }
}
