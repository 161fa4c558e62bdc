import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A day looked at, and what the record must say of a 7-day supply started on 2026-03-02.
struct RecordDay: Sendable, CustomTestStringConvertible {
    var diagnosis: String
    var today: String
    var isActive: Bool
    var isRefillable: Bool

    var testDescription: String {
        "\(diagnosis) on \(today): \(isActive ? "active" : "not active"), \(isRefillable ? "refillable" : "not refillable")"
    }
}

/// An effective prescription `n` for `diagnosis`, one item per (drug, days), amlodipine-like doses.
private func aPrescriptionTaken(_ n: Int, for diagnosis: String, _ items: [(drug: Drug, days: Int)]) throws -> Prescription {
    let written = items.map { item in
        PrescriptionItem(drug: item.drug, dose: 5, doseUnit: .mg, timesPerDay: 1, route: .oral, days: item.days, quantity: 1)
    }
    return Prescription(id: aPharmacyFixtureId(n), consultationId: aPharmacyFixtureId(100 + n), patientId: aPharmacyFixtureId(200),
                        doctorAccountId: aPharmacyFixtureId(300 + n), institutionId: aPharmacyFixtureId(400),
                        diagnosis: try ICD10Code(diagnosis), state: .dispensed, items: written, longPrescription: nil,
                        validDays: 1, notes: nil, findings: [], overrides: [],
                        createdAt: Date(timeIntervalSince1970: 1_772_380_800))
}

@Suite("Medication record: what a patient takes, until when, and what can be refilled")
struct MedicationRecordTests {
    static let days: [RecordDay] = [
        RecordDay(diagnosis: "J06.9", today: "2026-03-01", isActive: false, isRefillable: false),
        RecordDay(diagnosis: "I10", today: "2026-03-02", isActive: true, isRefillable: true),
        RecordDay(diagnosis: "I10", today: "2026-03-05", isActive: true, isRefillable: true),
        RecordDay(diagnosis: "I10", today: "2026-03-08", isActive: true, isRefillable: true),
        RecordDay(diagnosis: "I10", today: "2026-03-09", isActive: false, isRefillable: true),
        // 30 days after the supply ended on 03-08.
        RecordDay(diagnosis: "I10", today: "2026-04-07", isActive: false, isRefillable: true),
        RecordDay(diagnosis: "I10", today: "2026-04-08", isActive: false, isRefillable: false),
        RecordDay(diagnosis: "E11.9", today: "2026-03-20", isActive: false, isRefillable: true),
        // An acute upper respiratory infection is not refilled, even while the supply lasts.
        RecordDay(diagnosis: "J06.9", today: "2026-03-02", isActive: true, isRefillable: false),
        RecordDay(diagnosis: "J06.9", today: "2026-03-08", isActive: true, isRefillable: false),
        RecordDay(diagnosis: "J06.9", today: "2026-03-09", isActive: false, isRefillable: false),
    ]

    @Test("a 7-day supply from 2026-03-02 runs to 2026-03-08; it can be refilled for a chronic condition until 30 days after",
          arguments: Self.days)
    func oneSupply(_ example: RecordDay) throws {
        let shelf = try PharmacyShelf()
        let prescription = try aPrescriptionTaken(1, for: example.diagnosis, [(drug: shelf.amlodipine, days: 7)])
        let entries = MedicationRecord.entries([(prescription, try day("2026-03-02"))], today: try day(example.today),
                                               isChronic: ChronicConditions.isChronic)
        let entry = try #require(entries.first)
        #expect(entries.count == 1)
        #expect(entry.startsOn == (try day("2026-03-02")))
        #expect(entry.endsOn == (try day("2026-03-08")))
        #expect(entry.isActive == example.isActive)
        #expect(entry.isRefillable == example.isRefillable)
    }

    @Test("an entry names the prescription, the doctor, the drug and the regimen")
    func entryFields() throws {
        let shelf = try PharmacyShelf()
        let prescription = try aPrescriptionTaken(1, for: "I10", [(drug: shelf.metformin, days: 28)])
        let entries = MedicationRecord.entries([(prescription, try day("2026-03-02"))], today: try day("2026-03-02"),
                                               isChronic: ChronicConditions.isChronic)
        let entry = try #require(entries.first)
        #expect(entry.prescriptionId == aPharmacyFixtureId(1))
        #expect(entry.doctorAccountId == aPharmacyFixtureId(301))
        #expect(entry.drugId == shelf.metformin.id)
        #expect(entry.genericNameZh == "二甲双胍")
        #expect(entry.genericNameEn == "metformin")
        #expect(entry.dose == 5)
        #expect(entry.doseUnit == .mg)
        #expect(entry.timesPerDay == 1)
        // 28 days from 2026-03-02: 2026-03-29.
        #expect(entry.endsOn == (try day("2026-03-29")))
    }

    @Test("a 1-day supply ends the day it starts; a 12-week one from 2026-03-02 ends on 2026-05-24")
    func supplyLengths() throws {
        let shelf = try PharmacyShelf()
        let prescription = try aPrescriptionTaken(1, for: "I10", [(drug: shelf.amlodipine, days: 1), (drug: shelf.metformin, days: 84)])
        let entries = MedicationRecord.entries([(prescription, try day("2026-03-02"))], today: try day("2026-03-03"),
                                               isChronic: ChronicConditions.isChronic)
        let byDrug = Dictionary(uniqueKeysWithValues: entries.map { ($0.drugId, $0) })
        #expect(byDrug[shelf.amlodipine.id]?.endsOn == (try day("2026-03-02")))
        #expect(byDrug[shelf.amlodipine.id]?.isActive == false)
        #expect(byDrug[shelf.metformin.id]?.endsOn == (try day("2026-05-24")))
        #expect(byDrug[shelf.metformin.id]?.isActive == true)
    }

    @Test("the most recent supply comes first; on the same day, the later prescription identifier first")
    func mostRecentFirst() throws {
        let shelf = try PharmacyShelf()
        let january = try aPrescriptionTaken(1, for: "I10", [(drug: shelf.amlodipine, days: 28)])
        let march = try aPrescriptionTaken(2, for: "J06.9", [(drug: shelf.amlodipine, days: 3)])
        let february = try aPrescriptionTaken(3, for: "E11.9", [(drug: shelf.metformin, days: 28)])
        let alsoMarch = try aPrescriptionTaken(4, for: "I10", [(drug: shelf.metformin, days: 7)])
        let taken: [(prescription: Prescription, startsOn: CalendarDate)] = [
            (january, try day("2026-01-10")), (march, try day("2026-03-02")),
            (february, try day("2026-02-15")), (alsoMarch, try day("2026-03-02")),
        ]
        let entries = MedicationRecord.entries(taken, today: try day("2026-03-02"), isChronic: ChronicConditions.isChronic)
        #expect(entries.map(\.prescriptionId) == [aPharmacyFixtureId(4), aPharmacyFixtureId(2), aPharmacyFixtureId(3),
                                                 aPharmacyFixtureId(1)])
        #expect(entries.map(\.startsOn.description) == ["2026-03-02", "2026-03-02", "2026-02-15", "2026-01-10"])
        // January's 28 days ended 2026-02-06, within 30 days; February's run to 2026-03-14.
        #expect(entries.map(\.isActive) == [true, true, true, false])
        #expect(entries.map(\.isRefillable) == [true, false, true, true])
    }

    @Test("no prescriptions, an empty record")
    func empty() throws {
        #expect(MedicationRecord.entries([], today: try day("2026-03-02"), isChronic: ChronicConditions.isChronic).isEmpty)
    }

    @Test("for any start and any supply of 1 to 84 days, the entry covers exactly those days")
    func supplyCoversItsDays() async throws {
        let shelf = try PharmacyShelf()
        let prescription = try aPrescriptionTaken(1, for: "I10", [(drug: shelf.amlodipine, days: 7)])
        let start = try day("2025-01-01")
        await propertyCheck(input: Gen.int(in: 0...1_000), Gen.int(in: 1...84)) { offset, days in
            let startsOn = start.adding(days: offset)
            var taken = prescription
            taken.items = [PrescriptionItem(drug: shelf.amlodipine, dose: 5, doseUnit: .mg, timesPerDay: 1, route: .oral,
                                            days: days, quantity: 1)]
            func entry(on today: CalendarDate) -> MedicationEntry? {
                MedicationRecord.entries([(taken, startsOn)], today: today, isChronic: ChronicConditions.isChronic).first
            }
            let endsOn = startsOn.adding(days: days - 1)
            #expect(entry(on: startsOn)?.endsOn == endsOn)
            #expect(entry(on: startsOn)?.isActive == true)
            #expect(entry(on: endsOn)?.isActive == true)
            #expect(entry(on: startsOn.adding(days: -1))?.isActive == false)
            #expect(entry(on: endsOn.adding(days: 1))?.isActive == false)
            #expect(entry(on: endsOn.adding(days: 30))?.isRefillable == true)
            #expect(entry(on: endsOn.adding(days: 31))?.isRefillable == false)
        }
    }
}

@Suite("Active supplies: the drugs the clinical checks count as taken now")
struct ActiveSupplyTests {
    static func supply(_ n: Int, position: Int = 0, _ drug: Drug, from start: String, days: Int) throws -> MedicationRecord.Supply {
        MedicationRecord.Supply(prescriptionId: aPharmacyFixtureId(n), position: position, drugId: drug.id,
                                startsOn: try day(start), days: days)
    }

    @Test("a 7-day supply from 2026-03-02 is taken on 03-02 and 03-08, not on 03-01 or 03-09; a 1-day supply only on its day")
    func covers() throws {
        let start = try day("2026-03-02")
        #expect(!MedicationRecord.covers(startsOn: start, days: 7, today: try day("2026-03-01")))
        #expect(MedicationRecord.covers(startsOn: start, days: 7, today: try day("2026-03-02")))
        #expect(MedicationRecord.covers(startsOn: start, days: 7, today: try day("2026-03-08")))
        #expect(!MedicationRecord.covers(startsOn: start, days: 7, today: try day("2026-03-09")))
        #expect(MedicationRecord.covers(startsOn: start, days: 1, today: start))
        #expect(!MedicationRecord.covers(startsOn: start, days: 1, today: try day("2026-03-03")))
    }

    @Test("a supply starts the day it was dispensed, else the day it was approved, else the day it was written, in Shanghai")
    func supplyStart() throws {
        // 2026-03-01 16:30 UTC is 2026-03-02 00:30 in Shanghai.
        let written = Date(timeIntervalSince1970: 1_772_380_800)
        let approved = Date(timeIntervalSince1970: 1_772_382_600)
        let dispensed = Date(timeIntervalSince1970: 1_772_553_600)
        #expect(MedicationRecord.supplyStart(dispensedAt: dispensed, reviewedAt: approved, createdAt: written).description
                == "2026-03-04")
        #expect(MedicationRecord.supplyStart(dispensedAt: nil, reviewedAt: approved, createdAt: written).description == "2026-03-02")
        #expect(MedicationRecord.supplyStart(dispensedAt: nil, reviewedAt: nil, createdAt: written).description == "2026-03-02")
    }

    @Test("on 2026-03-10 the drugs taken are those whose supply covers the day, the latest start first, a prescription's items in order")
    func activeDrugs() throws {
        let shelf = try PharmacyShelf()
        let supplies = [
            // 2026-01-10 + 28 days ends 02-06: no longer taken.
            try Self.supply(1, shelf.amlodipine, from: "2026-01-10", days: 28),
            // 2026-02-15 + 28 days ends 03-14.
            try Self.supply(3, shelf.metformin, from: "2026-02-15", days: 28),
            try Self.supply(4, position: 1, shelf.metformin, from: "2026-03-08", days: 7),
            try Self.supply(4, position: 0, shelf.amlodipine, from: "2026-03-08", days: 3),
            // Starts tomorrow: not taken yet.
            try Self.supply(5, shelf.amlodipine, from: "2026-03-11", days: 7),
        ]
        #expect(MedicationRecord.activeDrugs(supplies, today: try day("2026-03-10"))
                == [shelf.amlodipine.id, shelf.metformin.id, shelf.metformin.id])
        #expect(MedicationRecord.activeDrugs(supplies, today: try day("2026-03-11")) == [shelf.amlodipine.id, shelf.metformin.id,
                                                                                         shelf.metformin.id])
        #expect(MedicationRecord.activeDrugs(supplies, today: try day("2026-03-15")) == [shelf.amlodipine.id])
        #expect(MedicationRecord.activeDrugs([], today: try day("2026-03-10")).isEmpty)
    }

    @Test("for any prescriptions, their supplies' drugs taken today are the drugs of the record's active entries, in its order")
    func agreesWithTheRecord() async throws {
        let shelf = try PharmacyShelf()
        let drugs = [shelf.amlodipine, shelf.metformin]
        let origin = try day("2026-01-01")
        let item = zip(Gen.int(in: 0...1), Gen.int(in: 1...84))
        let written = zip(Gen.int(in: 0...90), item.array(of: 1...3)).array(of: 0...5)
        await propertyCheck(input: written, Gen.int(in: 0...120)) { written, todayOffset in
            var taken: [(prescription: Prescription, startsOn: CalendarDate)] = []
            var supplies: [MedicationRecord.Supply] = []
            for (n, (startOffset, items)) in written.enumerated() {
                guard let prescription = try? aPrescriptionTaken(n + 1, for: "I10", items.map { (drug: drugs[$0.0], days: $0.1) })
                else { Issue.record("no prescription"); return }
                let start = origin.adding(days: startOffset)
                taken.append((prescription, start))
                for (position, written) in prescription.items.enumerated() {
                    supplies.append(MedicationRecord.Supply(prescriptionId: prescription.id, position: position,
                                                            drugId: written.drug.id, startsOn: start, days: written.days))
                }
            }
            let today = origin.adding(days: todayOffset)
            let record = MedicationRecord.entries(taken, today: today, isChronic: ChronicConditions.isChronic)
            #expect(MedicationRecord.activeDrugs(supplies.reversed(), today: today) == record.filter(\.isActive).map(\.drugId))
        }
    }
}

@Suite("Chronic conditions: what long prescriptions and refills are for")
struct ChronicConditionsTests {
    static let conditions: [(String, Bool)] = [
        ("I10", true), ("E11.9", true), ("J45.9", true), ("i10", true), ("I11.9", true), ("E78.5", true),
        ("J44.1", true), ("G20", true), ("N18.3", true), ("F32.9", true), ("A15.0", true),
        ("J06.9", false), ("K35", false), ("K35.8", false), ("J18.9", false), ("S52.5", false), ("I21.9", false),
    ]

    @Test("hypertension, diabetes, asthma and the other listed categories are chronic; an acute infection or appendicitis is not",
          arguments: Self.conditions)
    func isChronic(code: String, chronic: Bool) throws {
        #expect(ChronicConditions.isChronic(try ICD10Code(code)) == chronic)
    }

    @Test("every listed category is a well-formed ICD-10 category and is chronic by itself")
    func categoriesWellFormed() throws {
        for category in ChronicConditions.categories {
            let code = try ICD10Code(category)
            #expect(code.category == category)
            #expect(ChronicConditions.isChronic(code))
        }
    }

    @Test("a long prescription for an acute upper respiratory infection is refused with 422 long_prescription_not_chronic")
    func longForAcute() throws {
        let long = LongPrescription(reason: "患者出差")
        let diagnosis = try ICD10Code("J06.9")
        do {
            try PrescriptionRules.checkLongPrescription(long, diagnosis: diagnosis)
            Issue.record("a long prescription for J06.9 was allowed")
        } catch {
            guard case .refused(let code, _) = error else { Issue.record("not a 422 refusal: \(error)"); return }
            #expect(code == "long_prescription_not_chronic")
        }
    }

    @Test("a long prescription for hypertension is allowed, and a usual one for anything",
          arguments: [("I10", true), ("E11.9", true), ("I10", false), ("J06.9", false), ("K35", false)])
    func allowed(code: String, long: Bool) throws {
        let diagnosis = try ICD10Code(code)
        let written = long ? LongPrescription(reason: "病情稳定，需长期服药") : nil
        #expect(issueCode { () throws(DomainError) in try PrescriptionRules.checkLongPrescription(written, diagnosis: diagnosis) } == nil)
    }
}

/// A date, a number of days, and the date that many days later worked out by hand.
struct DateStep: Sendable, CustomTestStringConvertible {
    var from: String
    var days: Int
    var to: String

    var testDescription: String { "\(from) \(days >= 0 ? "+" : "−") \(abs(days)) = \(to)" }
}

@Suite("Adding days to a calendar date")
struct CalendarDateAddingTests {
    static let steps: [DateStep] = [
        DateStep(from: "2026-03-02", days: 0, to: "2026-03-02"),
        DateStep(from: "2026-03-02", days: 6, to: "2026-03-08"),
        DateStep(from: "2026-03-08", days: 30, to: "2026-04-07"),
        DateStep(from: "2026-01-31", days: 1, to: "2026-02-01"),
        DateStep(from: "2026-02-28", days: 1, to: "2026-03-01"),
        DateStep(from: "2026-04-30", days: 1, to: "2026-05-01"),
        DateStep(from: "2028-02-28", days: 1, to: "2028-02-29"),
        DateStep(from: "2028-02-29", days: 1, to: "2028-03-01"),
        DateStep(from: "2028-03-01", days: -1, to: "2028-02-29"),
        DateStep(from: "2026-03-01", days: -1, to: "2026-02-28"),
        DateStep(from: "2100-02-28", days: 1, to: "2100-03-01"),
        DateStep(from: "2000-02-28", days: 1, to: "2000-02-29"),
        DateStep(from: "2026-12-31", days: 1, to: "2027-01-01"),
        DateStep(from: "2027-01-01", days: -1, to: "2026-12-31"),
        // 2028 is a leap year of 366 days.
        DateStep(from: "2028-01-01", days: 365, to: "2028-12-31"),
        DateStep(from: "2026-01-01", days: 365, to: "2027-01-01"),
        // Back through February and January: 29 days to 02-01, 31 more to 01-01, one more.
        DateStep(from: "2026-03-02", days: -61, to: "2025-12-31"),
        DateStep(from: "2026-03-02", days: 83, to: "2026-05-24"),
        DateStep(from: "1970-01-01", days: -1, to: "1969-12-31"),
        // The proleptic Gregorian calendar CalendarDate validates, also before the 1582 reform:
        // no Julian leap day in 1500 or 1700, no ten days dropped in October 1582.
        DateStep(from: "1500-02-28", days: 1, to: "1500-03-01"),
        DateStep(from: "1600-02-28", days: 1, to: "1600-02-29"),
        DateStep(from: "1700-02-28", days: 1, to: "1700-03-01"),
        DateStep(from: "1582-10-04", days: 1, to: "1582-10-05"),
        DateStep(from: "1582-10-15", days: -1, to: "1582-10-14"),
        DateStep(from: "0001-01-01", days: 365, to: "0002-01-01"),
        DateStep(from: "9999-12-30", days: 1, to: "9999-12-31"),
        // 0001-01-01 to 9999-12-31: 3 652 059 days.
        DateStep(from: "0001-01-01", days: 3_652_058, to: "9999-12-31"),
        DateStep(from: "9999-12-31", days: -3_652_058, to: "0001-01-01"),
    ]

    @Test("adding days moves across month ends, leap days and year ends, backwards when negative", arguments: Self.steps)
    func adding(_ example: DateStep) throws {
        #expect(try day(example.from).adding(days: example.days) == (try day(example.to)))
    }

    @Test("for any date from 1900 to 2100 and any number of days, adding n and then −n returns the date")
    func addingAndBack() async throws {
        let origin = try day("1900-01-01")
        await propertyCheck(input: Gen.int(in: 0...73_000), Gen.int(in: -600_000...600_000), Gen.int(in: -400...400)) { offset, n, m in
            let date = origin.adding(days: offset)
            #expect(date.adding(days: n).adding(days: -n) == date)
            #expect(date.adding(days: n).adding(days: m) == date.adding(days: n + m))
            #expect(date.adding(days: 1) > date)
            #expect(date.adding(days: -1) < date)
        }
    }

    @Test("for any date of years 1 to 9999, the day after is the next day of its month, else the 1st of the next, else 1 January")
    func nextDay() async {
        let date = zip(Gen.int(in: 1...9999), Gen.int(in: 1...12), Gen.int(in: 1...31))
            .compactMap { year, month, day in CalendarDate(year: year, month: month, day: day) }
            .filter { $0 != CalendarDate(year: 9999, month: 12, day: 31) && $0 != CalendarDate(year: 1, month: 1, day: 1) }
        await propertyCheck(input: date) { date in
            let next = CalendarDate(year: date.year, month: date.month, day: date.day + 1)
                ?? CalendarDate(year: date.year, month: date.month + 1, day: 1)
                ?? CalendarDate(year: date.year + 1, month: 1, day: 1)
            #expect(date.adding(days: 1) == next)
            #expect(next?.adding(days: -1) == date)
        }
    }
}
