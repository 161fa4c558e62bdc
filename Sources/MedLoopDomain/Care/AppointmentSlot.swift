import Foundation

/// A time at a hospital when a doctor sees patients in person, with room for `capacity` of them.
/// The doctor may change the capacity or cancel the slot until it begins; a cancelled slot is
/// kept (for the record) but no longer listed or bookable.
public struct AppointmentSlot: Sendable, Equatable {
    public var id: UUID
    public var doctorId: UUID
    public var hospitalId: UUID
    public var startsAt: Date
    public var endsAt: Date
    public var capacity: Int
    public var booked: Int
    /// When the doctor cancelled the slot, if they did.
    public var cancelledAt: Date?

    public init(id: UUID, doctorId: UUID, hospitalId: UUID, startsAt: Date, endsAt: Date, capacity: Int, booked: Int,
                cancelledAt: Date? = nil) {
        self.id = id
        self.doctorId = doctorId
        self.hospitalId = hospitalId
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.capacity = capacity
        self.booked = booked
        self.cancelledAt = cancelledAt
    }

    public var isFull: Bool { booked >= capacity }

    public var isCancelled: Bool { cancelledAt != nil }

    /// Checks a new slot: it starts in the future, within 90 days, lasts 5 minutes to 4 hours,
    /// and takes 1 to 100 patients.
    public static func validate(startsAt: Date, minutes: Int, capacity: Int, now: Date) throws(DomainError) {
        var validator = FieldValidator()
        if startsAt <= now || startsAt > now.addingTimeInterval(90 * 86_400) {
            validator.add("startsAt", code: "range", "A slot starts in the future, within 90 days.")
        }
        if !(5...240).contains(minutes) { validator.add("minutes", code: "range", "A slot lasts 5 to 240 minutes.") }
        check(capacity: capacity, into: &validator)
        try validator.finish()
    }

    /// Checks a capacity on its own (a doctor changing an open slot): 1 to 100 patients.
    public static func validate(capacity: Int) throws(DomainError) {
        var validator = FieldValidator()
        check(capacity: capacity, into: &validator)
        try validator.finish()
    }

    private static func check(capacity: Int, into validator: inout FieldValidator) {
        if !(1...100).contains(capacity) { validator.add("capacity", code: "range", "A slot takes 1 to 100 patients.") }
    }

    /// Whether the doctor may give this slot room for `capacity` patients at `now`: it is open
    /// and keeps a place for everyone who has booked already.
    public func checkCapacityChange(to capacity: Int, now: Date) throws(DomainError) {
        try checkOpen(now: now)
        if capacity < booked { throw Self.capacityBelowBooked }
    }

    /// Whether the doctor may cancel this slot at `now`: it is open and nobody has booked it
    /// (a booked place is given back by cancelling the appointment, not the slot).
    public func checkCancellable(now: Date) throws(DomainError) {
        try checkOpen(now: now)
        if booked > 0 { throw Self.hasBookings }
    }

    /// Whether a patient may take a place at `now`: it is open and not full.
    public func checkBookable(now: Date) throws(DomainError) {
        try checkOpen(now: now)
        if isFull { throw Self.full }
    }

    /// A slot is booked or changed only while it is neither cancelled nor begun.
    private func checkOpen(now: Date) throws(DomainError) {
        if isCancelled { throw .conflict(code: "slot_cancelled", message: "This slot has been cancelled.") }
        if startsAt <= now { throw .conflict(code: "slot_past", message: "This slot has already begun.") }
    }

    /// The refusals a store also gives when its conditional update lost a race.
    public static let capacityBelowBooked = DomainError.conflict(
        code: "slot_capacity_below_booked", message: "More patients have booked this slot than the new capacity allows.")
    public static let hasBookings = DomainError.conflict(
        code: "slot_has_bookings", message: "Patients have booked this slot, so it cannot be cancelled.")
    public static let full = DomainError.conflict(code: "slot_full", message: "This slot is fully booked.")
}
