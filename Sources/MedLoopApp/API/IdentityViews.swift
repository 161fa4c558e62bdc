import Foundation
import MedLoopDomain
import MedLoopStore

/// An account as the API shows it.
struct AccountView: APIView, Encodable {
    var id: UUID
    var role: Role
    var displayName: String
    var phone: String
    var institutionId: UUID?
    var patientId: UUID?
    var status: AccountStatus
    var createdAt: Date

    init(_ account: Account) {
        id = account.id
        role = account.role
        displayName = account.displayName
        phone = account.phone.value
        institutionId = account.institutionId
        patientId = account.patientId
        status = account.status
        createdAt = account.createdAt
    }
}

/// A patient profile as its owner (or guardian) sees it: the national ID is masked.
struct PatientView: APIView, Encodable {
    var id: UUID
    var accountId: UUID?
    var realName: String
    var nationalIdMasked: String
    var sex: Sex
    var birthDate: CalendarDate
    var age: Int
    var phone: String?
    var address: String?
    var allergies: [Allergy]
    var conditions: [KnownCondition]
    var pregnancyStatus: PregnancyStatus

    init(_ profile: PatientProfile, today: CalendarDate) {
        id = profile.id
        accountId = profile.accountId
        realName = profile.realName
        nationalIdMasked = profile.nationalId.masked
        sex = profile.sex
        birthDate = profile.birthDate
        age = profile.age(on: today)
        pregnancyStatus = profile.pregnancy
        phone = profile.phone?.value
        address = profile.address
        allergies = profile.allergies
        conditions = profile.conditions
    }
}

/// A family member the account holder acts for.
struct FamilyMemberView: APIView, Encodable {
    var patientId: UUID
    var relationship: FamilyRelationship
    var realName: String
    var nationalIdMasked: String
    var sex: Sex
    var birthDate: CalendarDate
    var age: Int
    var isMinor: Bool

    init(_ member: FamilyMember, today: CalendarDate) {
        patientId = member.patientId
        relationship = member.relationship
        realName = member.realName
        nationalIdMasked = member.nationalId.masked
        sex = member.nationalId.sex
        birthDate = member.nationalId.birthDate
        age = member.nationalId.birthDate.years(until: today)
        isMinor = member.isMinor(on: today)
    }
}

extension Institution: APIView {}
extension AuditEntry: APIView {}
extension Allergy: APIView {}
extension KnownCondition: APIView {}
