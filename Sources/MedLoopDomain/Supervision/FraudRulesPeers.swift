import Foundation

/// Rule 3: a doctor's consultations or prescriptions on one day far above the other doctors of
/// the same department, by the robust z-score (`RobustZScore`) — an account shared or a mill.
public struct DoctorVolumeAbovePeersRule: Sendable, Equatable {
    public var enabled: Bool
    public var severity: AlertSeverity
    public var zScoreThreshold: Double
    /// Fewer peers than this say nothing about what is usual: the rule stays silent.
    public var minimumPeers: Int
    /// A day's count below this is never unusual, however quiet the peers.
    public var minimumCount: Int

    public init(_ switch: RuleSwitch, zScoreThreshold: Double, minimumPeers: Int, minimumCount: Int) {
        enabled = `switch`.enabled
        severity = `switch`.severity
        self.zScoreThreshold = zScoreThreshold
        self.minimumPeers = minimumPeers
        self.minimumCount = minimumCount
    }

    /// Whether a doctor's own count of the day may raise an alert at all, so that the peers'
    /// counts are worth gathering: below `minimumCount` (or switched off) `evaluate` is silent
    /// whatever the peers did.
    public func mayFlag(count: Int) -> Bool {
        enabled && count >= minimumCount
    }

    /// An alert when the doctor's count lies more than `zScoreThreshold` above the other doctors'
    /// of the department that day.
    public func evaluate(_ volume: DailyVolume, region: RegionCode, at now: Date) -> AlertDraft? {
        guard let count = volume.counts[volume.doctorId], mayFlag(count: count) else { return nil }
        let peers = volume.counts.compactMap { $0.key == volume.doctorId ? nil : Double($0.value) }
            + repeatElement(0, count: volume.quietPeers)
        guard peers.count >= minimumPeers else { return nil }
        let score = RobustZScore.score(of: Double(count), among: peers)
        guard score > zScoreThreshold else { return nil }
        return AlertDraft(
            rule: FraudRuleName.doctorVolumeAbovePeers.rawValue, severity: severity,
            entities: [AlertEntity(type: "doctor", id: volume.doctorId)],
            evidence: ["measure": volume.measure.rawValue, "day": volume.day, "department": volume.department,
                       "count": String(count), "peers": String(peers.count),
                       "peerMedian": Evidence.decimal(RobustZScore.median(peers)),
                       "peerMedianAbsoluteDeviation": Evidence.decimal(RobustZScore.medianAbsoluteDeviation(peers)),
                       "zScore": Evidence.decimal(score), "zScoreThreshold": Evidence.decimal(zScoreThreshold)],
            caseKey: "\(FraudRuleName.doctorVolumeAbovePeers.rawValue):\(volume.doctorId.text):\(volume.measure.rawValue):\(volume.day)",
            region: region, occurredAt: now)
    }
}

/// Rule 9: a doctor signing over serious clinical findings far more often than the other doctors
/// of the department, by the robust z-score of the share of prescriptions overridden.
public struct OverridesAbovePeersRule: Sendable, Equatable {
    public var enabled: Bool
    public var severity: AlertSeverity
    public var windowDays: Int
    public var zScoreThreshold: Double
    public var minimumPeers: Int
    /// A doctor (or a peer) with fewer prescriptions in the window has no meaningful rate.
    public var minimumPrescriptions: Int
    /// Overrides of findings below this severity do not count.
    public var minimumFindingSeverity: FindingSeverity

    public init(_ switch: RuleSwitch, windowDays: Int, zScoreThreshold: Double, minimumPeers: Int, minimumPrescriptions: Int,
                minimumFindingSeverity: FindingSeverity) {
        enabled = `switch`.enabled
        severity = `switch`.severity
        self.windowDays = windowDays
        self.zScoreThreshold = zScoreThreshold
        self.minimumPeers = minimumPeers
        self.minimumPrescriptions = minimumPrescriptions
        self.minimumFindingSeverity = minimumFindingSeverity
    }

    /// Whether a prescription with these findings and overrides counts as overridden: an override
    /// names a finding of `minimumFindingSeverity` or worse.
    public func isOverridden(findings: [Finding], overrides: [FindingOverride]) -> Bool {
        let serious = Set(findings.filter { $0.severity >= minimumFindingSeverity }.map(\.key))
        return overrides.contains { serious.contains($0.key) }
    }

    /// An alert when the doctor's share of overridden prescriptions lies more than
    /// `zScoreThreshold` above that of the department's other doctors with enough prescriptions.
    public func evaluate(_ rates: OverrideRates, region: RegionCode, at now: Date) -> AlertDraft? {
        guard enabled, let own = rates.counts[rates.doctorId], own.prescriptions >= minimumPrescriptions, own.overridden > 0 else {
            return nil
        }
        let peers = rates.counts.filter { $0.key != rates.doctorId && $0.value.prescriptions >= minimumPrescriptions }.map(\.value.rate)
        guard peers.count >= minimumPeers else { return nil }
        let score = RobustZScore.score(of: own.rate, among: peers)
        guard score > zScoreThreshold else { return nil }
        return AlertDraft(
            rule: FraudRuleName.overridesAbovePeers.rawValue, severity: severity,
            entities: [AlertEntity(type: "doctor", id: rates.doctorId)],
            evidence: ["department": rates.department, "prescriptions": String(own.prescriptions),
                       "overridden": String(own.overridden), "overriddenPercent": Evidence.decimal(own.rate * 100),
                       "peers": String(peers.count), "peerMedianPercent": Evidence.decimal(RobustZScore.median(peers) * 100),
                       "zScore": Evidence.decimal(score), "zScoreThreshold": Evidence.decimal(zScoreThreshold),
                       "windowDays": String(windowDays), "minimumFindingSeverity": minimumFindingSeverity.rawValue],
            caseKey: "\(FraudRuleName.overridesAbovePeers.rawValue):\(rates.doctorId.text)",
            region: region, occurredAt: now)
    }
}
