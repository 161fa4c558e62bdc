import PropertyBased
import Testing
@testable import MedLoopDomain

@Suite("Amounts typed in yuan")
struct YuanTests {
    @Test("an amount typed in yuan is read to the fen", arguments: [
        ("50", 5_000), ("12.5", 1_250), ("12.50", 1_250), ("0.01", 1), (" 8.08 ", 808), ("5000", 500_000), ("007", 700),
    ] as [(String, Int64)])
    func reads(text: String, fen: Int64) throws {
        #expect(try Yuan.fen(text, field: "amount", limitFen: 500_000) == fen)
    }

    @Test("anything but digits with at most two decimals is refused as a format error", arguments: [
        "", "abc", "12.", ".5", "12.345", "-5", "+5", "1,000", "1e3", "１２", "12.5.0", "5 000", "99999999999999",
    ])
    func refusesFormat(text: String) {
        #expect(issueCode { () throws(DomainError) in try Yuan.fen(text, field: "amount", limitFen: 500_000) } == "format")
    }

    @Test("zero and amounts over the limit are refused as out of range", arguments: ["0", "0.00", "5000.01", "6000"])
    func refusesRange(text: String) {
        #expect(issueCode { () throws(DomainError) in try Yuan.fen(text, field: "amount", limitFen: 500_000) } == "range")
    }

    @Test("every amount written as yuan text reads back to the same fen")
    func roundTrip() async {
        await propertyCheck(input: Gen.int64(in: 1...TopUpRule.limitFen)) { fen in
            #expect((try? Yuan.fen(Yuan.text(fen), field: "amount", limitFen: TopUpRule.limitFen)) == fen)
        }
    }
}
