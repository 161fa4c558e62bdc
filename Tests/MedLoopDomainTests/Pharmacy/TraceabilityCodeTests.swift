import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// Codes scanned for 2 packages of amlodipine (product 9100001) and 1 of metformin (9100002), and
/// every field issue they must get.
struct ScannedCodes: Sendable, CustomTestStringConvertible {
    var what: String
    var codes: [String]
    var issues: [String]

    var testDescription: String { "\(what) → \(issues)" }
}

/// The 20-digit code of package `package` of product `product`.
private func aCode(_ product: String, _ package: Int64) -> String {
    let digits = String(package)
    return product + String(repeating: "0", count: 13 - digits.count) + digits
}

private let amlodipine1 = aCode("9100001", 1)
private let amlodipine2 = aCode("9100001", 2)
private let amlodipine3 = aCode("9100001", 3)
private let metformin1 = aCode("9100002", 1)

@Suite("Traceability codes: one scanned per package, each of its product, none twice")
struct TraceabilityCodeTests {
    static let refusals: [ScannedCodes] = [
        ScannedCodes(what: "a 19-digit code", codes: [amlodipine1, "9100001000000000002", metformin1],
                     issues: ["codes[1]/malformed", "codes/missing"]),
        ScannedCodes(what: "a 21-digit code", codes: [amlodipine1, amlodipine2, "910000200000000000001"],
                     issues: ["codes[2]/malformed", "codes/missing"]),
        ScannedCodes(what: "a code with a letter", codes: ["9100001000000000000A", amlodipine2, metformin1],
                     issues: ["codes[0]/malformed", "codes/missing"]),
        ScannedCodes(what: "a code of full-width digits", codes: [amlodipine1, amlodipine2, "９１０００２０００００００００００００１"],
                     issues: ["codes[2]/malformed", "codes/missing"]),
        ScannedCodes(what: "an empty code", codes: [amlodipine1, amlodipine2, metformin1, ""],
                     issues: ["codes[3]/malformed"]),
        ScannedCodes(what: "a code of a product not in the order", codes: [amlodipine1, amlodipine2, aCode("9100003", 1)],
                     issues: ["codes[2]/product_mismatch", "codes/missing"]),
        ScannedCodes(what: "the same code twice", codes: [amlodipine1, amlodipine1, metformin1],
                     issues: ["codes[1]/repeated", "codes/missing"]),
        ScannedCodes(what: "the same code twice, once with spaces", codes: [amlodipine1, " \(amlodipine1) ", metformin1],
                     issues: ["codes[1]/repeated", "codes/missing"]),
        ScannedCodes(what: "fewer codes than packages", codes: [amlodipine1, metformin1], issues: ["codes/missing"]),
        ScannedCodes(what: "no codes", codes: [], issues: ["codes/missing", "codes/missing"]),
        ScannedCodes(what: "more codes than packages", codes: [amlodipine1, amlodipine2, amlodipine3, metformin1],
                     issues: ["codes/too_many"]),
        ScannedCodes(what: "one product short and the other over", codes: [amlodipine1, metformin1, aCode("9100002", 2)],
                     issues: ["codes/missing", "codes/too_many"]),
        ScannedCodes(what: "every kind of bad code at once",
                     codes: ["123", amlodipine1, amlodipine1, aCode("9100003", 1), metformin1],
                     issues: ["codes[0]/malformed", "codes[2]/repeated", "codes[3]/product_mismatch", "codes/missing"]),
    ]

    @Test("one good code per package matches each code to its drug, in the order scanned")
    func goodCodes() throws {
        let shelf = try PharmacyShelf()
        let lines: [(drug: Drug, quantity: Int)] = [(drug: shelf.amlodipine, quantity: 2), (drug: shelf.metformin, quantity: 1)]
        let matched = try TraceabilityCode.match([metformin1, amlodipine2, amlodipine1], to: lines)
        #expect(matched.map(\.code) == [metformin1, amlodipine2, amlodipine1])
        #expect(matched.map(\.drugId) == [shelf.metformin.id, shelf.amlodipine.id, shelf.amlodipine.id])
    }

    @Test("spaces around a scanned code are not part of it")
    func spacesTrimmed() throws {
        let shelf = try PharmacyShelf()
        let matched = try TraceabilityCode.match([" \(metformin1)  "], to: [(drug: shelf.metformin, quantity: 1)])
        #expect(matched.map(\.code) == [metformin1])
    }

    @Test("two lines of one product need their packages together")
    func sameProductOnTwoLines() throws {
        let shelf = try PharmacyShelf()
        let lines: [(drug: Drug, quantity: Int)] = [(drug: shelf.amlodipine, quantity: 1), (drug: shelf.amlodipine, quantity: 1)]
        let matched = try TraceabilityCode.match([amlodipine1, amlodipine2], to: lines)
        #expect(matched.map(\.drugId) == [shelf.amlodipine.id, shelf.amlodipine.id])
        #expect(fieldIssues { () throws(DomainError) in try TraceabilityCode.match([amlodipine1], to: lines) } == ["codes/missing"])
    }

    @Test("a bad scan is refused naming each bad code, and the packages missing or extra", arguments: Self.refusals)
    func refused(_ example: ScannedCodes) throws {
        let shelf = try PharmacyShelf()
        let lines: [(drug: Drug, quantity: Int)] = [(drug: shelf.amlodipine, quantity: 2), (drug: shelf.metformin, quantity: 1)]
        #expect(fieldIssues { () throws(DomainError) in try TraceabilityCode.match(example.codes, to: lines) } == example.issues)
    }

    @Test("for 1 to 5 packages of up to 3 products, exactly one code per package, in any order, matches one entry per code")
    func exactScansMatch() async throws {
        let products = try [
            aStockedDrug(productCode: "9100001", nameEn: "amlodipine", nameZh: "氨氯地平"),
            aStockedDrug(productCode: "9100002", nameEn: "metformin", nameZh: "二甲双胍"),
            aStockedDrug(productCode: "9100003", nameEn: "atorvastatin", nameZh: "阿托伐他汀"),
        ]
        let firstPackage = Gen.int64(in: 0...9_999_999_999_000)
        await propertyCheck(input: zip(Gen.int(in: 1...5), firstPackage).array(of: 1...3),
                            Gen.int(in: 0...1_000).array(of: 15)) { drawn, order in
            var lines: [(drug: Drug, quantity: Int)] = []
            var codes: [(code: String, drugId: UUID)] = []
            for (index, (quantity, first)) in drawn.enumerated() {
                let drug = products[index]
                lines.append((drug: drug, quantity: quantity))
                for package in 0..<quantity {
                    codes.append((aCode(drug.productCode, first + Int64(package)), drug.id))
                }
            }
            // Scanned in an order of the drawn keys.
            let scanned = codes.indices.sorted { (order[$0], $0) < (order[$1], $1) }.map { codes[$0] }
            guard let matched = try? TraceabilityCode.match(scanned.map(\.code), to: lines) else {
                Issue.record("an exact scan was refused"); return
            }
            #expect(matched.count == scanned.count)
            #expect(matched.map(\.code) == scanned.map(\.code))
            #expect(matched.map(\.drugId) == scanned.map(\.drugId))
        }
    }
}
