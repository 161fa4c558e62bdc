import Foundation

/// A person who receives care: the holder of a patient account, or a family member a patient
/// acts for (a child has a record but no account).
public struct PatientProfile: Sendable, Equatable {
    public var id: UUID
    public var accountId: UUID?
    public var realName: String
    public var nationalId: NationalID
    public var phone: PhoneNumber?
    public var address: String?
    public var allergies: [Allergy]
    public var conditions: [KnownCondition]
    /// Pregnant or breastfeeding, as the patient says: the clinical checks use it.
    public var pregnancy: PregnancyStatus

    public init(id: UUID, accountId: UUID?, realName: String, nationalId: NationalID, phone: PhoneNumber?,
                address: String?, allergies: [Allergy] = [], conditions: [KnownCondition] = [],
                pregnancy: PregnancyStatus = .none) {
        self.id = id
        self.accountId = accountId
        self.realName = realName
        self.nationalId = nationalId
        self.phone = phone
        self.address = address
        self.allergies = allergies
        self.conditions = conditions
        self.pregnancy = pregnancy
    }

    public var sex: Sex { nationalId.sex }
    public var birthDate: CalendarDate { nationalId.birthDate }

    /// Age in whole years on `day`.
    public func age(on day: CalendarDate) -> Int { birthDate.years(until: day) }
}

/// Validation of the free-text parts of a profile.
public enum ProfileRule {
    /// A real name as on the identity card: 2 to 40 characters, letters, `·` and spaces only.
    public static func realName(_ text: String, field: String = "realName") throws(DomainError) -> String {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...40).contains(name.count) else {
            throw .invalidField(field, code: "length", "A real name has 2 to 40 characters.")
        }
        guard name.allSatisfy({ $0.isLetter || $0 == "·" || $0 == " " || $0 == "-" }) else {
            throw .invalidField(field, code: "format", "A real name holds letters only.")
        }
        return name
    }

    /// A postal address: up to 300 characters.
    public static func address(_ text: String, field: String = "address") throws(DomainError) -> String {
        let address = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...300).contains(address.count) else {
            throw .invalidField(field, code: "length", "An address has 1 to 300 characters.")
        }
        return address
    }

    /// Checks a pregnancy status against the sex of the national ID: only a woman is pregnant or
    /// breastfeeding.
    ///
    /// - Throws: 400 on `pregnancyStatus` (`not_applicable`) otherwise.
    public static func checkPregnancy(_ status: PregnancyStatus, sex: Sex) throws(DomainError) {
        if status != .none, sex != .female {
            throw .invalidField("pregnancyStatus", code: "not_applicable", "Only a woman's profile records a pregnancy.")
        }
    }

    /// A short label (an allergen, a reaction, a condition name): 1 to `limit` characters.
    public static func label(_ text: String, field: String, limit: Int = 100) throws(DomainError) -> String {
        let label = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...limit).contains(label.count) else {
            throw .invalidField(field, code: "length", "This field has 1 to \(limit) characters.")
        }
        return label
    }
}

/// A substance the patient reacts to; prescribing checks against these.
public struct Allergy: Sendable, Equatable, Codable {
    public var id: UUID
    public var substance: String
    public var reaction: String?
    public var severity: AllergySeverity

    public init(id: UUID, substance: String, reaction: String?, severity: AllergySeverity) {
        self.id = id
        self.substance = substance
        self.reaction = reaction
        self.severity = severity
    }
}

public enum AllergySeverity: String, Codable, Sendable, CaseIterable {
    case mild, moderate, severe
}

/// A condition the patient is known to have, coded in ICD-10.
public struct KnownCondition: Sendable, Equatable, Codable {
    public var id: UUID
    public var icd10: ICD10Code
    public var name: String
    public var diagnosedOn: CalendarDate?

    public init(id: UUID, icd10: ICD10Code, name: String, diagnosedOn: CalendarDate?) {
        self.id = id
        self.icd10 = icd10
        self.name = name
        self.diagnosedOn = diagnosedOn
    }
}

/// How a family member relates to the patient who acts for them.
public enum FamilyRelationship: String, Codable, Sendable, CaseIterable {
    case child, parent, spouse, other
}

/// A family member's record and the link that lets the account holder act for them.
public struct FamilyMember: Sendable, Equatable {
    public var patientId: UUID
    public var relationship: FamilyRelationship
    public var realName: String
    public var nationalId: NationalID

    public init(patientId: UUID, relationship: FamilyRelationship, realName: String, nationalId: NationalID) {
        self.patientId = patientId
        self.relationship = relationship
        self.realName = realName
        self.nationalId = nationalId
    }

    /// Whether the account holder is this member's guardian on `day`: a child under 18.
    public func isMinor(on day: CalendarDate) -> Bool {
        nationalId.birthDate.years(until: day) < 18
    }
}

/// Rules for adding a family member.
public enum FamilyRule {
    /// Adds are refused for oneself, and a `child` must be younger than the account holder.
    public static func checkNewMember(_ member: NationalID, relationship: FamilyRelationship,
                                      holder: NationalID) throws(DomainError) {
        if member.value == holder.value {
            throw .refused(code: "family_member_is_self", message: "You cannot add yourself as a family member.")
        }
        if relationship == .child && member.birthDate <= holder.birthDate {
            throw .refused(code: "child_older_than_holder", message: "A child must be younger than the account holder.")
        }
    }
}
