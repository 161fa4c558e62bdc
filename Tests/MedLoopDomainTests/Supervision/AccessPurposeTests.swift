import Foundation
import Testing
@testable import MedLoopDomain

/// An audited action, who did it, and the purpose the access views show.
struct PurposeCase: Sendable, CustomTestStringConvertible {
    var action: String
    var role: Role?
    var bySelf: Bool
    var purpose: AccessPurpose

    var testDescription: String { "\(action) by \(role?.rawValue ?? "nobody")\(bySelf ? " (self)" : "") → \(purpose)" }
}

@Suite("Data-access views: the purpose of each read of a patient's data")
struct AccessPurposeTests {
    static let cases: [PurposeCase] = [
        PurposeCase(action: "patient.read", role: .patient, bySelf: true, purpose: .ownRecord),
        PurposeCase(action: "patient.family.read", role: .patient, bySelf: false, purpose: .ownRecord),
        PurposeCase(action: "consultation.read", role: .doctor, bySelf: false, purpose: .consultationCare),
        PurposeCase(action: "consultation.messages.read", role: .doctor, bySelf: false, purpose: .consultationCare),
        PurposeCase(action: "patient.lab_report.read", role: .doctor, bySelf: false, purpose: .consultationCare),
        PurposeCase(action: "patient.clinical_check", role: .doctor, bySelf: false, purpose: .consultationCare),
        PurposeCase(action: "prescription.write", role: .doctor, bySelf: false, purpose: .prescribing),
        PurposeCase(action: "prescription.read", role: .pharmacist, bySelf: false, purpose: .prescriptionReview),
        PurposeCase(action: "prescription.review", role: .pharmacist, bySelf: false, purpose: .prescriptionReview),
        PurposeCase(action: "medicine_order.read", role: .pharmacist, bySelf: false, purpose: .dispensing),
        PurposeCase(action: "medicine_order.read", role: .pharmacyStaff, bySelf: false, purpose: .dispensing),
        PurposeCase(action: "medicine_order.read", role: .courier, bySelf: false, purpose: .delivery),
        PurposeCase(action: "settlement.read", role: .insurer, bySelf: false, purpose: .settlement),
        PurposeCase(action: "insured_person.read", role: .insurer, bySelf: false, purpose: .settlement),
        PurposeCase(action: "supervision.trace.read", role: .regulator, bySelf: false, purpose: .supervision),
        PurposeCase(action: "audit.read", role: .regulator, bySelf: false, purpose: .supervision),
        PurposeCase(action: "audit.read", role: .operator, bySelf: false, purpose: .supervision),
        PurposeCase(action: "account.read", role: .operator, bySelf: false, purpose: .operations),
        PurposeCase(action: "settlement.create", role: nil, bySelf: false, purpose: .settlement),
        PurposeCase(action: "medicine_order.pay", role: nil, bySelf: false, purpose: .dispensing),
        PurposeCase(action: "prescription.review", role: nil, bySelf: false, purpose: .prescriptionReview),
        PurposeCase(action: "seed.demo", role: nil, bySelf: false, purpose: .other),
        PurposeCase(action: "auth.sign_in", role: .doctor, bySelf: false, purpose: .other),
    ]

    @Test("each access gets the purpose its action and the reader's role give", arguments: cases)
    func purposeOfAccess(_ row: PurposeCase) {
        #expect(AccessPurpose.of(action: row.action, role: row.role, bySelf: row.bySelf) == row.purpose)
    }

    @Test("whoever reads, the patient reading their own record is always their own record")
    func selfIsOwnRecord() {
        for role in Role.allCases {
            #expect(AccessPurpose.of(action: "supervision.trace.read", role: role, bySelf: true) == .ownRecord)
        }
    }
}
