import Foundation
import Testing
@testable import MedLoopDomain

/// A policy document a policy of its own could be tested with: every key of INSURANCE.md set.
let aPolicyYAML = """
    region: "330800"
    version: "2026-04"
    effectiveFrom: 2026-04-01
    effectiveTo: null
    name: {zh: 衢州市互联网+医保, en: Quzhou Internet+ insurance}
    coveredConditions: [G20, J45, E11.9, i10]
    institutions:
      kinds: [internetHospital, platformInternetHospital, pharmacy]
      only: ["60fc07d3-ed99-87e0-9893-5ac727cd18cd"]
    platformLevel: secondary
    priorVisit:
      windowDays: 90
      sameHospital: true
      prescribedForCondition: false
      sources: [imported, medloopAppointment]
    consultationFee:
      fundPaysFixedFen: 700
    drugs:
      classBSelfPayFirstBp: 1000
    deliveryCovered: true
    schemes:
      employee:
        deductibleFen: 0
        capFen: 600000
        ratioBp: {tertiary: 7000, secondary: 8000, primary: 9000}
        personalAccount: inScope
      resident:
        deductibleFen: 30000
        capFen: 200000
        ratioBp: {tertiary: 5000, secondary: 6000, primary: 7000}
        personalAccount: none
    quota:
      shareWithPhysicalHospital: true
    crossRegion:
      homeSettles: true
    """

/// The same document as the API takes it.
let aPolicyJSON = """
    {"region": "330800", "version": "2026-04", "effectiveFrom": "2026-04-01", "effectiveTo": null,
     "name": {"zh": "衢州市互联网+医保", "en": "Quzhou Internet+ insurance"},
     "coveredConditions": ["G20", "J45", "E11.9", "i10"],
     "institutions": {"kinds": ["internetHospital", "platformInternetHospital", "pharmacy"],
                      "only": ["60fc07d3-ed99-87e0-9893-5ac727cd18cd"]},
     "platformLevel": "secondary",
     "priorVisit": {"windowDays": 90, "sameHospital": true, "prescribedForCondition": false,
                    "sources": ["imported", "medloopAppointment"]},
     "consultationFee": {"fundPaysFixedFen": 700},
     "drugs": {"classBSelfPayFirstBp": 1000},
     "deliveryCovered": true,
     "schemes": {
       "employee": {"deductibleFen": 0, "capFen": 600000,
                    "ratioBp": {"tertiary": 7000, "secondary": 8000, "primary": 9000}, "personalAccount": "inScope"},
       "resident": {"deductibleFen": 30000, "capFen": 200000,
                    "ratioBp": {"tertiary": 5000, "secondary": 6000, "primary": 7000}, "personalAccount": "none"}},
     "quota": {"shareWithPhysicalHospital": true},
     "crossRegion": {"homeSettles": true}}
    """

extension DocumentValue {
    /// The same document with the value at `path` (keys joined by dots) set to `value`, or removed when it is `nil`.
    func setting(_ path: String, to value: DocumentValue?) -> DocumentValue {
        guard case .map(var entries) = self else { return self }
        let keys = path.split(separator: ".", maxSplits: 1).map(String.init)
        if keys.count == 1 {
            entries[keys[0]] = value
        } else {
            entries[keys[0]] = (entries[keys[0]] ?? .map([:])).setting(keys[1], to: value)
        }
        return .map(entries)
    }
}

/// Changes to the valid document, and every issue the validation reports for them, as `field/code`.
struct BadDocument: Sendable, CustomTestStringConvertible {
    var rule: String
    var changes: [(path: String, value: DocumentValue?)]
    var issues: [String]

    var testDescription: String { rule }
}

@Suite("Policy documents: what an insurer writes, read key by key (INSURANCE.md, \"Policy documents\")")
struct PolicyDocumentTests {
    static func document() throws -> DocumentValue { try DocumentValue.yaml(aPolicyYAML) }

    @Test("MedLoop ships the Guangzhou, Quzhou and Wuhan policies, and each reads")
    func shippedPolicies() throws {
        let policies = try RegionPolicy.shipped()
        #expect(policies.map(\.region.value) == ["440100", "330800", "420100"])
        let guangzhou = try #require(policies.first { $0.region.value == "440100" })
        #expect(guangzhou.consultationFee == .fundPaysFixed(fen: 700))
        #expect(guangzhou.covers(condition: try ICD10Code("I10")))
        #expect(guangzhou.covers(condition: try ICD10Code("E11.9")))
        #expect(!guangzhou.covers(condition: try ICD10Code("J45")))
        #expect(guangzhou.onlyInstitutions == [try #require(UUID(uuidString: "60fc07d3-ed99-87e0-9893-5ac727cd18cd"))])
        let quzhou = try #require(policies.first { $0.region.value == "330800" })
        #expect(quzhou.consultationFee == .inScopeLimit(fen: 2500))
        #expect(quzhou.covers(condition: try ICD10Code("J45")))
        #expect(!quzhou.covers(condition: try ICD10Code("I10")))
        let wuhan = try #require(policies.first { $0.region.value == "420100" })
        #expect(wuhan.platformLevel == .secondary)
        #expect(wuhan.admittedKinds.contains(.platformInternetHospital))
    }

    @Test("a YAML document reads as the policy it states, every key in place")
    func readsEveryKey() throws {
        let policy = try RegionPolicy(document: try Self.document())
        let expected = RegionPolicy(
            region: try RegionCode("330800"), version: "2026-04", effectiveFrom: try day("2026-04-01"), effectiveTo: nil,
            name: LocalizedText(zh: "衢州市互联网+医保", en: "Quzhou Internet+ insurance"),
            coveredConditions: ["G20", "J45", "E11.9", "I10"],
            admittedKinds: [.internetHospital, .platformInternetHospital, .pharmacy],
            onlyInstitutions: [try #require(UUID(uuidString: "60fc07d3-ed99-87e0-9893-5ac727cd18cd"))], platformLevel: .secondary,
            priorVisit: PriorVisitRule(windowDays: 90, sameHospital: true, prescribedForCondition: false,
                                       sources: [.imported, .medloopAppointment]),
            consultationFee: .fundPaysFixed(fen: 700), classBSelfPayFirstBp: 1000, deliveryCovered: true,
            schemes: [
                .employee: SchemeTerms(deductibleFen: 0, capFen: 600_000, ratioBp: [.tertiary: 7000, .secondary: 8000, .primary: 9000],
                                       personalAccount: .inScope),
                .resident: SchemeTerms(deductibleFen: 30_000, capFen: 200_000, ratioBp: [.tertiary: 5000, .secondary: 6000, .primary: 7000],
                                       personalAccount: .none),
            ],
            quotaSharedWithPhysicalHospital: true, homeSettles: true)
        #expect(policy == expected)
    }

    @Test("the same document as YAML and as JSON gives the same policy")
    func yamlAndJSONAgree() throws {
        let fromYAML = try RegionPolicy(document: try DocumentValue.yaml(aPolicyYAML))
        let fromJSON = try RegionPolicy(document: try DocumentValue.json(Data(aPolicyJSON.utf8)))
        #expect(fromYAML == fromJSON)
    }

    @Test("a policy's document reads back as the same policy, directly and through JSON", arguments: [false, true])
    func documentRoundTrips(throughJSON: Bool) throws {
        var policies = try RegionPolicy.shipped()
        policies.append(try RegionPolicy(document: try Self.document()))
        var ended = policies[0]
        ended.effectiveTo = try day("2026-03-31")
        ended.priorVisit = nil
        policies.append(ended)
        for policy in policies {
            var document = policy.document
            if throughJSON { document = try DocumentValue.json(try JSONEncoder().encode(document)) }
            #expect(try RegionPolicy(document: document) == policy)
        }
    }

    static let badDocuments: [BadDocument] = [
        BadDocument(rule: "an unknown key at the top level", changes: [("notes", .string("draft"))], issues: ["notes/unknown_key"]),
        BadDocument(rule: "an unknown key in a scheme", changes: [("schemes.employee.ratioBpp", .integer(7000))],
                    issues: ["schemes.employee.ratioBpp/unknown_key"]),
        BadDocument(rule: "a misspelt key is unknown and the key it meant is missing",
                    changes: [("schemes.employee.capFen", nil), ("schemes.employee.capFenn", .integer(600_000))],
                    issues: ["schemes.employee.capFenn/unknown_key", "schemes.employee.capFen/required"]),
        BadDocument(rule: "a negative amount", changes: [("schemes.resident.deductibleFen", .integer(-1))],
                    issues: ["schemes.resident.deductibleFen/negative"]),
        BadDocument(rule: "a negative fixed fee", changes: [("consultationFee.fundPaysFixedFen", .integer(-700))],
                    issues: ["consultationFee.fundPaysFixedFen/negative"]),
        BadDocument(rule: "a ratio above 10000 basis points", changes: [("schemes.employee.ratioBp.tertiary", .integer(10_001))],
                    issues: ["schemes.employee.ratioBp.tertiary/range"]),
        BadDocument(rule: "a negative ratio", changes: [("schemes.resident.ratioBp.primary", .integer(-1))],
                    issues: ["schemes.resident.ratioBp.primary/range"]),
        BadDocument(rule: "a class-B share above 10000 basis points", changes: [("drugs.classBSelfPayFirstBp", .integer(10_001))],
                    issues: ["drugs.classBSelfPayFirstBp/range"]),
        BadDocument(rule: "a condition that is not an ICD-10 code or prefix",
                    changes: [("coveredConditions", .list([.string("I10"), .string("I1O"), .string("E11")]))],
                    issues: ["coveredConditions[1]/icd10_prefix"]),
        BadDocument(rule: "both consultation-fee rules",
                    changes: [("consultationFee", .map(["fundPaysFixedFen": .integer(700), "inScopeLimitFen": .integer(2000)]))],
                    issues: ["consultationFee/both"]),
        BadDocument(rule: "neither consultation-fee rule", changes: [("consultationFee", .map([:]))], issues: ["consultationFee/neither"]),
        BadDocument(rule: "text where a number is", changes: [("schemes.employee.capFen", .string("600000"))],
                    issues: ["schemes.employee.capFen/type"]),
        BadDocument(rule: "a fraction of a fen", changes: [("schemes.resident.deductibleFen", .number(0.5))],
                    issues: ["schemes.resident.deductibleFen/type"]),
        BadDocument(rule: "text where true or false is", changes: [("deliveryCovered", .string("no"))], issues: ["deliveryCovered/type"]),
        BadDocument(rule: "a personal-account use that does not exist", changes: [("schemes.employee.personalAccount", .string("some"))],
                    issues: ["schemes.employee.personalAccount/unknown_value"]),
        BadDocument(rule: "a patient's own entry as a prior-visit source",
                    changes: [("priorVisit.sources", .list([.string("imported"), .string("entered")]))],
                    issues: ["priorVisit.sources[1]/not_allowed"]),
        BadDocument(rule: "platform internet hospitals admitted without the level they are reimbursed at",
                    changes: [("platformLevel", .null)], issues: ["platformLevel/required"]),
        BadDocument(rule: "an end before the start", changes: [("effectiveTo", .string("2026-03-31"))], issues: ["effectiveTo/before_start"]),
        BadDocument(rule: "a region code that is not one", changes: [("region", .string("3308"))], issues: ["region/format"]),
        BadDocument(rule: "several bad keys at once, every one reported",
                    changes: [("notes", .string("draft")), ("schemes.employee.ratioBpp", .integer(7000)),
                              ("schemes.resident.deductibleFen", .integer(-1)), ("schemes.employee.ratioBp.tertiary", .integer(10_001)),
                              ("coveredConditions", .list([.string("I10"), .string("hypertension")])),
                              ("consultationFee.inScopeLimitFen", .integer(2000)), ("drugs.classBSelfPayFirstBp", .string("10%"))],
                    issues: ["notes/unknown_key", "schemes.employee.ratioBpp/unknown_key", "schemes.resident.deductibleFen/negative",
                             "schemes.employee.ratioBp.tertiary/range", "coveredConditions[1]/icd10_prefix", "consultationFee/both",
                             "drugs.classBSelfPayFirstBp/type"]),
    ]

    @Test("a bad document is refused with an issue whose field is the path of each bad key", arguments: Self.badDocuments)
    func badDocument(_ example: BadDocument) throws {
        var document = try Self.document()
        for change in example.changes { document = document.setting(change.path, to: change.value) }
        let issues = fieldIssues { () throws(DomainError) in try RegionPolicy(document: document) }
        #expect(Set(issues) == Set(example.issues))
        #expect(issues.count == example.issues.count)
    }

    @Test("a covered condition is read as the code it names, without the spaces around it and in capitals")
    func conditionSpaces() throws {
        let document = try Self.document().setting("coveredConditions", to: .list([.string(" I10"), .string("e11 "), .string("\tJ45")]))
        let policy = try RegionPolicy(document: document)
        #expect(policy.coveredConditions == ["I10", "E11", "J45"])
        #expect(policy.covers(condition: try ICD10Code("I10")))
        #expect(policy.covers(condition: try ICD10Code("E11.9")))
    }

    @Test("in YAML, a quoted number is text and an unquoted region code a number: both are the wrong type")
    func yamlScalarTypes() throws {
        let quotedCap = aPolicyYAML.replacingOccurrences(of: "capFen: 600000", with: "capFen: \"600000\"")
        #expect(fieldIssues { () throws(DomainError) in try RegionPolicy(document: try DocumentValue.yaml(quotedCap)) }
            == ["schemes.employee.capFen/type"])
        let numericRegion = aPolicyYAML.replacingOccurrences(of: "region: \"330800\"", with: "region: 330800")
        #expect(fieldIssues { () throws(DomainError) in try RegionPolicy(document: try DocumentValue.yaml(numericRegion)) }
            == ["region/type"])
    }

    @Test("a document that is not YAML or not JSON is refused as malformed")
    func malformed() {
        #expect(fieldIssues { () throws(DomainError) in try DocumentValue.yaml("region: [330800") } == ["document/malformed"])
        #expect(fieldIssues { () throws(DomainError) in try DocumentValue.json(Data("{\"region\": ".utf8)) } == ["document/malformed"])
    }
}

@Suite("Policy versions: one region, versions that follow each other")
struct PolicyVersionTests {
    /// The version in force since 2020-03-01, open-ended unless `endingOn` is given.
    static func current(endingOn end: String? = nil) throws -> RegionPolicy {
        var policy = try RegionPolicy(document: try DocumentValue.yaml(aPolicyYAML))
        policy.version = "2020-03"
        policy.effectiveFrom = try day("2020-03-01")
        policy.effectiveTo = try end.map { try day($0) }
        return policy
    }

    /// A new version `name` from `start`.
    static func next(_ name: String = "2026-04", from start: String = "2026-04-01") throws -> RegionPolicy {
        var policy = try current()
        policy.version = name
        policy.effectiveFrom = try day(start)
        return policy
    }

    /// 2026-03-02.
    static let today = fixtureToday

    @Test("a new version may not overlap one that runs on: the old one must end first")
    func overlapRefused() throws {
        let next = try Self.next()
        let current = try Self.current()
        #expect(fieldIssues { () throws(DomainError) in try next.checkJoins([current], today: Self.today) } == ["effectiveFrom/overlap"])
    }

    @Test("a version whose last day is the new one's first day overlaps it by that day")
    func overlapByOneDay() throws {
        let next = try Self.next()
        let current = try Self.current(endingOn: "2026-04-01")
        #expect(fieldIssues { () throws(DomainError) in try next.checkJoins([current], today: Self.today) } == ["effectiveFrom/overlap"])
    }

    @Test("the overlap is checked both ways: a version ending on the first day of a later one overlaps it")
    func overlapWithALaterVersion() throws {
        let later = try Self.next("2026-05", from: "2026-05-01")
        var endsOnItsStart = try Self.next()
        endsOnItsStart.effectiveTo = try day("2026-05-01")
        #expect(fieldIssues { () throws(DomainError) in try endsOnItsStart.checkJoins([later], today: Self.today) }
            == ["effectiveFrom/overlap"])
        var endsTheDayBefore = endsOnItsStart
        endsTheDayBefore.effectiveTo = try day("2026-04-30")
        #expect(fieldIssues { () throws(DomainError) in try endsTheDayBefore.checkJoins([later], today: Self.today) } == [])
    }

    @Test("a new version may start the day after the old one ends")
    func joinsAfterTheEnd() throws {
        let next = try Self.next()
        let current = try Self.current(endingOn: "2026-03-31")
        #expect(fieldIssues { () throws(DomainError) in try next.checkJoins([current], today: Self.today) } == [])
    }

    @Test("a version name already used in the region is refused")
    func versionTaken() throws {
        let next = try Self.next("2020-03")
        let current = try Self.current(endingOn: "2026-03-31")
        #expect(fieldIssues { () throws(DomainError) in try next.checkJoins([current], today: Self.today) } == ["version/taken"])
    }

    @Test("a new version starts after today: today itself is refused, tomorrow is not")
    func startsAfterToday() throws {
        let current = try Self.current(endingOn: "2026-03-01")
        let startingToday = try Self.next(from: "2026-03-02")
        #expect(fieldIssues { () throws(DomainError) in try startingToday.checkJoins([current], today: Self.today) }
            == ["effectiveFrom/not_in_future"])
        let startingTomorrow = try Self.next(from: "2026-03-03")
        #expect(fieldIssues { () throws(DomainError) in try startingTomorrow.checkJoins([current], today: Self.today) } == [])
        #expect(fieldIssues { () throws(DomainError) in try startingToday.checkJoins([current], today: nil) } == [])
    }

    @Test("ending an open-ended version sets its last day; a day before its start, or a version that already ends, is refused")
    func ending() throws {
        let current = try Self.current()
        let ended = try current.ending(on: try day("2026-03-31"))
        #expect(ended.effectiveTo == (try day("2026-03-31")))
        #expect(ended.version == current.version && ended.effectiveFrom == current.effectiveFrom)
        #expect(try current.ending(on: try day("2020-03-01")).effectiveTo == (try day("2020-03-01")))
        let beforeStart = try day("2020-02-29")
        #expect(issueCode { () throws(DomainError) in try current.ending(on: beforeStart) } == "policy_ended")
        // Superseding a version twice would leave the days between the two ends without a version.
        let earlier = try day("2026-03-15")
        #expect(issueCode { () throws(DomainError) in try ended.ending(on: earlier) } == "policy_ended")
        let afterEnd = try day("2026-04-01")
        #expect(issueCode { () throws(DomainError) in try ended.ending(on: afterEnd) } == "policy_ended")
    }

    @Test("a version is in force from its first day to its last day, both included", arguments: [
        ("2020-02-29", false), ("2020-03-01", true), ("2023-07-15", true), ("2026-03-31", true), ("2026-04-01", false),
    ])
    func inForce(_ date: String, _ inForce: Bool) throws {
        #expect(try Self.current(endingOn: "2026-03-31").isInForce(on: try day(date)) == inForce)
    }

    @Test("an open-ended version is in force on every day from its first")
    func openEnded() throws {
        let current = try Self.current()
        #expect(!current.isInForce(on: try day("2020-02-29")))
        #expect(current.isInForce(on: try day("2020-03-01")))
        #expect(current.isInForce(on: try day("9999-12-31")))
    }

    @Test("the version in force on a day is the one whose days hold it")
    func versionInForce() throws {
        let versions = [try Self.current(endingOn: "2026-03-31"), try Self.next()]
        #expect(RegionPolicy.inForce(on: try day("2026-03-31"), among: versions)?.version == "2020-03")
        #expect(RegionPolicy.inForce(on: try day("2026-04-01"), among: versions)?.version == "2026-04")
        #expect(RegionPolicy.inForce(on: try day("2020-02-29"), among: versions) == nil)
    }
}
