import Foundation

/// Who is making a request: the signed-in account, its role and institution, and — for a patient —
/// the patient record it owns.
public struct Caller: Sendable, Equatable {
    public var accountId: UUID
    public var role: Role
    public var institutionId: UUID?
    /// The patient record of a patient account.
    public var patientId: UUID?

    public init(accountId: UUID, role: Role, institutionId: UUID? = nil, patientId: UUID? = nil) {
        self.accountId = accountId
        self.role = role
        self.institutionId = institutionId
        self.patientId = patientId
    }
}

/// Actions that depend on the role alone.
public enum Permission: String, Sendable, CaseIterable {
    /// Create and list staff accounts.
    case manageAccounts
    /// Register and change institutions.
    case manageInstitutions
    /// Look up institutions of the registry.
    case viewInstitutions
    /// Read the audit log.
    case readAuditLog
    /// Register doctors in the directory.
    case manageDoctors
    /// Approve or suspend a doctor's qualification.
    case qualifyDoctors
    /// Keep a wallet and buy services.
    case buyServices
    /// Send a patient's lab and exam results from a hospital.
    case importRecords
    /// Write, sign and void prescriptions.
    case prescribe
    /// Review prescriptions of one's institution.
    case reviewPrescriptions
    /// Run the clinical checks on a list of drugs (as decision-support tools offer).
    case runClinicalChecks
    /// Dispense and hand over medicine orders of one's pharmacy.
    case dispense
    /// Keep one's pharmacy's stock.
    case manageStock
    /// Deliver medicine orders assigned to one.
    case deliver
    /// End a medicine order before it is dispensed: one's own (a patient) or one's pharmacy's.
    case cancelMedicineOrders
    /// Keep one's region's insurance: insured persons, e-vouchers, policy versions, quotas.
    case manageInsurance
    /// Run the settlement rule without side effects, and read policies and quota use.
    case simulateSettlements
    /// Read any settlement (a patient reads their own through their orders).
    case readSettlements
    /// Submit one's own credentials for qualification review (a doctor, a pharmacist, a pharmacy).
    case submitCredentials
    /// Watch one's region: the live dashboard, alerts, traces, who accessed which patient's data.
    case superviseRegion
    /// Read the usage figures and charts (a regulator its own region only).
    case readAnalytics
    /// Draw random samples of prescriptions for re-evaluation.
    case drawAuditSamples
    /// Judge prescriptions of an audit sample assigned to one.
    case judgeAuditSamples
}

/// The access rules of MedLoop, one pure function per kind of resource. Routes ask; they never
/// decide themselves.
public enum AccessPolicy {
    /// Whether `role` may perform `permission`.
    public static func allows(_ role: Role, _ permission: Permission) -> Bool {
        switch permission {
        case .manageAccounts, .manageInstitutions: return role == .operator
        case .viewInstitutions: return true
        case .readAuditLog, .qualifyDoctors: return role == .regulator
        case .manageDoctors: return role == .operator
        case .buyServices: return role == .patient
        case .importRecords, .prescribe: return role == .doctor
        case .reviewPrescriptions: return role == .pharmacist
        case .runClinicalChecks: return role == .doctor || role == .pharmacist
        case .dispense, .manageStock: return role == .pharmacyStaff || role == .pharmacist
        case .deliver: return role == .courier
        case .cancelMedicineOrders: return [.patient, .pharmacyStaff, .pharmacist].contains(role)
        case .manageInsurance: return role == .insurer
        case .simulateSettlements, .readSettlements: return [.insurer, .regulator, .operator].contains(role)
        case .submitCredentials: return [.doctor, .pharmacist, .pharmacyStaff].contains(role)
        case .superviseRegion: return role == .regulator
        case .readAnalytics, .drawAuditSamples: return role == .regulator || role == .operator
        case .judgeAuditSamples: return role == .pharmacist
        }
    }

    /// Whether `caller` may read or change the personal and health data of patient `patientId`.
    /// A patient reaches their own record and those of the family members they act for
    /// (`actsFor`, e.g. a guardian for a child). Staff reach no patient data through the identity
    /// routes; clinical access arrives with consultations, tied to one consultation.
    public static func canAccessPatient(_ caller: Caller, patientId: UUID, actsFor: Set<UUID>) -> Bool {
        guard caller.role == .patient, let own = caller.patientId else { return false }
        return own == patientId || actsFor.contains(patientId)
    }
}
