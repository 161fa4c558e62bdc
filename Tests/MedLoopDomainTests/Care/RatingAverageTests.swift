import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// Totals of ratings and their average in tenths of a star, worked out by hand (`nil`: no average).
struct AverageCase: Sendable, CustomTestStringConvertible {
    var total: Int64
    var count: Int64
    var tenths: Int?

    var testDescription: String { "\(total) / \(count) → \(tenths.map(String.init) ?? "none")" }
}

@Suite("Rating averages: totals of scores to tenths of a star")
struct RatingAverageTests {
    static let cases: [AverageCase] = [
        AverageCase(total: 0, count: 0, tenths: nil),
        AverageCase(total: 5, count: 1, tenths: 50),
        AverageCase(total: 1, count: 1, tenths: 10),
        AverageCase(total: 7, count: 2, tenths: 35),
        // 14 / 3 = 4.666… → 4.7; 13 / 3 = 4.333… → 4.3
        AverageCase(total: 14, count: 3, tenths: 47),
        AverageCase(total: 13, count: 3, tenths: 43),
        // 41 / 20 = 2.05 and 83 / 20 = 4.15: exactly half a tenth, which rounds up
        AverageCase(total: 41, count: 20, tenths: 21),
        AverageCase(total: 83, count: 20, tenths: 42),
        // 4999 / 1000 = 4.999 → 5.0
        AverageCase(total: 4999, count: 1000, tenths: 50),
        // impossible totals: below one star each, above five, negative, or a negative count
        AverageCase(total: 0, count: 1, tenths: nil),
        AverageCase(total: 6, count: 1, tenths: nil),
        AverageCase(total: -3, count: 1, tenths: nil),
        AverageCase(total: 5, count: -1, tenths: nil),
        // counts too large for count × 10 (or count × 5) in 64 bits
        AverageCase(total: .max, count: .max, tenths: 10),
        AverageCase(total: .max / 5 * 5, count: .max / 5, tenths: 50),
        AverageCase(total: .max, count: .max / 5, tenths: nil),
        AverageCase(total: .max, count: .max / 2, tenths: 20),
    ]

    @Test("an average of ratings is given in tenths of a star, rounded half up; none without ratings or for impossible totals",
          arguments: Self.cases)
    func average(_ example: AverageCase) {
        #expect(Rating.averageTenths(total: example.total, count: example.count) == example.tenths)
    }

    @Test("the average of any scores lies between the lowest and the highest, within half a tenth of the exact mean")
    func averageIsBetweenTheScores() async {
        await propertyCheck(input: Gen.int(in: Rating.scoreRange).array(of: 1...200)) { scores in
            let total = Int64(scores.reduce(0, +))
            let count = Int64(scores.count)
            guard let tenths = Rating.averageTenths(total: total, count: count) else {
                Issue.record("the scores \(scores) have no average"); return
            }
            #expect(scores.min()! * 10 <= tenths && tenths <= scores.max()! * 10)
            // Rounded half up: tenths − 10 × total / count lies in (−½, ½].
            let error2 = 2 * (Int64(tenths) * count - 10 * total)
            #expect(-count < error2 && error2 <= count)
        }
    }

    @Test("for any total and count, the average is absent or between 1.0 and 5.0 stars, and absent exactly for impossible totals")
    func averageIsInRange() async {
        await propertyCheck(input: Gen.int64(in: 1...1_000_000_000_000_000), Gen.int64(in: -1...Int64.max)) { count, draw in
            // A total near the possible ones: from count − 1 to 5 × count + 1.
            let total = count - 1 + draw % (4 * count + 3)
            let tenths = Rating.averageTenths(total: total, count: count)
            let possible = count <= total && total <= 5 * count
            #expect((tenths != nil) == possible)
            if let tenths { #expect((10...50).contains(tenths)) }
        }
    }
}
