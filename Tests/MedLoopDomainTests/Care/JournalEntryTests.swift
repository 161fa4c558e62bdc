import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A patient's wallet for the fixtures.
private let aWallet = LedgerAccount.wallet(UUID.named("account:journal"))
/// A doctor's earnings for the fixtures.
private let aDoctorsEarnings = LedgerAccount.doctorEarnings(UUID.named("doctor:journal"))

/// Lines over the fixture accounts, in turn, with these amounts.
private func lines(_ amounts: [Int64]) -> [LedgerLine] {
    let accounts = [aWallet, .escrow, .platformCommission, aDoctorsEarnings, .sandboxGateway]
    return amounts.enumerated().map { index, amount in LedgerLine(accounts[index % accounts.count], amount) }
}

/// The exact sum of `amounts`, which no Int64 sum could overflow.
private func exactSum(_ amounts: [Int64]) -> Int128 {
    amounts.reduce(Int128(0)) { $0 + Int128($1) }
}

/// Amounts of journal lines and the code their entry is refused with, if it is.
struct JournalCase: Sendable, CustomTestStringConvertible {
    var amounts: [Int64]
    var refusal: String?

    var testDescription: String { "\(amounts) → \(refusal ?? "accepted")" }
}

@Suite("Journal entries: every posting balances to zero")
struct JournalEntryTests {
    static let cases: [JournalCase] = [
        JournalCase(amounts: [-1000, 1000]),
        JournalCase(amounts: [-6510, 651, 5859]),
        JournalCase(amounts: [.min + 1, .max]),
        JournalCase(amounts: [100, -99], refusal: "ledger_unbalanced"),
        JournalCase(amounts: [1], refusal: "ledger_unbalanced"),
        JournalCase(amounts: [], refusal: "ledger_entry_empty"),
        JournalCase(amounts: [0], refusal: "ledger_entry_empty"),
        JournalCase(amounts: [100, -100, 0], refusal: "ledger_entry_empty"),
        JournalCase(amounts: [.max, 1, -1, -.max], refusal: "ledger_overflow"),
        JournalCase(amounts: [.min, -1, 1], refusal: "ledger_overflow"),
    ]

    @Test("a journal entry is accepted only when it has lines, none of them zero, summing to zero without overflow",
          arguments: Self.cases)
    func entry(_ example: JournalCase) {
        #expect(issueCode { () throws(DomainError) in
            try JournalEntry(kind: .charge, lines: lines(example.amounts))
        } == example.refusal)
    }

    @Test("a transfer moves a positive amount out of one account and into the other")
    func transfer() throws {
        let order = UUID.named("order:journal")
        let entry = try JournalEntry.transfer(.topUp, amountFen: 5000, from: .sandboxGateway, to: aWallet, orderId: order)
        #expect(entry.kind == .topUp)
        #expect(entry.lines == [LedgerLine(.sandboxGateway, -5000), LedgerLine(aWallet, 5000)])
        #expect(entry.orderId == order)
    }

    @Test("a transfer of nothing or less is refused on amountFen", arguments: [Int64(0), -1, .min])
    func transferOfNothing(amount: Int64) {
        #expect(fieldIssues { () throws(DomainError) in
            try JournalEntry.transfer(.charge, amountFen: amount, from: aWallet, to: .escrow)
        } == ["amountFen/not_positive"])
    }

    @Test("a transfer of any positive amount has two lines that sum to zero")
    func transferBalances() async {
        await propertyCheck(input: Gen.int64(in: 1...Int64.max)) { amount in
            guard let entry = try? JournalEntry.transfer(.charge, amountFen: amount, from: aWallet, to: .escrow) else {
                Issue.record("a positive transfer was refused"); return
            }
            #expect(entry.lines.count == 2)
            #expect(exactSum(entry.lines.map(\.amountFen)) == 0)
        }
    }

    @Test("any entry that is accepted has non-zero lines summing to zero")
    func acceptedEntriesBalance() async {
        await propertyCheck(input: Gen.int64(in: -3...3).array(of: 0...5)) { amounts in
            if let entry = try? JournalEntry(kind: .charge, lines: lines(amounts)) {
                #expect(!entry.lines.isEmpty)
                #expect(entry.lines.allSatisfy { $0.amountFen != 0 })
                #expect(exactSum(entry.lines.map(\.amountFen)) == 0)
            } else {
                #expect(amounts.isEmpty || amounts.contains(0) || exactSum(amounts) != 0)
            }
        }
    }

    @Test("lines balanced by a last line that takes the opposite of their sum are accepted when none is zero")
    func balancedLinesAccepted() async {
        await propertyCheck(input: Gen.int64(in: -1_000_000...1_000_000).array(of: 1...5)) { amounts in
            let balanced = amounts + [-amounts.reduce(0, +)]
            let accepted = (try? JournalEntry(kind: .settlement, lines: lines(balanced))) != nil
            #expect(accepted == !balanced.contains(0))
        }
    }
}
