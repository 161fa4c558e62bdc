import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// An adult, neither pregnant nor breastfeeding, with `allergies`, taking `activeMedications`.
private func aPatient(aged age: Int = 45, allergicTo allergies: [String] = [], pregnancy: PregnancyStatus = .none,
                      taking activeMedications: [Drug] = []) -> PatientFacts {
    PatientFacts(ageYears: age, allergies: allergies, pregnancy: pregnancy, activeMedications: activeMedications)
}

/// The checks over the hand-made table.
private func checks() throws -> ClinicalChecks {
    ClinicalChecks(table: try aTable())
}

/// The findings of one rule.
private func only(_ rule: FindingRule, _ findings: [Finding]) -> [Finding] {
    findings.filter { $0.rule == rule }
}

@Suite("Clinical checks: the items against each other and against the patient, over a hand-made table")
struct ClinicalChecksTests {
    // MARK: Interactions

    @Test("an interaction between two items is found once, with the table's severity, naming both in item order")
    func interactionBetweenItems() throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.simvastatin), CheckItem(drug: shelf.clarithromycin)],
                                             patient: nil)
        let found = only(.interaction, findings)
        #expect(found.count == 1)
        #expect(found.first?.severity == .contraindicated)
        #expect(found.first?.drugIds == [shelf.simvastatin.id, shelf.clarithromycin.id])
        #expect(found.first?.messageEn == "simvastatin with clarithromycin: Simvastatin levels rise; risk of rhabdomyolysis. Do not combine.")
        #expect(found.first?.messageZh == "辛伐他汀与克拉霉素：辛伐他汀血药浓度显著升高，横纹肌溶解风险。避免合用。")

        let reversed = try checks().findings(for: [CheckItem(drug: shelf.clarithromycin), CheckItem(drug: shelf.simvastatin)],
                                             patient: nil)
        #expect(only(.interaction, reversed).map(\.drugIds) == [[shelf.clarithromycin.id, shelf.simvastatin.id]])
    }

    @Test("a rule whose two sides are one group (QT-prolonging drugs together) is found once for a pair")
    func symmetricRuleFiresOnce() throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.citalopram), CheckItem(drug: shelf.amiodarone)], patient: nil)
        #expect(findings.map(\.rule) == [.interaction])
        #expect(findings.map(\.severity) == [.high])
    }

    @Test("an item that interacts with what the patient takes is found, saying which the patient takes")
    func interactionWithActiveMedication() throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.simvastatin)],
                                             patient: aPatient(taking: [shelf.clarithromycin]))
        let found = only(.interaction, findings)
        #expect(found.count == 1)
        #expect(found.first?.severity == .contraindicated)
        #expect(found.first?.drugIds == [shelf.simvastatin.id, shelf.clarithromycin.id])
        #expect(found.first?.messageEn.contains("with clarithromycin (which the patient takes):") == true)
        #expect(found.first?.messageZh.contains("克拉霉素（患者正在服用）") == true)
    }

    @Test("the same product again as something the patient takes does not interact or duplicate with itself")
    func sameProductAsActiveMedication() throws {
        let shelf = try Shelf()
        // Citalopram is in the QT group on both sides of a rule, so only the product check keeps it from matching itself.
        let findings = try checks().findings(for: [CheckItem(drug: shelf.citalopram), CheckItem(drug: shelf.amlodipine)],
                                             patient: aPatient(taking: [shelf.citalopram, shelf.amlodipine]))
        #expect(findings.isEmpty)
        #expect(try aTable().interactions(between: shelf.citalopram, and: shelf.citalopram).isEmpty)
    }

    @Test("two drugs with no rule between them have no interaction")
    func noRuleNoInteraction() throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.metformin), CheckItem(drug: shelf.clarithromycin)],
                                             patient: aPatient(taking: [shelf.warfarin]))
        #expect(only(.interaction, findings).isEmpty)
    }

    @Test("a rule by ATC prefix (warfarin with an M01A NSAID) matches the NSAID by its code")
    func interactionByATCPrefix() throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.ibuprofen)], patient: aPatient(taking: [shelf.warfarin]))
        #expect(only(.interaction, findings).map(\.severity) == [.high])
    }

    @Test("an interaction between two items is found once even when the patient already takes one of them")
    func interactionNotRepeatedForARefill() throws {
        let shelf = try Shelf()
        // Simvastatin is refilled along with a new clarithromycin: one interaction, not one per way of seeing it.
        let findings = try checks().findings(for: [CheckItem(drug: shelf.clarithromycin), CheckItem(drug: shelf.simvastatin)],
                                             patient: aPatient(taking: [shelf.simvastatin]))
        #expect(only(.interaction, findings).count == 1)
    }

    // MARK: Duplicate therapy

    @Test("two items with an ingredient in common are high duplicate therapy, once")
    func sharedIngredient() throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.amlodipine), CheckItem(drug: shelf.amlodipineValsartan)],
                                             patient: nil)
        let found = only(.duplicateTherapy, findings)
        #expect(found.map(\.severity) == [.high])
        #expect(found.first?.drugIds == [shelf.amlodipine.id, shelf.amlodipineValsartan.id])
        #expect(found.first?.messageEn.contains("both contain amlodipine") == true)
        // Two strengths of one ingredient, also of a listed class: the shared ingredient, high, is the one finding.
        let strengths = try checks().findings(for: [CheckItem(drug: shelf.amlodipine), CheckItem(drug: shelf.amlodipine10)],
                                              patient: nil)
        #expect(only(.duplicateTherapy, strengths).map(\.severity) == [.high])
    }

    @Test("two products of one listed ATC level-4 class are duplicate therapy at the class's severity, with items or with what the patient takes")
    func listedClass() throws {
        let shelf = try Shelf()
        let items = try checks().findings(for: [CheckItem(drug: shelf.amlodipine), CheckItem(drug: shelf.nifedipine)], patient: nil)
        #expect(only(.duplicateTherapy, items).map(\.severity) == [.moderate])
        #expect(only(.duplicateTherapy, items).first?.messageEn.contains("dihydropyridine calcium-channel blockers") == true)
        let withActive = try checks().findings(for: [CheckItem(drug: shelf.nifedipine)], patient: aPatient(taking: [shelf.amlodipine]))
        let found = only(.duplicateTherapy, withActive)
        #expect(found.map(\.severity) == [.moderate])
        #expect(found.first?.drugIds == [shelf.nifedipine.id, shelf.amlodipine.id])
        #expect(found.first?.messageEn.contains("(which the patient takes)") == true)
    }

    @Test("two products of a class the table does not list are not duplicate therapy")
    func unlistedClass() throws {
        let shelf = try Shelf()
        #expect(shelf.simvastatin.therapeuticClass == shelf.atorvastatin.therapeuticClass)
        let findings = try checks().findings(for: [CheckItem(drug: shelf.simvastatin), CheckItem(drug: shelf.atorvastatin)],
                                             patient: aPatient())
        #expect(findings.isEmpty)
    }

    @Test("a new product with an ingredient of a different product the patient takes is duplicate therapy")
    func sharedIngredientWithActiveMedication() throws {
        let shelf = try Shelf()
        // Amlodipine/valsartan for a patient who takes amlodipine 5 mg doubles the amlodipine.
        let findings = try checks().findings(for: [CheckItem(drug: shelf.amlodipineValsartan)],
                                             patient: aPatient(taking: [shelf.amlodipine]))
        #expect(!only(.duplicateTherapy, findings).isEmpty)
    }

    @Test("a product of exactly the ingredients the patient takes is a renewal at another strength, not duplicate therapy")
    func renewalAtAnotherStrength() throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.amlodipine10)], patient: aPatient(taking: [shelf.amlodipine]))
        #expect(findings.isEmpty)
    }

    // MARK: Allergy

    @Test("an allergy to an ingredient, by its English or Chinese name or a group's allergy term, in any case, is a contraindication",
          arguments: ["amoxicillin", "Amoxicillin", "AMOXICILLIN", " amoxicillin ", "阿莫西林", "阿莫西林过敏", "amoxicillin allergy",
                      "青霉素", "青霉素类", "penicillin", "Penicillins", "PENICILLIN"])
    func allergy(entry: String) throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.amoxicillin)], patient: aPatient(allergicTo: [entry]))
        let found = only(.allergy, findings)
        #expect(found.map(\.severity) == [.contraindicated])
        #expect(found.first?.drugIds == [shelf.amoxicillin.id])
        #expect(found.first?.messageZh.hasPrefix("患者对\(entry)过敏") == true)
    }

    @Test("a group allergy term names the group: a penicillin allergy says the product contains penicillins")
    func groupAllergyMessage() throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.amoxicillin)], patient: aPatient(allergicTo: ["青霉素"]))
        #expect(findings.first?.messageEn == "The patient is allergic to 青霉素; amoxicillin contains penicillins")
    }

    @Test("an allergy does not match a drug that contains neither the substance nor a member of its group",
          arguments: ["amoxicillin", "阿莫西林", "青霉素", "penicillin", "sulfa", "磺胺", "a", "青"])
    func noFalseAllergy(entry: String) throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.clarithromycin), CheckItem(drug: shelf.amlodipine)],
                                             patient: aPatient(allergicTo: [entry]))
        #expect(only(.allergy, findings).isEmpty)
    }

    @Test("each allergy entry that names an ingredient of a combination product is found on it")
    func allergyToACombinationIngredient() throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.amlodipineValsartan)],
                                             patient: aPatient(allergicTo: ["缬沙坦", "pollen"]))
        #expect(only(.allergy, findings).count == 1)
        #expect(only(.allergy, findings).first?.messageEn.hasSuffix("contains valsartan") == true)
    }

    // MARK: Age and pregnancy

    @Test("a patient younger than the product's minimum age is a high age finding; at that age there is none",
          arguments: [(0, true), (12, true), (17, true), (18, false), (70, false)])
    func age(years: Int, found: Bool) throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.ciprofloxacin)], patient: aPatient(aged: years))
        #expect(only(.age, findings).map(\.severity) == (found ? [.high] : []))
    }

    @Test("pregnancy and breastfeeding find the product's caution: contraindicated or moderate, and nothing without one",
          arguments: [(PregnancyStatus.pregnant, "warfarin", FindingSeverity?.some(.contraindicated)),
                      (.lactating, "warfarin", nil),
                      (.none, "warfarin", nil),
                      (.lactating, "amlodipine", .moderate),
                      (.pregnant, "amlodipine", nil),
                      (.pregnant, "metformin", nil)])
    func pregnancy(status: PregnancyStatus, product: String, severity: FindingSeverity?) throws {
        let shelf = try Shelf()
        let drug = try #require(shelf.byName[product])
        let findings = try checks().findings(for: [CheckItem(drug: drug)], patient: aPatient(aged: 30, pregnancy: status))
        #expect(only(.pregnancy, findings).map(\.severity) == (severity.map { [$0] } ?? []))
    }

    // MARK: Controlled, dose, supply, count

    @Test("a controlled drug is a contraindicated finding that no reason may override")
    func controlled() throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.diazepam)], patient: nil)
        #expect(findings.map(\.rule) == [.controlled])
        #expect(findings.first?.severity == .contraindicated)
        #expect(findings.first?.isOverridable == false)
        #expect(findings.first?.messageEn == "diazepam is a class II psychotropic drug and may not be prescribed online")
        #expect(aFinding(.contraindicated, .allergy, [shelf.amoxicillin]).isOverridable)
    }

    @Test("a daily dose over the adult maximum is a high dose finding; at the maximum there is none",
          arguments: [(1000.0, 3, true), (500.0, 4, false), (2000.0, 1, false), (2001.0, 1, true)])
    func dose(dose: Double, timesPerDay: Int, found: Bool) throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.metformin, dose: dose, timesPerDay: timesPerDay, days: 7)],
                                             patient: nil)
        #expect(only(.dose, findings).map(\.severity) == (found ? [.high] : []))
    }

    @Test("metformin 1000 mg three times a day is reported as 3000 mg against 2000 mg")
    func doseMessage() throws {
        let shelf = try Shelf()
        let findings = try checks().findings(for: [CheckItem(drug: shelf.metformin, dose: 1000, timesPerDay: 3)], patient: nil)
        #expect(findings.first?.messageEn == "metformin: 3000 mg a day is above the adult maximum of 2000 mg")
        #expect(findings.first?.messageZh == "二甲双胍日剂量3000mg，超过成人最大日剂量2000mg")
    }

    @Test("more than 7 days is a moderate long-supply finding, high for an antimicrobial and for more than 12 weeks; J04 and J02 antimicrobials are moderate",
          arguments: [("metformin", 7, FindingSeverity?.none), ("metformin", 8, .moderate), ("metformin", 84, .moderate),
                      ("metformin", 85, .high), ("amoxicillin", 7, nil), ("amoxicillin", 8, .high),
                      ("isoniazid", 8, .moderate), ("fluconazole", 28, .moderate), ("adalimumab", 8, .high),
                      ("diazepam", 8, .high)])
    func longSupply(product: String, days: Int, severity: FindingSeverity?) throws {
        let shelf = try Shelf()
        let drug = try #require(shelf.byName[product])
        let findings = try checks().findings(for: [CheckItem(drug: drug, days: days)], patient: nil)
        #expect(only(.longSupply, findings).map(\.severity) == (severity.map { [$0] } ?? []))
    }

    @Test("6 items on one prescription is a high finding naming all of them; 5 is none")
    func tooManyItems() throws {
        let shelf = try Shelf()
        let six = [shelf.metformin, shelf.salbutamol, shelf.isoniazid, shelf.fluconazole, shelf.adalimumab, shelf.amiodarone]
        let findings = try checks().findings(for: six.map { CheckItem(drug: $0) }, patient: nil)
        let found = only(.tooManyItems, findings)
        #expect(found.map(\.severity) == [.high])
        #expect(found.first?.drugIds == six.map(\.id))
        let five = try checks().findings(for: six.dropLast().map { CheckItem(drug: $0) }, patient: nil)
        #expect(only(.tooManyItems, five).isEmpty)
    }

    // MARK: What is skipped

    @Test("without the patient's facts the allergy, age, pregnancy and active-medication checks are skipped")
    func withoutPatient() throws {
        let shelf = try Shelf()
        let items = [CheckItem(drug: shelf.warfarin), CheckItem(drug: shelf.amoxicillin), CheckItem(drug: shelf.ciprofloxacin)]
        let patient = aPatient(aged: 10, allergicTo: ["青霉素"], pregnancy: .pregnant, taking: [shelf.ibuprofen])
        #expect(try checks().findings(for: items, patient: nil).isEmpty)
        let rules = Set(try checks().findings(for: items, patient: patient).map(\.rule))
        #expect(rules == [.allergy, .age, .pregnancy, .interaction])
    }

    @Test("without a dose or its frequency the dose check is skipped; without days the supply check")
    func withoutDose() throws {
        let shelf = try Shelf()
        for item in [CheckItem(drug: shelf.metformin), CheckItem(drug: shelf.metformin, dose: 5000),
                     CheckItem(drug: shelf.metformin, timesPerDay: 3)] {
            #expect(try checks().findings(for: [item], patient: nil).isEmpty)
        }
        #expect(CheckItem(drug: shelf.metformin, dose: 500).dailyDose == nil)
        #expect(CheckItem(drug: shelf.metformin, dose: 500, timesPerDay: 3).dailyDose == 1500)
    }

    // MARK: Order

    @Test("findings come most severe first, then in rule order, then in the order found")
    func ordering() throws {
        let shelf = try Shelf()
        let items = [CheckItem(drug: shelf.amlodipine, days: 8), CheckItem(drug: shelf.nifedipine),
                     CheckItem(drug: shelf.metformin, dose: 1000, timesPerDay: 3), CheckItem(drug: shelf.simvastatin),
                     CheckItem(drug: shelf.clarithromycin)]
        let findings = try checks().findings(for: items, patient: aPatient(allergicTo: ["克拉霉素"], pregnancy: .lactating))
        let got = findings.map { "\($0.severity)/\($0.rule)" }
        #expect(got == ["contraindicated/allergy", "contraindicated/interaction", "high/dose",
                        "moderate/duplicateTherapy", "moderate/pregnancy", "moderate/longSupply", "low/interaction"])
        #expect(findings.map(\.severity) == findings.map(\.severity).sorted(by: >))
    }

    // MARK: Laws

    @Test("for any items and patient, findings name only the items and what the patient takes, most severe first; adding the patient removes no finding about the items alone")
    func laws() async throws {
        let shelf = try Shelf()
        let pool = shelf.all
        let checks = try checks()
        let item = zip(Gen.int(in: 0..<pool.count), Gen.double(in: 0.1...5000).optional, Gen.int(in: 1...24).optional,
                       Gen.int(in: 1...90).optional)
            .map { index, dose, timesPerDay, days in CheckItem(drug: pool[index], dose: dose, timesPerDay: timesPerDay, days: days) }
        let allergyTerms = ["青霉素", "penicillin", "amlodipine", "辛伐他汀", "sulfa", "pollen", "华法林"]
        let patient = zip(Gen.int(in: 0...90), Gen.int(in: 0..<allergyTerms.count).array(of: 0...2), Gen<PregnancyStatus>.case,
                          Gen.int(in: 0..<pool.count).array(of: 0...3))
            .map { age, allergies, pregnancy, active in
                PatientFacts(ageYears: age, allergies: allergies.map { allergyTerms[$0] }, pregnancy: pregnancy,
                             activeMedications: active.map { pool[$0] })
            }
        await propertyCheck(input: item.array(of: 0...7), patient) { items, patient in
            let alone = checks.findings(for: items, patient: nil)
            let withPatient = checks.findings(for: items, patient: patient)
            let named = Set(items.map(\.drug.id) + patient.activeMedications.map(\.id))
            for finding in alone + withPatient {
                #expect(!finding.drugIds.isEmpty)
                #expect(finding.drugIds.allSatisfy(named.contains))
            }
            #expect(withPatient.map(\.severity) == withPatient.map(\.severity).sorted(by: >))
            for finding in alone {
                #expect(withPatient.contains(finding))
            }
        }
    }
}
