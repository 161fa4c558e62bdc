import Foundation

/// How serious an alert is, lowest first.
public enum AlertSeverity: String, Codable, Sendable, CaseIterable {
    case low, medium, high
}

/// Something an alert is about: a patient, a doctor, a pharmacy, a prescription, a settlement ...
public struct AlertEntity: Codable, Sendable, Hashable {
    public var type: String
    public var id: UUID

    public init(type: String, id: UUID) {
        self.type = type
        self.id = id
    }
}

/// What a fraud or abuse rule raises on an event, before it is stored in the alert queue.
public struct AlertDraft: Sendable, Equatable {
    /// The rule's stable name (`settlementInTwoCities`, ...).
    public var rule: String
    public var severity: AlertSeverity
    public var entities: [AlertEntity]
    /// The facts that made the rule fire, by name (figures written out, no personal identifiers).
    public var evidence: [String: String]
    /// Alerts with the same key are one case: a second firing while the first is open is not raised again.
    public var caseKey: String
    /// The region whose regulator sees the alert.
    public var region: RegionCode
    public var occurredAt: Date

    public init(rule: String, severity: AlertSeverity, entities: [AlertEntity], evidence: [String: String], caseKey: String,
                region: RegionCode, occurredAt: Date) {
        self.rule = rule
        self.severity = severity
        self.entities = entities
        self.evidence = evidence
        self.caseKey = caseKey
        self.region = region
        self.occurredAt = occurredAt
    }
}

/// Where an alert stands in the queue: open → investigating → confirmed or dismissed. A case is
/// looked into before it is decided, so no move skips `investigating`; the decided states are final.
public enum AlertState: String, Codable, Sendable, CaseIterable, StateMachine {
    case open, investigating, confirmed, dismissed

    /// Whether the alert has been decided (confirmed or dismissed) and can move no more.
    public var isClosed: Bool { self == .confirmed || self == .dismissed }

    /// The state after a move to `target`, or 409 `alert_state` for a move the queue does not allow
    /// (skipping `investigating`, staying put, going back, leaving a decided state).
    public func after(_ target: AlertState) throws(DomainError) -> AlertState {
        switch (self, target) {
        case (.open, .investigating), (.investigating, .confirmed), (.investigating, .dismissed):
            return target
        default:
            throw .conflict(code: Self.conflictCode, message: isClosed
                ? "This alert was \(rawValue) and is closed."
                : "An alert that is \(rawValue) cannot move to \(target.rawValue).")
        }
    }

    public static var conflictCode: String { "alert_state" }
}

/// An alert in the queue: a draft as stored, and where it stands.
public struct Alert: Sendable, Equatable {
    public var id: UUID
    public var rule: String
    public var severity: AlertSeverity
    public var state: AlertState
    public var region: RegionCode
    public var caseKey: String
    public var entities: [AlertEntity]
    public var evidence: [String: String]
    /// When what the rule saw happened (the event's time).
    public var occurredAt: Date
    /// When the monitor put it in the queue.
    public var raisedAt: Date
    public var updatedAt: Date
    /// The outbox sequence of the event it was raised on.
    public var eventSequence: Int64

    public init(id: UUID, rule: String, severity: AlertSeverity, state: AlertState, region: RegionCode, caseKey: String,
                entities: [AlertEntity], evidence: [String: String], occurredAt: Date, raisedAt: Date, updatedAt: Date,
                eventSequence: Int64) {
        self.id = id
        self.rule = rule
        self.severity = severity
        self.state = state
        self.region = region
        self.caseKey = caseKey
        self.entities = entities
        self.evidence = evidence
        self.occurredAt = occurredAt
        self.raisedAt = raisedAt
        self.updatedAt = updatedAt
        self.eventSequence = eventSequence
    }
}

/// One line of an alert's history: raised (no actor), moved from one state to another, or a note.
public struct AlertHistoryEntry: Sendable, Equatable {
    public var at: Date
    /// Who did it; `nil` for the monitor raising the alert.
    public var actorAccountId: UUID?
    public var actorRole: Role?
    /// The state before a move; `nil` when raised and for a note.
    public var from: AlertState?
    /// The state after a move or when raised; `nil` for a note.
    public var to: AlertState?
    public var note: String?

    public init(at: Date, actorAccountId: UUID?, actorRole: Role?, from: AlertState?, to: AlertState?, note: String?) {
        self.at = at
        self.actorAccountId = actorAccountId
        self.actorRole = actorRole
        self.from = from
        self.to = to
        self.note = note
    }
}

/// The rules for the notes an investigator writes on an alert.
public enum AlertNote {
    /// The longest note, in characters.
    public static let maximumLength = 2000

    /// Whether a move to `target` must say why: deciding a case (confirmed, dismissed) does;
    /// starting to look into it need not.
    public static func isRequired(movingTo target: AlertState) -> Bool { target.isClosed }

    /// The note to store for a move to `target`, or for a plain note on the alert when `target` is
    /// `nil` (which must say something): trimmed, `nil` when blank and not required.
    ///
    /// - Throws: 400 on `note`: `required` when blank where a note is required, `too_long` over
    ///   `maximumLength` characters.
    public static func check(_ note: String?, movingTo target: AlertState?) throws(DomainError) -> String? {
        let text = (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty {
            guard let target, !isRequired(movingTo: target) else {
                throw .invalidField("note", code: "required", "Say in a note why.")
            }
            return nil
        }
        guard text.count <= maximumLength else {
            throw .invalidField("note", code: "too_long", "A note has at most \(maximumLength) characters.")
        }
        return text
    }
}

extension EventKind {
    /// The fraud monitor put an alert in the queue (subject `alert`; payload: rule, severity, region).
    public static let alertRaised = EventKind(rawValue: "supervision.alert.raised")
    /// An investigator moved an alert (subject `alert`; payload: from, to, region).
    public static let alertMoved = EventKind(rawValue: "supervision.alert.moved")
}

extension DomainEvent {
    /// `alert` was raised into the queue.
    public static func alertRaised(_ alert: Alert) -> DomainEvent {
        DomainEvent(id: .v7(at: alert.raisedAt), kind: .alertRaised, subjectType: "alert", subjectId: alert.id,
                    payload: CanonicalJSON.text(of: ["region": alert.region.value, "rule": alert.rule,
                                                     "severity": alert.severity.rawValue]),
                    occurredAt: alert.raisedAt)
    }

    /// `alert` moved from `from` to its present state.
    public static func alertMoved(_ alert: Alert, from: AlertState) -> DomainEvent {
        DomainEvent(id: .v7(at: alert.updatedAt), kind: .alertMoved, subjectType: "alert", subjectId: alert.id,
                    payload: CanonicalJSON.text(of: ["from": from.rawValue, "region": alert.region.value, "to": alert.state.rawValue]),
                    occurredAt: alert.updatedAt)
    }
}
