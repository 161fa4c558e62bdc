import Foundation
import MedLoopDomain
import Testing

@Suite("Prescription lifecycle rules: the prescriber, validity, filling and voiding")
struct PrescriptionLifecycleTests {
    static let noon = Date(timeIntervalSince1970: 1_772_424_000)   // 2026-03-02T12:00+08:00

    @Test("only an approved doctor prescribes", arguments: [
        (QualificationStatus?.some(.approved), true), (.some(.pending), false), (.some(.suspended), false), (nil, false),
    ] as [(QualificationStatus?, Bool)])
    func prescriber(status: QualificationStatus?, allowed: Bool) {
        do {
            try PrescriptionRules.checkPrescriber(status)
            #expect(allowed)
        } catch {
            #expect(!allowed)
            #expect(error == .forbidden(code: "prescriber_not_qualified", message: "Only a qualified doctor prescribes."))
        }
    }

    @Test("a prescription is valid until, not at, the instant its validity ends", arguments: [
        (-1.0, true), (0.0, false), (1.0, false),
    ])
    func validity(offset: Double, valid: Bool) {
        let until = Self.noon
        let outcome = Result { () throws(DomainError) in try PrescriptionRules.checkValid(until: until, now: until.addingTimeInterval(offset)) }
        if valid {
            #expect((try? outcome.get()) != nil)
        } else {
            #expect(throws: DomainError.conflict(code: "prescription_expired", message: "The prescription is no longer valid.")) {
                try outcome.get()
            }
        }
    }

    @Test("only an approved prescription still valid is filled", arguments: PrescriptionState.allCases)
    func fillable(state: PrescriptionState) {
        let later = Self.noon.addingTimeInterval(3600)
        let outcome = Result { () throws(DomainError) in try PrescriptionRules.checkFillable(state, validUntil: later, now: Self.noon) }
        if state == .approved {
            #expect((try? outcome.get()) != nil)
        } else {
            #expect(throws: DomainError.self) { try outcome.get() }
        }
        #expect(throws: DomainError.self) {
            try PrescriptionRules.checkFillable(.approved, validUntil: Self.noon, now: Self.noon)
        }
    }

    @Test("a prescription may be voided with no order or an unpaid reservation, never once paid for",
          arguments: [MedicineOrderState?.none] + MedicineOrderState.allCases.map(Optional.some))
    func voidable(order: MedicineOrderState?) {
        let voidable = order == nil || order == .reserved
        let outcome = Result { () throws(DomainError) in try PrescriptionRules.checkVoidable(fillingOrder: order) }
        if voidable {
            #expect((try? outcome.get()) != nil)
        } else {
            #expect(throws: DomainError.self) { try outcome.get() }
        }
    }

    @Test("a reservation is paid before it runs out; a B2C dispense names its shipment; a pickup needs its code; a failure its reason")
    func orderSteps() {
        #expect(throws: DomainError.self) {
            try MedicineOrderRules.checkPayable(.reserved, reservedUntil: Self.noon, now: Self.noon)
        }
        #expect((try? MedicineOrderRules.checkPayable(.reserved, reservedUntil: Self.noon, now: Self.noon.addingTimeInterval(-1))) != nil)
        #expect(throws: DomainError.self) { try MedicineOrderRules.checkDispensable(mode: .b2c, hasShipment: false) }
        #expect((try? MedicineOrderRules.checkDispensable(mode: .pickup, hasShipment: false)) != nil)
        #expect(throws: DomainError.self) { try MedicineOrderRules.checkHandOver(mode: .pickup, code: "123456", expected: "654321") }
        #expect(throws: DomainError.self) { try MedicineOrderRules.checkHandOver(mode: .pickup, code: nil, expected: "654321") }
        #expect(throws: DomainError.self) { try MedicineOrderRules.checkHandOver(mode: .o2o, code: nil, expected: nil) }
        #expect((try? MedicineOrderRules.checkHandOver(mode: .pickup, code: "654321", expected: "654321")) != nil)
        #expect((try? MedicineOrderRules.checkHandOver(mode: .b2c, code: nil, expected: nil)) != nil)
        #expect(throws: DomainError.self) { try MedicineOrderRules.checkReport(.failed, note: "  ") }
        #expect((try? MedicineOrderRules.checkReport(.failed, note: "无人应门")) != nil)
        #expect((try? MedicineOrderRules.checkReport(.pickedUp, note: nil)) != nil)
    }

    @Test("only a woman's profile records a pregnancy or breastfeeding", arguments: [
        (PregnancyStatus.pregnant, Sex.female, true), (.lactating, .female, true), (.none, .female, true),
        (.pregnant, .male, false), (.lactating, .male, false), (.none, .male, true),
    ])
    func pregnancy(status: PregnancyStatus, sex: Sex, allowed: Bool) {
        let outcome = Result { () throws(DomainError) in try ProfileRule.checkPregnancy(status, sex: sex) }
        #expect(((try? outcome.get()) != nil) == allowed)
    }
}
