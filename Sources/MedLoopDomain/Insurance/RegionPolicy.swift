import Foundation

/// The two schemes of social health insurance (DOMAIN.md, "Insurance").
public enum InsuranceScheme: String, Sendable, Hashable, Codable, CaseIterable {
    /// Urban employees: with a personal account.
    case employee
    /// Urban and rural residents.
    case resident
}

/// The kinds of institution a policy may admit for online settlement (INSURANCE.md, `institutions.kinds`).
public enum AdmittedKind: String, Sendable, Hashable, Codable, CaseIterable {
    case internetHospital, platformInternetHospital, pharmacy

    /// The admitted kind an institution of the registry counts as, if any.
    public init?(_ kind: InstitutionKind) {
        switch kind {
        case .internetHospital: self = .internetHospital
        case .platformInternetHospital: self = .platformInternetHospital
        case .pharmacy: self = .pharmacy
        case .physicalHospital, .insurer, .regulator: return nil
        }
    }
}

/// What the personal account of the employee scheme may pay (INSURANCE.md, step 3).
public enum PersonalAccountUse: String, Sendable, Hashable, Codable, CaseIterable {
    /// Nothing: the whole self share is cash.
    case none
    /// The in-scope part of the self share: class-B share, deductible, co-insurance and over-cap.
    case inScope
    /// The whole self share.
    case all
}

/// How a policy reimburses the consultation fee: exactly one of the two (INSURANCE.md, `consultationFee`).
public enum ConsultationFeeRule: Sendable, Hashable {
    /// The fund pays this much of the fee, outside deductible and ratio.
    case fundPaysFixed(fen: Int64)
    /// The fee up to this is in scope; the rest is over-limit self-pay.
    case inScopeLimit(fen: Int64)
}

/// A person's name for something, in both languages of MedLoop.
public struct LocalizedText: Sendable, Hashable, Codable {
    public var zh: String
    public var en: String

    public init(zh: String, en: String) {
        self.zh = zh
        self.en = en
    }
}

/// The prior in-person visit a reimbursable online follow-up rests on (INSURANCE.md, `priorVisit`).
public struct PriorVisitRule: Sendable, Hashable {
    public var windowDays: Int
    /// The visit was at the physical hospital the internet hospital belongs to.
    public var sameHospital: Bool
    /// The visit prescribed for the covered condition.
    public var prescribedForCondition: Bool
    /// Which records count; a patient's own entry never does.
    public var sources: Set<EncounterSource>

    public init(windowDays: Int, sameHospital: Bool, prescribedForCondition: Bool, sources: Set<EncounterSource>) {
        self.windowDays = windowDays
        self.sameHospital = sameHospital
        self.prescribedForCondition = prescribedForCondition
        self.sources = sources
    }
}

/// A scheme's yearly terms under a policy.
public struct SchemeTerms: Sendable, Hashable {
    /// Per calendar year (Asia/Shanghai).
    public var deductibleFen: Int64
    /// The most the fund pays one person in a year under this policy.
    public var capFen: Int64
    /// The reimbursement ratio by the level that applies, in basis points.
    public var ratioBp: [HospitalLevel: Int]
    public var personalAccount: PersonalAccountUse

    public init(deductibleFen: Int64, capFen: Int64, ratioBp: [HospitalLevel: Int], personalAccount: PersonalAccountUse) {
        self.deductibleFen = deductibleFen
        self.capFen = capFen
        self.ratioBp = ratioBp
        self.personalAccount = personalAccount
    }

    /// The ratio at `level`, in basis points (every level is present in a validated policy).
    public func ratio(at level: HospitalLevel) -> Int { ratioBp[level] ?? 0 }
}

/// One version of a region's insurance policy for online follow-ups (INSURANCE.md, "Policy
/// documents"). Built only from a validated document, so every figure is in range.
public struct RegionPolicy: Sendable, Hashable {
    public var region: RegionCode
    /// Unique within the region.
    public var version: String
    /// The first Asia/Shanghai day the version applies.
    public var effectiveFrom: CalendarDate
    /// The last day, if the version has an end.
    public var effectiveTo: CalendarDate?
    public var name: LocalizedText
    /// ICD-10 codes or prefixes; empty means every follow-up.
    public var coveredConditions: [String]
    public var admittedKinds: Set<AdmittedKind>
    /// When not empty, only these institutions (of the admitted kinds in the region).
    public var onlyInstitutions: [UUID]
    /// The level a platform internet hospital is reimbursed at, if one is admitted.
    public var platformLevel: HospitalLevel?
    /// `nil` when the policy asks for no prior visit.
    public var priorVisit: PriorVisitRule?
    public var consultationFee: ConsultationFeeRule
    /// The share of a class-B line the patient pays first, in basis points.
    public var classBSelfPayFirstBp: Int
    public var deliveryCovered: Bool
    public var schemes: [InsuranceScheme: SchemeTerms]
    /// An internet hospital draws on its physical hospital's quota.
    public var quotaSharedWithPhysicalHospital: Bool
    /// A patient insured here is settled by this policy wherever the doctor is.
    public var homeSettles: Bool

    public init(region: RegionCode, version: String, effectiveFrom: CalendarDate, effectiveTo: CalendarDate?,
                name: LocalizedText, coveredConditions: [String], admittedKinds: Set<AdmittedKind>, onlyInstitutions: [UUID],
                platformLevel: HospitalLevel?, priorVisit: PriorVisitRule?, consultationFee: ConsultationFeeRule,
                classBSelfPayFirstBp: Int, deliveryCovered: Bool, schemes: [InsuranceScheme: SchemeTerms],
                quotaSharedWithPhysicalHospital: Bool, homeSettles: Bool) {
        self.region = region
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.effectiveTo = effectiveTo
        self.name = name
        self.coveredConditions = coveredConditions
        self.admittedKinds = admittedKinds
        self.onlyInstitutions = onlyInstitutions
        self.platformLevel = platformLevel
        self.priorVisit = priorVisit
        self.consultationFee = consultationFee
        self.classBSelfPayFirstBp = classBSelfPayFirstBp
        self.deliveryCovered = deliveryCovered
        self.schemes = schemes
        self.quotaSharedWithPhysicalHospital = quotaSharedWithPhysicalHospital
        self.homeSettles = homeSettles
    }

    /// Whether the version is in force on `day`.
    public func isInForce(on day: CalendarDate) -> Bool {
        effectiveFrom <= day && effectiveTo.map { day <= $0 } != false
    }

    /// Whether this version's days and `other`'s share at least one day.
    public func overlaps(_ other: RegionPolicy) -> Bool {
        let endsBefore = effectiveTo.map { $0 < other.effectiveFrom } ?? false
        let startsAfter = other.effectiveTo.map { effectiveFrom > $0 } ?? false
        return !endsBefore && !startsAfter
    }

    /// Whether `code` is one of the covered conditions (a code or any code under a prefix).
    public func covers(condition code: ICD10Code) -> Bool {
        coveredConditions.isEmpty || coveredConditions.contains { code.value.hasPrefix($0) }
    }

    /// The version of `versions` in force on `day`, if any.
    public static func inForce(on day: CalendarDate, among versions: [RegionPolicy]) -> RegionPolicy? {
        versions.filter { $0.isInForce(on: day) }.max { $0.effectiveFrom < $1.effectiveFrom }
    }

    /// Checks that a new version may join a region's versions: a version name not used yet, days
    /// that overlap none of the others, and (for an insurer adding it) a start after `today`, so
    /// that a version that is or was in use is never changed (the issue, "Region policies").
    ///
    /// - Throws: 400 on `version` (`taken`), `effectiveFrom` (`overlap`, `not_in_future`).
    public func checkJoins(_ versions: [RegionPolicy], today: CalendarDate?) throws(DomainError) {
        var validator = FieldValidator()
        if versions.contains(where: { $0.version == version }) {
            validator.add("version", code: "taken", "The region already has a version \(version).")
        }
        if let today, effectiveFrom <= today {
            validator.add("effectiveFrom", code: "not_in_future", "A new version starts after today.")
        }
        for other in versions where other.version != version && overlaps(other) {
            validator.add("effectiveFrom", code: "overlap",
                          "The version's days overlap version \(other.version) (from \(other.effectiveFrom)).")
        }
        try validator.finish()
    }

    /// The same policy ending on `day`: how an open-ended version is superseded by a later one. A
    /// version that already has a last day keeps it (superseding it again would leave days that
    /// no version covers).
    ///
    /// - Throws: 409 `policy_ended` when the version already has a last day or starts after `day`.
    public func ending(on day: CalendarDate) throws(DomainError) -> RegionPolicy {
        guard effectiveTo == nil, day >= effectiveFrom else {
            throw .conflict(code: "policy_ended", message: "Version \(version) already has a last day, or starts after \(day).")
        }
        var ended = self
        ended.effectiveTo = day
        return ended
    }
}
