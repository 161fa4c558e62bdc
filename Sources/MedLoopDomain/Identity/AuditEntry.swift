import Foundation

/// The result of an audited action.
public enum AuditOutcome: String, Codable, Sendable, CaseIterable {
    case success
    /// Authenticated but not allowed (403).
    case denied
    /// Refused or failed for another reason (bad credentials, validation).
    case failure
}

/// One line of the append-only audit log: who did what to which resource, when and from where.
/// Written for every read or write of a patient's personal or health data and every
/// authentication event (issue: foundation, audit log).
public struct AuditEntry: Sendable, Equatable, Codable {
    public var sequence: Int64
    public var at: Date
    public var actorAccountId: UUID?
    public var actorRole: Role?
    /// Dotted verb, e.g. `patient.read`, `auth.sign_in`.
    public var action: String
    public var resourceType: String
    public var resourceId: String?
    /// The patient whose data was touched, if any.
    public var patientId: UUID?
    public var outcome: AuditOutcome
    public var clientAddress: String?
    public var requestId: String?
    /// What the entry records beyond who did what (a prescription trail event's facts: the
    /// document hash, the pharmacy, the traceability codes), as canonical JSON; nil for most.
    public var detail: String?
    public var previousHash: String
    public var hash: String

    public init(sequence: Int64, at: Date, actorAccountId: UUID?, actorRole: Role?, action: String,
                resourceType: String, resourceId: String?, patientId: UUID?, outcome: AuditOutcome,
                clientAddress: String?, requestId: String?, detail: String? = nil, previousHash: String, hash: String = "") {
        self.sequence = sequence
        self.at = at
        self.actorAccountId = actorAccountId
        self.actorRole = actorRole
        self.action = action
        self.resourceType = resourceType
        self.resourceId = resourceId
        self.patientId = patientId
        self.outcome = outcome
        self.clientAddress = clientAddress
        self.requestId = requestId
        self.detail = detail
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// The audit log is hash-chained: each entry's hash covers its fields and the previous entry's
/// hash, so a deleted or edited line breaks every hash after it.
public enum AuditChain {
    /// The hash before the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// SHA-256 (hex) over the entry's canonical text and `previousHash`.
    public static func hash(of entry: AuditEntry) -> String {
        let millis = Int64((entry.at.timeIntervalSince1970 * 1000).rounded())
        let fields: [String?] = [
            String(entry.sequence), String(millis), entry.actorAccountId?.text, entry.actorRole?.rawValue,
            entry.action, entry.resourceType, entry.resourceId, entry.patientId?.text,
            entry.outcome.rawValue, entry.clientAddress, entry.requestId, entry.previousHash,
        ]
        // Length-prefixed fields, `-` for an absent one: no text can move across a field boundary,
        // and absent differs from empty. The detail, added later, is appended only when present,
        // so entries written before it keep their hashes.
        let canonical = (fields + (entry.detail.map { [$0] } ?? [])).map { $0.map { "\($0.utf8.count):\($0)" } ?? "-" }.joined(separator: ",")
        return Hashing.sha256Hex(canonical)
    }

    /// The entry completed with its hash.
    public static func seal(_ entry: AuditEntry) -> AuditEntry {
        var sealed = entry
        sealed.hash = hash(of: entry)
        return sealed
    }

    /// The position (sequence number it should carry) of the first entry that does not follow from
    /// the one before it, or `nil` when `entries` form an unbroken chain after `previousHash`.
    /// Entries must be numbered consecutively from the first one's number.
    public static func firstBreak(in entries: [AuditEntry], after previousHash: String = genesis) -> Int64? {
        guard let first = entries.first else { return nil }
        var expectedHash = previousHash
        for (offset, entry) in entries.enumerated() {
            let position = first.sequence + Int64(offset)
            if entry.sequence != position || entry.previousHash != expectedHash || hash(of: entry) != entry.hash {
                return position
            }
            expectedHash = entry.hash
        }
        return nil
    }

    /// Whether `entry` holds in place: its hash recomputes, it follows `previous` (or the genesis
    /// when it is the first entry), and `next`, if any, follows it.
    public static func holds(_ entry: AuditEntry, after previous: AuditEntry?, before next: AuditEntry?) -> Bool {
        guard hash(of: entry) == entry.hash else { return false }
        if let previous {
            guard previous.sequence == entry.sequence - 1, previous.hash == entry.previousHash else { return false }
        } else if entry.sequence != 1 || entry.previousHash != genesis {
            return false
        }
        if let next, next.previousHash != entry.hash { return false }
        return true
    }
}
