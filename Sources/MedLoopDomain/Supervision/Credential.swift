import Foundation

/// Who holds a credential: a doctor (physician practising certificate), a pharmacist (licensed
/// pharmacist registration) or a pharmacy (drug trading licence), DOMAIN.md "qualification review".
public enum CredentialHolderKind: String, Codable, Sendable, CaseIterable {
    case doctor, pharmacist, pharmacy

    /// The kind of credential an account of `role` submits for itself (pharmacy staff submit their
    /// pharmacy's); `nil` for roles that hold none.
    public static func of(_ role: Role) -> CredentialHolderKind? {
        switch role {
        case .doctor: return .doctor
        case .pharmacist: return .pharmacist
        case .pharmacyStaff: return .pharmacy
        default: return nil
        }
    }
}

/// Where a doctor or pharmacist also practises: a site other than the institution their licence
/// is registered at needs that institution's written consent (multi-site practice), named by its
/// reference.
public struct PracticeSiteClaim: Sendable, Equatable, Codable {
    public var institutionId: UUID
    public var consentReference: String?

    public init(institutionId: UUID, consentReference: String?) {
        self.institutionId = institutionId
        self.consentReference = consentReference
    }
}

/// A credential as its holder submits it, before checks. Certificate files are uploaded first
/// (each checked by `CertificateFileRule`) and named here by their identifiers.
public struct CredentialDraft: Sendable, Equatable {
    public var holderKind: CredentialHolderKind
    public var licenceNumber: String
    public var certificateFiles: [UUID]
    public var practiceSites: [PracticeSiteClaim]
    public var yearsOfPractice: Int
    public var licenceExpiresOn: CalendarDate

    public init(holderKind: CredentialHolderKind, licenceNumber: String, certificateFiles: [UUID],
                practiceSites: [PracticeSiteClaim], yearsOfPractice: Int, licenceExpiresOn: CalendarDate) {
        self.holderKind = holderKind
        self.licenceNumber = licenceNumber
        self.certificateFiles = certificateFiles
        self.practiceSites = practiceSites
        self.yearsOfPractice = yearsOfPractice
        self.licenceExpiresOn = licenceExpiresOn
    }

    public static let maximumFiles = 5
    public static let maximumSites = 10
    public static let maximumYearsOfPractice = 70
    /// A licence runs at most this many years from its submission (practising certificates are
    /// renewed every five years; ten leaves room for any licence MedLoop knows).
    public static let maximumYearsAhead = 10

    /// Checks every field against `today` (an Asia/Shanghai day) and the institution the holder is
    /// registered at; reports all bad fields at once (400).
    public func validate(today: CalendarDate, registeredInstitution: UUID?) throws(DomainError) {
        var validator = FieldValidator()
        switch holderKind {
        case .doctor:
            // Physician practising certificate numbers are 15 digits (医师执业证书编码), as in the directory.
            if licenceNumber.count != 15 || !licenceNumber.allSatisfy(\.isASCIIDigit) {
                validator.add("licenceNumber", code: "format", "A physician's practising licence number has 15 digits.")
            }
        case .pharmacist, .pharmacy:
            // Pharmacist registrations and drug trading licences mix a province character, letters and digits.
            if !(6...32).contains(licenceNumber.count)
                || !licenceNumber.allSatisfy({ $0.isASCIIDigit || ($0.isASCII && $0.isLetter) || $0.isHan }) {
                validator.add("licenceNumber", code: "format", "A licence number has 6 to 32 letters or digits.")
            }
        }
        if certificateFiles.isEmpty || certificateFiles.count > Self.maximumFiles {
            validator.add("certificateFiles", code: "count", "Attach 1 to 5 certificate images.")
        } else if Set(certificateFiles).count != certificateFiles.count {
            validator.add("certificateFiles", code: "duplicate", "Attach each certificate image once.")
        }
        if holderKind == .pharmacy, !practiceSites.isEmpty {
            validator.add("practiceSites", code: "not_allowed", "A pharmacy has no practice sites.")
        } else if practiceSites.count > Self.maximumSites {
            validator.add("practiceSites", code: "count", "At most 10 practice sites.")
        } else if Set(practiceSites.map(\.institutionId)).count != practiceSites.count {
            validator.add("practiceSites", code: "duplicate", "Name each practice site once.")
        } else {
            for (index, site) in practiceSites.enumerated() where site.institutionId != registeredInstitution {
                let reference = site.consentReference?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                if !(1...64).contains(reference.count) {
                    validator.add("practiceSites[\(index)].consentReference", code: "required",
                                  "Practising at another site needs the registered institution's consent (its reference, up to 64 characters).")
                }
            }
        }
        if !(0...Self.maximumYearsOfPractice).contains(yearsOfPractice) {
            validator.add("yearsOfPractice", code: "range", "Years of practice are between 0 and 70.")
        }
        if licenceExpiresOn <= today {
            validator.add("licenceExpiresOn", code: "past", "The licence has expired; submit a renewed one.")
        } else if licenceExpiresOn > today.adding(days: Self.maximumYearsAhead * 366) {
            validator.add("licenceExpiresOn", code: "range", "A licence expires within ten years.")
        }
        try validator.finish()
    }
}

/// A certificate scan: a JPEG, PNG or WebP image (`ImageRule`) of at most 5 MiB.
public enum CertificateFileRule {
    public static let maximumBytes = ImageRule.maximumBytes

    /// The file's media type, if `bytes` are an image MedLoop keeps as a certificate.
    public static func check(_ bytes: some Collection<UInt8>) throws(DomainError) -> String {
        do {
            return try ImageRule.check(bytes)
        } catch {
            // The same checks, named for the field a holder sends.
            if case .invalid(let issues) = error {
                throw .invalid(issues.map { FieldIssue(field: "file", code: $0.code, message: $0.message) })
            }
            throw error
        }
    }
}

/// What a regulator decides about a credential; every decision carries a reason.
public enum CredentialDecision: String, Codable, Sendable, CaseIterable {
    case approve, reject, suspend, reinstate
    /// A newer credential of the same holder was approved: this one no longer speaks for them.
    case supersede
}

/// The life of a credential: submitted → approved or rejected; approved → suspended; suspended →
/// approved again (reinstated); approved or suspended → superseded by the holder's next approved
/// credential. Rejected and superseded credentials accept nothing.
public enum CredentialState: String, Codable, Sendable, CaseIterable, StateMachine {
    case submitted, approved, rejected, suspended, superseded

    public static var conflictCode: String { "credential_state" }

    /// The state after `decision`: the one place that says which moves are legal.
    ///
    /// - Throws: `DomainError.conflict` with code `credential_state` for any other pair.
    public func after(_ decision: CredentialDecision) throws(DomainError) -> CredentialState {
        switch (self, decision) {
        case (.submitted, .approve): return .approved
        case (.submitted, .reject): return .rejected
        case (.approved, .suspend): return .suspended
        case (.suspended, .reinstate): return .approved
        case (.approved, .supersede), (.suspended, .supersede): return .superseded
        case (_, .approve), (_, .reject):
            throw .conflict(code: "credential_state", message: "Only a submitted credential is approved or rejected.")
        case (_, .suspend):
            throw .conflict(code: "credential_state", message: "Only an approved credential is suspended.")
        case (_, .reinstate):
            throw .conflict(code: "credential_state", message: "Only a suspended credential is reinstated.")
        case (_, .supersede):
            throw .conflict(code: "credential_state", message: "Only an approved or suspended credential is superseded.")
        }
    }

    /// The states one legal decision reaches from this one.
    public var next: Set<CredentialState> {
        Set(CredentialDecision.allCases.compactMap { try? after($0) })
    }

    /// The standing the holder has while this credential speaks for them.
    public var holderStatus: QualificationStatus? {
        switch self {
        case .approved: return .approved
        case .suspended: return .suspended
        case .submitted, .rejected, .superseded: return nil
        }
    }
}

/// The rules of a regulator's decision on a credential.
public enum CredentialRules {
    /// A decision's reason: 1 to 500 characters once trimmed.
    public static func reason(_ text: String?) throws(DomainError) -> String {
        let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !trimmed.isEmpty else { throw .invalidField("reason", code: "required", "Give the reason for the decision.") }
        guard trimmed.count <= 500 else { throw .invalidField("reason", code: "length", "A reason has at most 500 characters.") }
        return trimmed
    }

    /// Who may decide on a credential: a regulator whose region covers the holder's institution,
    /// never about their own credentials nor those of their own institution (issue 20, bad input).
    ///
    /// - Parameters:
    ///   - reviewer: the deciding account; `reviewerInstitution` its institution and
    ///     `reviewerRegion` that institution's region (`nil`: not a regulator institution).
    ///   - holderAccounts: the accounts the credential speaks for (the holder, the submitter).
    /// - Throws: 403 `own_credentials`, `own_institution` or `outside_region`.
    public static func checkReviewer(_ reviewer: UUID, reviewerInstitution: UUID?, reviewerRegion: RegionCode?,
                                     holderAccounts: Set<UUID>, holderInstitution: UUID,
                                     holderRegion: RegionCode) throws(DomainError) {
        guard !holderAccounts.contains(reviewer) else {
            throw .forbidden(code: "own_credentials", message: "Nobody decides on their own credentials.")
        }
        guard reviewerInstitution != holderInstitution else {
            throw .forbidden(code: "own_institution", message: "Nobody decides on the credentials of their own institution.")
        }
        guard let reviewerRegion, reviewerRegion.covers(holderRegion) else {
            throw .forbidden(code: "outside_region", message: "Only a regulator of the holder's region decides on this credential.")
        }
    }

    /// Whether a doctor may take consultations: only while qualified (a suspension stops them at once).
    ///
    /// - Throws: 403 `doctor_not_qualified`.
    public static func checkPractising(_ status: QualificationStatus?) throws(DomainError) {
        guard status == .approved else {
            throw .forbidden(code: "doctor_not_qualified", message: "Only a qualified doctor takes consultations.")
        }
    }

    /// Whether a pharmacist may review prescriptions: not while one of their credentials is suspended.
    ///
    /// - Throws: 403 `pharmacist_suspended`.
    public static func checkReviewing(isSuspended: Bool) throws(DomainError) {
        guard !isSuspended else {
            throw .forbidden(code: "pharmacist_suspended", message: "A suspended pharmacist reviews no prescriptions.")
        }
    }

    /// Whether a pharmacy may take new medicine orders: not while suspended.
    ///
    /// - Throws: 409 `pharmacy_suspended`.
    public static func checkTakingOrders(_ status: QualificationStatus) throws(DomainError) {
        guard status != .suspended else {
            throw .conflict(code: "pharmacy_suspended", message: "This pharmacy is suspended and takes no new orders.")
        }
    }
}

/// What licence expiry asks of the daily job for one credential (issue 20: 30 days before a
/// licence expires its holder and the regulator are reminded; on the day it suspends).
public enum LicenceExpiryAction: String, Sendable, Equatable, CaseIterable {
    case none, remind, suspend
}

/// The licence-expiry rule, over Asia/Shanghai days.
public enum LicenceExpiry {
    /// Reminders go out this many days before the expiry date.
    public static let reminderDays = 30

    /// The first day a reminder is due for a licence expiring on `expiresOn`.
    public static func reminderDay(expiresOn: CalendarDate) -> CalendarDate {
        expiresOn.adding(days: -reminderDays)
    }

    /// What is due `today` for an approved credential whose licence expires on `expiresOn`, given
    /// whether its reminder went out already. Only an approved credential is acted on: a suspended
    /// one is suspended already, the others speak for nobody.
    public static func due(expiresOn: CalendarDate, today: CalendarDate, state: CredentialState,
                           reminded: Bool) -> LicenceExpiryAction {
        guard state == .approved else { return .none }
        if today >= expiresOn { return .suspend }
        if today >= reminderDay(expiresOn: expiresOn), !reminded { return .remind }
        return .none
    }
}

extension Character {
    /// A CJK unified ideograph (the province character of a licence number).
    var isHan: Bool {
        unicodeScalars.allSatisfy { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) }
    }
}
