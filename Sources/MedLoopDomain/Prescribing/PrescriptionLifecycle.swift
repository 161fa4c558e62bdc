import Foundation

/// The rules around a prescription once written: who may write it, until when it counts, and
/// when it may be withdrawn.
extension PrescriptionRules {
    /// Checks that the prescriber is a qualified doctor: a pending or suspended doctor prescribes
    /// nothing (DOMAIN.md, supervision: qualification review).
    ///
    /// - Throws: 403 `prescriber_not_qualified`.
    public static func checkPrescriber(_ qualification: QualificationStatus?) throws(DomainError) {
        guard qualification == .approved else {
            throw .forbidden(code: "prescriber_not_qualified", message: "Only a qualified doctor prescribes.")
        }
    }

    /// Checks that a prescription is still valid at `now`.
    ///
    /// - Throws: 409 `prescription_expired` from `validUntil` on.
    public static func checkValid(until validUntil: Date?, now: Date) throws(DomainError) {
        if let validUntil, validUntil <= now {
            throw .conflict(code: "prescription_expired", message: "The prescription is no longer valid.")
        }
    }

    /// Checks that a pharmacy may fill a prescription now: approved (a pharmacist reviewed it) and
    /// still valid.
    ///
    /// - Throws: 409 `prescription_not_effective` or `prescription_expired`.
    public static func checkFillable(_ state: PrescriptionState, validUntil: Date?, now: Date) throws(DomainError) {
        guard state == .approved else {
            throw .conflict(code: "prescription_not_effective", message: "Only an approved prescription is filled.")
        }
        try checkValid(until: validUntil, now: now)
    }

    /// Checks that a prescription may be voided while `fillingOrder` (the state of the medicine
    /// order that fills it, if any) stands: once paid for, the medicine is the patient's; an
    /// unpaid reservation is cancelled with it.
    ///
    /// - Throws: 409 `prescription_being_filled` when the order is paid or further.
    public static func checkVoidable(fillingOrder: MedicineOrderState?) throws(DomainError) {
        guard let fillingOrder, fillingOrder != .reserved else { return }
        throw .conflict(code: "prescription_being_filled", message: "The patient has paid a pharmacy for this prescription.")
    }
}
