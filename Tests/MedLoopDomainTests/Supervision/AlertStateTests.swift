import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A move asked of the alert queue and what it gives: the next state, or nil for a 409.
struct AlertMove: Sendable, CustomTestStringConvertible {
    var from: AlertState
    var to: AlertState
    var result: AlertState?

    var testDescription: String { "\(from.rawValue) → \(to.rawValue): \(result?.rawValue ?? "refused")" }
}

/// A note written for a move, and the note kept or the refusal's code.
struct AlertNoteCase: Sendable, CustomTestStringConvertible {
    var note: String?
    var target: AlertState
    var expected: String

    init(_ note: String?, _ target: AlertState, _ expected: String) {
        self.note = note
        self.target = target
        self.expected = expected
    }

    var testDescription: String {
        "\(note.map { $0.count > 40 ? "\($0.count) characters" : "\"\($0)\"" } ?? "no note") → \(target.rawValue): \(expected.count > 40 ? "kept" : expected)"
    }
}

@Suite("Alert queue: open → investigating → confirmed or dismissed, with notes")
struct AlertStateTests {
    /// Every pair of states, written out.
    static let moves: [AlertMove] = [
        AlertMove(from: .open, to: .open, result: nil),
        AlertMove(from: .open, to: .investigating, result: .investigating),
        AlertMove(from: .open, to: .confirmed, result: nil),
        AlertMove(from: .open, to: .dismissed, result: nil),
        AlertMove(from: .investigating, to: .open, result: nil),
        AlertMove(from: .investigating, to: .investigating, result: nil),
        AlertMove(from: .investigating, to: .confirmed, result: .confirmed),
        AlertMove(from: .investigating, to: .dismissed, result: .dismissed),
        AlertMove(from: .confirmed, to: .open, result: nil),
        AlertMove(from: .confirmed, to: .investigating, result: nil),
        AlertMove(from: .confirmed, to: .confirmed, result: nil),
        AlertMove(from: .confirmed, to: .dismissed, result: nil),
        AlertMove(from: .dismissed, to: .open, result: nil),
        AlertMove(from: .dismissed, to: .investigating, result: nil),
        AlertMove(from: .dismissed, to: .confirmed, result: nil),
        AlertMove(from: .dismissed, to: .dismissed, result: nil),
    ]

    @Test("an alert is looked into before it is decided, and a decided alert moves no more", arguments: moves)
    func move(_ move: AlertMove) {
        if let result = move.result {
            #expect((try? move.from.after(move.to)) == result)
        } else {
            #expect(throws: DomainError.self) { try move.from.after(move.to) }
            do {
                _ = try move.from.after(move.to)
            } catch {
                guard case .conflict(let code, _) = error else { Issue.record("a refused move was not a 409: \(error)"); return }
                #expect(code == "alert_state")
            }
        }
    }

    @Test("no sequence of moves reaches a decided state without passing investigating, and a decided state is final")
    func noSkipping() async {
        let target = Gen.int(in: 0...(AlertState.allCases.count - 1)).map { AlertState.allCases[$0] }
        await propertyCheck(input: target.array(of: 0...12)) { targets in
            var state = AlertState.open
            var investigated = false
            var decided: AlertState?
            for target in targets {
                guard let next = try? state.after(target) else { continue }
                #expect(decided == nil, "a decided alert moved from \(state) to \(next)")
                state = next
                if state == .investigating { investigated = true }
                if state.isClosed { decided = state }
            }
            if state.isClosed { #expect(investigated) }
        }
    }

    @Test("deciding an alert needs a note; starting to investigate and plain notes are checked for length", arguments: [
        AlertNoteCase(nil, .investigating, "nil"),
        AlertNoteCase("  ", .investigating, "nil"),
        AlertNoteCase(" looked at the pharmacy's receipts ", .investigating, "looked at the pharmacy's receipts"),
        AlertNoteCase(nil, .confirmed, "required"),
        AlertNoteCase("\n\t ", .dismissed, "required"),
        AlertNoteCase("same code scanned by two pharmacies", .confirmed, "same code scanned by two pharmacies"),
        AlertNoteCase("a normal refill", .dismissed, "a normal refill"),
        AlertNoteCase(String(repeating: "药", count: 2000), .confirmed, String(repeating: "药", count: 2000)),
        AlertNoteCase(String(repeating: "药", count: 2001), .confirmed, "too_long"),
        AlertNoteCase(String(repeating: "a", count: 2001), .investigating, "too_long"),
    ])
    func notes(_ note: AlertNoteCase) {
        do {
            let kept = try AlertNote.check(note.note, movingTo: note.target)
            #expect((kept ?? "nil") == note.expected)
        } catch {
            guard case .invalid(let issues) = error else { Issue.record("not a 400: \(error)"); return }
            #expect(issues.map(\.field) == ["note"])
            #expect(issues.map(\.code) == [note.expected])
        }
    }

    @Test("a plain note on an alert may not be blank")
    func plainNote() {
        #expect(throws: DomainError.invalidField("note", code: "required", "Say in a note why.")) {
            try AlertNote.check(" ", movingTo: nil)
        }
        #expect((try? AlertNote.check(" checked ", movingTo: nil)) == "checked")
    }
}
