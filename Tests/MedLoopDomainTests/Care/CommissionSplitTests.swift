import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A fee, a commission rate, and the shares worked out by hand.
struct SplitCase: Sendable, CustomTestStringConvertible {
    var feeFen: Int64
    var rateBasisPoints: Int
    var commissionFen: Int64
    var doctorFen: Int64

    var testDescription: String { "\(feeFen) fen at \(rateBasisPoints) bp → \(commissionFen) + \(doctorFen)" }
}

/// A fee and a rate that must be refused, with the field and code of the refusal.
struct RefusedSplit: Sendable, CustomTestStringConvertible {
    var feeFen: Int64
    var rateBasisPoints: Int
    var issue: String

    var testDescription: String { "\(feeFen) fen at \(rateBasisPoints) bp → \(issue)" }
}

@Suite("Commission split: the platform's share of a fee and the doctor's")
struct CommissionSplitTests {
    static let cases: [SplitCase] = [
        // 6510 × 10 % = 651.0
        SplitCase(feeFen: 6510, rateBasisPoints: 1000, commissionFen: 651, doctorFen: 5859),
        // 5 × 10 % = 0.5, which rounds up
        SplitCase(feeFen: 5, rateBasisPoints: 1000, commissionFen: 1, doctorFen: 4),
        // 4 × 10 % = 0.4, which rounds down
        SplitCase(feeFen: 4, rateBasisPoints: 1000, commissionFen: 0, doctorFen: 4),
        // a free service
        SplitCase(feeFen: 0, rateBasisPoints: 1000, commissionFen: 0, doctorFen: 0),
        // no commission
        SplitCase(feeFen: 6510, rateBasisPoints: 0, commissionFen: 0, doctorFen: 6510),
        // all of it
        SplitCase(feeFen: 6510, rateBasisPoints: 10_000, commissionFen: 6510, doctorFen: 0),
        // 15 × 3.33 % = 0.4995, below one half
        SplitCase(feeFen: 15, rateBasisPoints: 333, commissionFen: 0, doctorFen: 15),
        // 15 × 3.34 % = 0.501
        SplitCase(feeFen: 15, rateBasisPoints: 334, commissionFen: 1, doctorFen: 14),
        // 1 × 50 % = 0.5 up; 1 × 49.99 % = 0.4999 down
        SplitCase(feeFen: 1, rateBasisPoints: 5000, commissionFen: 1, doctorFen: 0),
        SplitCase(feeFen: 1, rateBasisPoints: 4999, commissionFen: 0, doctorFen: 1),
        // 8999 × 2.5 % = 224.975
        SplitCase(feeFen: 8999, rateBasisPoints: 250, commissionFen: 225, doctorFen: 8774),
        // 2000 × 15 % = 300
        SplitCase(feeFen: 2000, rateBasisPoints: 1500, commissionFen: 300, doctorFen: 1700),
        // 100 000 yuan × 12.34 % = 1 234 000 fen exactly
        SplitCase(feeFen: 10_000_000, rateBasisPoints: 1234, commissionFen: 1_234_000, doctorFen: 8_766_000),
        // the largest fee: 922 337 203 685 477 × 10 000 + 5807, half of it, 5807 × 0.5 = 2903.5 up
        SplitCase(feeFen: .max, rateBasisPoints: 5000,
                  commissionFen: 4_611_686_018_427_387_904, doctorFen: 4_611_686_018_427_387_903),
        SplitCase(feeFen: .max, rateBasisPoints: 10_000, commissionFen: .max, doctorFen: 0),
    ]

    static let refusals: [RefusedSplit] = [
        RefusedSplit(feeFen: -1, rateBasisPoints: 1000, issue: "feeFen/negative"),
        RefusedSplit(feeFen: .min, rateBasisPoints: 1000, issue: "feeFen/negative"),
        RefusedSplit(feeFen: 6510, rateBasisPoints: -1, issue: "commissionRate/range"),
        RefusedSplit(feeFen: 6510, rateBasisPoints: 10_001, issue: "commissionRate/range"),
    ]

    @Test("a fee is split at the rate with the commission rounded half up to the fen", arguments: Self.cases)
    func split(_ example: SplitCase) throws {
        let split = try CommissionSplit(feeFen: example.feeFen, rateBasisPoints: example.rateBasisPoints)
        #expect(split.commissionFen == example.commissionFen)
        #expect(split.doctorFen == example.doctorFen)
    }

    @Test("a negative fee or a rate outside 0...10000 basis points is refused on its field", arguments: Self.refusals)
    func refused(_ example: RefusedSplit) {
        #expect(fieldIssues { () throws(DomainError) in
            try CommissionSplit(feeFen: example.feeFen, rateBasisPoints: example.rateBasisPoints)
        } == [example.issue])
    }

    @Test("the default commission rate is 10 %")
    func defaultRate() {
        #expect(CommissionSplit.defaultRateBasisPoints == 1000)
    }

    @Test("a commission split always adds up to the fee, neither share is negative, and its settlement sums to zero")
    func splitAddsUp() async {
        await propertyCheck(input: Gen.int64(in: 0...10_000_000), Gen.int(in: 0...10_000)) { fee, rate in
            guard let split = try? CommissionSplit(feeFen: fee, rateBasisPoints: rate) else {
                Issue.record("a valid fee and rate were refused"); return
            }
            #expect(split.commissionFen + split.doctorFen == fee)
            #expect(split.commissionFen >= 0 && split.doctorFen >= 0)
            guard fee > 0 else { return }
            let doctor = UUID.named("doctor:split")
            guard let entry = try? split.settlement(doctor: doctor, orderId: UUID.named("order:split")) else {
                Issue.record("the settlement of a positive fee was refused"); return
            }
            #expect(entry.kind == .settlement)
            #expect(entry.lines.map(\.amountFen).reduce(0, +) == 0)
            #expect(entry.lines.first == LedgerLine(.escrow, -fee))
        }
    }

    @Test("for any fee Int64 holds and any rate, the commission is the fee times the rate rounded half up")
    func splitIsExactForAnyFee() async {
        await propertyCheck(input: Gen.int64(in: 0...Int64.max), Gen.int(in: 0...10_000)) { fee, rate in
            guard let split = try? CommissionSplit(feeFen: fee, rateBasisPoints: rate) else {
                Issue.record("a valid fee and rate were refused"); return
            }
            // Rounded half up, commission − fee × rate / 10 000 lies in (−½, ½]; checked exactly in 128 bits.
            let product = fee.multipliedFullWidth(by: Int64(rate))
            let commission = split.commissionFen.multipliedFullWidth(by: 10_000)
            let difference = (Int128(commission.high) << 64 | Int128(commission.low))
                - (Int128(product.high) << 64 | Int128(product.low))
            #expect(-10_000 < 2 * difference && 2 * difference <= 10_000)
            #expect(split.doctorFen >= 0 && split.commissionFen + split.doctorFen == fee)
        }
    }

    @Test("a free service settles nothing: its settlement is refused as empty")
    func freeSettlement() throws {
        let split = try CommissionSplit(feeFen: 0, rateBasisPoints: 1000)
        #expect(issueCode { () throws(DomainError) in
            try split.settlement(doctor: UUID.named("doctor:free"), orderId: UUID.named("order:free"))
        } == "ledger_entry_empty")
    }

    @Test("a settlement at 0 % or 100 % has no zero line")
    func settlementOmitsZeroShares() throws {
        let doctor = UUID.named("doctor:whole")
        let all = try CommissionSplit(feeFen: 6510, rateBasisPoints: 10_000).settlement(doctor: doctor, orderId: UUID.named("order:1"))
        #expect(all.lines == [LedgerLine(.escrow, -6510), LedgerLine(.platformCommission, 6510)])
        let none = try CommissionSplit(feeFen: 6510, rateBasisPoints: 0).settlement(doctor: doctor, orderId: UUID.named("order:2"))
        #expect(none.lines == [LedgerLine(.escrow, -6510), LedgerLine(.doctorEarnings(doctor), 6510)])
    }
}
