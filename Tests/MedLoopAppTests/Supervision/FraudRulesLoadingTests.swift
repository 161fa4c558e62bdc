import Foundation
import MedLoopDomain
import Testing
@testable import MedLoopApp

/// A rules document written to a temporary file.
private func aRulesFile(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fraud-rules-\(UUID().uuidString).json").path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// The shipped document with `old` replaced by `new`.
private func shippedText(replacing old: String, with new: String) throws -> String {
    let text = try ShippedData.text(of: FraudRuleSet.shippedFileName)
    #expect(text.contains(old), "the shipped document no longer holds \(old)")
    return text.replacingOccurrences(of: old, with: new)
}

@Suite("Fraud rules at start-up: the shipped document, or the one MEDLOOP_FRAUD_RULES names, validated")
struct FraudRulesLoadingTests {
    @Test("without a path the shipped rules load; a valid file replaces them")
    func shippedOrFile() throws {
        #expect(try FraudRuleSet.load(path: nil) == .shipped)
        let path = try aRulesFile(try shippedText(replacing: #""minimumUsedPercent": 70"#, with: #""minimumUsedPercent": 80"#))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try FraudRuleSet.load(path: path).earlyRefill.minimumUsedPercent == 80)
    }

    @Test("an unknown key or a negative threshold stops the start with a message naming its key path", arguments: [
        (#""windowHours": 6"#, #""windowHours": 6, "windowHour": 6"#, "settlementInTwoCities.windowHour"),
        (#""thresholdFen": 100000"#, #""thresholdFen": -100000"#, "settlementsJustUnderThreshold.thresholdFen"),
        (#""maximumRatio": 1.5"#, #""maximumRatio": -1.5"#, "dispensingAboveReceipts.maximumRatio"),
    ])
    func refused(_ old: String, _ new: String, path keyPath: String) throws {
        let path = try aRulesFile(try shippedText(replacing: old, with: new))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try FraudRuleSet.load(path: path)
            Issue.record("a bad document was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains(keyPath), "\(message)")
            #expect(message.contains(path))
        }
    }

    @Test("a missing file or one that is not JSON stops the start with a message naming the file")
    func unreadable() throws {
        let missing = "/nonexistent/fraud-rules.json"
        #expect { try FraudRuleSet.load(path: missing) } throws: { "\($0)".contains(missing) }
        let path = try aRulesFile("{ not json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect { try FraudRuleSet.load(path: path) } throws: { "\($0)".contains(path) && "\($0)".contains("not valid JSON") }
    }
}
