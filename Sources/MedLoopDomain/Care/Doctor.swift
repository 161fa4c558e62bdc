import Foundation

/// Professional titles of Chinese physicians, highest first.
public enum DoctorTitle: String, Codable, Sendable, CaseIterable {
    case chief              // 主任医师
    case associateChief     // 副主任医师
    case attending          // 主治医师
    case resident           // 住院医师

    public var nameZh: String {
        switch self {
        case .chief: return "主任医师"
        case .associateChief: return "副主任医师"
        case .attending: return "主治医师"
        case .resident: return "住院医师"
        }
    }
}

/// Whether a regulator has qualified a doctor to practise online (supervision issue sets it).
public enum QualificationStatus: String, Codable, Sendable, CaseIterable {
    case pending, approved, suspended

    /// Whether a doctor with this status is shown to patients: only once approved.
    public var isListed: Bool { self == .approved }

    /// How a department's count of approved doctors changes when a doctor's standing goes from
    /// `before` (nil for a doctor just registered) to `after`: +1, -1 or 0.
    public static func approvedCountChange(from before: QualificationStatus?, to after: QualificationStatus) -> Int {
        (after == .approved ? 1 : 0) - (before == .approved ? 1 : 0)
    }
}

/// A doctor as the directory shows them.
public struct Doctor: Sendable, Equatable {
    public var id: UUID
    public var accountId: UUID?
    public var name: String
    public var title: DoctorTitle
    public var department: String
    public var specialties: [String]
    public var training: String
    /// The year the doctor began independent practice; years of practice follow from it.
    public var practiceSince: Int
    public var licenceNumber: String
    public var bio: String
    public var photoURL: String?
    public var qualification: QualificationStatus
    /// The physical hospital (or platform) the doctor works at.
    public var hospitalId: UUID
    /// The region (city) the doctor practises in, for search by city.
    public var cityCode: String
    /// Internet hospitals the doctor consults under (multi-site practice).
    public var practiceSites: [UUID]
    /// ICD-10 codes of the conditions the doctor treats.
    public var conditions: [String]
    public var counters: DoctorCounters

    public init(id: UUID, accountId: UUID?, name: String, title: DoctorTitle, department: String, specialties: [String],
                training: String, practiceSince: Int, licenceNumber: String, bio: String, photoURL: String?,
                qualification: QualificationStatus, hospitalId: UUID, cityCode: String, practiceSites: [UUID],
                conditions: [String], counters: DoctorCounters = DoctorCounters()) {
        self.id = id
        self.accountId = accountId
        self.name = name
        self.title = title
        self.department = department
        self.specialties = specialties
        self.training = training
        self.practiceSince = practiceSince
        self.licenceNumber = licenceNumber
        self.bio = bio
        self.photoURL = photoURL
        self.qualification = qualification
        self.hospitalId = hospitalId
        self.cityCode = cityCode
        self.practiceSites = practiceSites
        self.conditions = conditions
        self.counters = counters
    }

    /// Whole years of independent practice in `year`.
    public func yearsOfPractice(in year: Int) -> Int { max(0, year - practiceSince) }

    /// Only approved doctors with at least 3 years of independent practice can be booked
    /// (care issue, doctors and their practice).
    public static let minimumYearsOfPractice = 3

    /// Whether patients may see this doctor at all (profile, reputation, photo, search): only an
    /// approved doctor is listed; anyone else is not found.
    public var isListed: Bool { qualification.isListed }

    public func checkBookable(in year: Int) throws(DomainError) {
        guard qualification == .approved else {
            throw .refused(code: "doctor_not_approved", message: "This doctor is not approved to consult online.")
        }
        guard yearsOfPractice(in: year) >= Doctor.minimumYearsOfPractice else {
            throw .refused(code: "doctor_too_junior",
                           message: "Online consultations need a doctor with at least 3 years of independent practice.")
        }
    }
}

/// A doctor's profile photo: a JPEG or PNG image (recognised by `ImageRule`) of at most 2 MiB.
public enum DoctorPhotoRule {
    public static let maximumBytes = 2 << 20
    public static let mediaTypes: Set<String> = ["image/jpeg", "image/png"]

    /// The photo's media type, if `bytes` are one MedLoop shows on a profile.
    public static func check(_ bytes: some Collection<UInt8>) throws(DomainError) -> String {
        guard bytes.count <= maximumBytes else {
            throw .invalidField("image", code: "too_large", "A photo is at most 2 MiB.")
        }
        let type = try ImageRule.check(bytes)
        guard mediaTypes.contains(type) else {
            throw .invalidField("image", code: "not_an_image", "Send a JPEG or PNG image.")
        }
        return type
    }
}

/// What the directory counts for a doctor.
public struct DoctorCounters: Sendable, Equatable, Codable {
    public var patientsServed: Int
    public var consultations: Int
    /// Average time to the first reply, in seconds (`nil` before any consultation).
    public var averageReplySeconds: Int?
    public var ratingAverage: Double?
    public var ratingCount: Int

    public init(patientsServed: Int = 0, consultations: Int = 0, averageReplySeconds: Int? = nil,
                ratingAverage: Double? = nil, ratingCount: Int = 0) {
        self.patientsServed = patientsServed
        self.consultations = consultations
        self.averageReplySeconds = averageReplySeconds
        self.ratingAverage = ratingAverage
        self.ratingCount = ratingCount
    }
}

/// A new doctor profile as an operator enters it, before checks.
public struct DoctorDraft: Sendable {
    public var name: String
    public var title: DoctorTitle
    public var department: String
    public var specialties: [String]
    public var training: String
    public var practiceSince: Int
    public var licenceNumber: String
    public var bio: String
    public var conditions: [String]

    public init(name: String, title: DoctorTitle, department: String, specialties: [String], training: String,
                practiceSince: Int, licenceNumber: String, bio: String, conditions: [String]) {
        self.name = name
        self.title = title
        self.department = department
        self.specialties = specialties
        self.training = training
        self.practiceSince = practiceSince
        self.licenceNumber = licenceNumber
        self.bio = bio
        self.conditions = conditions
    }

    /// Checks every field against `year` (the current year); reports all bad fields at once.
    public func validate(year: Int) throws(DomainError) {
        var validator = FieldValidator()
        _ = validator.check { () throws(DomainError) in try ProfileRule.realName(name, field: "name") }
        _ = validator.check { () throws(DomainError) in try Department.check(department) }
        if specialties.count > 20 || specialties.contains(where: { $0.isEmpty || $0.count > 40 }) {
            validator.add("specialties", code: "invalid", "Up to 20 specialties of 1 to 40 characters.")
        }
        if training.count > 500 { validator.add("training", code: "length", "Training has at most 500 characters.") }
        if bio.count > 2000 { validator.add("bio", code: "length", "A biography has at most 2000 characters.") }
        if !(1950...year).contains(practiceSince) {
            validator.add("practiceSince", code: "range", "The year practice began is between 1950 and this year.")
        }
        // Physician practising certificate numbers are 15 digits (医师执业证书编码).
        if licenceNumber.count != 15 || !licenceNumber.allSatisfy(\.isASCIIDigit) {
            validator.add("licenceNumber", code: "format", "A practising licence number has 15 digits.")
        }
        for (index, code) in conditions.enumerated() {
            _ = validator.check { () throws(DomainError) in try ICD10Code(code, field: "conditions[\(index)]") }
        }
        try validator.finish()
    }
}
