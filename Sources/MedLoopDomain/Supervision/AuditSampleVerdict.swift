import Foundation

/// A pharmacist's re-evaluation of one sampled prescription.
public enum AuditVerdict: String, Sendable, Codable, CaseIterable {
    case appropriate, inappropriate
}

/// The verdict on a sampled prescription, with the category of the prescription review standard
/// (the same categories a reviewing pharmacist rejects with, `RejectionReason`) when it is
/// inappropriate, and the pharmacist's notes.
public struct AuditJudgement: Sendable, Hashable {
    public let verdict: AuditVerdict
    public let category: RejectionReason?
    public let notes: String

    /// The longest notes a verdict carries.
    public static let maximumNotes = 2000

    /// A checked judgement.
    ///
    /// - Throws: 400: an inappropriate verdict without a category, an appropriate one with a
    ///   category, notes over 2000 characters, or an inappropriate verdict without notes (the
    ///   doctor is told why).
    public init(verdict: AuditVerdict, category: RejectionReason?, notes: String?) throws(DomainError) {
        let written = notes?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        var validator = FieldValidator()
        switch verdict {
        case .appropriate:
            if category != nil { validator.add("category", code: "not_allowed", "An appropriate prescription has no category.") }
        case .inappropriate:
            if category == nil { validator.add("category", code: "required", "An inappropriate verdict names its category.") }
            if written.isEmpty { validator.add("notes", code: "required", "Explain what is inappropriate.") }
        }
        if written.count > Self.maximumNotes {
            validator.add("notes", code: "length", "Notes have at most \(Self.maximumNotes) characters.")
        }
        try validator.finish()
        self.verdict = verdict
        self.category = category
        self.notes = written
    }

    /// Checks that `pharmacist` may record a verdict on a sampled prescription assigned to
    /// `assignee` and prescribed at `prescriberInstitutions`, not judged yet.
    ///
    /// - Throws: 403 `reviewer_same_institution` for a pharmacist of the prescriber's institution,
    ///   403 `audit_item_not_assigned` for a pharmacist it was not assigned to, 409
    ///   `audit_verdict_recorded` when it has a verdict already.
    public static func checkJudge(_ pharmacist: AuditReviewer?, accountId: UUID, assignee: UUID,
                                  prescriberInstitutions: Set<UUID>, judged: Bool) throws(DomainError) {
        if let pharmacist, prescriberInstitutions.contains(pharmacist.institutionId) {
            throw .forbidden(code: "reviewer_same_institution",
                             message: "A pharmacist does not re-evaluate prescriptions of their own institution.")
        }
        guard accountId == assignee else {
            throw .forbidden(code: "audit_item_not_assigned", message: "This prescription is assigned to another pharmacist.")
        }
        if judged {
            throw .conflict(code: "audit_verdict_recorded", message: "The verdict on this prescription is recorded already.")
        }
    }
}

/// How many sampled prescriptions of one doctor ended with one verdict and category: a row of the
/// store's grouped count, the input of `DoctorAuditResult.results(from:)`.
public struct AuditTally: Sendable, Hashable {
    public var doctorAccountId: UUID
    /// `nil`: assigned but not judged yet.
    public var verdict: AuditVerdict?
    public var category: RejectionReason?
    public var count: Int

    public init(doctorAccountId: UUID, verdict: AuditVerdict?, category: RejectionReason?, count: Int) {
        self.doctorAccountId = doctorAccountId
        self.verdict = verdict
        self.category = category
        self.count = count
    }
}

/// One doctor's audit results: how many of their prescriptions were sampled and judged, how many
/// were inappropriate and why, and the rate.
public struct DoctorAuditResult: Sendable, Hashable {
    public var doctorAccountId: UUID
    public var sampled: Int
    public var judged: Int
    public var appropriate: Int
    public var inappropriate: Int
    /// Inappropriate per judged, in basis points (1/100 of a percent), rounded half up; 0 with
    /// nothing judged.
    public var inappropriateRateBasisPoints: Int
    /// Inappropriate verdicts by category.
    public var byCategory: [RejectionReason: Int]

    public init(doctorAccountId: UUID, sampled: Int, judged: Int, appropriate: Int, inappropriate: Int,
                inappropriateRateBasisPoints: Int, byCategory: [RejectionReason: Int]) {
        self.doctorAccountId = doctorAccountId
        self.sampled = sampled
        self.judged = judged
        self.appropriate = appropriate
        self.inappropriate = inappropriate
        self.inappropriateRateBasisPoints = inappropriateRateBasisPoints
        self.byCategory = byCategory
    }

    /// Nothing sampled yet for `doctor`.
    public static func none(_ doctor: UUID) -> DoctorAuditResult {
        DoctorAuditResult(doctorAccountId: doctor, sampled: 0, judged: 0, appropriate: 0, inappropriate: 0,
                          inappropriateRateBasisPoints: 0, byCategory: [:])
    }

    /// Adds up `tallies` per doctor, doctors in the order of their account ids.
    public static func results(from tallies: [AuditTally]) -> [DoctorAuditResult] {
        var byDoctor: [UUID: DoctorAuditResult] = [:]
        for tally in tallies where tally.count > 0 {
            var result = byDoctor[tally.doctorAccountId] ?? DoctorAuditResult(
                doctorAccountId: tally.doctorAccountId, sampled: 0, judged: 0, appropriate: 0, inappropriate: 0,
                inappropriateRateBasisPoints: 0, byCategory: [:])
            result.sampled += tally.count
            switch tally.verdict {
            case nil: break
            case .appropriate?:
                result.judged += tally.count
                result.appropriate += tally.count
            case .inappropriate?:
                result.judged += tally.count
                result.inappropriate += tally.count
                result.byCategory[tally.category ?? .other, default: 0] += tally.count
            }
            byDoctor[tally.doctorAccountId] = result
        }
        return byDoctor.values.map { result in
            var rated = result
            rated.inappropriateRateBasisPoints = result.judged == 0 ? 0 : (result.inappropriate * 20_000 + result.judged) / (2 * result.judged)
            return rated
        }.sorted { $0.doctorAccountId.uuidString < $1.doctorAccountId.uuidString }
    }
}
