import Foundation
import Testing
@testable import MedLoopDomain

/// The physical hospital the internet hospital of the follow-ups belongs to.
let coverageHospitalId = UUID.named("hospital:coverage")
let coverageInternetHospitalId = UUID.named("internet-hospital:coverage")

/// Region 330800 since 2020-03-01: hypertension and diabetes, at internet hospitals and pharmacies
/// of the region, after a visit at the same hospital within 90 days that prescribed for the condition.
func aCoveragePolicy() throws -> RegionPolicy {
    RegionPolicy(
        region: try RegionCode("330800"), version: "2020-03", effectiveFrom: try day("2020-03-01"), effectiveTo: nil,
        name: LocalizedText(zh: "衢州市“互联网+”医保", en: "Quzhou Internet+ insurance"), coveredConditions: ["I10", "E11"],
        admittedKinds: [.internetHospital, .pharmacy], onlyInstitutions: [], platformLevel: nil,
        priorVisit: PriorVisitRule(windowDays: 90, sameHospital: true, prescribedForCondition: true,
                                   sources: [.imported, .medloopAppointment]),
        consultationFee: .inScopeLimit(fen: 2500), classBSelfPayFirstBp: 1000, deliveryCovered: false,
        schemes: [.employee: SchemeTerms(deductibleFen: 0, capFen: 600_000, ratioBp: [.tertiary: 7000, .secondary: 8000, .primary: 9000],
                                         personalAccount: .inScope)],
        quotaSharedWithPhysicalHospital: true, homeSettles: false)
}

/// A hypertension follow-up on 2026-03-02 at a designated internet hospital in district 330802.
func aFollowUp() throws -> BillFacts {
    BillFacts(institutionKind: .internetHospital, institutionId: coverageInternetHospitalId, institutionRegion: try RegionCode("330802"),
              isDesignated: true, physicalHospitalId: coverageHospitalId, condition: try ICD10Code("I10"), serviceDay: fixtureToday)
}

/// A visit at the internet hospital's physical hospital, imported from it, that prescribed for hypertension.
func aPriorVisit(on date: String = "2026-01-15", at hospital: UUID = coverageHospitalId, icd10: String = "I10",
                 source: EncounterSource = .imported, prescribed: Bool = true) throws -> PriorVisit {
    PriorVisit(hospitalId: hospital, date: try day(date), icd10: try ICD10Code(icd10), source: source, prescribed: prescribed)
}

@Suite("Coverage: whether the fund takes part in a bill, and why not (INSURANCE.md, step 0)")
struct CoverageRuleTests {
    func decide(_ bill: BillFacts, status: InsuredStatus? = .active, policy: RegionPolicy?, visits: [PriorVisit]) -> CoverageDecision {
        CoverageRule.decide(bill, status: status, policy: policy, priorVisits: visits)
    }

    @Test("a follow-up of a covered condition at an admitted institution after a valid prior visit is covered")
    func covered() throws {
        #expect(decide(try aFollowUp(), policy: try aCoveragePolicy(), visits: [try aPriorVisit()]) == .covered)
    }

    @Test("coverage that is not verified and active covers nothing", arguments: [nil, InsuredStatus.suspended])
    func notActive(_ status: InsuredStatus?) throws {
        #expect(decide(try aFollowUp(), status: status, policy: try aCoveragePolicy(), visits: [try aPriorVisit()])
            == .notCovered(.noCoverage))
    }

    @Test("without a policy of the home region in force on the service day, nothing is covered")
    func noPolicy() throws {
        #expect(decide(try aFollowUp(), policy: nil, visits: [try aPriorVisit()]) == .notCovered(.noPolicyInForce))
        var notYet = try aCoveragePolicy()
        notYet.effectiveFrom = try day("2026-03-03")
        #expect(decide(try aFollowUp(), policy: notYet, visits: [try aPriorVisit()]) == .notCovered(.noPolicyInForce))
        var ended = try aCoveragePolicy()
        ended.effectiveTo = try day("2026-03-01")
        #expect(decide(try aFollowUp(), policy: ended, visits: [try aPriorVisit()]) == .notCovered(.noPolicyInForce))
        ended.effectiveTo = try day("2026-03-02")
        #expect(decide(try aFollowUp(), policy: ended, visits: [try aPriorVisit()]) == .covered)
    }

    @Test("a condition outside the covered conditions, or no diagnosis, is not covered")
    func conditionNotCovered() throws {
        var asthma = try aFollowUp()
        asthma.condition = try ICD10Code("J45")
        #expect(decide(asthma, policy: try aCoveragePolicy(), visits: [try aPriorVisit(icd10: "J45")]) == .notCovered(.conditionNotCovered))
        var undiagnosed = try aFollowUp()
        undiagnosed.condition = nil
        #expect(decide(undiagnosed, policy: try aCoveragePolicy(), visits: [try aPriorVisit()]) == .notCovered(.conditionNotCovered))
    }

    @Test("a covered prefix covers every code under it, and no covered conditions means every follow-up")
    func conditionPrefixes() throws {
        var diabetes = try aFollowUp()
        diabetes.condition = try ICD10Code("E11.9")
        #expect(decide(diabetes, policy: try aCoveragePolicy(), visits: [try aPriorVisit(icd10: "E11.9")]) == .covered)
        var asthma = try aFollowUp()
        asthma.condition = try ICD10Code("J45")
        var everything = try aCoveragePolicy()
        everything.coveredConditions = []
        #expect(decide(asthma, policy: everything, visits: [try aPriorVisit(icd10: "J45")]) == .covered)
    }

    @Test("an institution of a kind the policy does not admit is not admitted",
          arguments: [InstitutionKind.platformInternetHospital, .physicalHospital, .insurer, .regulator])
    func kindNotAdmitted(_ kind: InstitutionKind) throws {
        var bill = try aFollowUp()
        bill.institutionKind = kind
        #expect(decide(bill, policy: try aCoveragePolicy(), visits: [try aPriorVisit()]) == .notCovered(.institutionNotAdmitted))
    }

    @Test("a pharmacy filling the prescription is admitted when the policy admits pharmacies")
    func pharmacyAdmitted() throws {
        var bill = try aFollowUp()
        bill.institutionKind = .pharmacy
        bill.institutionId = UUID.named("pharmacy:coverage")
        #expect(decide(bill, policy: try aCoveragePolicy(), visits: [try aPriorVisit()]) == .covered)
        var hospitalsOnly = try aCoveragePolicy()
        hospitalsOnly.admittedKinds = [.internetHospital]
        #expect(decide(bill, policy: hospitalsOnly, visits: [try aPriorVisit()]) == .notCovered(.institutionNotAdmitted))
    }

    @Test("an institution that is not designated is not admitted")
    func notDesignated() throws {
        var bill = try aFollowUp()
        bill.isDesignated = false
        #expect(decide(bill, policy: try aCoveragePolicy(), visits: [try aPriorVisit()]) == .notCovered(.institutionNotAdmitted))
    }

    @Test("a policy that lists its institutions admits only those")
    func onlyListed() throws {
        var listsAnother = try aCoveragePolicy()
        listsAnother.onlyInstitutions = [UUID.named("internet-hospital:another")]
        #expect(decide(try aFollowUp(), policy: listsAnother, visits: [try aPriorVisit()]) == .notCovered(.institutionNotAdmitted))
        var listsThis = try aCoveragePolicy()
        listsThis.onlyInstitutions = [UUID.named("internet-hospital:another"), coverageInternetHospitalId]
        #expect(decide(try aFollowUp(), policy: listsThis, visits: [try aPriorVisit()]) == .covered)
    }

    @Test("an institution outside the region is admitted only when the home policy settles wherever the doctor is")
    func outsideTheRegion() throws {
        var guangzhou = try aFollowUp()
        guangzhou.institutionRegion = try RegionCode("440105")
        var policy = try aCoveragePolicy()
        #expect(decide(guangzhou, policy: policy, visits: [try aPriorVisit()]) == .notCovered(.institutionNotAdmitted))
        policy.homeSettles = true
        #expect(decide(guangzhou, policy: policy, visits: [try aPriorVisit()]) == .covered)
        #expect(CoverageRule.isCrossRegion(guangzhou, policy: policy))
        #expect(!CoverageRule.isCrossRegion(try aFollowUp(), policy: policy))
    }

    @Test("without a prior visit, a policy that asks for one covers nothing")
    func noPriorVisit() throws {
        #expect(decide(try aFollowUp(), policy: try aCoveragePolicy(), visits: []) == .notCovered(.priorVisitMissing))
    }

    @Test("a policy that asks for no prior visit covers a follow-up without one")
    func noPriorVisitRule() throws {
        var policy = try aCoveragePolicy()
        policy.priorVisit = nil
        #expect(decide(try aFollowUp(), policy: policy, visits: []) == .covered)
    }

    // 90 days before 2026-03-02 is 2025-12-02: 28 days back to 2026-02-02, 31 more to 2026-01-02, 31 more to 2025-12-02.
    @Test("a prior visit counts from exactly windowDays before the service day to the day itself", arguments: [
        ("2025-12-01", false), ("2025-12-02", true), ("2026-01-15", true), ("2026-03-02", true), ("2026-03-03", false),
    ])
    func window(_ date: String, _ counts: Bool) throws {
        let decision = decide(try aFollowUp(), policy: try aCoveragePolicy(), visits: [try aPriorVisit(on: date)])
        #expect(decision == (counts ? .covered : .notCovered(.priorVisitMissing)))
    }

    @Test("a visit at another hospital does not count when the policy asks for the same hospital")
    func sameHospital() throws {
        let elsewhere = try aPriorVisit(at: UUID.named("hospital:elsewhere"))
        var policy = try aCoveragePolicy()
        #expect(decide(try aFollowUp(), policy: policy, visits: [elsewhere]) == .notCovered(.priorVisitMissing))
        policy.priorVisit?.sameHospital = false
        #expect(decide(try aFollowUp(), policy: policy, visits: [elsewhere]) == .covered)
    }

    @Test("a visit the patient entered never counts, even under a rule that lists that source")
    func patientEntered() throws {
        var policy = try aCoveragePolicy()
        policy.priorVisit?.sources = Set(EncounterSource.allCases)
        #expect(decide(try aFollowUp(), policy: policy, visits: [try aPriorVisit(source: .entered)]) == .notCovered(.priorVisitMissing))
        #expect(decide(try aFollowUp(), policy: policy, visits: [try aPriorVisit(source: .medloopAppointment)]) == .covered)
    }

    @Test("a visit from a source the rule does not list does not count")
    func unlistedSource() throws {
        var policy = try aCoveragePolicy()
        policy.priorVisit?.sources = [.imported]
        #expect(decide(try aFollowUp(), policy: policy, visits: [try aPriorVisit(source: .medloopAppointment)])
            == .notCovered(.priorVisitMissing))
    }

    @Test("a visit that prescribed nothing does not count when the rule asks for a prescription for the condition")
    func notPrescribed() throws {
        let noPrescription = try aPriorVisit(prescribed: false)
        var policy = try aCoveragePolicy()
        #expect(decide(try aFollowUp(), policy: policy, visits: [noPrescription]) == .notCovered(.priorVisitMissing))
        policy.priorVisit?.prescribedForCondition = false
        #expect(decide(try aFollowUp(), policy: policy, visits: [noPrescription]) == .covered)
    }

    @Test("a visit for a condition of another category does not count; one of the same category does")
    func conditionCategory() throws {
        #expect(decide(try aFollowUp(), policy: try aCoveragePolicy(), visits: [try aPriorVisit(icd10: "E11.9")])
            == .notCovered(.priorVisitMissing))
        var diabetes = try aFollowUp()
        diabetes.condition = try ICD10Code("E11.9")
        #expect(decide(diabetes, policy: try aCoveragePolicy(), visits: [try aPriorVisit(icd10: "E11.2")]) == .covered)
    }

    @Test("one valid visit among visits that do not count is enough")
    func oneValidVisit() throws {
        let visits = [try aPriorVisit(on: "2025-11-01"), try aPriorVisit(source: .entered), try aPriorVisit(icd10: "J45"),
                      try aPriorVisit(prescribed: false), try aPriorVisit(on: "2026-02-20")]
        #expect(decide(try aFollowUp(), policy: try aCoveragePolicy(), visits: visits) == .covered)
        #expect(decide(try aFollowUp(), policy: try aCoveragePolicy(), visits: Array(visits.dropLast())) == .notCovered(.priorVisitMissing))
    }

    @Test("the first failing check of step 0 gives the reason: coverage, policy, condition, institution, prior visit")
    func reasonOrder() throws {
        var bill = try aFollowUp()
        bill.condition = try ICD10Code("J45")
        bill.isDesignated = false
        #expect(decide(bill, status: .suspended, policy: nil, visits: []) == .notCovered(.noCoverage))
        #expect(decide(bill, policy: nil, visits: []) == .notCovered(.noPolicyInForce))
        #expect(decide(bill, policy: try aCoveragePolicy(), visits: []) == .notCovered(.conditionNotCovered))
        bill.condition = try ICD10Code("I10")
        #expect(decide(bill, policy: try aCoveragePolicy(), visits: []) == .notCovered(.institutionNotAdmitted))
        bill.isDesignated = true
        #expect(decide(bill, policy: try aCoveragePolicy(), visits: []) == .notCovered(.priorVisitMissing))
    }

    @Test("a region holds the codes under it: a city its districts, a province its cities", arguments: [
        ("330802", "330800", true), ("330802", "440100", false), ("440105", "440000", true), ("440105", "440100", true),
        ("330800", "330800", true), ("330902", "330800", false), ("330802", "330802", true), ("330803", "330802", false),
        ("420100", "440000", false),
    ])
    func isInRegion(_ code: String, _ region: String, _ inside: Bool) throws {
        #expect(CoverageRule.isInRegion(try RegionCode(code), of: try RegionCode(region)) == inside)
    }
}
extension CoverageRuleTests {
    @Test("no covered conditions covers every follow-up, even one with no recorded condition, where no prior visit is asked")
    func everyFollowUp() throws {
        var policy = try aCoveragePolicy()
        policy.coveredConditions = []
        policy.priorVisit = nil
        var undiagnosed = try aFollowUp()
        undiagnosed.condition = nil
        #expect(decide(undiagnosed, policy: policy, visits: []) == .covered)
        #expect(CoverageRule.simulate(policy, kind: .internetHospital, condition: nil) == .covered)
        // A prior-visit rule still needs a visit of the condition treated, which an undiagnosed bill cannot show.
        policy.priorVisit = try aCoveragePolicy().priorVisit
        #expect(decide(undiagnosed, policy: policy, visits: [try aPriorVisit()]) == .notCovered(.priorVisitMissing))
    }
}
