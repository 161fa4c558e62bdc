import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A regimen and its package size, with the packages worked out by hand.
struct PackagesCase: Sendable, CustomTestStringConvertible {
    var what: String
    var dose: Double
    var timesPerDay: Int
    var days: Int
    var dosePerPackage: Double
    var packages: Int

    var testDescription: String { "\(what) → \(packages)" }
}

/// Items a doctor wrote that must be refused, with every field issue, as `field/code`, in order.
struct RefusedItems: Sendable, CustomTestStringConvertible {
    var what: String
    var inputs: [PrescriptionItemInput]
    var issues: [String]

    var testDescription: String { "\(what) → \(issues.joined(separator: ", "))" }
}

/// An instant a prescription is issued, its validity in days, and the instant it ends.
struct ValidityCase: Sendable, CustomTestStringConvertible {
    var issuedAt: String
    var validDays: Int
    var validUntil: String

    var testDescription: String { "issued \(issuedAt) for \(validDays) days → \(validUntil)" }
}

/// One item of amlodipine 5 mg (140 mg a package, at most 10 mg a day), changed by `change`.
private func amlodipineItem(_ change: (inout PrescriptionItemInput) -> Void = { _ in }) -> PrescriptionItemInput {
    var input = PrescriptionItemInput(drugId: Drug.id(productCode: Shelf.amlodipineCode), dose: 5, doseUnit: .mg,
                                      timesPerDay: 1, days: 7)
    change(&input)
    return input
}

@Suite("Prescription rules: quantities, item validation, supply, follow-up, signing and validity")
struct PrescriptionRulesTests {
    // MARK: Packages

    static let packagesCases: [PackagesCase] = [
        // 5 mg × 1 × 28 = 140 mg, one package of 28 × 5 mg = 140 mg exactly
        PackagesCase(what: "amlodipine 5 mg once a day for 28 days from 28 × 5 mg", dose: 5, timesPerDay: 1, days: 28,
                     dosePerPackage: 140, packages: 1),
        // 5 mg × 1 × 29 = 145 mg > 140 mg
        PackagesCase(what: "amlodipine 5 mg once a day for 29 days from 28 × 5 mg", dose: 5, timesPerDay: 1, days: 29,
                     dosePerPackage: 140, packages: 2),
        // 10 mg × 1 × 28 = 280 mg = 2 × 140 mg
        PackagesCase(what: "amlodipine 10 mg once a day for 28 days from 28 × 5 mg", dose: 10, timesPerDay: 1, days: 28,
                     dosePerPackage: 140, packages: 2),
        // 500 mg × 3 × 7 = 10 500 mg < 60 × 500 mg = 30 000 mg
        PackagesCase(what: "metformin 500 mg three times a day for 7 days from 60 × 500 mg", dose: 500, timesPerDay: 3, days: 7,
                     dosePerPackage: 30_000, packages: 1),
        // 500 mg × 3 × 20 = 30 000 mg, exactly one package
        PackagesCase(what: "metformin 500 mg three times a day for 20 days from 60 × 500 mg", dose: 500, timesPerDay: 3, days: 20,
                     dosePerPackage: 30_000, packages: 1),
        // 500 mg × 3 × 30 = 45 000 mg = 1.5 packages
        PackagesCase(what: "metformin 500 mg three times a day for 30 days from 60 × 500 mg", dose: 500, timesPerDay: 3, days: 30,
                     dosePerPackage: 30_000, packages: 2),
        // 2 puffs × 2 × 84 = 336 puffs = 1.68 inhalers
        PackagesCase(what: "2 puffs twice a day for 84 days from a 200-puff inhaler", dose: 2, timesPerDay: 2, days: 84,
                     dosePerPackage: 200, packages: 2),
        // 2 puffs × 2 × 50 = 200 puffs, one inhaler exactly
        PackagesCase(what: "2 puffs twice a day for 50 days from a 200-puff inhaler", dose: 2, timesPerDay: 2, days: 50,
                     dosePerPackage: 200, packages: 1),
        // 0.1 × 3 × 10 is 3.0000000000000004 in binary floating point: still exactly one package of 3
        PackagesCase(what: "0.1 ml three times a day for 10 days from 3 ml", dose: 0.1, timesPerDay: 3, days: 10,
                     dosePerPackage: 3, packages: 1),
        // 0.1 × 3 × 30 is 9.000000000000002: three packages, not four
        PackagesCase(what: "0.1 ml three times a day for 30 days from 3 ml", dose: 0.1, timesPerDay: 3, days: 30,
                     dosePerPackage: 3, packages: 3),
        // 0.5 mg × 1 × 1 = 0.5 mg: a whole package is the least that is dispensed
        PackagesCase(what: "a single 0.5 mg dose from 140 mg", dose: 0.5, timesPerDay: 1, days: 1,
                     dosePerPackage: 140, packages: 1),
        // 1 tablet × 24 × 84 = 2016 tablets = 72 packages of 28
        PackagesCase(what: "1 tablet 24 times a day for 84 days from 28 tablets", dose: 1, timesPerDay: 24, days: 84,
                     dosePerPackage: 28, packages: 72),
    ]

    @Test("the packages dispensed are the whole packages the dose × times a day × days needs", arguments: Self.packagesCases)
    func packages(_ example: PackagesCase) {
        #expect(PrescriptionRules.packages(dose: example.dose, timesPerDay: example.timesPerDay, days: example.days,
                                           dosePerPackage: example.dosePerPackage) == example.packages)
    }

    @Test("for any regimen the packages cover the need, one package fewer would not, and there is at least one")
    func packagesCoverTheNeed() async {
        await propertyCheck(input: Gen.double(in: 0.001...1000), Gen.int(in: 1...24), Gen.int(in: 1...84),
                            Gen.double(in: 0.1...100_000)) { dose, timesPerDay, days, dosePerPackage in
            let need = dose * Double(timesPerDay) * Double(days)
            guard let packages = PrescriptionRules.packages(dose: dose, timesPerDay: timesPerDay, days: days,
                                                            dosePerPackage: dosePerPackage) else {
                // Only a need beyond the most packages an item may take has no answer.
                #expect(need / dosePerPackage > Double(PrescriptionRules.maximumPackages))
                return
            }
            #expect(packages >= 1)
            // The rule forgives a billionth of a package of floating-point rounding, no more.
            #expect(Double(packages) * dosePerPackage >= need - 1e-9 * dosePerPackage)
            #expect(Double(packages - 1) * dosePerPackage < need)
        }
    }

    @Test("a need of exactly k packages, written in tenths, is k packages: rounding never adds one")
    func exactNeedsGetNoExtraPackage() async {
        await propertyCheck(input: Gen.int(in: 1...100_000), Gen.int(in: 1...24), Gen.int(in: 1...84), Gen.int(in: 1...50)) {
            tenths, timesPerDay, days, k in
            let dose = Double(tenths) / 10
            let dosePerPackage = Double(tenths * timesPerDay * days) / 10 / Double(k)
            #expect(PrescriptionRules.packages(dose: dose, timesPerDay: timesPerDay, days: days, dosePerPackage: dosePerPackage) == k)
        }
    }

    // MARK: Items

    static let refusals: [RefusedItems] = [
        RefusedItems(what: "no items", inputs: [], issues: ["items/required"]),
        RefusedItems(what: "a drug not in the catalogue",
                     inputs: [amlodipineItem { $0.drugId = Drug.id(productCode: "9999999") }],
                     issues: ["items[0].drugId/unknown_drug"]),
        RefusedItems(what: "a dose of 0", inputs: [amlodipineItem { $0.dose = 0 }], issues: ["items[0].dose/not_positive"]),
        RefusedItems(what: "a negative dose", inputs: [amlodipineItem { $0.dose = -5 }], issues: ["items[0].dose/not_positive"]),
        RefusedItems(what: "a dose that is not a number", inputs: [amlodipineItem { $0.dose = .nan }],
                     issues: ["items[0].dose/not_positive"]),
        RefusedItems(what: "an infinite dose", inputs: [amlodipineItem { $0.dose = .infinity }],
                     issues: ["items[0].dose/not_positive"]),
        RefusedItems(what: "amlodipine dosed in tablets", inputs: [amlodipineItem { $0.doseUnit = .tablet }],
                     issues: ["items[0].doseUnit/dose_unit"]),
        RefusedItems(what: "0 times a day", inputs: [amlodipineItem { $0.timesPerDay = 0 }],
                     issues: ["items[0].timesPerDay/out_of_range"]),
        RefusedItems(what: "25 times a day", inputs: [amlodipineItem { $0.timesPerDay = 25 }],
                     issues: ["items[0].timesPerDay/out_of_range"]),
        RefusedItems(what: "0 days", inputs: [amlodipineItem { $0.days = 0 }], issues: ["items[0].days/out_of_range"]),
        RefusedItems(what: "85 days", inputs: [amlodipineItem { $0.days = 85 }], issues: ["items[0].days/out_of_range"]),
        // 5 mg × 1 × 7 = 35 mg needs one package of 140 mg, not 2
        RefusedItems(what: "2 packages where 1 is needed", inputs: [amlodipineItem { $0.quantity = 2 }],
                     issues: ["items[0].quantity/quantity_mismatch"]),
        RefusedItems(what: "0 packages where 1 is needed", inputs: [amlodipineItem { $0.quantity = 0 }],
                     issues: ["items[0].quantity/quantity_mismatch"]),
        // 101 mg a day is over 10 × the maximum of 10 mg
        RefusedItems(what: "amlodipine 101 mg a day", inputs: [amlodipineItem { $0.dose = 101 }],
                     issues: ["items[0].dose/implausible"]),
        // 60 mg × 2 = 120 mg a day
        RefusedItems(what: "amlodipine 60 mg twice a day", inputs: [amlodipineItem { $0.dose = 60; $0.timesPerDay = 2 }],
                     issues: ["items[0].dose/implausible"]),
        RefusedItems(what: "6 good items", inputs: Array(repeating: amlodipineItem(), count: 6), issues: ["items/too_many_items"]),
        RefusedItems(what: "a good item, then one for 85 days", inputs: [amlodipineItem(), amlodipineItem { $0.days = 85 }],
                     issues: ["items[1].days/out_of_range"]),
        RefusedItems(what: "a dose of 0 in tablets for 85 days",
                     inputs: [amlodipineItem { $0.dose = 0; $0.doseUnit = .tablet; $0.days = 85 }],
                     issues: ["items[0].dose/not_positive", "items[0].doseUnit/dose_unit", "items[0].days/out_of_range"]),
        RefusedItems(what: "an unknown drug and a bad quantity",
                     inputs: [amlodipineItem { $0.drugId = Drug.id(productCode: "9999999") }, amlodipineItem { $0.quantity = 5 }],
                     issues: ["items[0].drugId/unknown_drug", "items[1].quantity/quantity_mismatch"]),
    ]

    @Test("each bad item is refused on its own field with its code, and every bad field is reported at once",
          arguments: Self.refusals)
    func refusedItems(_ example: RefusedItems) throws {
        let catalogue = try Shelf().catalogue
        #expect(fieldIssues { () throws(DomainError) in try PrescriptionRules.items(example.inputs, catalogue: catalogue) }
            == example.issues)
    }

    @Test("a good item gets its product, its computed quantity and the product's route")
    func goodItem() throws {
        let shelf = try Shelf()
        let items = try PrescriptionRules.items([amlodipineItem { $0.days = 28 }], catalogue: shelf.catalogue)
        #expect(items.count == 1)
        #expect(items.first?.drug == shelf.amlodipine)
        #expect(items.first?.quantity == 1)
        #expect(items.first?.route == .oral)
        #expect(items.first?.checkItem == CheckItem(drug: shelf.amlodipine, dose: 5, timesPerDay: 1, days: 28))
    }

    @Test("a quantity the doctor gives that matches the computation is kept, and a route given is kept")
    func givenQuantityAndRoute() throws {
        let shelf = try Shelf()
        // 500 mg × 3 × 30 = 45 000 mg of 30 000 mg packages: 2
        let input = PrescriptionItemInput(drugId: shelf.metformin.id, dose: 500, doseUnit: .mg, timesPerDay: 3, route: .oral,
                                          days: 30, quantity: 2)
        let items = try PrescriptionRules.items([input], catalogue: shelf.catalogue)
        #expect(items.map(\.quantity) == [2])
        let inhaler = PrescriptionItemInput(drugId: shelf.salbutamol.id, dose: 2, doseUnit: .puff, timesPerDay: 2, days: 84)
        let inhaled = try PrescriptionRules.items([inhaler], catalogue: shelf.catalogue)
        #expect(inhaled.map(\.quantity) == [2])
        #expect(inhaled.map(\.route) == [.inhaled])
    }

    @Test("a daily dose over the maximum but at most 10 times it is accepted here: the dose check makes it a finding",
          arguments: [11.0, 20.0, 50.0, 100.0])
    func highButPlausibleDose(dailyMilligrams: Double) throws {
        let catalogue = try Shelf().catalogue
        let items = try PrescriptionRules.items([amlodipineItem { $0.dose = dailyMilligrams }], catalogue: catalogue)
        #expect(items.count == 1)
        let findings = ClinicalChecks(table: try aTable()).findings(for: items.map(\.checkItem), patient: nil)
        #expect(findings.map(\.rule) == [.dose])
        #expect(findings.map(\.severity) == [.high])
    }

    @Test("an absurd dose of a product without a maximum daily dose (warfarin, insulin, creams) is refused, not a crash")
    func absurdDoseWithoutMaximum() async {
        // In a child process, since a crash would end the test run. 10^18 mg 24 times a day for 84 days is
        // 6.7 × 10^18 packages of 300 mg (an Int, but no pharmacy's, and its price overflows Int64);
        // 10^20 mg is 6.7 × 10^20 packages, beyond Int.
        await #expect(processExitsWith: .success) {
            let warfarin = try aDrug(productCode: "9000099", ingredient: "warfarin", ingredientZh: "华法林", atc: "B01AA03",
                                     dosePerPackage: 300, maximumDailyDose: nil)
            for dose in [1e18, 1e20] {
                let input = PrescriptionItemInput(drugId: warfarin.id, dose: dose, doseUnit: .mg, timesPerDay: 24, days: 84)
                if (try? PrescriptionRules.items([input], catalogue: aCatalogue([warfarin]))) != nil { exit(3) }
            }
        }
    }

    @Test("5 items are allowed on one prescription")
    func fiveItems() throws {
        let catalogue = try Shelf().catalogue
        #expect(try PrescriptionRules.items(Array(repeating: amlodipineItem(), count: 5), catalogue: catalogue).count == 5)
    }

    // MARK: Supply

    @Test("up to 7 days needs no long prescription; 8 days without one is refused")
    func longPrescriptionRequired() throws {
        let shelf = try Shelf()
        let week = try PrescriptionRules.items([amlodipineItem { $0.days = 7 }], catalogue: shelf.catalogue)
        #expect(issueCode { () throws(DomainError) in try PrescriptionRules.checkSupply(week, long: nil) } == nil)
        let eight = try PrescriptionRules.items([amlodipineItem(), amlodipineItem { $0.days = 8 }], catalogue: shelf.catalogue)
        #expect(issueCode { () throws(DomainError) in try PrescriptionRules.checkSupply(eight, long: nil) }
            == "long_prescription_required")
    }

    @Test("a long prescription with its reason allows 12 weeks of a chronic drug; a blank reason is refused on longPrescription.reason")
    func longPrescriptionReason() throws {
        let shelf = try Shelf()
        let twelveWeeks = try PrescriptionRules.items([amlodipineItem { $0.days = 84 }], catalogue: shelf.catalogue)
        #expect(issueCode { () throws(DomainError) in
            try PrescriptionRules.checkSupply(twelveWeeks, long: LongPrescription(reason: "稳定期高血压，规律复诊"))
        } == nil)
        for blank in ["", "   ", " \n\t "] {
            #expect(fieldIssues { () throws(DomainError) in
                try PrescriptionRules.checkSupply(twelveWeeks, long: LongPrescription(reason: blank))
            } == ["longPrescription.reason/required"])
        }
    }

    @Test("a long prescription is refused for an antimicrobial, a biologic or a controlled drug, but allowed for tuberculosis (J04) and antifungal (J02) treatment",
          arguments: [("amoxicillin", "long_prescription_not_allowed"), ("clarithromycin", "long_prescription_not_allowed"),
                      ("adalimumab", "long_prescription_not_allowed"), ("diazepam", "long_prescription_not_allowed"),
                      ("isoniazid", nil), ("fluconazole", nil), ("metformin", nil)] as [(String, String?)])
    func longPrescriptionExclusions(product: String, code: String?) throws {
        let shelf = try Shelf()
        let drug = try #require(shelf.byName[product])
        let input = PrescriptionItemInput(drugId: drug.id, dose: 1, doseUnit: drug.doseUnit, timesPerDay: 1, days: 28)
        let items = try PrescriptionRules.items([input], catalogue: shelf.catalogue)
        #expect(issueCode { () throws(DomainError) in
            try PrescriptionRules.checkSupply(items, long: LongPrescription(reason: "stable chronic condition"))
        } == code)
        #expect(PrescriptionRules.isExcludedFromLongPrescriptions(drug) == (code != nil))
    }

    @Test("a long prescription is allowed for a systemic antifungal filed outside J02: terbinafine tablets (D01BA02) for onychomycosis")
    func longPrescriptionForTerbinafine() throws {
        let terbinafine = try aDrug(productCode: "9000098", ingredient: "terbinafine", ingredientZh: "特比萘芬", atc: "D01BA02",
                                    dosePerPackage: 3500, packageSize: 14, maximumDailyDose: 250, isAntimicrobial: true)
        #expect(!PrescriptionRules.isExcludedFromLongPrescriptions(terbinafine))
    }

    @Test("one excluded product refuses the whole long prescription, whatever its own days")
    func oneExcludedProductRefusesTheLongPrescription() throws {
        let shelf = try Shelf()
        let inputs = [amlodipineItem { $0.days = 28 },
                      PrescriptionItemInput(drugId: shelf.amoxicillin.id, dose: 500, doseUnit: .mg, timesPerDay: 3, days: 5)]
        let items = try PrescriptionRules.items(inputs, catalogue: shelf.catalogue)
        #expect(issueCode { () throws(DomainError) in
            try PrescriptionRules.checkSupply(items, long: LongPrescription(reason: "stable hypertension"))
        } == "long_prescription_not_allowed")
    }

    // MARK: Follow-up

    @Test("a prescription follows up the ICD-10 category of the prior in-person visit",
          arguments: [("E11.9", "E11", nil), ("E11.9", "E11.2", nil), ("I10", "I10", nil), ("I10", "E11", "not_a_follow_up"),
                      ("E10.9", "E11.9", "not_a_follow_up"), ("E11.9", nil, "not_a_follow_up")] as [(String, String?, String?)])
    func followUp(diagnosis: String, priorVisit: String?, code: String?) throws {
        let diagnosis = try ICD10Code(diagnosis)
        let prior = try priorVisit.map { text throws(DomainError) in try ICD10Code(text) }
        #expect(issueCode { () throws(DomainError) in try PrescriptionRules.checkFollowUp(diagnosis: diagnosis, priorVisit: prior) }
            == code)
    }

    // MARK: Signing and overrides

    @Test("a high or contraindicated finding without an override blocks signing")
    func unexplainedFinding() throws {
        let shelf = try Shelf()
        for severity in [FindingSeverity.high, .contraindicated] {
            let findings = [aFinding(severity, .interaction, [shelf.simvastatin, shelf.clarithromycin])]
            #expect(issueCode { () throws(DomainError) in try PrescriptionRules.checkSignable(findings: findings, overrides: [:]) }
                == "unexplained_finding")
        }
    }

    @Test("a finding overridden with a reason no longer blocks signing, however its products are ordered")
    func overriddenFinding() throws {
        let shelf = try Shelf()
        let finding = aFinding(.contraindicated, .interaction, [shelf.simvastatin, shelf.clarithromycin])
        let reversed = FindingKey(rule: .interaction, drugIds: [shelf.clarithromycin.id, shelf.simvastatin.id])
        #expect(reversed == finding.key)
        #expect(issueCode { () throws(DomainError) in
            try PrescriptionRules.checkSignable(findings: [finding], overrides: [reversed: "短期联用，已停用辛伐他汀"])
        } == nil)
        // An override of another finding does not explain this one.
        let other = FindingKey(rule: .duplicateTherapy, drugIds: [shelf.clarithromycin.id, shelf.simvastatin.id])
        #expect(issueCode { () throws(DomainError) in
            try PrescriptionRules.checkSignable(findings: [finding], overrides: [other: "reason"])
        } == "unexplained_finding")
    }

    @Test("a controlled drug blocks signing even with an override, and no reason may override it")
    func controlledDrug() throws {
        let shelf = try Shelf()
        let controlled = aFinding(.contraindicated, .controlled, [shelf.diazepam])
        #expect(!controlled.isOverridable)
        #expect(issueCode { () throws(DomainError) in
            try PrescriptionRules.checkSignable(findings: [controlled], overrides: [controlled.key: "patient insists"])
        } == "controlled_drug_online")
        #expect(issueCode { () throws(DomainError) in
            try PrescriptionRules.checkOverride(controlled.key, reason: "patient insists", findings: [controlled])
        } == "override_not_allowed")
    }

    @Test("an override needs a reason and a finding of the draft; a good one is accepted")
    func overrides() throws {
        let shelf = try Shelf()
        let finding = aFinding(.high, .dose, [shelf.metformin])
        for blank in ["", "  ", "\n"] {
            #expect(fieldIssues { () throws(DomainError) in
                try PrescriptionRules.checkOverride(finding.key, reason: blank, findings: [finding])
            } == ["reason/required"])
        }
        let unknown = FindingKey(rule: .dose, drugIds: [shelf.amlodipine.id])
        #expect(issueCode { () throws(DomainError) in
            try PrescriptionRules.checkOverride(unknown, reason: "titrating", findings: [finding])
        } == "no_such_finding")
        #expect(issueCode { () throws(DomainError) in
            try PrescriptionRules.checkOverride(finding.key, reason: "titrating under supervision", findings: [finding])
        } == nil)
    }

    @Test("low and moderate findings never block signing")
    func moderateFindingsDoNotBlock() throws {
        let shelf = try Shelf()
        let findings = [aFinding(.moderate, .duplicateTherapy, [shelf.amlodipine, shelf.nifedipine]),
                        aFinding(.moderate, .longSupply, [shelf.amlodipine]),
                        aFinding(.low, .interaction, [shelf.amlodipine, shelf.simvastatin])]
        #expect(issueCode { () throws(DomainError) in try PrescriptionRules.checkSignable(findings: findings, overrides: [:]) } == nil)
        #expect(FindingSeverity.allCases.filter(\.blocksSigning) == [.high, .contraindicated])
    }

    // MARK: Validity

    static let validityCases: [ValidityCase] = [
        ValidityCase(issuedAt: "2026-03-02T10:00:00+08:00", validDays: 1, validUntil: "2026-03-03T00:00:00+08:00"),
        ValidityCase(issuedAt: "2026-03-02T10:00:00+08:00", validDays: 2, validUntil: "2026-03-04T00:00:00+08:00"),
        ValidityCase(issuedAt: "2026-03-02T10:00:00+08:00", validDays: 3, validUntil: "2026-03-05T00:00:00+08:00"),
        // 23:59 in China is 15:59 UTC, still the 2nd there
        ValidityCase(issuedAt: "2026-03-02T15:59:00Z", validDays: 1, validUntil: "2026-03-03T00:00:00+08:00"),
        ValidityCase(issuedAt: "2026-03-02T23:59:59+08:00", validDays: 1, validUntil: "2026-03-03T00:00:00+08:00"),
        // midnight in China starts the new day
        ValidityCase(issuedAt: "2026-03-02T16:00:00Z", validDays: 1, validUntil: "2026-03-04T00:00:00+08:00"),
        ValidityCase(issuedAt: "2026-03-03T00:00:00+08:00", validDays: 1, validUntil: "2026-03-04T00:00:00+08:00"),
        // across a month's end and a leap day
        ValidityCase(issuedAt: "2028-02-28T09:00:00+08:00", validDays: 3, validUntil: "2028-03-02T00:00:00+08:00"),
        ValidityCase(issuedAt: "2026-12-31T20:00:00+08:00", validDays: 1, validUntil: "2027-01-01T00:00:00+08:00"),
    ]

    @Test("a prescription is valid to the end of its day of issue in China, or of its last valid day",
          arguments: Self.validityCases)
    func validUntil(_ example: ValidityCase) throws {
        let issued = try #require(Timestamp.parse(example.issuedAt))
        let until = try PrescriptionRules.validUntil(issuedAt: issued, validDays: example.validDays)
        #expect(until == Timestamp.parse(example.validUntil))
        #expect(Timestamp.format(until) == example.validUntil)
    }

    @Test("a validity of 0 or 4 days is refused on validDays", arguments: [0, 4, -1, 30])
    func validDaysOutOfRange(validDays: Int) throws {
        let issued = try #require(Timestamp.parse("2026-03-02T10:00:00+08:00"))
        #expect(fieldIssues { () throws(DomainError) in try PrescriptionRules.validUntil(issuedAt: issued, validDays: validDays) }
            == ["validDays/out_of_range"])
    }

    @Test("for any instant, a prescription's validity ends at a midnight in China, after the issue and at most that many days later")
    func validityEndsAtMidnight() async {
        await propertyCheck(input: Gen.double(in: 0...4_000_000_000), Gen.int(in: 1...3)) { seconds, validDays in
            let issued = Date(timeIntervalSince1970: seconds)
            guard let until = try? PrescriptionRules.validUntil(issuedAt: issued, validDays: validDays) else {
                Issue.record("a validity of \(validDays) days was refused"); return
            }
            let span = until.timeIntervalSince(issued)
            #expect((until.timeIntervalSince1970 + 8 * 3600).truncatingRemainder(dividingBy: 86_400) == 0)
            #expect(span > Double(validDays - 1) * 86_400 && span <= Double(validDays) * 86_400)
        }
    }
}

// MARK: - Fixtures of the prescribing tests

/// A product as a catalogue file describes it, decoded from its JSON as the shipped files are
/// (`Drug` has no public memberwise initialiser). A combination product lists more ingredients
/// after the first; its names join them with "/".
func aDrug(productCode: String, ingredient: String, ingredientZh: String, atc: String,
           alsoContaining more: [(name: String, nameZh: String)] = [],
           brandEn: String? = nil, brandZh: String? = nil, dosageForm: DosageForm = .tablet,
           route: AdministrationRoute = .oral, doseUnit: DoseUnit = .mg, dosePerPackage: Double = 140,
           packageSize: Int = 28, packageUnit: PackageUnit = .tablet, maximumDailyDose: Double? = nil,
           minimumAgeYears: Int = 0, pregnancy: UseCaution = .none, lactation: UseCaution = .none,
           controlledClass: ControlledClass = .none, isAntimicrobial: Bool = false, isBiologic: Bool = false) throws -> Drug {
    let ingredients = [(ingredient, ingredientZh)] + more.map { ($0.name, $0.nameZh) }
    let quoted: (String?) -> String = { $0.map { "\"\($0)\"" } ?? "null" }
    let json = """
        {
          "productCode": "\(productCode)",
          "genericNameZh": "\(ingredients.map(\.1).joined(separator: "/"))",
          "genericNameEn": "\(ingredients.map(\.0).joined(separator: "/"))",
          "brandZh": \(quoted(brandZh)), "brandEn": \(quoted(brandEn)),
          "ingredients": [\(ingredients.map { #"{"name": "\#($0.0)", "nameZh": "\#($0.1)", "strength": "5 mg"}"# }
              .joined(separator: ", "))],
          "atc": "\(atc)", "dosageForm": "\(dosageForm.rawValue)", "strength": "5 mg", "route": "\(route.rawValue)",
          "doseUnit": "\(doseUnit.rawValue)", "dosePerPackage": \(dosePerPackage),
          "packageSize": \(packageSize), "packageUnit": "\(packageUnit.rawValue)",
          "dispensing": "prescription", "controlledClass": "\(controlledClass.rawValue)",
          "isAntimicrobial": \(isAntimicrobial), "isBiologic": \(isBiologic), "insuranceClass": "a",
          "referencePriceFen": 1250, "maximumDailyDose": \(maximumDailyDose.map { "\($0)" } ?? "null"),
          "minimumAgeYears": \(minimumAgeYears), "pregnancy": "\(pregnancy.rawValue)", "lactation": "\(lactation.rawValue)"
        }
        """
    return try JSONDecoder().decode(Drug.self, from: Data(json.utf8))
}

/// A catalogue of exactly `drugs`, built as the shipped one is.
func aCatalogue(_ drugs: [Drug]) throws(ShippedDataError) -> DrugCatalogue {
    try DrugCatalogue(files: [(name: "hand-made.json", document: DrugCatalogueFile(source: "hand-made for the tests", drugs: drugs))])
}

/// A finding about `drugs` with placeholder messages.
func aFinding(_ severity: FindingSeverity, _ rule: FindingRule, _ drugs: [Drug]) -> Finding {
    Finding(severity: severity, rule: rule, drugIds: drugs.map(\.id), messageZh: "\(rule)", messageEn: "\(rule)")
}

/// A small interaction table written by hand (not the shipped one): penicillin allergy terms,
/// strong CYP3A4 inhibitors, QT-prolonging drugs together, warfarin with NSAIDs, and the
/// dihydropyridines as the one listed duplicate-therapy class.
func aTable() throws -> InteractionTable {
    let json = """
        {
          "sources": ["hand-made for the tests"],
          "groups": [
            {"id": "penicillins", "nameZh": "青霉素类", "nameEn": "penicillins",
             "allergyTermsZh": ["青霉素"], "allergyTermsEn": ["penicillin"], "atc": ["J01C"]},
            {"id": "strongCYP3A4Inhibitors", "nameZh": "强效CYP3A4抑制剂", "nameEn": "strong CYP3A4 inhibitors",
             "ingredients": ["clarithromycin", "itraconazole"]},
            {"id": "qtProlonging", "nameZh": "延长QT间期药物", "nameEn": "QT-prolonging drugs",
             "ingredients": ["citalopram", "amiodarone", "clarithromycin"]}
          ],
          "interactions": [
            {"id": "simvastatin-cyp3a4", "a": {"ingredients": ["simvastatin"]}, "b": {"groups": ["strongCYP3A4Inhibitors"]},
             "severity": "contraindicated",
             "mechanismZh": "辛伐他汀血药浓度显著升高，横纹肌溶解风险。", "mechanismEn": "Simvastatin levels rise; risk of rhabdomyolysis.",
             "adviceZh": "避免合用。", "adviceEn": "Do not combine.", "isHighPriority": true},
            {"id": "qt-together", "a": {"groups": ["qtProlonging"]}, "b": {"groups": ["qtProlonging"]},
             "severity": "high",
             "mechanismZh": "QT间期延长叠加。", "mechanismEn": "Additive QT prolongation.",
             "adviceZh": "避免合用或监测心电图。", "adviceEn": "Avoid, or monitor the ECG."},
            {"id": "warfarin-nsaid", "a": {"ingredients": ["warfarin"]}, "b": {"atc": ["M01A"]},
             "severity": "high",
             "mechanismZh": "出血风险增加。", "mechanismEn": "Bleeding risk rises.",
             "adviceZh": "避免合用。", "adviceEn": "Avoid the combination."},
            {"id": "amlodipine-simvastatin", "a": {"ingredients": ["amlodipine"]}, "b": {"ingredients": ["simvastatin"]},
             "severity": "low",
             "mechanismZh": "辛伐他汀浓度轻度升高。", "mechanismEn": "Simvastatin levels rise a little.",
             "adviceZh": "辛伐他汀不超过20 mg/日。", "adviceEn": "Keep simvastatin at 20 mg a day or less."}
          ],
          "therapeuticClasses": [
            {"atc": "C08CA", "nameZh": "二氢吡啶类钙通道阻滞剂", "nameEn": "dihydropyridine calcium-channel blockers",
             "severity": "moderate"}
          ]
        }
        """
    return try InteractionTable.validated(JSONDecoder().decode(InteractionTable.self, from: Data(json.utf8)))
}

/// The hand-made products the prescribing tests use, each with the facts a test relies on.
struct Shelf {
    static let amlodipineCode = "9000001"

    /// Amlodipine 5 mg × 28 tablets dosed in mg (140 mg a package), at most 10 mg a day; caution
    /// while breastfeeding.
    let amlodipine: Drug
    /// Amlodipine 10 mg × 28, another product of the same ingredient.
    let amlodipine10: Drug
    /// Nifedipine extended release: another dihydropyridine (C08CA).
    let nifedipine: Drug
    /// Amlodipine/valsartan, a combination product dosed in tablets (C09DB01).
    let amlodipineValsartan: Drug
    /// Metformin 500 mg × 60 (30 000 mg a package), at most 2000 mg a day.
    let metformin: Drug
    /// A 200-puff salbutamol inhaler dosed in puffs, at most 8 a day.
    let salbutamol: Drug
    let simvastatin: Drug
    /// Another statin (C10AA, a class the hand-made table does not list).
    let atorvastatin: Drug
    let clarithromycin: Drug
    /// A penicillin (J01CA04), antimicrobial.
    let amoxicillin: Drug
    /// A tuberculosis drug (J04AC01), antimicrobial but allowed on a long prescription.
    let isoniazid: Drug
    /// An antifungal (J02AC01), antimicrobial but allowed on a long prescription.
    let fluconazole: Drug
    /// A biologic (L04AB04).
    let adalimumab: Drug
    /// A class II psychotropic (N05BA01).
    let diazepam: Drug
    /// Contraindicated in pregnancy.
    let warfarin: Drug
    /// A systemic NSAID (M01AE01).
    let ibuprofen: Drug
    /// Licensed from 18 years.
    let ciprofloxacin: Drug
    let citalopram: Drug
    let amiodarone: Drug

    init() throws {
        amlodipine = try aDrug(productCode: Self.amlodipineCode, ingredient: "amlodipine", ingredientZh: "氨氯地平", atc: "C08CA01",
                               brandEn: "Norvasc", brandZh: "络活喜", maximumDailyDose: 10, lactation: .caution)
        amlodipine10 = try aDrug(productCode: "9000002", ingredient: "amlodipine", ingredientZh: "氨氯地平", atc: "C08CA01",
                                 dosePerPackage: 280, maximumDailyDose: 10)
        nifedipine = try aDrug(productCode: "9000003", ingredient: "nifedipine", ingredientZh: "硝苯地平", atc: "C08CA05",
                               dosageForm: .extendedReleaseTablet, dosePerPackage: 210, packageSize: 7, maximumDailyDose: 120)
        amlodipineValsartan = try aDrug(productCode: "9000004", ingredient: "amlodipine", ingredientZh: "氨氯地平", atc: "C09DB01",
                                        alsoContaining: [("valsartan", "缬沙坦")], brandEn: "Exforge", brandZh: "倍博特",
                                        doseUnit: .tablet, dosePerPackage: 7, packageSize: 7, maximumDailyDose: 2)
        metformin = try aDrug(productCode: "9000005", ingredient: "metformin", ingredientZh: "二甲双胍", atc: "A10BA02",
                              dosePerPackage: 30_000, packageSize: 60, maximumDailyDose: 2000)
        salbutamol = try aDrug(productCode: "9000006", ingredient: "salbutamol", ingredientZh: "沙丁胺醇", atc: "R03AC02",
                               dosageForm: .inhaler, route: .inhaled, doseUnit: .puff, dosePerPackage: 200, packageSize: 200,
                               packageUnit: .puff, maximumDailyDose: 8, minimumAgeYears: 4)
        simvastatin = try aDrug(productCode: "9000007", ingredient: "simvastatin", ingredientZh: "辛伐他汀", atc: "C10AA01",
                                maximumDailyDose: 40, minimumAgeYears: 10, pregnancy: .contraindicated)
        atorvastatin = try aDrug(productCode: "9000008", ingredient: "atorvastatin", ingredientZh: "阿托伐他汀", atc: "C10AA05",
                                 maximumDailyDose: 80, pregnancy: .contraindicated)
        clarithromycin = try aDrug(productCode: "9000009", ingredient: "clarithromycin", ingredientZh: "克拉霉素", atc: "J01FA09",
                                   maximumDailyDose: 1000, isAntimicrobial: true)
        amoxicillin = try aDrug(productCode: "9000010", ingredient: "amoxicillin", ingredientZh: "阿莫西林", atc: "J01CA04",
                                dosageForm: .capsule, dosePerPackage: 12_000, packageSize: 24, packageUnit: .capsule,
                                maximumDailyDose: 4000, isAntimicrobial: true)
        isoniazid = try aDrug(productCode: "9000011", ingredient: "isoniazid", ingredientZh: "异烟肼", atc: "J04AC01",
                              dosePerPackage: 10_000, packageSize: 100, maximumDailyDose: 300, isAntimicrobial: true)
        fluconazole = try aDrug(productCode: "9000012", ingredient: "fluconazole", ingredientZh: "氟康唑", atc: "J02AC01",
                                dosageForm: .capsule, dosePerPackage: 300, packageSize: 2, packageUnit: .capsule,
                                maximumDailyDose: 400, isAntimicrobial: true)
        adalimumab = try aDrug(productCode: "9000013", ingredient: "adalimumab", ingredientZh: "阿达木单抗", atc: "L04AB04",
                               dosageForm: .prefilledPen, route: .subcutaneous, dosePerPackage: 80, packageSize: 2,
                               packageUnit: .pen, isBiologic: true)
        diazepam = try aDrug(productCode: "9000014", ingredient: "diazepam", ingredientZh: "地西泮", atc: "N05BA01",
                             dosePerPackage: 500, packageSize: 100, maximumDailyDose: 40, controlledClass: .psychotropicII)
        warfarin = try aDrug(productCode: "9000015", ingredient: "warfarin", ingredientZh: "华法林", atc: "B01AA03",
                             dosePerPackage: 300, packageSize: 100, pregnancy: .contraindicated)
        ibuprofen = try aDrug(productCode: "9000016", ingredient: "ibuprofen", ingredientZh: "布洛芬", atc: "M01AE01",
                              dosageForm: .extendedReleaseCapsule, dosePerPackage: 6000, packageSize: 20,
                              packageUnit: .capsule, maximumDailyDose: 2400, minimumAgeYears: 12)
        ciprofloxacin = try aDrug(productCode: "9000017", ingredient: "ciprofloxacin", ingredientZh: "环丙沙星", atc: "J01MA02",
                                  dosePerPackage: 6000, packageSize: 12, maximumDailyDose: 1500, minimumAgeYears: 18,
                                  isAntimicrobial: true)
        citalopram = try aDrug(productCode: "9000018", ingredient: "citalopram", ingredientZh: "西酞普兰", atc: "N06AB04",
                               dosePerPackage: 280, packageSize: 14, maximumDailyDose: 40)
        amiodarone = try aDrug(productCode: "9000019", ingredient: "amiodarone", ingredientZh: "胺碘酮", atc: "C01BD01",
                               dosePerPackage: 2400, packageSize: 12, maximumDailyDose: 1200)
    }

    /// Every product, in the order declared.
    var all: [Drug] {
        [amlodipine, amlodipine10, nifedipine, amlodipineValsartan, metformin, salbutamol, simvastatin, atorvastatin,
         clarithromycin, amoxicillin, isoniazid, fluconazole, adalimumab, diazepam, warfarin, ibuprofen, ciprofloxacin,
         citalopram, amiodarone]
    }

    /// The single-ingredient products by their ingredient (the 5 mg amlodipine for amlodipine).
    var byName: [String: Drug] {
        Dictionary(all.filter { $0.ingredients.count == 1 }.map { ($0.genericNameEn, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// A catalogue of every product of the shelf.
    var catalogue: DrugCatalogue {
        get throws { try aCatalogue(all) }
    }
}
