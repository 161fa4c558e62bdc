import Foundation
import Testing
@testable import MedLoopDomain

struct AccessPolicyTests {
    /// What each role may do by its role alone; everything not listed is refused.
    static let granted: [Role: Set<Permission>] = [
        .patient: [.viewInstitutions, .buyServices, .cancelMedicineOrders],
        .doctor: [.viewInstitutions, .importRecords, .prescribe, .runClinicalChecks, .submitCredentials],
        .pharmacist: [.viewInstitutions, .reviewPrescriptions, .runClinicalChecks, .dispense, .manageStock, .cancelMedicineOrders,
                      .submitCredentials, .judgeAuditSamples],
        .pharmacyStaff: [.viewInstitutions, .dispense, .manageStock, .cancelMedicineOrders, .submitCredentials],
        .courier: [.viewInstitutions, .deliver],
        .insurer: [.viewInstitutions, .manageInsurance, .simulateSettlements, .readSettlements],
        .regulator: [.viewInstitutions, .readAuditLog, .qualifyDoctors, .simulateSettlements, .readSettlements, .superviseRegion,
                     .readAnalytics, .drawAuditSamples],
        .`operator`: [.manageAccounts, .manageInstitutions, .viewInstitutions, .manageDoctors, .simulateSettlements, .readSettlements,
                      .readAnalytics, .drawAuditSamples],
    ]

    static let staffRoles: [Role] = [.doctor, .pharmacist, .pharmacyStaff, .courier, .insurer, .regulator, .`operator`]

    static let me = UUID.named("patient:me")
    static let myChild = UUID.named("patient:my-child")
    static let stranger = UUID.named("patient:stranger")

    @Test("the table of permissions names every role")
    func tableIsComplete() {
        let everyRole = Set(Role.allCases)
        let everyStaffRoleAndPatient = Set(Self.staffRoles).union([Role.patient])
        #expect(Set(Self.granted.keys) == everyRole)
        #expect(everyStaffRoleAndPatient == everyRole)
    }

    @Test("a role may do exactly what the table grants it", arguments: Role.allCases, Permission.allCases)
    func allows(role: Role, permission: Permission) throws {
        let permissions = try #require(Self.granted[role])
        let expected = permissions.contains(permission)
        #expect(AccessPolicy.allows(role, permission) == expected)
    }

    @Test("only an operator manages accounts and institutions, only a regulator reads the audit log")
    func spelledOut() {
        #expect(AccessPolicy.allows(.`operator`, .manageAccounts))
        #expect(AccessPolicy.allows(.`operator`, .manageInstitutions))
        #expect(!AccessPolicy.allows(.`operator`, .readAuditLog))
        #expect(AccessPolicy.allows(.regulator, .readAuditLog))
        #expect(!AccessPolicy.allows(.regulator, .manageAccounts))
        #expect(!AccessPolicy.allows(.patient, .manageInstitutions))
        #expect(AccessPolicy.allows(.patient, .viewInstitutions))
    }

    @Test("a patient reaches their own record")
    func ownRecord() {
        let caller = Caller(accountId: UUID.named("account:me"), role: .patient, patientId: Self.me)
        #expect(AccessPolicy.canAccessPatient(caller, patientId: Self.me, actsFor: []))
        #expect(AccessPolicy.canAccessPatient(caller, patientId: Self.me, actsFor: [Self.myChild]))
    }

    @Test("a patient reaches the record of a family member they act for")
    func familyMember() {
        let caller = Caller(accountId: UUID.named("account:me"), role: .patient, patientId: Self.me)
        #expect(AccessPolicy.canAccessPatient(caller, patientId: Self.myChild, actsFor: [Self.myChild]))
    }

    @Test("a patient does not reach another patient's record, nor a family member they no longer act for")
    func anotherPatient() {
        let caller = Caller(accountId: UUID.named("account:me"), role: .patient, patientId: Self.me)
        #expect(!AccessPolicy.canAccessPatient(caller, patientId: Self.stranger, actsFor: [Self.myChild]))
        #expect(!AccessPolicy.canAccessPatient(caller, patientId: Self.myChild, actsFor: []))
    }

    @Test("a patient account without a patient record reaches no record")
    func patientWithoutRecord() {
        let caller = Caller(accountId: UUID.named("account:new"), role: .patient, patientId: nil)
        #expect(!AccessPolicy.canAccessPatient(caller, patientId: Self.myChild, actsFor: [Self.myChild]))
    }

    @Test("no staff role reaches patient data through the identity rules, whatever its caller carries",
          arguments: Self.staffRoles)
    func staffReachNothing(role: Role) {
        // Even a staff caller that carries a patient id and a family link is refused.
        let caller = Caller(accountId: UUID.named("account:\(role.rawValue)"), role: role,
                            institutionId: UUID.named("institution:any"), patientId: Self.me)
        #expect(!AccessPolicy.canAccessPatient(caller, patientId: Self.me, actsFor: [Self.me]))
        #expect(!AccessPolicy.canAccessPatient(caller, patientId: Self.myChild, actsFor: [Self.myChild]))
        #expect(!AccessPolicy.canAccessPatient(caller, patientId: Self.stranger, actsFor: []))
    }
}
