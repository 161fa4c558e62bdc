import Foundation
import Testing
@testable import MedLoopDomain

/// A draft of `kind` in Shenzhen that passes every rule for its kind.
private func aDraft(_ kind: InstitutionKind) throws -> InstitutionDraft {
    let region = try RegionCode("440303")
    return InstitutionDraft(kind: kind, name: "深圳市人民医院", regionCode: region,
                            level: kind == .physicalHospital ? .tertiary : nil,
                            physicalHospitalId: kind == .internetHospital ? UUID.named("institution:physical") : nil)
}

/// The kind of the institution a draft links, as the registry would report it.
private func linkedKind(of draft: InstitutionDraft) -> InstitutionKind? {
    draft.physicalHospitalId == nil ? nil : .physicalHospital
}

struct InstitutionDraftTests {
    static let notPhysicalHospitals: [InstitutionKind] = [
        .internetHospital, .platformInternetHospital, .pharmacy, .insurer, .regulator,
    ]
    static let notInternetHospitals: [InstitutionKind] = [
        .physicalHospital, .platformInternetHospital, .pharmacy, .insurer, .regulator,
    ]
    /// What the registry may report for the institution an internet hospital names: nothing, or
    /// something other than a physical hospital.
    static let wrongLinks: [InstitutionKind?] = [
        nil, .internetHospital, .platformInternetHospital, .pharmacy, .insurer, .regulator,
    ]

    @Test("a well-formed draft of every kind passes", arguments: InstitutionKind.allCases)
    func wellFormed(kind: InstitutionKind) throws {
        let draft = try aDraft(kind)
        let issues = fieldIssues { () throws(DomainError) in try draft.validate(linkedKind: linkedKind(of: draft)) }
        #expect(issues == [])
    }

    @Test("a name that is blank or longer than 200 characters is refused",
          arguments: ["", "   ", "\n\t", String(repeating: "院", count: 201)])
    func badName(name: String) throws {
        var draft = try aDraft(.pharmacy)
        draft.name = name
        let issues = fieldIssues { () throws(DomainError) in try draft.validate(linkedKind: nil) }
        #expect(issues == ["name/length"])
    }

    @Test("a name of 200 characters is accepted")
    func longestName() throws {
        var draft = try aDraft(.pharmacy)
        draft.name = String(repeating: "院", count: 200)
        let issues = fieldIssues { () throws(DomainError) in try draft.validate(linkedKind: nil) }
        #expect(issues == [])
    }

    @Test("a physical hospital needs a level")
    func levelRequired() throws {
        var draft = try aDraft(.physicalHospital)
        draft.level = nil
        let issues = fieldIssues { () throws(DomainError) in try draft.validate(linkedKind: nil) }
        #expect(issues == ["level/required"])
    }

    @Test("only a physical hospital has a level",
          arguments: Self.notPhysicalHospitals)
    func levelNotAllowed(kind: InstitutionKind) throws {
        var draft = try aDraft(kind)
        draft.level = .secondary
        let issues = fieldIssues { () throws(DomainError) in try draft.validate(linkedKind: linkedKind(of: draft)) }
        #expect(issues == ["level/not_allowed"])
    }

    @Test("an internet hospital must name its physical hospital")
    func internetHospitalNeedsLink() throws {
        var draft = try aDraft(.internetHospital)
        draft.physicalHospitalId = nil
        let issues = fieldIssues { () throws(DomainError) in try draft.validate(linkedKind: nil) }
        #expect(issues == ["physicalHospitalId/required"])
    }

    @Test("an internet hospital linked to anything but a registered physical hospital is refused",
          arguments: Self.wrongLinks)
    func internetHospitalWrongLink(linked: InstitutionKind?) throws {
        let draft = try aDraft(.internetHospital)
        let issues = fieldIssues { () throws(DomainError) in try draft.validate(linkedKind: linked) }
        #expect(issues == ["physicalHospitalId/not_a_physical_hospital"])
    }

    @Test("only an internet hospital links a physical hospital",
          arguments: Self.notInternetHospitals)
    func linkNotAllowed(kind: InstitutionKind) throws {
        var draft = try aDraft(kind)
        draft.physicalHospitalId = UUID.named("institution:physical")
        let issues = fieldIssues { () throws(DomainError) in try draft.validate(linkedKind: .physicalHospital) }
        #expect(issues == ["physicalHospitalId/not_allowed"])
    }

    @Test("every broken rule is reported at once, in field order")
    func allIssuesTogether() throws {
        let region = try RegionCode("440303")
        let draft = InstitutionDraft(kind: .physicalHospital, name: " ", regionCode: region,
                                     level: nil, physicalHospitalId: UUID.named("institution:physical"))
        let issues = fieldIssues { () throws(DomainError) in try draft.validate(linkedKind: .physicalHospital) }
        #expect(issues == ["name/length", "level/required", "physicalHospitalId/not_allowed"])
    }
}

struct RoleInstitutionTests {
    /// The institution kinds each staff role may belong to (DOMAIN.md, actors).
    static let allowedKinds: [Role: Set<InstitutionKind>] = [
        .doctor: [.physicalHospital, .internetHospital, .platformInternetHospital],
        .pharmacist: [.pharmacy, .physicalHospital, .internetHospital, .platformInternetHospital],
        .pharmacyStaff: [.pharmacy],
        .courier: [.pharmacy],
        .insurer: [.insurer],
        .regulator: [.regulator],
    ]
    static let staffRoles: [Role] = [.doctor, .pharmacist, .pharmacyStaff, .courier, .insurer, .regulator]

    @Test("patients and operators belong to no institution", arguments: [Role.patient, Role.`operator`])
    func noInstitution(role: Role) {
        let alone = issueCode { () throws(DomainError) in try role.checkInstitution(nil) }
        #expect(alone == nil)
        for kind in InstitutionKind.allCases {
            let attached = issueCode { () throws(DomainError) in try role.checkInstitution(kind) }
            #expect(attached == "not_allowed", "\(role) attached to \(kind)")
        }
    }

    @Test("a staff account other than an operator needs an institution",
          arguments: Self.staffRoles)
    func institutionRequired(role: Role) {
        let code = issueCode { () throws(DomainError) in try role.checkInstitution(nil) }
        #expect(code == "required")
    }

    @Test("a staff account joins only an institution of a fitting kind",
          arguments: Self.staffRoles, InstitutionKind.allCases)
    func fittingKind(role: Role, kind: InstitutionKind) throws {
        let kinds = try #require(Self.allowedKinds[role])
        let allowed = kinds.contains(kind)
        let expected: String? = allowed ? nil : "wrong_kind"
        let code = issueCode { () throws(DomainError) in try role.checkInstitution(kind) }
        #expect(code == expected)
        #expect(role.institutionKinds?.contains(kind) == allowed)
    }

    @Test("every role but patient is staff, and exactly the listed staff roles belong to an institution")
    func staff() {
        let notStaff = Role.allCases.filter { !$0.isStaff }
        #expect(notStaff == [Role.patient])
        let attached = Set(Role.allCases.filter { $0.institutionKinds != nil })
        #expect(attached == Set(Self.staffRoles))
        #expect(Set(Self.allowedKinds.keys) == Set(Self.staffRoles))
    }
}
