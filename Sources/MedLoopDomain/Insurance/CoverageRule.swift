import Foundation

/// Whether an insured person's coverage may be used (the issue, "Insured persons and coverage").
public enum InsuredStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case active, suspended
}

/// A prior in-person visit as the coverage rule reads it.
public struct PriorVisit: Sendable, Hashable {
    public var hospitalId: UUID
    public var date: CalendarDate
    public var icd10: ICD10Code
    public var source: EncounterSource
    /// Whether the visit prescribed for its diagnosis.
    public var prescribed: Bool

    public init(hospitalId: UUID, date: CalendarDate, icd10: ICD10Code, source: EncounterSource, prescribed: Bool) {
        self.hospitalId = hospitalId
        self.date = date
        self.icd10 = icd10
        self.source = source
        self.prescribed = prescribed
    }
}

/// The facts about a bill that decide whether the fund takes part (INSURANCE.md, step 0).
public struct BillFacts: Sendable, Hashable {
    /// The institution that charges: the internet hospital of a consultation, the pharmacy of a
    /// medicine order.
    public var institutionKind: InstitutionKind
    public var institutionId: UUID
    public var institutionRegion: RegionCode
    public var isDesignated: Bool
    /// The physical hospital a `sameHospital` prior visit must have been at: that of the internet
    /// hospital of the consultation (for a pharmacy bill, of the prescribing one); `nil` for a
    /// platform internet hospital.
    public var physicalHospitalId: UUID?
    /// The condition treated: the follow-up's diagnosis.
    public var condition: ICD10Code?
    public var serviceDay: CalendarDate

    public init(institutionKind: InstitutionKind, institutionId: UUID, institutionRegion: RegionCode, isDesignated: Bool,
                physicalHospitalId: UUID?, condition: ICD10Code?, serviceDay: CalendarDate) {
        self.institutionKind = institutionKind
        self.institutionId = institutionId
        self.institutionRegion = institutionRegion
        self.isDesignated = isDesignated
        self.physicalHospitalId = physicalHospitalId
        self.condition = condition
        self.serviceDay = serviceDay
    }
}

/// Step 0 of INSURANCE.md: whether the fund takes part in a bill, and the reason when it does not.
public enum CoverageRule {
    /// Decides coverage of a bill under the patient's home policy. `policy` is the version of the
    /// home region in force on the service day (`nil` if none is); `status` is that of the verified
    /// coverage (`nil` when the patient has linked none).
    public static func decide(_ bill: BillFacts, status: InsuredStatus?, policy: RegionPolicy?,
                              priorVisits: [PriorVisit]) -> CoverageDecision {
        guard status == .active else { return .notCovered(.noCoverage) }
        guard let policy, policy.isInForce(on: bill.serviceDay) else { return .notCovered(.noPolicyInForce) }
        // `coveredConditions: []` covers every follow-up, with or without a recorded condition.
        guard policy.coveredConditions.isEmpty || bill.condition.map(policy.covers(condition:)) == true else {
            return .notCovered(.conditionNotCovered)
        }
        guard admits(bill, policy: policy) else { return .notCovered(.institutionNotAdmitted) }
        if let rule = policy.priorVisit, !priorVisits.contains(where: { meets(rule, visit: $0, bill: bill, condition: bill.condition) }) {
            return .notCovered(.priorVisitMissing)
        }
        return .covered
    }

    /// Whether a bill is settled across regions: the institution is outside the home policy's region.
    public static func isCrossRegion(_ bill: BillFacts, policy: RegionPolicy) -> Bool {
        !isInRegion(bill.institutionRegion, of: policy.region)
    }

    /// Whether `code` lies in the pooled region `region` (a city `330800` holds its districts `3308xx`).
    public static func isInRegion(_ code: RegionCode, of region: RegionCode) -> Bool {
        code.value.hasPrefix(region.poolPrefix)
    }

    private static func admits(_ bill: BillFacts, policy: RegionPolicy) -> Bool {
        guard let kind = AdmittedKind(bill.institutionKind), policy.admittedKinds.contains(kind), bill.isDesignated else {
            return false
        }
        if !policy.onlyInstitutions.isEmpty && !policy.onlyInstitutions.contains(bill.institutionId) { return false }
        return isInRegion(bill.institutionRegion, of: policy.region) || policy.homeSettles
    }

    private static func meets(_ rule: PriorVisitRule, visit: PriorVisit, bill: BillFacts, condition: ICD10Code?) -> Bool {
        guard rule.sources.contains(visit.source), !visit.source.isSelfReported else { return false }
        guard visit.date <= bill.serviceDay, visit.date >= bill.serviceDay.adding(days: -rule.windowDays) else { return false }
        // The visit diagnosed the condition this follow-up treats (same ICD-10 category).
        guard let condition, visit.icd10.value.prefix(3) == condition.value.prefix(3) else { return false }
        if rule.sameHospital && visit.hospitalId != bill.physicalHospitalId { return false }
        if rule.prescribedForCondition && !visit.prescribed { return false }
        return true
    }
}

extension CoverageRule {
    /// Step 0 without records, for simulations (INSURANCE.md, "Simulation"): the condition and the
    /// kind of institution decide; the prior-visit rule needs real records and is not simulated.
    public static func simulate(_ policy: RegionPolicy, kind: AdmittedKind, condition: ICD10Code?) -> CoverageDecision {
        guard policy.coveredConditions.isEmpty || condition.map(policy.covers(condition:)) == true else {
            return .notCovered(.conditionNotCovered)
        }
        guard policy.admittedKinds.contains(kind) else { return .notCovered(.institutionNotAdmitted) }
        return .covered
    }
}

extension RegionCode {
    /// The prefix every code inside this region starts with (`330800` → `3308`, `440000` → `44`).
    public var poolPrefix: String {
        var prefix = Substring(value)
        while prefix.hasSuffix("00") && prefix.count > 2 { prefix = prefix.dropLast(2) }
        return String(prefix)
    }
}
