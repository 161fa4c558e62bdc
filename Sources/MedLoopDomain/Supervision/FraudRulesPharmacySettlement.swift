import Foundation

/// Rule 6: a traceability code dispensed a second time — a fake or resold package (DOMAIN.md).
/// The dispense itself is refused; the alert tells the regulator it was tried.
public struct TraceabilityCodeReusedRule: Sendable, Equatable {
    public var enabled: Bool
    public var severity: AlertSeverity

    public init(_ switch: RuleSwitch) {
        enabled = `switch`.enabled
        severity = `switch`.severity
    }

    /// An alert for each code scanned again; one case per code.
    public func evaluate(_ codes: [ReusedCode], region: RegionCode, at now: Date) -> [AlertDraft] {
        guard enabled else { return [] }
        return codes.map { code in
            var entities = [AlertEntity(type: "pharmacy", id: code.pharmacyId), AlertEntity(type: "medicine_order", id: code.orderId)]
            var evidence = ["code": code.code]
            if let first = code.firstOrderId {
                entities.append(AlertEntity(type: "medicine_order", id: first))
                evidence["firstOrder"] = first.text
            }
            if let pharmacy = code.firstPharmacyId, pharmacy != code.pharmacyId {
                entities.append(AlertEntity(type: "pharmacy", id: pharmacy))
            }
            if let pharmacy = code.firstPharmacyId {
                evidence["samePharmacy"] = pharmacy == code.pharmacyId ? "yes" : "no"
            }
            return AlertDraft(rule: FraudRuleName.traceabilityCodeReused.rawValue, severity: severity, entities: entities,
                              evidence: evidence, caseKey: "\(FraudRuleName.traceabilityCodeReused.rawValue):\(code.code)",
                              region: region, occurredAt: now)
        }
    }
}

/// Rule 7: a pharmacy dispensing far more of a drug than it recorded receiving over the window —
/// dispenses on paper for medicine that never came in.
public struct DispensingAboveReceiptsRule: Sendable, Equatable {
    public var enabled: Bool
    public var severity: AlertSeverity
    public var windowDays: Int
    /// Dispensed packages may reach this multiple of those received before the rule fires.
    public var maximumRatio: Double
    /// Below this many packages dispensed in the window the rule stays silent.
    public var minimumDispensed: Int

    public init(_ switch: RuleSwitch, windowDays: Int, maximumRatio: Double, minimumDispensed: Int) {
        enabled = `switch`.enabled
        severity = `switch`.severity
        self.windowDays = windowDays
        self.maximumRatio = maximumRatio
        self.minimumDispensed = minimumDispensed
    }

    /// An alert for each balance that dispensed at least `minimumDispensed` packages and more than
    /// `maximumRatio` times those received; one case per pharmacy and drug.
    public func evaluate(_ balances: [DispensingBalance], region: RegionCode, at now: Date) -> [AlertDraft] {
        guard enabled else { return [] }
        return balances.compactMap { balance in
            guard balance.dispensed >= minimumDispensed, Double(balance.dispensed) > maximumRatio * Double(balance.received) else {
                return nil
            }
            return AlertDraft(
                rule: FraudRuleName.dispensingAboveReceipts.rawValue, severity: severity,
                entities: [AlertEntity(type: "pharmacy", id: balance.pharmacyId), AlertEntity(type: "drug", id: balance.drugId)],
                evidence: ["dispensed": String(balance.dispensed), "received": String(balance.received),
                           "ratio": balance.received == 0 ? "no receipts" : Evidence.decimal(Double(balance.dispensed) / Double(balance.received)),
                           "maximumRatio": Evidence.decimal(maximumRatio), "windowDays": String(windowDays)],
                caseKey: "\(FraudRuleName.dispensingAboveReceipts.rawValue):\(balance.pharmacyId.text):\(balance.drugId.text)",
                region: region, occurredAt: now)
        }
    }
}

/// Rule 8: an institution's latest settlements of a day all just under the amount that sends a
/// bill to review — bills cut to slip under it.
public struct SettlementsJustUnderThresholdRule: Sendable, Equatable {
    public var enabled: Bool
    public var severity: AlertSeverity
    /// The bill total, in fen, from which a settlement is reviewed.
    public var thresholdFen: Int64
    /// "Just under": within this percentage below the threshold.
    public var bandPercent: Int
    public var runLength: Int

    public init(_ switch: RuleSwitch, thresholdFen: Int64, bandPercent: Int, runLength: Int) {
        enabled = `switch`.enabled
        severity = `switch`.severity
        self.thresholdFen = thresholdFen
        self.bandPercent = bandPercent
        self.runLength = runLength
    }

    /// The lowest total counted as just under the threshold.
    public var bandFloorFen: Int64 { thresholdFen - thresholdFen * Int64(bandPercent) / 100 }

    /// Whether `totalFen` lies in the band just under the threshold.
    public func isJustUnder(_ totalFen: Int64) -> Bool { totalFen >= bandFloorFen && totalFen < thresholdFen }

    /// An alert when the newest `runLength` settlements of the run all lie just under the
    /// threshold; one case per institution and day.
    public func evaluate(_ run: SettlementRun, region: RegionCode, at now: Date) -> AlertDraft? {
        guard enabled, run.newestFirst.count >= runLength else { return nil }
        let latest = Array(run.newestFirst.prefix(runLength))
        guard latest.allSatisfy({ isJustUnder($0.totalFen) }) else { return nil }
        return AlertDraft(
            rule: FraudRuleName.settlementsJustUnderThreshold.rawValue, severity: severity,
            entities: [AlertEntity(type: "institution", id: run.institutionId)]
                + latest.map { AlertEntity(type: "settlement", id: $0.settlementId) },
            evidence: ["day": run.day, "runLength": String(runLength), "thresholdFen": String(thresholdFen),
                       "bandFloorFen": String(bandFloorFen),
                       "totalsFen": latest.map { String($0.totalFen) }.joined(separator: ", ")],
            caseKey: "\(FraudRuleName.settlementsJustUnderThreshold.rawValue):\(run.institutionId.text):\(run.day)",
            region: region, occurredAt: now)
    }
}
