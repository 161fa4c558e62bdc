import Foundation

/// Where a record of an in-person visit came from.
public enum EncounterSource: String, Codable, Sendable, CaseIterable {
    /// Entered by the patient or doctor from a paper or electronic record.
    case entered
    /// Imported from a hospital through the API.
    case imported
    /// A past in-person appointment booked through MedLoop.
    case medloopAppointment

    /// Whether the patient (or a doctor, from what the patient showed) typed the record in, rather
    /// than a hospital or MedLoop producing it. An insurance policy never counts such a visit as the
    /// prior visit a reimbursable follow-up rests on (INSURANCE.md, `priorVisit.sources`: a
    /// patient's own entry never does).
    public var isSelfReported: Bool { self == .entered }
}

/// An in-person visit at a physical hospital with its diagnosis: what an online follow-up rests on.
public struct Encounter: Sendable, Equatable {
    public var id: UUID
    public var patientId: UUID
    public var hospitalId: UUID
    public var date: CalendarDate
    public var icd10: ICD10Code
    public var source: EncounterSource

    public init(id: UUID, patientId: UUID, hospitalId: UUID, date: CalendarDate, icd10: ICD10Code, source: EncounterSource) {
        self.id = id
        self.patientId = patientId
        self.hospitalId = hospitalId
        self.date = date
        self.icd10 = icd10
        self.source = source
    }
}

/// The rules a recorded in-person visit's date follows, whatever its source.
public enum EncounterRule {
    /// Checks that a visit on `date` could have happened to a patient born on `birthDate`, as of
    /// `today`: not after today, not before the birth (the birth day and today are both allowed).
    ///
    /// - Throws: `DomainError.invalid` on `date`: `in_future` when it is after `today`,
    ///   `before_birth` when it is before `birthDate`.
    public static func checkDate(_ date: CalendarDate, birthDate: CalendarDate, today: CalendarDate) throws(DomainError) {
        guard date <= today else {
            throw .invalidField("date", code: "in_future", "The visit date is in the future.")
        }
        guard date >= birthDate else {
            throw .invalidField("date", code: "before_birth", "The visit date is before the patient's birth.")
        }
    }
}

/// What a booking is checked against.
public struct BookingRequest: Sendable {
    public var service: ServiceKind
    /// The doctor's menu line for the service, if the doctor offers it.
    public var offer: ServiceOffer?
    /// Orders of this service the doctor already has today (not cancelled or refunded).
    public var ordersToday: Int
    /// The linked prior visit, if any.
    public var encounter: Encounter?
    /// The age of the person to be seen, on the day of booking.
    public var patientAge: Int
    public var guardianPresent: Bool
    /// The red flag triage found in the symptoms given with the booking, if any.
    public var redFlag: String?

    public init(service: ServiceKind, offer: ServiceOffer?, ordersToday: Int, encounter: Encounter?, patientAge: Int,
                guardianPresent: Bool, redFlag: String? = nil) {
        self.service = service
        self.offer = offer
        self.ordersToday = ordersToday
        self.encounter = encounter
        self.patientAge = patientAge
        self.guardianPresent = guardianPresent
        self.redFlag = redFlag
    }
}

/// The rules for buying a service online (care issue, eligibility for online care).
public enum Eligibility {
    /// Children younger than this need their guardian present at an online consultation.
    public static let guardianRequiredUnderAge = 6

    /// Checks a booking: no red-flag symptoms; the doctor may be booked, offers the service, is under the daily cap;
    /// an online service is a follow-up of an in-person diagnosis (first visits stay offline); a
    /// young child has a guardian present. Throws the first rule broken.
    public static func check(_ request: BookingRequest, doctor: Doctor, today: CalendarDate) throws(DomainError) {
        // Red-flag symptoms go to an emergency department, never to an online queue.
        if request.redFlag != nil && request.service != .appointment {
            throw .refused(code: "emergency_care_required",
                           message: "These symptoms need an emergency department now (call 120). Online booking is not possible.")
        }
        try doctor.checkBookable(in: today.year)
        guard let offer = request.offer else {
            throw .refused(code: "service_not_offered", message: "This doctor does not offer this service.")
        }
        guard !offer.isPaused else {
            throw .refused(code: "service_paused", message: "The doctor has paused this service.")
        }
        guard request.ordersToday < offer.dailyCap else {
            throw .refused(code: "daily_cap_reached", message: "The doctor takes no more of these consultations today.")
        }
        if request.service != .appointment {
            guard let encounter = request.encounter else {
                throw .refused(code: "prior_visit_required",
                               message: "An online consultation is a follow-up: link a diagnosis from an in-person visit, or book an in-person appointment first.")
            }
            guard encounter.date <= today else {
                throw .invalidField("encounterId", code: "in_future", "The linked visit is in the future.")
            }
        }
        if request.patientAge < guardianRequiredUnderAge && !request.guardianPresent {
            throw .refused(code: "guardian_required",
                           message: "A child under 6 is seen online only with a guardian present.")
        }
    }
}
