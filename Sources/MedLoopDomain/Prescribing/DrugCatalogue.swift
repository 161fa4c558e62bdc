import Foundation

/// The document form of one catalogue file (`Resources/drugs-*.json`).
public struct DrugCatalogueFile: Sendable, Hashable, Codable {
    /// Where the facts of the file come from.
    public let source: String
    public let drugs: [Drug]
}

/// The drug catalogue: every product MedLoop knows, shipped as data, read once at start-up and
/// kept in memory (a few hundred products), with the search the API offers over it.
public struct DrugCatalogue: Sendable {
    /// The catalogue files in the MedLoopDomain resources, read in this order.
    public static let shippedFiles = ["drugs-chronic.json", "drugs-general.json"]

    /// Every product, in ATC order (then product code): the order searches list them in.
    public let drugs: [Drug]
    public let sources: [String]
    private let byId: [UUID: Drug]
    private let byProductCode: [String: Drug]
    private let searchText: [UUID: String]

    /// Builds a catalogue from its files' documents, checking what the rest of MedLoop relies on.
    ///
    /// - Throws: `ShippedDataError.unreadable` naming the product and the fault: a product code
    ///   that is not 7 digits or is used twice, an ATC code that is not at level 5, a product
    ///   without ingredients, or an amount that is not positive.
    public init(files: [(name: String, document: DrugCatalogueFile)]) throws(ShippedDataError) {
        var byProductCode: [String: Drug] = [:]
        for (name, document) in files {
            for drug in document.drugs {
                if let fault = Self.fault(in: drug) {
                    throw .unreadable(file: name, reason: "product \(drug.productCode) (\(drug.genericNameEn)): \(fault)")
                }
                guard byProductCode.updateValue(drug, forKey: drug.productCode) == nil else {
                    throw .unreadable(file: name, reason: "product code \(drug.productCode) is used twice")
                }
            }
        }
        self.byProductCode = byProductCode
        drugs = byProductCode.values.sorted { ($0.atc, $0.productCode) < ($1.atc, $1.productCode) }
        sources = files.map(\.document.source)
        byId = Dictionary(uniqueKeysWithValues: drugs.map { ($0.id, $0) })
        searchText = Dictionary(uniqueKeysWithValues: drugs.map { drug in
            let words = [drug.genericNameZh, drug.genericNameEn, drug.brandZh ?? "", drug.brandEn ?? ""]
                + drug.ingredients.flatMap { [$0.name, $0.nameZh] }
            return (drug.id, words.joined(separator: "\u{1F}").lowercased())
        })
    }

    /// Reads the catalogue shipped with MedLoop. The app loads it once at start-up and refuses to
    /// start when it fails.
    public static func loadShipped() throws(ShippedDataError) -> DrugCatalogue {
        var files: [(name: String, document: DrugCatalogueFile)] = []
        for name in shippedFiles {
            files.append((name, try ShippedData.load(DrugCatalogueFile.self, from: name)))
        }
        return try DrugCatalogue(files: files)
    }

    public func drug(_ id: UUID) -> Drug? { byId[id] }

    public func drug(productCode: String) -> Drug? { byProductCode[productCode] }

    /// A page of the products whose names (zh, en, brand, ingredients) contain `query` and whose
    /// ATC code starts with `atcPrefix`, in catalogue order, after the product `after` (a product
    /// code: the cursor). A query that looks like an ATC code (`C09`, `c09ca`) matches codes by
    /// prefix instead.
    public func search(query: String?, atcPrefix: String?, after: String?, limit: Int) -> (drugs: [Drug], hasMore: Bool) {
        var term = query?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        var prefixes = [atcPrefix?.trimmingCharacters(in: .whitespaces).uppercased() ?? ""]
        if ATCCode.isPrefix(term.uppercased()) {
            prefixes.append(term.uppercased())
            term = ""
        }
        var start = drugs.startIndex
        if let after, let last = byProductCode[after] {
            start = drugs.partitionPoint { ($0.atc, $0.productCode) <= (last.atc, last.productCode) }
        }
        var found: [Drug] = []
        for drug in drugs[start...] where prefixes.allSatisfy(drug.atc.hasPrefix) {
            guard term.isEmpty || searchText[drug.id]!.contains(term) else { continue }
            if found.count == limit { return (found, true) }
            found.append(drug)
        }
        return (found, false)
    }

    private static func fault(in drug: Drug) -> String? {
        if drug.productCode.count != 7 || !drug.productCode.allSatisfy(\.isASCIIDigit) { return "the product code is not 7 digits" }
        if !ATCCode.isLevel5(drug.atc) { return "the ATC code \(drug.atc) is not at level 5" }
        if drug.ingredients.isEmpty { return "no active ingredient" }
        if drug.dosePerPackage <= 0 || drug.packageSize <= 0 || drug.referencePriceFen <= 0 { return "an amount is not positive" }
        if let maximum = drug.maximumDailyDose, maximum <= 0 { return "the maximum daily dose is not positive" }
        return nil
    }
}

/// WHO ATC codes: `C` (level 1), `C08` (2), `C08C` (3), `C08CA` (4), `C08CA01` (5).
public enum ATCCode {
    /// Whether `code` is a full level-5 code: letter, 2 digits, 2 letters, 2 digits.
    public static func isLevel5(_ code: String) -> Bool {
        let c = Array(code)
        return c.count == 7 && c[0].isASCIIUppercaseLetter && c[1].isASCIIDigit && c[2].isASCIIDigit
            && c[3].isASCIIUppercaseLetter && c[4].isASCIIUppercaseLetter && c[5].isASCIIDigit && c[6].isASCIIDigit
    }

    /// Whether `text` is an ATC code at some level (1 to 5: `C`, `C09`, `C09C`, `C09CA`,
    /// `C09CA01`), as a filter takes it. A part-level like `D3` is not one (it is a name search).
    public static func isPrefix(_ text: String) -> Bool {
        let pattern: [(Character) -> Bool] = [\.isASCIIUppercaseLetter, \.isASCIIDigit, \.isASCIIDigit,
                                              \.isASCIIUppercaseLetter, \.isASCIIUppercaseLetter, \.isASCIIDigit, \.isASCIIDigit]
        let c = Array(text)
        return [1, 3, 4, 5, 7].contains(c.count) && zip(c, pattern).allSatisfy { $1($0) }
    }
}

extension Character {
    var isASCIIUppercaseLetter: Bool { isASCII && isUppercase }
}

extension Array {
    /// The index of the first element for which `belongsBefore` fails, the elements being
    /// partitioned (all for which it holds, then all for which it fails).
    func partitionPoint(_ belongsBefore: (Element) -> Bool) -> Index {
        var low = startIndex, high = endIndex
        while low < high {
            let middle = (low + high) / 2
            if belongsBefore(self[middle]) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
