import Foundation
import Testing
@testable import MedLoopDomain

/// The catalogue and the interaction table shipped in the MedLoopDomain resources.
private func shipped() throws -> (catalogue: DrugCatalogue, table: InteractionTable) {
    (try DrugCatalogue.loadShipped(), try InteractionTable.loadShipped())
}

/// Every product of `catalogue` with the ingredient `name`.
private func products(_ catalogue: DrugCatalogue, with name: String) -> [Drug] {
    catalogue.drugs.filter { $0.ingredients.contains { $0.name == name } }
}

/// The routes by which a product acts on the whole body, where a drug–drug interaction applies.
private let systemicRoutes: Set<AdministrationRoute> = [.oral, .sublingual, .subcutaneous, .intramuscular, .intravenous,
                                                        .transdermal, .rectal]

/// Every product of `catalogue` with the ingredient `name` taken by a systemic route.
private func systemicProducts(_ catalogue: DrugCatalogue, with name: String) -> [Drug] {
    products(catalogue, with: name).filter { systemicRoutes.contains($0.route) }
}

/// Every product a search finds, following the cursor page by page.
private func everyPage(_ catalogue: DrugCatalogue, query: String?, atcPrefix: String? = nil, limit: Int = 25) -> [Drug] {
    var found: [Drug] = []
    var cursor: String?
    for _ in 0...catalogue.drugs.count {
        let page = catalogue.search(query: query, atcPrefix: atcPrefix, after: cursor, limit: limit)
        found += page.drugs
        guard page.hasMore, let last = page.drugs.last else { return found }
        cursor = last.productCode
    }
    Issue.record("paging did not end")
    return found
}

/// Two ingredients of the ONC high-priority list (Phansalkar et al., 2012) that must not be
/// taken together.
struct HighPriorityPair: Sendable, Hashable, CustomTestStringConvertible {
    var first: String
    var second: String

    init(_ first: String, _ second: String) {
        self.first = first
        self.second = second
    }

    var testDescription: String { "\(first) + \(second)" }
}

@Suite("Shipped tables: the drug catalogue and the interaction table in the resources")
struct ShippedTablesTests {
    // MARK: The catalogue

    @Test("the catalogue loads and holds at least 400 products")
    func catalogueSize() throws {
        let catalogue = try DrugCatalogue.loadShipped()
        #expect(catalogue.drugs.count >= 400)
        #expect(catalogue.sources.count == DrugCatalogue.shippedFiles.count)
        #expect(catalogue.sources.allSatisfy { !$0.isEmpty })
    }

    @Test("every area of the catalogue has products, found by its ATC prefix",
          arguments: ["C09", "C08", "A10", "C10", "B01AA", "B01AF", "R03", "N04", "N06D", "H03", "M04", "N06A", "N03", "J01",
                      "N02", "A02BC", "R06"])
    func area(prefix: String) throws {
        let catalogue = try DrugCatalogue.loadShipped()
        #expect(catalogue.drugs.contains { $0.atc.hasPrefix(prefix) })
    }

    @Test("at least 10 products are for children: licensed from birth or in a form a child takes")
    func paediatricProducts() throws {
        let catalogue = try DrugCatalogue.loadShipped()
        let childForms: Set<DosageForm> = [.granules, .oralSuspension, .syrup, .drops, .oralSolution, .dispersibleTablet, .chewableTablet]
        #expect(catalogue.drugs.filter { $0.minimumAgeYears == 0 || childForms.contains($0.dosageForm) }.count >= 10)
    }

    @Test("at least one product of each class that may not be prescribed online is in the catalogue, for the checks to refuse",
          arguments: [ControlledClass.narcotic, .psychotropicI, .psychotropicII, .radioactive, .toxic])
    func controlledClass(_ controlled: ControlledClass) throws {
        let catalogue = try DrugCatalogue.loadShipped()
        #expect(catalogue.drugs.contains { $0.controlledClass == controlled })
    }

    @Test("ingredient names are lower case and trimmed, and one ingredient has one Chinese name throughout")
    func ingredientNames() throws {
        let catalogue = try DrugCatalogue.loadShipped()
        var chinese: [String: Set<String>] = [:]
        for drug in catalogue.drugs {
            for ingredient in drug.ingredients {
                #expect(ingredient.name == ingredient.name.lowercased().trimmingCharacters(in: .whitespaces) && !ingredient.name.isEmpty,
                        "product \(drug.productCode): ingredient \(ingredient.name)")
                #expect(!ingredient.nameZh.trimmingCharacters(in: .whitespaces).isEmpty, "product \(drug.productCode)")
                chinese[ingredient.name, default: []].insert(ingredient.nameZh)
            }
        }
        for (name, names) in chinese where names.count > 1 {
            Issue.record("the ingredient \(name) has the Chinese names \(names.sorted())")
        }
    }

    @Test("a package's doses agree with its count: a countable unit once per unit, and an amount per tablet or capsule times the count")
    func dosesPerPackage() throws {
        let catalogue = try DrugCatalogue.loadShipped()
        let sameUnit: [DoseUnit: Set<PackageUnit>] = [.tablet: [.tablet], .capsule: [.capsule], .sachet: [.sachet], .puff: [.puff, .dose],
                                                      .patch: [.patch], .suppository: [.suppository]]
        for drug in catalogue.drugs {
            if sameUnit[drug.doseUnit]?.contains(drug.packageUnit) == true, drug.dosePerPackage != Double(drug.packageSize) {
                Issue.record("product \(drug.productCode): \(drug.packageSize) \(drug.packageUnit) hold \(drug.dosePerPackage) \(drug.doseUnit)")
            }
            let words = drug.strength.split(separator: " ")
            if [.tablet, .capsule].contains(drug.packageUnit), words.count == 2, words[1] == drug.doseUnit.rawValue,
               let amount = Double(words[0]), abs(amount * Double(drug.packageSize) - drug.dosePerPackage) > 1e-6 {
                Issue.record("product \(drug.productCode): \(drug.packageSize) × \(drug.strength) is not \(drug.dosePerPackage) \(drug.doseUnit)")
            }
        }
    }

    @Test("every systemic antibacterial (J01) is marked antimicrobial, so that the long-prescription rules exclude it")
    func antibacterialsAreAntimicrobial() throws {
        let catalogue = try DrugCatalogue.loadShipped()
        for drug in catalogue.drugs where drug.atc.hasPrefix("J01") && !drug.isAntimicrobial {
            Issue.record("product \(drug.productCode) (\(drug.genericNameEn), \(drug.atc)) is not marked antimicrobial")
        }
    }

    // MARK: The interaction table

    @Test("the table loads with at least 100 interactions, each with its mechanism and advice in both languages")
    func tableSize() throws {
        let table = try InteractionTable.loadShipped()
        #expect(table.interactions.count >= 100)
        #expect(!table.sources.isEmpty)
        for interaction in table.interactions {
            let texts = [interaction.mechanismZh, interaction.mechanismEn, interaction.adviceZh, interaction.adviceEn]
            #expect(texts.allSatisfy { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }, "interaction \(interaction.id)")
        }
    }

    @Test("every group an interaction names exists, and every selector says what it selects in the form the matching expects")
    func selectorsAreWellFormed() throws {
        let table = try InteractionTable.loadShipped()
        let groupIds = Set(table.groups.map(\.id))
        #expect(groupIds.count == table.groups.count)
        let selectors = table.interactions.flatMap { [$0.a, $0.b] }
        for selector in selectors {
            #expect((selector.ingredients ?? []).count + (selector.atc ?? []).count + (selector.groups ?? []).count > 0)
            for group in selector.groups ?? [] {
                #expect(groupIds.contains(group), "unknown group \(group)")
            }
        }
        let ingredients = selectors.flatMap { $0.ingredients ?? [] } + table.groups.flatMap { $0.ingredients ?? [] }
        for name in ingredients {
            #expect(name == name.lowercased().trimmingCharacters(in: .whitespaces), "ingredient \(name)")
        }
        for prefix in selectors.flatMap({ $0.atc ?? [] }) + table.groups.flatMap({ $0.atc ?? [] }) {
            #expect(ATCCode.isPrefix(prefix), "ATC prefix \(prefix)")
        }
        for group in table.groups {
            #expect((group.ingredients ?? []).count + (group.atc ?? []).count > 0, "group \(group.id) has no members")
        }
        for listed in table.therapeuticClasses {
            #expect(listed.atc.count == 5 && ATCCode.isPrefix(listed.atc), "therapeutic class \(listed.atc)")
        }
    }

    /// The ONC high-priority pairs as ingredients, and those of them the catalogue cannot check
    /// because it lacks one of the two ingredients.
    static let highPriorityPairs: [HighPriorityPair] = [
        HighPriorityPair("simvastatin", "clarithromycin"), HighPriorityPair("lovastatin", "itraconazole"),
        HighPriorityPair("tizanidine", "fluvoxamine"), HighPriorityPair("tizanidine", "ciprofloxacin"),
        HighPriorityPair("atazanavir", "omeprazole"), HighPriorityPair("febuxostat", "azathioprine"),
        HighPriorityPair("febuxostat", "mercaptopurine"), HighPriorityPair("moclobemide", "sertraline"),
        HighPriorityPair("selegiline", "tramadol"), HighPriorityPair("rasagiline", "sumatriptan"),
        HighPriorityPair("linezolid", "fluoxetine"), HighPriorityPair("ergotamine", "clarithromycin"),
        HighPriorityPair("irinotecan", "ketoconazole"), HighPriorityPair("amiodarone", "citalopram"),
        HighPriorityPair("methylphenidate", "moclobemide"), HighPriorityPair("amitriptyline", "selegiline"),
    ]

    @Test("each ONC high-priority pair the catalogue holds in a systemic form is a high or contraindicated interaction",
          arguments: Self.highPriorityPairs)
    func highPriorityPair(_ pair: HighPriorityPair) throws {
        let (catalogue, table) = try shipped()
        let firsts = systemicProducts(catalogue, with: pair.first), seconds = systemicProducts(catalogue, with: pair.second)
        guard !firsts.isEmpty, !seconds.isEmpty else {
            #expect(Self.skippedHighPriorityPairs.contains(pair),
                    "the catalogue has no systemic \(firsts.isEmpty ? pair.first : pair.second): add the pair to the skipped list")
            return
        }
        #expect(!Self.skippedHighPriorityPairs.contains(pair), "the pair is checkable now: take it off the skipped list")
        let found = firsts.contains { p in
            seconds.contains { q in table.interactions(between: p, and: q).contains { $0.severity >= .high } }
        }
        #expect(found, "no high or contraindicated interaction between \(pair.first) and \(pair.second)")
    }

    /// The pairs the shipped catalogue cannot check. Its only ketoconazole is a cream (8200090,
    /// D01AC08), which has no systemic interaction; the table's rule for systemic ketoconazole
    /// (J02AB02) is checked with a hand-made tablet below.
    static let skippedHighPriorityPairs: Set<HighPriorityPair> = [HighPriorityPair("irinotecan", "ketoconazole")]

    @Test("irinotecan with oral ketoconazole (J02AB02, not in the catalogue) is contraindicated, and with the cream it is not")
    func irinotecanWithKetoconazole() throws {
        let (catalogue, table) = try shipped()
        let irinotecan = try #require(systemicProducts(catalogue, with: "irinotecan").first)
        let tablets = try aDrug(productCode: "9000097", ingredient: "ketoconazole", ingredientZh: "酮康唑", atc: "J02AB02",
                                dosePerPackage: 2000, packageSize: 10, maximumDailyDose: 400, isAntimicrobial: true)
        #expect(table.interactions(between: irinotecan, and: tablets).first?.severity == .contraindicated)
        for cream in products(catalogue, with: "ketoconazole") where !systemicRoutes.contains(cream.route) {
            #expect(table.interactions(between: irinotecan, and: cream).isEmpty)
        }
    }

    @Test("nitrates with sildenafil or tadalafil are contraindicated, for every nitrate product (and hand-made PDE5 inhibitors where the catalogue has none)")
    func nitratesWithPDE5Inhibitors() throws {
        let (catalogue, table) = try shipped()
        let nitrates = ["glyceryl trinitrate", "isosorbide mononitrate", "isosorbide dinitrate"].flatMap { products(catalogue, with: $0) }
        let stocked = ["sildenafil", "tadalafil"].flatMap { products(catalogue, with: $0) }
        let handMade = [try aDrug(productCode: "9000095", ingredient: "sildenafil", ingredientZh: "西地那非", atc: "G04BE03"),
                        try aDrug(productCode: "9000096", ingredient: "tadalafil", ingredientZh: "他达拉非", atc: "G04BE08")]
        #expect(!products(catalogue, with: "glyceryl trinitrate").isEmpty)
        #expect(!products(catalogue, with: "isosorbide mononitrate").isEmpty)
        for nitrate in nitrates {
            for inhibitor in stocked + handMade where table.interactions(between: nitrate, and: inhibitor).first?.severity != .contraindicated {
                Issue.record("products \(nitrate.productCode) (\(nitrate.genericNameEn)) and \(inhibitor.productCode) (\(inhibitor.genericNameEn)) are not contraindicated together")
            }
        }
    }

    @Test("warfarin with every systemic NSAID (M01A) is a high interaction or worse")
    func warfarinWithNSAIDs() throws {
        let (catalogue, table) = try shipped()
        let warfarin = products(catalogue, with: "warfarin")
        let nsaids = catalogue.drugs.filter { $0.atc.hasPrefix("M01A") }
        #expect(!warfarin.isEmpty)
        #expect(!nsaids.isEmpty)
        for p in warfarin {
            for q in nsaids where !table.interactions(between: p, and: q).contains(where: { $0.severity >= .high }) {
                Issue.record("products \(p.productCode) (warfarin) and \(q.productCode) (\(q.genericNameEn)) have no high interaction")
            }
        }
    }

    @Test("the clinical checks run over the shipped tables find simvastatin with clarithromycin")
    func checksOverShippedTables() throws {
        let (catalogue, table) = try shipped()
        let simvastatin = try #require(products(catalogue, with: "simvastatin").first)
        let clarithromycin = try #require(products(catalogue, with: "clarithromycin").first)
        let findings = ClinicalChecks(table: table).findings(for: [CheckItem(drug: simvastatin), CheckItem(drug: clarithromycin)],
                                                              patient: nil)
        #expect(findings.first?.rule == .interaction)
        #expect((findings.first?.severity ?? .low) >= .high)
    }

    // MARK: Search

    @Test("a combination product is found by each of its ingredients, in English and in Chinese")
    func combinationProductsAreSearchable() throws {
        let catalogue = try DrugCatalogue.loadShipped()
        let combinations = catalogue.drugs.filter { $0.ingredients.count > 1 }
        #expect(!combinations.isEmpty)
        for drug in combinations {
            for ingredient in drug.ingredients {
                for term in [ingredient.name, ingredient.nameZh] where !everyPage(catalogue, query: term).contains(drug) {
                    Issue.record("product \(drug.productCode) (\(drug.genericNameEn)) is not found by \(term)")
                }
            }
        }
        if let exforge = combinations.first(where: { Set($0.ingredients.map(\.name)) == ["amlodipine", "valsartan"] }) {
            #expect(catalogue.search(query: "valsartan", atcPrefix: nil, after: nil, limit: 1000).drugs.contains(exforge))
        }
    }

    @Test("a Chinese or an English name, in any case and with spaces around it, finds exactly the products that carry it",
          arguments: ["氨氯地平", "amlodipine", "AMLODIPINE", " Amlodipine ", "二甲双胍", "metformin"])
    func searchByName(term: String) throws {
        let catalogue = try DrugCatalogue.loadShipped()
        let found = everyPage(catalogue, query: term)
        let needle = term.trimmingCharacters(in: .whitespaces).lowercased()
        let expected = catalogue.drugs.filter { drug in
            ([drug.genericNameZh, drug.genericNameEn, drug.brandZh ?? "", drug.brandEn ?? ""] + drug.ingredients.flatMap { [$0.name, $0.nameZh] })
                .contains { $0.lowercased().contains(needle) }
        }
        #expect(!found.isEmpty)
        #expect(found == expected)
    }

    @Test("every brand finds its product, in English and in Chinese")
    func searchByBrand() throws {
        let catalogue = try DrugCatalogue.loadShipped()
        let branded = catalogue.drugs.filter { $0.brandEn != nil || $0.brandZh != nil }
        #expect(!branded.isEmpty)
        for drug in branded {
            for brand in [drug.brandEn, drug.brandZh].compactMap({ $0 }) where !everyPage(catalogue, query: brand).contains(drug) {
                Issue.record("product \(drug.productCode) is not found by its brand \(brand)")
            }
        }
        let norvasc = everyPage(catalogue, query: "Norvasc")
        #expect(norvasc.allSatisfy { $0.brandEn == "Norvasc" })
    }

    @Test("an ATC prefix, as the query or as the filter, finds exactly the products whose codes start with it",
          arguments: ["C09", "C08CA", "A02", "A10BA", "N02", "J01", "C10AA05"])
    func searchByATCPrefix(prefix: String) throws {
        let catalogue = try DrugCatalogue.loadShipped()
        let expected = catalogue.drugs.filter { $0.atc.hasPrefix(prefix) }
        #expect(!expected.isEmpty)
        #expect(everyPage(catalogue, query: nil, atcPrefix: prefix) == expected)
        #expect(everyPage(catalogue, query: nil, atcPrefix: prefix.lowercased()) == expected)
        let byQuery = everyPage(catalogue, query: prefix)
        for drug in byQuery where !drug.atc.hasPrefix(prefix) {
            Issue.record("the query \(prefix) found product \(drug.productCode) (\(drug.genericNameEn), \(drug.atc))")
        }
        #expect(Set(expected).isSubset(of: Set(byQuery)))
    }

    @Test("paging with the cursor returns every product once, in catalogue order, and ends with hasMore false",
          arguments: [(nil, nil, 7), (nil, nil, 50), ("片", nil, 10), (nil, "C", 9), ("amlodipine", nil, 1)] as [(String?, String?, Int)])
    func paging(query: String?, atcPrefix: String?, limit: Int) throws {
        let catalogue = try DrugCatalogue.loadShipped()
        let all = catalogue.search(query: query, atcPrefix: atcPrefix, after: nil, limit: 100_000)
        #expect(!all.hasMore)
        #expect(!all.drugs.isEmpty)
        var seen: [Drug] = []
        var seenCodes: Set<String> = []
        var cursor: String?
        var pages = 0
        while pages <= catalogue.drugs.count {
            let page = catalogue.search(query: query, atcPrefix: atcPrefix, after: cursor, limit: limit)
            pages += 1
            #expect(page.drugs.count <= limit)
            for drug in page.drugs {
                #expect(seenCodes.insert(drug.productCode).inserted, "product \(drug.productCode) came twice")
            }
            seen += page.drugs
            guard page.hasMore else { break }
            #expect(page.drugs.count == limit)
            cursor = page.drugs.last?.productCode
        }
        #expect(seen == all.drugs)
        #expect(pages == max(1, (all.drugs.count + limit - 1) / limit))
        let last = all.drugs.last?.productCode
        #expect(catalogue.search(query: query, atcPrefix: atcPrefix, after: last, limit: limit).drugs.isEmpty)
    }

    @Test("the catalogue lists products in ATC order, then product code, and finds each by its id and product code")
    func order() throws {
        let catalogue = try DrugCatalogue.loadShipped()
        #expect(zip(catalogue.drugs, catalogue.drugs.dropFirst()).allSatisfy { ($0.atc, $0.productCode) < ($1.atc, $1.productCode) })
        for drug in catalogue.drugs {
            #expect(catalogue.drug(drug.id) == drug)
            #expect(catalogue.drug(productCode: drug.productCode) == drug)
        }
    }
}

@Suite("Drug catalogue: building one from its files, over hand-made products")
struct DrugCatalogueTests {
    @Test("a query that looks like an ATC code matches codes by prefix, not in their middle")
    func atcQueryIsAPrefix() throws {
        let shelf = try Shelf()
        // Metformin is A10BA02: "A02" (drugs for acid disorders) is in the middle of its code, not at its start.
        let found = try shelf.catalogue.search(query: "A02", atcPrefix: nil, after: nil, limit: 100).drugs
        #expect(!found.contains(shelf.metformin))
        let c01 = try shelf.catalogue.search(query: "C01", atcPrefix: nil, after: nil, limit: 100).drugs
        #expect(c01 == [shelf.amiodarone])
    }

    @Test("a product code that is not 7 digits, a code used twice, an ATC code not at level 5 or a package without doses is refused, naming the product",
          arguments: [("900001", "C08CA01", 140.0, "product 900001"), ("90000A1", "C08CA01", 140, "product 90000A1"),
                      ("9000001", "C08CA", 140, "not at level 5"), ("9000001", "C08CA01", 0, "not positive")])
    func refusedProducts(productCode: String, atc: String, dosePerPackage: Double, reason: String) throws {
        let drug = try aDrug(productCode: productCode, ingredient: "amlodipine", ingredientZh: "氨氯地平", atc: atc,
                             dosePerPackage: dosePerPackage)
        do {
            _ = try aCatalogue([drug])
            Issue.record("the product was accepted")
        } catch {
            guard case .unreadable(let file, let message) = error else { Issue.record("\(error)"); return }
            #expect(file == "hand-made.json")
            #expect(message.contains(reason))
        }
        let twice = try aDrug(productCode: "9000001", ingredient: "amlodipine", ingredientZh: "氨氯地平", atc: "C08CA01")
        #expect(throws: ShippedDataError.unreadable(file: "hand-made.json", reason: "product code 9000001 is used twice")) {
            try aCatalogue([twice, twice])
        }
    }

    @Test("a table naming a group it does not define is refused")
    func unknownGroup() throws {
        let json = """
            {"sources": ["x"], "groups": [], "therapeuticClasses": [],
             "interactions": [{"id": "i1", "a": {"groups": ["nowhere"]}, "b": {"ingredients": ["x"]}, "severity": "high",
                               "mechanismZh": "m", "mechanismEn": "m", "adviceZh": "a", "adviceEn": "a"}]}
            """
        let table = try JSONDecoder().decode(InteractionTable.self, from: Data(json.utf8))
        #expect(throws: ShippedDataError.unreadable(file: "interactions.json", reason: "interaction i1 names the unknown group nowhere")) {
            try InteractionTable.validated(table)
        }
    }
}
