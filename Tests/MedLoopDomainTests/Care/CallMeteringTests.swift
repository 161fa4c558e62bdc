import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A finished call: minutes used and prepaid, the price of a minute, and what is charged and refunded.
struct CallSettlement: Sendable, CustomTestStringConvertible {
    var used: Int64
    var prepaid: Int64
    var unitPriceFen: Int64
    var chargeFen: Int64
    var refundFen: Int64

    var testDescription: String { "\(used) of \(prepaid) min at \(unitPriceFen) fen → \(chargeFen) + \(refundFen)" }
}

/// A prepayment request and its price, or the field/code it is refused with.
struct Prepayment: Sendable, CustomTestStringConvertible {
    var unitPriceFen: Int64
    var minutes: Int
    var priceFen: Int64?
    var issue: String?

    var testDescription: String { "\(minutes) min at \(unitPriceFen) fen → \(priceFen.map(String.init) ?? issue ?? "")" }
}

@Suite("Call metering: voice and video are charged per started minute against a prepayment")
struct CallMeteringTests {
    @Test("a call is charged by started minutes: a second into a minute starts it",
          arguments: [(Int64(0), Int64(0)), (1, 1), (59, 1), (60, 1), (61, 2), (-5, 0), (3600, 60), (3601, 61),
                      (.min, 0), (.max, 153_722_867_280_912_931)])
    func startedMinutes(seconds: Int64, minutes: Int64) {
        #expect(CallMetering.startedMinutes(seconds: seconds) == minutes)
    }

    static let settlements: [CallSettlement] = [
        // 8.32 yuan a minute (DOMAIN.md's average voice price), 10 of 15 minutes used
        CallSettlement(used: 10, prepaid: 15, unitPriceFen: 832, chargeFen: 8320, refundFen: 4160),
        CallSettlement(used: 0, prepaid: 15, unitPriceFen: 832, chargeFen: 0, refundFen: 12_480),
        CallSettlement(used: 15, prepaid: 15, unitPriceFen: 832, chargeFen: 12_480, refundFen: 0),
        // more minutes than prepaid: only the prepaid ones are charged
        CallSettlement(used: 20, prepaid: 15, unitPriceFen: 1756, chargeFen: 26_340, refundFen: 0),
        // a negative count of minutes charges nothing
        CallSettlement(used: -3, prepaid: 10, unitPriceFen: 500, chargeFen: 0, refundFen: 5000),
        // a free call
        CallSettlement(used: 5, prepaid: 10, unitPriceFen: 0, chargeFen: 0, refundFen: 0),
    ]

    @Test("a finished call charges the minutes used, at most the prepaid ones, and refunds the rest",
          arguments: Self.settlements)
    func settle(_ example: CallSettlement) {
        let result = CallMetering.settle(usedMinutes: example.used, prepaidMinutes: example.prepaid,
                                         unitPriceFen: example.unitPriceFen)
        #expect(result.chargeFen == example.chargeFen)
        #expect(result.refundFen == example.refundFen)
    }

    @Test("charge and refund add up to the prepayment, neither is negative, and the charge never falls as minutes grow")
    func settlementAddsUp() async {
        await propertyCheck(input: Gen.int64(in: -100...200), Gen.int64(in: 1...60), Gen.int64(in: 0...10_000)) { used, prepaid, unit in
            let result = CallMetering.settle(usedMinutes: used, prepaidMinutes: prepaid, unitPriceFen: unit)
            #expect(result.chargeFen + result.refundFen == prepaid * unit)
            #expect(result.chargeFen >= 0 && result.refundFen >= 0)
            let longer = CallMetering.settle(usedMinutes: used + 1, prepaidMinutes: prepaid, unitPriceFen: unit)
            #expect(longer.chargeFen >= result.chargeFen)
        }
    }

    @Test("started minutes never fall as a call grows, and cover the call by less than a minute")
    func startedMinutesAreMonotonic() async {
        let law = { @Sendable (seconds: Int64) in
            let minutes = CallMetering.startedMinutes(seconds: seconds)
            #expect(CallMetering.startedMinutes(seconds: seconds + 1) >= minutes)
            if seconds <= 0 {
                #expect(minutes == 0)
            } else {
                #expect(Int128(seconds) <= Int128(minutes) * 60)
                #expect(Int128(minutes - 1) * 60 < Int128(seconds))
            }
        }
        // Around the minute boundaries of real calls, and anywhere an Int64 reaches.
        await propertyCheck(input: Gen.int64(in: -120...7200), perform: law)
        await propertyCheck(input: Gen.int64(in: Int64.min...(Int64.max - 1)), perform: law)
    }

    static let prepayments: [Prepayment] = [
        Prepayment(unitPriceFen: 832, minutes: 15, priceFen: 12_480),
        Prepayment(unitPriceFen: 1756, minutes: 1, priceFen: 1756),
        Prepayment(unitPriceFen: 10_000, minutes: 60, priceFen: 600_000),
        Prepayment(unitPriceFen: 0, minutes: 60, priceFen: 0),
        Prepayment(unitPriceFen: 832, minutes: 0, issue: "prepaidMinutes/range"),
        Prepayment(unitPriceFen: 832, minutes: 61, issue: "prepaidMinutes/range"),
        Prepayment(unitPriceFen: 832, minutes: -1, issue: "prepaidMinutes/range"),
        Prepayment(unitPriceFen: -1, minutes: 15, issue: "unitPriceFen/negative"),
        Prepayment(unitPriceFen: .max, minutes: 2, issue: "unitPriceFen/too_large"),
    ]

    @Test("a prepayment is the price of a minute times 1 to 60 minutes; other counts, negative or overflowing prices are refused",
          arguments: Self.prepayments)
    func prepaidPrice(_ example: Prepayment) {
        let price = try? CallMetering.prepaidPriceFen(unitPriceFen: example.unitPriceFen, minutes: example.minutes)
        #expect(price == example.priceFen)
        #expect(fieldIssues { () throws(DomainError) in
            try CallMetering.prepaidPriceFen(unitPriceFen: example.unitPriceFen, minutes: example.minutes)
        } == (example.issue.map { [$0] } ?? []))
    }

    @Test("a booking that names no minutes prepays 15; one that names them prepays 1 to 60",
          arguments: [(Int?.none, 15), (1, 1), (30, 30), (60, 60)])
    func requestedMinutes(requested: Int?, minutes: Int) throws {
        #expect(try CallMetering.minutes(requested: requested) == minutes)
    }

    @Test("a booking that asks for fewer than 1 or more than 60 minutes is refused on prepaidMinutes",
          arguments: [0, 61, -15, Int.max])
    func requestedMinutesOutOfRange(requested: Int) {
        #expect(fieldIssues { () throws(DomainError) in try CallMetering.minutes(requested: requested) }
                == ["prepaidMinutes/range"])
    }
}
