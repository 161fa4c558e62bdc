import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// Packages, a unit price and the amount worked out by hand.
struct BillLineCase: Sendable, CustomTestStringConvertible {
    var quantity: Int
    var unitPriceFen: Int64
    var amountFen: Int64

    var testDescription: String { "\(quantity) × \(unitPriceFen) = \(amountFen) fen" }
}

/// Bill lines as (quantity, unit price) and the total worked out by hand.
struct BillCase: Sendable, CustomTestStringConvertible {
    var lines: [BillLineTerms]
    var totalFen: Int64

    var testDescription: String { lines.map { "\($0.quantity) × \($0.unitPriceFen)" }.joined(separator: " + ") + " = \(totalFen)" }
}

/// The packages and unit price of one bill line.
struct BillLineTerms: Sendable {
    var quantity: Int
    var unitPriceFen: Int64
}

private func aBillLine(_ terms: BillLineTerms, drug: Int = 1) throws(DomainError) -> BillLine {
    try BillLine(drugId: aPharmacyFixtureId(drug), quantity: terms.quantity, unitPriceFen: terms.unitPriceFen, insuranceClass: .a)
}

@Suite("Bills: one per order, its lines and total in fen")
struct BillTests {
    static let lines: [BillLineCase] = [
        BillLineCase(quantity: 2, unitPriceFen: 1800, amountFen: 3600),
        BillLineCase(quantity: 1, unitPriceFen: 3000, amountFen: 3000),
        BillLineCase(quantity: 3, unitPriceFen: 1250, amountFen: 3750),
        BillLineCase(quantity: 1, unitPriceFen: 1, amountFen: 1),
        BillLineCase(quantity: 12, unitPriceFen: 2_899, amountFen: 34_788),
        BillLineCase(quantity: 1, unitPriceFen: .max, amountFen: .max),
        // 2 × 4 611 686 018 427 387 903 = 9 223 372 036 854 775 806, one below the largest amount.
        BillLineCase(quantity: 2, unitPriceFen: 4_611_686_018_427_387_903, amountFen: 9_223_372_036_854_775_806),
    ]

    /// Quantity and price pairs refused with `bill_line_invalid`.
    static let refusedLines: [(Int, Int64)] = [
        (0, 1800), (-1, 1800), (2, 0), (2, -1800), (0, 0), (-2, -1800),
        // 2 × 4 611 686 018 427 387 904 is one more than the largest amount.
        (2, 4_611_686_018_427_387_904), (2, .max), (.max, 2), (.max, .max),
    ]

    static let bills: [BillCase] = [
        BillCase(lines: [BillLineTerms(quantity: 2, unitPriceFen: 1800), BillLineTerms(quantity: 1, unitPriceFen: 3000)],
                 totalFen: 6600),
        BillCase(lines: [BillLineTerms(quantity: 3, unitPriceFen: 1250)], totalFen: 3750),
        BillCase(lines: [BillLineTerms(quantity: 1, unitPriceFen: 1), BillLineTerms(quantity: 2, unitPriceFen: 2),
                         BillLineTerms(quantity: 3, unitPriceFen: 3)], totalFen: 14),
        BillCase(lines: [], totalFen: 0),
        BillCase(lines: [BillLineTerms(quantity: 1, unitPriceFen: .max - 1), BillLineTerms(quantity: 1, unitPriceFen: 1)],
                 totalFen: .max),
    ]

    @Test("a bill line's amount is its packages times the unit price", arguments: Self.lines)
    func lineAmount(_ example: BillLineCase) throws {
        let line = try BillLine(drugId: aPharmacyFixtureId(7), quantity: example.quantity, unitPriceFen: example.unitPriceFen,
                                insuranceClass: .b)
        #expect(line.amountFen == example.amountFen)
        #expect(line.quantity == example.quantity)
        #expect(line.unitPriceFen == example.unitPriceFen)
        #expect(line.drugId == aPharmacyFixtureId(7))
        #expect(line.insuranceClass == .b)
    }

    @Test("a line without a positive quantity and price, or whose amount overflows, is refused with bill_line_invalid",
          arguments: Self.refusedLines)
    func refusedLine(quantity: Int, unitPriceFen: Int64) {
        do {
            let line = try BillLine(drugId: aPharmacyFixtureId(1), quantity: quantity, unitPriceFen: unitPriceFen, insuranceClass: .a)
            Issue.record("\(quantity) × \(unitPriceFen) was accepted as \(line.amountFen)")
        } catch {
            guard case .refused(let code, _) = error else { Issue.record("not a 422 refusal: \(error)"); return }
            #expect(code == "bill_line_invalid")
        }
    }

    @Test("a bill's total is the sum of its lines' amounts", arguments: Self.bills)
    func total(_ example: BillCase) throws {
        var lines: [BillLine] = []
        for (index, terms) in example.lines.enumerated() {
            lines.append(try aBillLine(terms, drug: index + 1))
        }
        let bill = try Bill(institutionId: aPharmacyFixtureId(99), lines: lines)
        #expect(bill.totalFen == example.totalFen)
        #expect(bill.lines == lines)
        #expect(bill.institutionId == aPharmacyFixtureId(99))
    }

    @Test("a bill whose total would pass the largest amount is refused with bill_overflow")
    func overflow() throws {
        let largest = try aBillLine(BillLineTerms(quantity: 1, unitPriceFen: .max))
        let one = try aBillLine(BillLineTerms(quantity: 1, unitPriceFen: 1))
        let half = try aBillLine(BillLineTerms(quantity: 1, unitPriceFen: 4_611_686_018_427_387_904))
        #expect(issueCode { () throws(DomainError) in try Bill(institutionId: aPharmacyFixtureId(1), lines: [largest, one]) }
            == "bill_overflow")
        #expect(issueCode { () throws(DomainError) in try Bill(institutionId: aPharmacyFixtureId(1), lines: [half, half]) }
            == "bill_overflow")
        #expect(issueCode { () throws(DomainError) in try Bill(institutionId: aPharmacyFixtureId(1), lines: [one, largest]) }
            == "bill_overflow")
    }

    @Test("for random lines, each amount is quantity × price and the total is the sum of the amounts")
    func totalIsTheSum() async {
        let terms = zip(Gen.int(in: 1...1_000), Gen.int64(in: 1...10_000_000))
        await propertyCheck(input: terms.array(of: 0...10)) { drawn in
            var lines: [BillLine] = []
            for (quantity, price) in drawn {
                guard let line = try? BillLine(drugId: aPharmacyFixtureId(lines.count + 1), quantity: quantity,
                                               unitPriceFen: price, insuranceClass: .a) else {
                    Issue.record("\(quantity) × \(price) was refused"); return
                }
                #expect(line.amountFen == Int64(quantity) * price)
                lines.append(line)
            }
            guard let bill = try? Bill(institutionId: aPharmacyFixtureId(1), lines: lines) else {
                Issue.record("a bill of small lines was refused"); return
            }
            #expect(bill.totalFen == drawn.reduce(Int64(0)) { $0 + Int64($1.0) * $1.1 })
            #expect(bill.totalFen == lines.reduce(Int64(0)) { $0 + $1.amountFen })
        }
    }

    @Test("for any amounts, a bill is refused with bill_overflow exactly when their exact sum passes the largest amount")
    func overflowExactly() async {
        await propertyCheck(input: Gen.int64(in: 1...Int64.max).array(of: 1...4)) { amounts in
            var lines: [BillLine] = []
            for amount in amounts {
                guard let line = try? BillLine(drugId: aPharmacyFixtureId(1), quantity: 1, unitPriceFen: amount, insuranceClass: .a)
                else { Issue.record("one package at \(amount) was refused"); return }
                lines.append(line)
            }
            let exact = amounts.reduce(Int128(0)) { $0 + Int128($1) }
            let result = Result { () throws(DomainError) in try Bill(institutionId: aPharmacyFixtureId(1), lines: lines) }
            switch result {
            case .success(let bill):
                #expect(exact <= Int128(Int64.max))
                #expect(Int128(bill.totalFen) == exact)
            case .failure(let error):
                #expect(exact > Int128(Int64.max))
                #expect(code(of: error) == "bill_overflow")
            }
        }
    }
}
