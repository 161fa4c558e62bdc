import Foundation

/// A settlement as the cross-city rule sees it: who was settled, where, and when.
public struct SettlementVisit: Sendable, Equatable {
    public var settlementId: UUID
    public var insuredPersonId: UUID
    public var patientId: UUID
    /// The region of the institution that served the bill: its city is where the person was.
    public var institutionRegion: RegionCode
    public var at: Date

    public init(settlementId: UUID, insuredPersonId: UUID, patientId: UUID, institutionRegion: RegionCode, at: Date) {
        self.settlementId = settlementId
        self.insuredPersonId = insuredPersonId
        self.patientId = patientId
        self.institutionRegion = institutionRegion
        self.at = at
    }
}

/// One drug on one prescription as the supply rules see it: who wrote it for whom, when, and for
/// how many days.
public struct SupplyFill: Sendable, Equatable {
    public var prescriptionId: UUID
    public var patientId: UUID
    /// The prescriber's directory entry.
    public var doctorId: UUID
    public var drugId: UUID
    public var signedAt: Date
    public var days: Int
    public var quantity: Int

    public init(prescriptionId: UUID, patientId: UUID, doctorId: UUID, drugId: UUID, signedAt: Date, days: Int, quantity: Int) {
        self.prescriptionId = prescriptionId
        self.patientId = patientId
        self.doctorId = doctorId
        self.drugId = drugId
        self.signedAt = signedAt
        self.days = days
        self.quantity = quantity
    }
}

/// What the peer rules compare: consultations completed or prescriptions signed.
public enum VolumeMeasure: String, Sendable, Codable, CaseIterable {
    case consultations, prescriptions
}

/// A department's doctors and how much each did on one Asia/Shanghai day.
public struct DailyVolume: Sendable, Equatable {
    public var doctorId: UUID
    public var department: String
    /// `YYYY-MM-DD`, Asia/Shanghai.
    public var day: String
    public var measure: VolumeMeasure
    /// Doctors of the department with their counts, the one examined included; a peer with none
    /// may be listed with 0 or counted in `quietPeers` instead.
    public var counts: [UUID: Int]
    /// Peers of the department with no count that day and not listed in `counts` (a department's
    /// thousands of quiet doctors need not be read one by one).
    public var quietPeers: Int

    public init(doctorId: UUID, department: String, day: String, measure: VolumeMeasure, counts: [UUID: Int], quietPeers: Int = 0) {
        self.doctorId = doctorId
        self.department = department
        self.day = day
        self.measure = measure
        self.counts = counts
        self.quietPeers = max(0, quietPeers)
    }
}

/// A reused traceability code: the dispense that scanned it again and the one that scanned it first.
public struct ReusedCode: Sendable, Equatable {
    public var code: String
    public var orderId: UUID
    public var pharmacyId: UUID
    public var firstOrderId: UUID?
    public var firstPharmacyId: UUID?

    public init(code: String, orderId: UUID, pharmacyId: UUID, firstOrderId: UUID?, firstPharmacyId: UUID?) {
        self.code = code
        self.orderId = orderId
        self.pharmacyId = pharmacyId
        self.firstOrderId = firstOrderId
        self.firstPharmacyId = firstPharmacyId
    }
}

/// What a pharmacy dispensed of one drug over the rule's window, and the packages it recorded
/// receiving in that window.
public struct DispensingBalance: Sendable, Equatable {
    public var pharmacyId: UUID
    public var drugId: UUID
    public var dispensed: Int
    public var received: Int

    public init(pharmacyId: UUID, drugId: UUID, dispensed: Int, received: Int) {
        self.pharmacyId = pharmacyId
        self.drugId = drugId
        self.dispensed = dispensed
        self.received = received
    }
}

/// One settled bill's amount, for the run rule.
public struct SettledAmount: Sendable, Equatable {
    public var settlementId: UUID
    public var totalFen: Int64

    public init(settlementId: UUID, totalFen: Int64) {
        self.settlementId = settlementId
        self.totalFen = totalFen
    }
}

/// An institution's settlements of one clearing day, newest first.
public struct SettlementRun: Sendable, Equatable {
    public var institutionId: UUID
    public var day: String
    public var newestFirst: [SettledAmount]

    public init(institutionId: UUID, day: String, newestFirst: [SettledAmount]) {
        self.institutionId = institutionId
        self.day = day
        self.newestFirst = newestFirst
    }
}

/// How many prescriptions a doctor signed in the window and on how many of them they overrode a
/// finding of the rule's severity or worse.
public struct OverrideCount: Sendable, Equatable {
    public var prescriptions: Int
    public var overridden: Int

    public init(prescriptions: Int, overridden: Int) {
        self.prescriptions = prescriptions
        self.overridden = overridden
    }

    /// The share of prescriptions overridden, 0 for none.
    public var rate: Double { prescriptions == 0 ? 0 : Double(overridden) / Double(prescriptions) }
}

/// A department's doctors and their overrides over the rule's window.
public struct OverrideRates: Sendable, Equatable {
    public var doctorId: UUID
    public var department: String
    /// Every doctor of the department who signed in the window, the one examined included.
    public var counts: [UUID: OverrideCount]

    public init(doctorId: UUID, department: String, counts: [UUID: OverrideCount]) {
        self.doctorId = doctorId
        self.department = department
        self.counts = counts
    }
}
