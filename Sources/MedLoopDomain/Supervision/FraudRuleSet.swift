import Foundation

/// The fraud and abuse rules MedLoop evaluates and their thresholds: configuration, validated on
/// load like a policy document (issue 20, part 3). Every rule has its own section with `enabled`,
/// `severity` and its thresholds; a document names all nine sections and nothing else.
public struct FraudRuleSet: Sendable, Equatable {
    /// Names the document: shown with alerts' evidence so that a figure can be traced to the thresholds in force.
    public var version: String
    public var settlementInTwoCities: SettlementInTwoCitiesRule
    public var earlyRefill: EarlyRefillRule
    public var doctorVolumeAbovePeers: DoctorVolumeAbovePeersRule
    public var sameDrugSeveralDoctors: SameDrugSeveralDoctorsRule
    public var splitPrescription: SplitPrescriptionRule
    public var traceabilityCodeReused: TraceabilityCodeReusedRule
    public var dispensingAboveReceipts: DispensingAboveReceiptsRule
    public var settlementsJustUnderThreshold: SettlementsJustUnderThresholdRule
    public var overridesAbovePeers: OverridesAbovePeersRule

    public init(version: String, settlementInTwoCities: SettlementInTwoCitiesRule, earlyRefill: EarlyRefillRule,
                doctorVolumeAbovePeers: DoctorVolumeAbovePeersRule, sameDrugSeveralDoctors: SameDrugSeveralDoctorsRule,
                splitPrescription: SplitPrescriptionRule, traceabilityCodeReused: TraceabilityCodeReusedRule,
                dispensingAboveReceipts: DispensingAboveReceiptsRule,
                settlementsJustUnderThreshold: SettlementsJustUnderThresholdRule, overridesAbovePeers: OverridesAbovePeersRule) {
        self.version = version
        self.settlementInTwoCities = settlementInTwoCities
        self.earlyRefill = earlyRefill
        self.doctorVolumeAbovePeers = doctorVolumeAbovePeers
        self.sameDrugSeveralDoctors = sameDrugSeveralDoctors
        self.splitPrescription = splitPrescription
        self.traceabilityCodeReused = traceabilityCodeReused
        self.dispensingAboveReceipts = dispensingAboveReceipts
        self.settlementsJustUnderThreshold = settlementsJustUnderThreshold
        self.overridesAbovePeers = overridesAbovePeers
    }
}

/// The stable names of the rules: the keys of the document's sections and the `rule` of their alerts.
public enum FraudRuleName: String, Sendable, CaseIterable, Codable {
    case settlementInTwoCities, earlyRefill, doctorVolumeAbovePeers, sameDrugSeveralDoctors, splitPrescription,
         traceabilityCodeReused, dispensingAboveReceipts, settlementsJustUnderThreshold, overridesAbovePeers
}

extension FraudRuleSet {
    /// Reads a rules document, checking every key: unknown keys, wrong types, negative or
    /// out-of-range thresholds.
    ///
    /// - Throws: `DomainError.invalid` with one issue per bad key, its `field` the key's path
    ///   (`earlyRefill.minimumUsedPercent`).
    public init(document: DocumentValue) throws(DomainError) {
        var reader = DocumentReader()
        let root = reader.map(document, at: "")
        reader.allow(root, at: "", keys: ["version"] + FraudRuleName.allCases.map(\.rawValue))
        let version = reader.string(root, "version", at: "")
        var sections: [FraudRuleName: RuleSection] = [:]
        for name in FraudRuleName.allCases {
            sections[name] = RuleSection(name: name, value: root[name.rawValue], reader: &reader)
        }
        func section(_ name: FraudRuleName) -> RuleSection { sections[name]! }

        let twoCities = section(.settlementInTwoCities)
        let twoCitiesWindow = twoCities.whole("windowHours", in: 1...720, reader: &reader)
        reader.allow(twoCities.map, at: twoCities.path, keys: RuleSection.common + ["windowHours"])

        let refill = section(.earlyRefill)
        let usedPercent = refill.whole("minimumUsedPercent", in: 1...100, reader: &reader)
        reader.allow(refill.map, at: refill.path, keys: RuleSection.common + ["minimumUsedPercent"])

        let volume = section(.doctorVolumeAbovePeers)
        let volumeZ = volume.number("zScoreThreshold", reader: &reader)
        let volumePeers = volume.whole("minimumPeers", in: 1...10_000, reader: &reader)
        let volumeCount = volume.whole("minimumCount", in: 0...100_000, reader: &reader)
        reader.allow(volume.map, at: volume.path, keys: RuleSection.common + ["zScoreThreshold", "minimumPeers", "minimumCount"])

        let severalDoctors = section(.sameDrugSeveralDoctors)
        let severalWindow = severalDoctors.whole("windowDays", in: 1...366, reader: &reader)
        let severalMinimum = severalDoctors.whole("minimumDoctors", in: 2...100, reader: &reader)
        reader.allow(severalDoctors.map, at: severalDoctors.path, keys: RuleSection.common + ["windowDays", "minimumDoctors"])

        let split = section(.splitPrescription)
        let splitWindow = split.whole("windowHours", in: 1...720, reader: &reader)
        let splitLimit = split.whole("limitDays", in: 1...366, reader: &reader)
        let splitPieces = split.whole("minimumPieces", in: 2...100, reader: &reader)
        reader.allow(split.map, at: split.path, keys: RuleSection.common + ["windowHours", "limitDays", "minimumPieces"])

        let codes = section(.traceabilityCodeReused)
        reader.allow(codes.map, at: codes.path, keys: RuleSection.common)

        let receipts = section(.dispensingAboveReceipts)
        let receiptsWindow = receipts.whole("windowDays", in: 1...366, reader: &reader)
        let receiptsRatio = receipts.number("maximumRatio", reader: &reader)
        let receiptsMinimum = receipts.whole("minimumDispensed", in: 1...10_000_000, reader: &reader)
        reader.allow(receipts.map, at: receipts.path, keys: RuleSection.common + ["windowDays", "maximumRatio", "minimumDispensed"])

        let underThreshold = section(.settlementsJustUnderThreshold)
        let thresholdFen = underThreshold.whole("thresholdFen", in: 1...100_000_000_000, reader: &reader)
        let bandPercent = underThreshold.whole("bandPercent", in: 1...99, reader: &reader)
        let runLength = underThreshold.whole("runLength", in: 2...1_000, reader: &reader)
        reader.allow(underThreshold.map, at: underThreshold.path, keys: RuleSection.common + ["thresholdFen", "bandPercent", "runLength"])

        let overrides = section(.overridesAbovePeers)
        let overridesWindow = overrides.whole("windowDays", in: 1...366, reader: &reader)
        let overridesZ = overrides.number("zScoreThreshold", reader: &reader)
        let overridesPeers = overrides.whole("minimumPeers", in: 1...10_000, reader: &reader)
        let overridesMinimum = overrides.whole("minimumPrescriptions", in: 1...100_000, reader: &reader)
        let overridesSeverity: FindingSeverity? = overrides.map["minimumFindingSeverity"].map { value in
            reader.enumeration(value, at: "\(overrides.path).minimumFindingSeverity")
        } ?? { reader.fail("\(overrides.path).minimumFindingSeverity", "required", "This key is required."); return nil }()
        reader.allow(overrides.map, at: overrides.path, keys: RuleSection.common
                     + ["windowDays", "zScoreThreshold", "minimumPeers", "minimumPrescriptions", "minimumFindingSeverity"])

        try reader.finish()
        guard let version, let twoCitiesWindow, let usedPercent, let volumeZ, let volumePeers, let volumeCount,
              let severalWindow, let severalMinimum, let splitWindow, let splitLimit, let splitPieces,
              let receiptsWindow, let receiptsRatio, let receiptsMinimum, let thresholdFen, let bandPercent, let runLength,
              let overridesWindow, let overridesZ, let overridesPeers, let overridesMinimum, let overridesSeverity,
              FraudRuleName.allCases.allSatisfy({ sections[$0]?.switch != nil }) else {
            throw .invalidField("document", code: "invalid", "The rules document is incomplete.")
        }
        func on(_ name: FraudRuleName) -> RuleSwitch { sections[name]!.switch! }
        self.init(
            version: version,
            settlementInTwoCities: SettlementInTwoCitiesRule(on(.settlementInTwoCities), windowHours: twoCitiesWindow),
            earlyRefill: EarlyRefillRule(on(.earlyRefill), minimumUsedPercent: usedPercent),
            doctorVolumeAbovePeers: DoctorVolumeAbovePeersRule(on(.doctorVolumeAbovePeers), zScoreThreshold: volumeZ,
                                                               minimumPeers: volumePeers, minimumCount: volumeCount),
            sameDrugSeveralDoctors: SameDrugSeveralDoctorsRule(on(.sameDrugSeveralDoctors), windowDays: severalWindow,
                                                               minimumDoctors: severalMinimum),
            splitPrescription: SplitPrescriptionRule(on(.splitPrescription), windowHours: splitWindow, limitDays: splitLimit,
                                                     minimumPieces: splitPieces),
            traceabilityCodeReused: TraceabilityCodeReusedRule(on(.traceabilityCodeReused)),
            dispensingAboveReceipts: DispensingAboveReceiptsRule(on(.dispensingAboveReceipts), windowDays: receiptsWindow,
                                                                 maximumRatio: receiptsRatio, minimumDispensed: receiptsMinimum),
            settlementsJustUnderThreshold: SettlementsJustUnderThresholdRule(on(.settlementsJustUnderThreshold),
                                                                             thresholdFen: Int64(thresholdFen),
                                                                             bandPercent: bandPercent, runLength: runLength),
            overridesAbovePeers: OverridesAbovePeersRule(on(.overridesAbovePeers), windowDays: overridesWindow,
                                                         zScoreThreshold: overridesZ, minimumPeers: overridesPeers,
                                                         minimumPrescriptions: overridesMinimum,
                                                         minimumFindingSeverity: overridesSeverity))
    }

    /// The name of the document shipped in the MedLoopDomain resources.
    public static let shippedFileName = "fraud-rules.json"

    /// Reads and validates the document shipped with MedLoop.
    ///
    /// - Throws: `ShippedDataError.unreadable` naming the file and every bad key by its path.
    public static func loadShipped() throws(ShippedDataError) -> FraudRuleSet {
        let text = try ShippedData.text(of: shippedFileName)
        return try parse(Data(text.utf8), file: shippedFileName)
    }

    /// Reads and validates a rules document given as JSON; `file` names it in the error.
    ///
    /// - Throws: `ShippedDataError.unreadable` naming `file` and every bad key by its path.
    public static func parse(_ data: Data, file: String) throws(ShippedDataError) -> FraudRuleSet {
        do {
            return try FraudRuleSet(document: try DocumentValue.json(data))
        } catch {
            let report = if case .invalid(let issues) = error {
                issues.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
            } else { "\(error)" }
            throw .unreadable(file: file, reason: report)
        }
    }

    /// The shipped rules. The document is part of the program: failing to read it is a packaging
    /// mistake that the app's start-up (`loadShipped`) reports before anything uses this.
    public static let shipped: FraudRuleSet = {
        do {
            return try loadShipped()
        } catch {
            fatalError("The shipped fraud rules do not load: \(error)")
        }
    }()
}

/// What every rule's section says besides its thresholds.
public struct RuleSwitch: Sendable, Equatable {
    public var enabled: Bool
    public var severity: AlertSeverity

    public init(enabled: Bool, severity: AlertSeverity) {
        self.enabled = enabled
        self.severity = severity
    }
}

/// One rule's section while the document is read.
private struct RuleSection {
    static let common = ["enabled", "severity"]
    let path: String
    let map: [String: DocumentValue]
    let `switch`: RuleSwitch?

    init(name: FraudRuleName, value: DocumentValue?, reader: inout DocumentReader) {
        path = name.rawValue
        map = reader.map(value, at: path)
        let enabled: Bool? = map["enabled"].map { reader.flag($0, at: "\(name.rawValue).enabled") }
            ?? { reader.fail("\(name.rawValue).enabled", "required", "This key is required."); return nil }()
        let severity: AlertSeverity? = map["severity"].map { reader.enumeration($0, at: "\(name.rawValue).severity") }
            ?? { reader.fail("\(name.rawValue).severity", "required", "This key is required."); return nil }()
        if let enabled, let severity { self.switch = RuleSwitch(enabled: enabled, severity: severity) } else { self.switch = nil }
    }

    /// A whole number in `range`; a negative one is reported as `negative`.
    func whole(_ key: String, in range: ClosedRange<Int64>, reader: inout DocumentReader) -> Int? {
        let full = "\(path).\(key)"
        switch map[key] {
        case .integer(let number) where range.contains(number): return Int(number)
        case .integer(let number) where number < 0: reader.fail(full, "negative", "A threshold is not negative.")
        case .integer: reader.fail(full, "range", "Expected a whole number from \(range.lowerBound) to \(range.upperBound).")
        case nil: reader.fail(full, "required", "This key is required.")
        case .some: reader.fail(full, "type", "Expected a whole number.")
        }
        return nil
    }

    /// A positive number, whole or not; a negative one is reported as `negative`.
    func number(_ key: String, reader: inout DocumentReader) -> Double? {
        let full = "\(path).\(key)"
        let value: Double
        switch map[key] {
        case .integer(let number): value = Double(number)
        case .number(let number): value = number
        case nil: reader.fail(full, "required", "This key is required."); return nil
        case .some: reader.fail(full, "type", "Expected a number."); return nil
        }
        if value < 0 {
            reader.fail(full, "negative", "A threshold is not negative.")
            return nil
        }
        guard value.isFinite, value > 0, value <= 1_000 else {
            reader.fail(full, "range", "Expected a number above 0 and at most 1000.")
            return nil
        }
        return value
    }
}
