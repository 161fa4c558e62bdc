/// What an account is in MedLoop (DOMAIN.md, actors). Patients sign themselves up; every other
/// role is a staff account created by an operator.
public enum Role: String, Codable, Sendable, CaseIterable {
    case patient
    case doctor
    case pharmacist
    case pharmacyStaff
    case courier
    case insurer
    case regulator
    case `operator`

    /// Staff accounts are created by an operator, not by sign-up.
    public var isStaff: Bool { self != .patient }

    /// The institution kinds a staff account of this role may belong to; `nil` means it belongs to
    /// none (the platform operator).
    public var institutionKinds: Set<InstitutionKind>? {
        switch self {
        case .patient, .operator: return nil
        case .doctor: return [.physicalHospital, .internetHospital, .platformInternetHospital]
        case .pharmacist: return [.pharmacy, .physicalHospital, .internetHospital, .platformInternetHospital]
        case .pharmacyStaff, .courier: return [.pharmacy]
        case .insurer: return [.insurer]
        case .regulator: return [.regulator]
        }
    }

    /// Checks that a new account of this role is attached to a fitting institution.
    public func checkInstitution(_ kind: InstitutionKind?) throws(DomainError) {
        switch (institutionKinds, kind) {
        case (nil, nil): return
        case (nil, .some):
            throw .invalidField("institutionId", code: "not_allowed", "A \(rawValue) account belongs to no institution.")
        case (.some, nil):
            throw .invalidField("institutionId", code: "required", "A \(rawValue) account needs an institution.")
        case (.some(let kinds), .some(let kind)):
            guard kinds.contains(kind) else {
                throw .invalidField("institutionId", code: "wrong_kind",
                                    "A \(rawValue) account cannot belong to a \(kind.rawValue).")
            }
        }
    }
}
