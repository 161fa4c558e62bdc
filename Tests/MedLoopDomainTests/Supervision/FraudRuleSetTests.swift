import Foundation
import Testing
@testable import MedLoopDomain

/// The shipped document as a tree, to change one key at a time.
private func shippedTree() throws -> [String: DocumentValue] {
    let text = try ShippedData.text(of: FraudRuleSet.shippedFileName)
    guard case .map(let root) = try DocumentValue.json(Data(text.utf8)) else {
        Issue.record("the shipped document is not a map")
        return [:]
    }
    return root
}

/// `root` with `value` at the dotted `path` (nil removes the key).
private func setting(_ path: String, to value: DocumentValue?, in root: [String: DocumentValue]) -> DocumentValue {
    let keys = path.split(separator: ".").map(String.init)
    func set(_ keys: ArraySlice<String>, in map: [String: DocumentValue]) -> [String: DocumentValue] {
        var map = map
        guard let key = keys.first else { return map }
        if keys.count == 1 {
            map[key] = value
        } else {
            guard case .map(let inner)? = map[key] else { return map }
            map[key] = .map(set(keys.dropFirst(), in: inner))
        }
        return map
    }
    return .map(set(keys[...], in: root))
}

/// The issues a document is refused with, or none if it is accepted.
private func issues(of document: DocumentValue) -> [FieldIssue] {
    do {
        _ = try FraudRuleSet(document: document)
        return []
    } catch {
        if case .invalid(let issues) = error { return issues }
        return [FieldIssue(field: "", code: "other", message: "\(error)")]
    }
}

struct FraudRuleSetTests {
    @Test("the shipped document loads with every rule enabled and the thresholds of issue 20")
    func shipped() throws {
        let rules = try FraudRuleSet.loadShipped()
        #expect(rules == FraudRuleSet.shipped)
        #expect(rules.earlyRefill.minimumUsedPercent == 70)
        #expect(rules.doctorVolumeAbovePeers.zScoreThreshold == 3.5)
        #expect(rules.overridesAbovePeers.zScoreThreshold == 3.5)
        #expect(rules.settlementInTwoCities.windowHours == 6)
        #expect(rules.splitPrescription.limitDays == 7)
        #expect(rules.settlementsJustUnderThreshold.thresholdFen == 100_000)
        #expect(rules.traceabilityCodeReused.severity == .high)
        #expect([rules.settlementInTwoCities.enabled, rules.earlyRefill.enabled, rules.doctorVolumeAbovePeers.enabled,
                 rules.sameDrugSeveralDoctors.enabled, rules.splitPrescription.enabled, rules.traceabilityCodeReused.enabled,
                 rules.dispensingAboveReceipts.enabled, rules.settlementsJustUnderThreshold.enabled,
                 rules.overridesAbovePeers.enabled].allSatisfy { $0 })
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var path: String
        var value: DocumentValue?
        var code: String
        var testDescription: String { "\(path) = \(value.map { "\($0)" } ?? "absent") is refused as \(code)" }
    }

    @Test("a bad key is refused with its path and a code", arguments: [
        Refusal(path: "earlyRefill.minimumUsedPercnt", value: .integer(70), code: "unknown_key"),
        Refusal(path: "typo", value: .bool(true), code: "unknown_key"),
        Refusal(path: "traceabilityCodeReused.windowHours", value: .integer(6), code: "unknown_key"),
        Refusal(path: "earlyRefill.minimumUsedPercent", value: .integer(-70), code: "negative"),
        Refusal(path: "settlementInTwoCities.windowHours", value: .integer(-1), code: "negative"),
        Refusal(path: "doctorVolumeAbovePeers.zScoreThreshold", value: .number(-3.5), code: "negative"),
        Refusal(path: "dispensingAboveReceipts.maximumRatio", value: .number(-1.5), code: "negative"),
        Refusal(path: "settlementsJustUnderThreshold.thresholdFen", value: .integer(-100_000), code: "negative"),
        Refusal(path: "overridesAbovePeers.minimumPeers", value: .integer(-4), code: "negative"),
        Refusal(path: "earlyRefill.minimumUsedPercent", value: .integer(170), code: "range"),
        Refusal(path: "settlementsJustUnderThreshold.bandPercent", value: .integer(0), code: "range"),
        Refusal(path: "doctorVolumeAbovePeers.zScoreThreshold", value: .string("high"), code: "type"),
        Refusal(path: "splitPrescription.enabled", value: .string("yes"), code: "type"),
        Refusal(path: "sameDrugSeveralDoctors.severity", value: .string("urgent"), code: "unknown_value"),
        Refusal(path: "overridesAbovePeers.minimumFindingSeverity", value: .string("huge"), code: "unknown_value"),
        Refusal(path: "splitPrescription.limitDays", value: nil, code: "required"),
        Refusal(path: "earlyRefill.severity", value: nil, code: "required"),
    ])
    func refused(_ example: Refusal) throws {
        let found = issues(of: setting(example.path, to: example.value, in: try shippedTree()))
        #expect(found.map(\.field) == [example.path])
        #expect(found.map(\.code) == [example.code])
    }

    @Test("a missing rule section is refused by its name")
    func missingSection() throws {
        let found = issues(of: setting("overridesAbovePeers", to: nil, in: try shippedTree()))
        #expect(found.contains { $0.field == "overridesAbovePeers" && $0.code == "required" })
    }

    @Test("every bad key of one document is reported at once")
    func everyIssue() throws {
        var document = setting("earlyRefill.minimumUsedPercent", to: .integer(-1), in: try shippedTree())
        guard case .map(let root) = document else { return }
        document = setting("splitPrescription.extra", to: .integer(1), in: root)
        #expect(Set(issues(of: document).map(\.field)) == ["earlyRefill.minimumUsedPercent", "splitPrescription.extra"])
    }

    @Test("a document that is not JSON is refused, naming the file")
    func notJSON() {
        #expect(throws: ShippedDataError.unreadable(file: "rules.json", reason: "document: The document is not valid JSON.")) {
            try FraudRuleSet.parse(Data("{".utf8), file: "rules.json")
        }
    }

    @Test("a rule turned off and thresholds changed are read as written")
    func changedThresholds() throws {
        var root = try shippedTree()
        guard case .map(let changed) = setting("earlyRefill.enabled", to: .bool(false), in: root) else { return }
        root = changed
        let rules = try FraudRuleSet(document: setting("doctorVolumeAbovePeers.zScoreThreshold", to: .integer(4), in: root))
        #expect(rules.earlyRefill.enabled == false)
        #expect(rules.doctorVolumeAbovePeers.zScoreThreshold == 4)
    }
}
