import Foundation

/// A time at a hospital when a doctor sees patients in person, with room for `capacity` of them.
public struct AppointmentSlot: Sendable, Equatable {
    public var id: UUID
    public var doctorId: UUID
    public var hospitalId: UUID
    public var startsAt: Date
    public var endsAt: Date
    public var capacity: Int
    public var booked: Int

    public init(id: UUID, doctorId: UUID, hospitalId: UUID, startsAt: Date, endsAt: Date, capacity: Int, booked: Int) {
        self.id = id
        self.doctorId = doctorId
        self.hospitalId = hospitalId
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.capacity = capacity
        self.booked = booked
    }

    public var isFull: Bool { booked >= capacity }

    /// Checks a new slot: it starts in the future, within 90 days, lasts 5 minutes to 4 hours,
    /// and takes 1 to 100 patients.
    public static func validate(startsAt: Date, minutes: Int, capacity: Int, now: Date) throws(DomainError) {
        var validator = FieldValidator()
        if startsAt <= now || startsAt > now.addingTimeInterval(90 * 86_400) {
            validator.add("startsAt", code: "range", "A slot starts in the future, within 90 days.")
        }
        if !(5...240).contains(minutes) { validator.add("minutes", code: "range", "A slot lasts 5 to 240 minutes.") }
        if !(1...100).contains(capacity) { validator.add("capacity", code: "range", "A slot takes 1 to 100 patients.") }
        try validator.finish()
    }
}
