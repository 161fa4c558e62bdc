import Foundation

/// Rule 1: one insured person settling in two cities within a short window — a card lent out or
/// copied, since one person cannot be served in two places hours apart.
public struct SettlementInTwoCitiesRule: Sendable, Equatable {
    public var enabled: Bool
    public var severity: AlertSeverity
    public var windowHours: Int

    public init(_ switch: RuleSwitch, windowHours: Int) {
        enabled = `switch`.enabled
        severity = `switch`.severity
        self.windowHours = windowHours
    }

    /// An alert when `earlier` holds a settlement of the same insured person in another city within
    /// the window before `settlement` (the nearest such one is named).
    public func evaluate(_ settlement: SettlementVisit, earlier: [SettlementVisit]) -> AlertDraft? {
        guard enabled else { return nil }
        let window = TimeInterval(windowHours) * 3600
        let other = earlier
            .filter { $0.settlementId != settlement.settlementId && $0.insuredPersonId == settlement.insuredPersonId }
            .filter { $0.institutionRegion.city != settlement.institutionRegion.city }
            .filter { abs(settlement.at.timeIntervalSince($0.at)) <= window }
            .min { abs(settlement.at.timeIntervalSince($0.at)) < abs(settlement.at.timeIntervalSince($1.at)) }
        guard let other else { return nil }
        let pair = [other.settlementId.text, settlement.settlementId.text].sorted()
        return AlertDraft(
            rule: FraudRuleName.settlementInTwoCities.rawValue, severity: severity,
            entities: [AlertEntity(type: "insured_person", id: settlement.insuredPersonId),
                       AlertEntity(type: "patient", id: settlement.patientId),
                       AlertEntity(type: "settlement", id: other.settlementId),
                       AlertEntity(type: "settlement", id: settlement.settlementId)],
            evidence: ["firstCity": other.institutionRegion.city, "secondCity": settlement.institutionRegion.city,
                       "hoursApart": Evidence.decimal(abs(settlement.at.timeIntervalSince(other.at)) / 3600),
                       "windowHours": String(windowHours)],
            caseKey: "\(FraudRuleName.settlementInTwoCities.rawValue):\(settlement.insuredPersonId.text):\(pair[0]):\(pair[1])",
            region: settlement.institutionRegion, occurredAt: settlement.at)
    }
}

/// Rule 2: a refill before most of the previous supply can have been used — stockpiling or resale.
public struct EarlyRefillRule: Sendable, Equatable {
    public var enabled: Bool
    public var severity: AlertSeverity
    /// The share of the previous supply, in percent, that must have been used before a refill.
    public var minimumUsedPercent: Int

    public init(_ switch: RuleSwitch, minimumUsedPercent: Int) {
        enabled = `switch`.enabled
        severity = `switch`.severity
        self.minimumUsedPercent = minimumUsedPercent
    }

    /// An alert for each drug of `current` whose latest earlier fill for the same patient in
    /// `earlier` had less than `minimumUsedPercent` of its days elapsed when `current` was signed.
    public func evaluate(_ current: [SupplyFill], earlier: [SupplyFill], region: RegionCode) -> [AlertDraft] {
        guard enabled else { return [] }
        var drafts: [AlertDraft] = []
        for fill in current {
            let previous = earlier
                .filter { $0.prescriptionId != fill.prescriptionId && $0.patientId == fill.patientId && $0.drugId == fill.drugId }
                .filter { $0.signedAt <= fill.signedAt && $0.days > 0 }
                .max { $0.signedAt < $1.signedAt }
            guard let previous else { continue }
            let elapsedDays = fill.signedAt.timeIntervalSince(previous.signedAt) / 86_400
            let usedPercent = elapsedDays / Double(previous.days) * 100
            guard usedPercent < Double(minimumUsedPercent) else { continue }
            drafts.append(AlertDraft(
                rule: FraudRuleName.earlyRefill.rawValue, severity: severity,
                entities: [AlertEntity(type: "patient", id: fill.patientId), AlertEntity(type: "drug", id: fill.drugId),
                           AlertEntity(type: "prescription", id: previous.prescriptionId),
                           AlertEntity(type: "prescription", id: fill.prescriptionId),
                           AlertEntity(type: "doctor", id: fill.doctorId)],
                evidence: ["previousSupplyDays": String(previous.days), "daysElapsed": Evidence.decimal(elapsedDays),
                           "usedPercent": Evidence.decimal(usedPercent), "minimumUsedPercent": String(minimumUsedPercent)],
                caseKey: "\(FraudRuleName.earlyRefill.rawValue):\(fill.prescriptionId.text):\(fill.drugId.text)",
                region: region, occurredAt: fill.signedAt))
        }
        return drafts
    }
}

/// Rule 4: the same patient getting the same drug from several doctors in a period — doctor
/// shopping for a drug one doctor would not give in that amount.
public struct SameDrugSeveralDoctorsRule: Sendable, Equatable {
    public var enabled: Bool
    public var severity: AlertSeverity
    public var windowDays: Int
    public var minimumDoctors: Int

    public init(_ switch: RuleSwitch, windowDays: Int, minimumDoctors: Int) {
        enabled = `switch`.enabled
        severity = `switch`.severity
        self.windowDays = windowDays
        self.minimumDoctors = minimumDoctors
    }

    /// An alert for each drug of `current` that, with the fills of `earlier` for the same patient
    /// within the window before it, came from at least `minimumDoctors` different doctors.
    public func evaluate(_ current: [SupplyFill], earlier: [SupplyFill], region: RegionCode) -> [AlertDraft] {
        guard enabled else { return [] }
        let window = TimeInterval(windowDays) * 86_400
        var drafts: [AlertDraft] = []
        for fill in current {
            let within = earlier.filter {
                $0.prescriptionId != fill.prescriptionId && $0.patientId == fill.patientId && $0.drugId == fill.drugId
                    && $0.signedAt <= fill.signedAt && fill.signedAt.timeIntervalSince($0.signedAt) <= window
            } + [fill]
            let doctors = Set(within.map(\.doctorId))
            guard doctors.count >= minimumDoctors else { continue }
            let prescriptions = Array(Set(within.map(\.prescriptionId))).sorted { $0.text < $1.text }
            drafts.append(AlertDraft(
                rule: FraudRuleName.sameDrugSeveralDoctors.rawValue, severity: severity,
                entities: [AlertEntity(type: "patient", id: fill.patientId), AlertEntity(type: "drug", id: fill.drugId)]
                    + doctors.sorted { $0.text < $1.text }.map { AlertEntity(type: "doctor", id: $0) }
                    + prescriptions.map { AlertEntity(type: "prescription", id: $0) },
                evidence: ["doctors": String(doctors.count), "prescriptions": String(prescriptions.count),
                           "windowDays": String(windowDays), "minimumDoctors": String(minimumDoctors)],
                caseKey: "\(FraudRuleName.sameDrugSeveralDoctors.rawValue):\(fill.patientId.text):\(fill.drugId.text)",
                region: region, occurredAt: fill.signedAt))
        }
        return drafts
    }
}

/// Rule 5: one doctor writing the same drug for the same patient on several prescriptions close
/// together, each within the supply limit and together over it — a long supply split to avoid
/// the long-prescription reason (DOMAIN.md, "Prescription rules": 7 days, longer needs a reason).
public struct SplitPrescriptionRule: Sendable, Equatable {
    public var enabled: Bool
    public var severity: AlertSeverity
    public var windowHours: Int
    /// The supply one prescription may give without a further reason, in days.
    public var limitDays: Int
    public var minimumPieces: Int

    public init(_ switch: RuleSwitch, windowHours: Int, limitDays: Int, minimumPieces: Int) {
        enabled = `switch`.enabled
        severity = `switch`.severity
        self.windowHours = windowHours
        self.limitDays = limitDays
        self.minimumPieces = minimumPieces
    }

    /// An alert for each drug of `current` that, with the same doctor's fills of `earlier` for the
    /// same patient within the window, makes at least `minimumPieces` prescriptions each within
    /// `limitDays` whose days add up to more than `limitDays`.
    public func evaluate(_ current: [SupplyFill], earlier: [SupplyFill], region: RegionCode) -> [AlertDraft] {
        guard enabled else { return [] }
        let window = TimeInterval(windowHours) * 3600
        var drafts: [AlertDraft] = []
        for fill in current where fill.days <= limitDays {
            let pieces = earlier.filter {
                $0.prescriptionId != fill.prescriptionId && $0.patientId == fill.patientId && $0.drugId == fill.drugId
                    && $0.doctorId == fill.doctorId && $0.days <= limitDays
                    && $0.signedAt <= fill.signedAt && fill.signedAt.timeIntervalSince($0.signedAt) <= window
            }.sorted { $0.signedAt < $1.signedAt } + [fill]
            let prescriptions = Set(pieces.map(\.prescriptionId))
            let totalDays = pieces.map(\.days).reduce(0, +)
            guard prescriptions.count >= minimumPieces, totalDays > limitDays, let first = pieces.first else { continue }
            drafts.append(AlertDraft(
                rule: FraudRuleName.splitPrescription.rawValue, severity: severity,
                entities: [AlertEntity(type: "doctor", id: fill.doctorId), AlertEntity(type: "patient", id: fill.patientId),
                           AlertEntity(type: "drug", id: fill.drugId)]
                    + pieces.map { AlertEntity(type: "prescription", id: $0.prescriptionId) },
                evidence: ["prescriptions": String(prescriptions.count), "totalDays": String(totalDays),
                           "limitDays": String(limitDays), "windowHours": String(windowHours)],
                caseKey: "\(FraudRuleName.splitPrescription.rawValue):\(fill.doctorId.text):\(fill.patientId.text):\(fill.drugId.text):\(first.prescriptionId.text)",
                region: region, occurredAt: fill.signedAt))
        }
        return drafts
    }
}

/// How evidence writes its figures: plain text, a dot and at most two decimals.
enum Evidence {
    static func decimal(_ value: Double) -> String {
        guard value.isFinite else { return value > 0 ? "infinite" : "-infinite" }
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int64(rounded)) : String(format: "%.2f", rounded)
    }
}
