import Foundation

/// The kinds of institution in the registry (DOMAIN.md, institutions).
public enum InstitutionKind: String, Codable, Sendable, CaseIterable {
    case physicalHospital
    case internetHospital
    /// A third-party platform that organises doctors nationwide as an internet hospital.
    case platformInternetHospital
    case pharmacy
    case insurer
    case regulator

    public var isHospital: Bool {
        self == .physicalHospital || self == .internetHospital || self == .platformInternetHospital
    }
}

/// The level of a physical hospital, which sets outpatient fees and reimbursement ratios.
public enum HospitalLevel: String, Codable, Sendable, CaseIterable {
    case tertiary, secondary, primary
}

/// An institution as registered: everything else in MedLoop hangs on one.
public struct Institution: Codable, Sendable, Equatable {
    public var id: UUID
    public var kind: InstitutionKind
    public var name: String
    public var regionCode: RegionCode
    /// Set for physical hospitals only.
    public var level: HospitalLevel?
    /// The physical hospital an internet hospital belongs to (required by law for internet hospitals).
    public var physicalHospitalId: UUID?
    public var insuranceDesignated: Bool
    public var internetHospitalLicensed: Bool
    /// The platform's commission on fees earned at this institution, in basis points (care issue:
    /// default 10 %).
    public var commissionRateBasisPoints: Int
    public var createdAt: Date

    public init(id: UUID, kind: InstitutionKind, name: String, regionCode: RegionCode, level: HospitalLevel?,
                physicalHospitalId: UUID?, insuranceDesignated: Bool, internetHospitalLicensed: Bool,
                commissionRateBasisPoints: Int = 1000, createdAt: Date) {
        self.id = id
        self.kind = kind
        self.name = name
        self.regionCode = regionCode
        self.level = level
        self.physicalHospitalId = physicalHospitalId
        self.insuranceDesignated = insuranceDesignated
        self.internetHospitalLicensed = internetHospitalLicensed
        self.commissionRateBasisPoints = commissionRateBasisPoints
        self.createdAt = createdAt
    }
}

/// What an operator submits to register an institution, before it has an identifier.
public struct InstitutionDraft: Sendable, Equatable {
    public var kind: InstitutionKind
    public var name: String
    public var regionCode: RegionCode
    public var level: HospitalLevel?
    public var physicalHospitalId: UUID?
    public var insuranceDesignated: Bool
    public var internetHospitalLicensed: Bool

    public init(kind: InstitutionKind, name: String, regionCode: RegionCode, level: HospitalLevel? = nil,
                physicalHospitalId: UUID? = nil, insuranceDesignated: Bool = false, internetHospitalLicensed: Bool = false) {
        self.kind = kind
        self.name = name
        self.regionCode = regionCode
        self.level = level
        self.physicalHospitalId = physicalHospitalId
        self.insuranceDesignated = insuranceDesignated
        self.internetHospitalLicensed = internetHospitalLicensed
    }

    /// Checks the registry's rules: a name; a level for, and only for, physical hospitals; an
    /// internet hospital tied to an existing physical hospital (`linkedKind` is the kind of the
    /// institution `physicalHospitalId` names, `nil` if there is none).
    public func validate(linkedKind: InstitutionKind?) throws(DomainError) {
        var validator = FieldValidator()
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.count > 200 {
            validator.add("name", code: "length", "A name has 1 to 200 characters.")
        }
        switch (kind, level) {
        case (.physicalHospital, nil):
            validator.add("level", code: "required", "A physical hospital has a level.")
        case (.physicalHospital, .some), (_, nil):
            break
        case (_, .some):
            validator.add("level", code: "not_allowed", "Only physical hospitals have a level.")
        }
        switch (kind, physicalHospitalId) {
        case (.internetHospital, nil):
            validator.add("physicalHospitalId", code: "required", "An internet hospital belongs to a physical hospital.")
        case (.internetHospital, .some):
            if linkedKind != .physicalHospital {
                validator.add("physicalHospitalId", code: "not_a_physical_hospital",
                              "The linked institution is not a registered physical hospital.")
            }
        case (_, .some):
            validator.add("physicalHospitalId", code: "not_allowed", "Only internet hospitals link a physical hospital.")
        case (_, nil):
            break
        }
        try validator.finish()
    }
}
