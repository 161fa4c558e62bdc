import Foundation

/// One medicine a patient takes or took: from which prescription, and for which days.
public struct MedicationEntry: Sendable, Hashable, Codable {
    public let prescriptionId: UUID
    public let doctorAccountId: UUID
    public let drugId: UUID
    public let genericNameZh: String
    public let genericNameEn: String
    public let dose: Double
    public let doseUnit: DoseUnit
    public let timesPerDay: Int
    /// The first day of the supply (the day it was dispensed, or approved if not yet dispensed).
    public let startsOn: CalendarDate
    /// The last day the supply covers.
    public let endsOn: CalendarDate
    public let isActive: Bool
    /// Whether a refill can be asked for: a chronic medication (its prescription follows up a
    /// chronic condition) that is active or ended within the last 30 days.
    public let isRefillable: Bool
}

/// The patient's medication record, computed from their effective prescriptions.
public enum MedicationRecord {
    /// How long after its supply ends a medication can still be refilled.
    public static let refillWindowDays = 30

    /// The entries of `prescriptions` (each with the day its supply started), most recent first.
    /// A supply of `days` days starting on day S covers S to S + days − 1.
    public static func entries(_ prescriptions: [(prescription: Prescription, startsOn: CalendarDate)],
                               today: CalendarDate, isChronic: (ICD10Code) -> Bool) -> [MedicationEntry] {
        var entries: [MedicationEntry] = []
        for (prescription, start) in prescriptions {
            for item in prescription.items {
                let end = start.adding(days: item.days - 1)
                let active = covers(startsOn: start, days: item.days, today: today)
                entries.append(MedicationEntry(
                    prescriptionId: prescription.id, doctorAccountId: prescription.doctorAccountId, drugId: item.drug.id,
                    genericNameZh: item.drug.genericNameZh, genericNameEn: item.drug.genericNameEn, dose: item.dose,
                    doseUnit: item.doseUnit, timesPerDay: item.timesPerDay, startsOn: start, endsOn: end, isActive: active,
                    isRefillable: isChronic(prescription.diagnosis) && today <= end.adding(days: refillWindowDays)))
            }
        }
        return entries.sorted { ($0.startsOn, $0.prescriptionId) > ($1.startsOn, $1.prescriptionId) }
    }

    /// Whether a supply of `days` days starting on `start` covers `today`: S to S + days − 1.
    public static func covers(startsOn start: CalendarDate, days: Int, today: CalendarDate) -> Bool {
        start <= today && today <= start.adding(days: days - 1)
    }

    /// The first day of an effective prescription's supply: the day it was dispensed, or the day
    /// it was approved until then (the day it was written, if no approval time is on record).
    public static func supplyStart(dispensedAt: Date?, reviewedAt: Date?, createdAt: Date) -> CalendarDate {
        .shanghai(dispensedAt ?? reviewedAt ?? createdAt)
    }

    /// One item of an effective prescription, as far as the clinical checks need it: the drug and
    /// the days its supply covers.
    public struct Supply: Sendable, Hashable {
        public var prescriptionId: UUID
        /// The item's place in its prescription, from 0.
        public var position: Int
        public var drugId: UUID
        public var startsOn: CalendarDate
        public var days: Int

        public init(prescriptionId: UUID, position: Int, drugId: UUID, startsOn: CalendarDate, days: Int) {
            self.prescriptionId = prescriptionId
            self.position = position
            self.drugId = drugId
            self.startsOn = startsOn
            self.days = days
        }
    }

    /// The drugs the patient takes `today`: those of the supplies that cover it, in the record's
    /// order (the entries `entries(_:today:isChronic:)` marks active, without building them).
    public static func activeDrugs(_ supplies: [Supply], today: CalendarDate) -> [UUID] {
        supplies.filter { covers(startsOn: $0.startsOn, days: $0.days, today: today) }
            .sorted { ($0.startsOn, $0.prescriptionId, $1.position) > ($1.startsOn, $1.prescriptionId, $0.position) }
            .map(\.drugId)
    }
}

extension CalendarDate {
    /// The date `days` days later (earlier when negative), on the proleptic Gregorian calendar.
    public func adding(days: Int) -> CalendarDate {
        CalendarDate(dayNumber: dayNumber + days)
    }

    /// Days since 1970-01-01 (negative before), by the civil-from-days arithmetic of the
    /// proleptic Gregorian calendar (400-year eras of 146,097 days).
    var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    init(dayNumber: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        // Every day number names a real date: the arithmetic above cannot produce another.
        self = CalendarDate(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)!
    }
}
