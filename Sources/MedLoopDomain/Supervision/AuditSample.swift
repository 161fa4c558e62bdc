import Foundation

/// What a regulator or an internet hospital asks to be sampled for a random prescription audit
/// (DOMAIN.md, supervision: periodic random sampling and re-evaluation of prescriptions): the
/// prescriptions signed in a period, narrowed to a doctor, a department or a drug class, and how
/// many to draw. The seed makes the draw reproducible: the same request over the same
/// prescriptions draws the same sample.
public struct AuditSampleRequest: Sendable, Hashable {
    public var seed: Int64
    /// The period, by signing time: `from` inclusive, `to` exclusive.
    public var from: Date
    public var to: Date
    public var doctorAccountId: UUID?
    public var department: String?
    /// An ATC code prefix (`C`, `C08`, `C08CA`, `C08CA01`): prescriptions with an item of the class.
    public var drugClass: String?
    public var size: Int

    /// The largest sample one request draws.
    public static let maximumSize = 500
    /// The largest seed: a JSON number every client reads exactly (2^53 − 1).
    public static let maximumSeed: Int64 = 9_007_199_254_740_991
    /// The longest period one sample covers.
    public static let maximumPeriodDays = 366

    /// A checked request.
    ///
    /// - Throws: 400 listing every bad field: a seed outside 0…2^53−1, a period that is empty,
    ///   reversed or over a year, a size outside 1…500, a drug class that is not an ATC prefix,
    ///   an empty or over-long department.
    public init(seed: Int64, from: Date, to: Date, doctorAccountId: UUID? = nil, department: String? = nil,
                drugClass: String? = nil, size: Int) throws(DomainError) {
        var validator = FieldValidator()
        if !(0...Self.maximumSeed).contains(seed) {
            validator.add("seed", code: "out_of_range", "A seed is a whole number from 0 to \(Self.maximumSeed).")
        }
        if !(from < to) {
            validator.add("to", code: "before_from", "The period ends after it starts.")
        } else if to.timeIntervalSince(from) > Double(Self.maximumPeriodDays) * 86_400 {
            validator.add("to", code: "too_long", "A sample covers at most \(Self.maximumPeriodDays) days.")
        }
        if !(1...Self.maximumSize).contains(size) {
            validator.add("size", code: "out_of_range", "A sample holds 1 to \(Self.maximumSize) prescriptions.")
        }
        let trimmedDepartment = department?.trimmingCharacters(in: .whitespaces)
        if let trimmedDepartment, !(1...64).contains(trimmedDepartment.count) {
            validator.add("department", code: "length", "A department has 1 to 64 characters.")
        }
        let upperClass = drugClass?.trimmingCharacters(in: .whitespaces).uppercased()
        if let upperClass, !Self.isATCPrefix(upperClass) {
            validator.add("drugClass", code: "format", "A drug class is an ATC code or its start, like C, C08 or C08CA.")
        }
        try validator.finish()
        self.seed = seed
        self.from = from
        self.to = to
        self.doctorAccountId = doctorAccountId
        self.department = trimmedDepartment
        self.drugClass = upperClass
        self.size = size
    }

    /// Whether `text` is an ATC code cut at one of its levels (1, 3, 4, 5 or 7 characters):
    /// letter, two digits, letter, letter, two digits.
    public static func isATCPrefix(_ text: String) -> Bool {
        let characters = Array(text)
        guard [1, 3, 4, 5, 7].contains(characters.count) else { return false }
        let pattern: [(Character) -> Bool] = [
            { $0.isASCII && $0.isUppercase }, { $0.isASCII && $0.isNumber }, { $0.isASCII && $0.isNumber },
            { $0.isASCII && $0.isUppercase }, { $0.isASCII && $0.isUppercase },
            { $0.isASCII && $0.isNumber }, { $0.isASCII && $0.isNumber },
        ]
        return characters.enumerated().allSatisfy { pattern[$0.offset]($0.element) }
    }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a small generator whose output depends only on its
/// seed, on every machine and Swift version. Audit samples must be drawn again identically years
/// later, so they never use the system generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }

    /// What the generator adds to its state before each output.
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The output function: a bijection of the 64-bit values, so distinct states give distinct
    /// outputs.
    public static func mix(_ state: UInt64) -> UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in `0..<bound` by rejection, written out so that it does not depend on the
    /// standard library's algorithm for `next(upperBound:)`.
    public mutating func uniform(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "an empty range has no value")
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let value = next()
            if value < limit { return value % bound }
        }
    }
}

/// The random draw and the assignment of a prescription audit: pure, seeded, reproducible.
public enum AuditSampling {
    /// Draws `size` distinct prescriptions of `population` with `seed`. The population is sorted
    /// (and duplicates dropped) first, so the result does not depend on the order it was read in;
    /// a partial Fisher–Yates shuffle with `SplitMix64` picks the sample, in drawing order.
    ///
    /// - Throws: 400 `size` outside 1…; 422 `sample_larger_than_population` when fewer
    ///   prescriptions than `size` match.
    public static func draw(from population: [UUID], size: Int, seed: Int64) throws(DomainError) -> [UUID] {
        guard size >= 1 else {
            throw .invalidField("size", code: "out_of_range", "A sample holds at least one prescription.")
        }
        var pool = Array(Set(population)).sorted { $0.uuidString < $1.uuidString }
        guard size <= pool.count else {
            throw .refused(code: "sample_larger_than_population",
                           message: "Only \(pool.count) prescriptions match; draw at most that many.")
        }
        var generator = SplitMix64(seed: UInt64(bitPattern: seed))
        for index in 0..<size {
            let pick = index + Int(generator.uniform(below: UInt64(pool.count - index)))
            pool.swapAt(index, pick)
        }
        return Array(pool.prefix(size))
    }

    /// Assigns each sampled prescription to a pharmacist outside its prescriber's institutions,
    /// in turn: the candidates are ordered by account, the turn starts at a place set by `seed`,
    /// and each item goes to the next candidate in turn who qualifies for it. The result lists
    /// the pharmacist of each item, in the items' order.
    ///
    /// - Throws: 422 `no_eligible_reviewer` when some prescription has no candidate outside its
    ///   prescriber's institutions (nothing is assigned then).
    public static func assign(_ items: [AuditItemFacts], to candidates: [AuditReviewer], seed: Int64) throws(DomainError) -> [UUID] {
        let ordered = Array(Set(candidates)).sorted { $0.accountId.uuidString < $1.accountId.uuidString }
        guard !ordered.isEmpty || items.isEmpty else {
            throw .refused(code: "no_eligible_reviewer", message: "No pharmacist is available to judge the sample.")
        }
        var turn = ordered.isEmpty ? 0 : Int(UInt64(bitPattern: seed) % UInt64(ordered.count))
        var assigned: [UUID] = []
        for item in items {
            var found: Int?
            for step in 0..<ordered.count {
                let place = (turn + step) % ordered.count
                if mayJudge(ordered[place], item) { found = place; break }
            }
            guard let found else {
                throw .refused(code: "no_eligible_reviewer",
                               message: "No pharmacist outside the prescriber's institution is available for a sampled prescription.")
            }
            assigned.append(ordered[found].accountId)
            turn = (found + 1) % ordered.count
        }
        return assigned
    }

    /// Whether `reviewer` may judge `item`: a pharmacist of the prescriber's own institution may
    /// not re-evaluate its prescriptions (issue 20, bad input).
    public static func mayJudge(_ reviewer: AuditReviewer, _ item: AuditItemFacts) -> Bool {
        !item.prescriberInstitutions.contains(reviewer.institutionId)
    }
}

/// What the assignment needs to know of a sampled prescription: the institutions its prescriber
/// belongs to (the issuing internet hospital, the physical hospital behind it, the doctor's own).
public struct AuditItemFacts: Sendable, Hashable {
    public var prescriptionId: UUID
    public var prescriberInstitutions: Set<UUID>

    public init(prescriptionId: UUID, prescriberInstitutions: Set<UUID>) {
        self.prescriptionId = prescriptionId
        self.prescriberInstitutions = prescriberInstitutions
    }
}

/// A pharmacist who may be asked to judge sampled prescriptions, and their institution.
public struct AuditReviewer: Sendable, Hashable {
    public var accountId: UUID
    public var institutionId: UUID

    public init(accountId: UUID, institutionId: UUID) {
        self.accountId = accountId
        self.institutionId = institutionId
    }
}

/// Event kinds of random prescription audits.
extension EventKind {
    /// A sample was drawn and assigned.
    public static let auditSampleDrawn = EventKind(rawValue: "supervision.audit_sample.drawn")
    /// A pharmacist recorded the verdict on one sampled prescription.
    public static let auditVerdictRecorded = EventKind(rawValue: "supervision.audit_sample.verdict_recorded")
}
