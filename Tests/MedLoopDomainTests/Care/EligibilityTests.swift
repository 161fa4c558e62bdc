import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A doctor who has practised independently since `practiceSince`, qualified as `qualification`.
private func aDoctor(qualification: QualificationStatus = .approved, practiceSince: Int = 2010) -> Doctor {
    Doctor(id: UUID.named("doctor:eligibility"), accountId: nil, name: "李医生", title: .attending, department: "cardiology",
           specialties: ["hypertension"], training: "Peking University", practiceSince: practiceSince,
           licenceNumber: "110000000000001", bio: "", photoURL: nil, qualification: qualification,
           hospitalId: UUID.named("hospital:eligibility"), cityCode: "110100", practiceSites: [], conditions: ["I10"])
}

/// A menu line for `kind` at a usual price.
private func anOffer(_ kind: ServiceKind = .textPackage, isPaused: Bool = false,
                     dailyCap: Int = ServiceOffer.defaultDailyCap) -> ServiceOffer {
    ServiceOffer(kind: kind, priceFen: kind == .textPackage ? 6510 : 832, isPaused: isPaused, dailyCap: dailyCap)
}

/// An in-person visit on `date` (`YYYY-MM-DD`) with a hypertension diagnosis.
private func anEncounter(on date: String, source: EncounterSource = .imported) throws -> Encounter {
    Encounter(id: UUID.named("encounter:\(date)"), patientId: UUID.named("patient:eligibility"),
              hospitalId: UUID.named("hospital:eligibility"), date: try day(date), icd10: try ICD10Code("I10"),
              source: source)
}

/// A booking written out: who, what, and the code it must be refused with (`nil`: accepted).
struct Booking: Sendable, CustomTestStringConvertible {
    var name: String
    var service: ServiceKind = .textPackage
    var doctor: Doctor = aDoctor()
    /// `nil` when the doctor does not offer the service.
    var offer: ServiceOffer? = anOffer()
    var ordersToday = 0
    /// The linked visit's date, `YYYY-MM-DD`.
    var encounterDate: String? = "2026-01-15"
    var patientAge = 40
    var guardianPresent = false
    var redFlag: String?
    var refusal: String?

    var testDescription: String { "\(name) → \(refusal ?? "accepted")" }

    func request() throws -> BookingRequest {
        BookingRequest(service: service, offer: offer, ordersToday: ordersToday,
                       encounter: try encounterDate.map { try anEncounter(on: $0) }, patientAge: patientAge,
                       guardianPresent: guardianPresent, redFlag: redFlag)
    }
}

/// A visit date checked against a birth date on the fixture day, and its refusal (`nil`: accepted).
struct VisitDate: Sendable, CustomTestStringConvertible {
    var date: String
    var birthDate: String
    var refusal: String?

    var testDescription: String { "visit \(date), born \(birthDate) → \(refusal ?? "accepted")" }
}

@Suite("Eligibility: who may book which service online")
struct EligibilityTests {
    static let bookings: [Booking] = [
        Booking(name: "a follow-up of a diagnosed condition"),
        Booking(name: "red-flag symptoms for an online consultation", redFlag: "chestPainWithSweating",
                refusal: "emergency_care_required"),
        Booking(name: "red-flag symptoms for a video call", service: .videoPerMinute, offer: anOffer(.videoPerMinute),
                redFlag: "strokeSigns", refusal: "emergency_care_required"),
        Booking(name: "red-flag symptoms for an in-person appointment", service: .appointment,
                offer: anOffer(.appointment), encounterDate: nil, redFlag: "chestPainWithSweating"),
        Booking(name: "a doctor not approved", doctor: aDoctor(qualification: .pending), refusal: "doctor_not_approved"),
        Booking(name: "a doctor in practice for 2 years", doctor: aDoctor(practiceSince: 2024), refusal: "doctor_too_junior"),
        Booking(name: "a doctor in practice for 3 years", doctor: aDoctor(practiceSince: 2023)),
        Booking(name: "a service the doctor does not offer", offer: nil, refusal: "service_not_offered"),
        Booking(name: "a paused service", offer: anOffer(isPaused: true), refusal: "service_paused"),
        Booking(name: "the daily cap reached", offer: anOffer(dailyCap: 300), ordersToday: 300, refusal: "daily_cap_reached"),
        Booking(name: "one under the daily cap", offer: anOffer(dailyCap: 300), ordersToday: 299),
        Booking(name: "an online consultation without a prior visit", encounterDate: nil, refusal: "prior_visit_required"),
        Booking(name: "a prior visit tomorrow", encounterDate: "2026-03-03", refusal: "in_future"),
        Booking(name: "a prior visit today", encounterDate: "2026-03-02"),
        Booking(name: "a child of 5 without a guardian", patientAge: 5, refusal: "guardian_required"),
        Booking(name: "a child of 5 with a guardian", patientAge: 5, guardianPresent: true),
        Booking(name: "a child of 6 without a guardian", patientAge: 6),
        Booking(name: "an in-person appointment without a prior visit", service: .appointment,
                offer: anOffer(.appointment), encounterDate: nil),
    ]

    @Test("a booking is accepted or refused with the first rule it breaks", arguments: Self.bookings)
    func booking(_ booking: Booking) throws {
        let request = try booking.request()
        #expect(issueCode { () throws(DomainError) in
            try Eligibility.check(request, doctor: booking.doctor, today: fixtureToday)
        } == booking.refusal)
    }

    @Test("a prior visit in the future is refused on the field encounterId")
    func futureVisitField() throws {
        let booking = Booking(name: "tomorrow", encounterDate: "2026-03-03")
        let request = try booking.request()
        #expect(fieldIssues { () throws(DomainError) in
            try Eligibility.check(request, doctor: booking.doctor, today: fixtureToday)
        } == ["encounterId/in_future"])
    }

    static let visitDates: [VisitDate] = [
        VisitDate(date: "1990-05-31", birthDate: "1990-06-01", refusal: "before_birth"),
        VisitDate(date: "1990-06-01", birthDate: "1990-06-01"),
        VisitDate(date: "2025-11-20", birthDate: "1990-06-01"),
        VisitDate(date: "2026-03-02", birthDate: "1990-06-01"),
        VisitDate(date: "2026-03-03", birthDate: "1990-06-01", refusal: "in_future"),
        // born today, seen today
        VisitDate(date: "2026-03-02", birthDate: "2026-03-02"),
    ]

    @Test("a recorded visit lies between the patient's birth day and today, both included", arguments: Self.visitDates)
    func visitDate(_ example: VisitDate) throws {
        let date = try day(example.date)
        let birthDate = try day(example.birthDate)
        #expect(fieldIssues { () throws(DomainError) in
            try EncounterRule.checkDate(date, birthDate: birthDate, today: fixtureToday)
        } == (example.refusal.map { ["date/\($0)"] } ?? []))
    }

    @Test("only a visit the patient entered is self-reported; imported ones and MedLoop appointments are not",
          arguments: [(EncounterSource.entered, true), (.imported, false), (.medloopAppointment, false)])
    func selfReported(source: EncounterSource, isSelfReported: Bool) {
        #expect(source.isSelfReported == isSelfReported)
    }

    @Test("whatever the count and the cap, a booking is accepted exactly while the doctor is under the cap")
    func capLaw() async {
        await propertyCheck(input: Gen.int(in: 0...1_000), Gen.int(in: 1...500)) { ordersToday, cap in
            let request = BookingRequest(service: .textPackage, offer: anOffer(dailyCap: cap), ordersToday: ordersToday,
                                         encounter: try? anEncounter(on: "2026-01-15"), patientAge: 40, guardianPresent: false)
            let code = issueCode { () throws(DomainError) in try Eligibility.check(request, doctor: aDoctor(), today: fixtureToday) }
            #expect(code == (ordersToday < cap ? nil : "daily_cap_reached"))
        }
    }

    @Test("no online service is ever booked without a prior visit, whatever the age, guardian or service")
    func priorVisitLaw() async {
        let online = ServiceKind.allCases.filter { $0 != .appointment }
        await propertyCheck(input: Gen.int(in: 0...online.count - 1), Gen.int(in: 0...120), Gen.bool) { index, age, guardian in
            let service = online[index]
            let request = BookingRequest(service: service, offer: anOffer(service), ordersToday: 0, encounter: nil,
                                         patientAge: age, guardianPresent: guardian)
            #expect(throws: DomainError.self) { try Eligibility.check(request, doctor: aDoctor(), today: fixtureToday) }
        }
    }

    @Test("a child under 6 is never seen online without a guardian; from 6 the guardian is not required")
    func guardianLaw() async {
        await propertyCheck(input: Gen.int(in: 0...120), Gen.bool) { age, guardian in
            let request = BookingRequest(service: .textPackage, offer: anOffer(), ordersToday: 0,
                                         encounter: try? anEncounter(on: "2026-01-15"), patientAge: age, guardianPresent: guardian)
            let code = issueCode { () throws(DomainError) in try Eligibility.check(request, doctor: aDoctor(), today: fixtureToday) }
            #expect(code == (age < Eligibility.guardianRequiredUnderAge && !guardian ? "guardian_required" : nil))
        }
    }

    @Test("a visit date is accepted exactly when it lies between birth and today")
    func visitDateLaw() async {
        // Days as offsets from the fixture day, birth within the last 100 years.
        await propertyCheck(input: Gen.int(in: 0...36_500), Gen.int(in: -40_000...400)) { bornDaysAgo, visitOffset in
            let today = Date(timeIntervalSince1970: 1_772_409_600)  // 2026-03-02 at 08:00 in Shanghai
            let birth = CalendarDate.shanghai(today.addingTimeInterval(-Double(bornDaysAgo) * 86_400))
            let visit = CalendarDate.shanghai(today.addingTimeInterval(Double(visitOffset) * 86_400))
            let code = issueCode { () throws(DomainError) in
                try EncounterRule.checkDate(visit, birthDate: birth, today: CalendarDate.shanghai(today))
            }
            let expected: String? = visitOffset > 0 ? "in_future" : (visitOffset < -bornDaysAgo ? "before_birth" : nil)
            #expect(code == expected)
        }
    }
}
