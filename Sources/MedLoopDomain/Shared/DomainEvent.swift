import Foundation

/// What happened, named `area.subject.verb` (`consultation.message.sent`). Later areas add their
/// own kinds; a kind never changes meaning once events of it are stored.
public struct EventKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static let messageSent = EventKind(rawValue: "consultation.message.sent")
    public static let messagesRead = EventKind(rawValue: "consultation.messages.read")
    public static let consultationAccepted = EventKind(rawValue: "consultation.accepted")
    public static let consultationCompleted = EventKind(rawValue: "consultation.completed")
    public static let consultationRefunded = EventKind(rawValue: "consultation.refunded")
    public static let callStarted = EventKind(rawValue: "consultation.call.started")
    public static let callEnded = EventKind(rawValue: "consultation.call.ended")
    /// A paid consultation joined its doctor's queue.
    public static let consultationQueued = EventKind(rawValue: "consultation.queued")
    public static let orderPlaced = EventKind(rawValue: "order.placed")
    public static let orderPaid = EventKind(rawValue: "order.paid")
    public static let orderCancelled = EventKind(rawValue: "order.cancelled")
    public static let orderRefunded = EventKind(rawValue: "order.refunded")
    /// An order completed without a consultation (an in-person appointment visited).
    public static let orderCompleted = EventKind(rawValue: "order.completed")
    /// Something shown on a doctor's public profile changed (menu, qualification, photo, counters).
    public static let doctorChanged = EventKind(rawValue: "doctor.changed")
    /// An institution's registry entry changed (its name is shown on doctors' profiles).
    public static let institutionChanged = EventKind(rawValue: "institution.changed")
    public static let prescriptionDrafted = EventKind(rawValue: "prescription.drafted")
    public static let prescriptionSigned = EventKind(rawValue: "prescription.signed")
    public static let prescriptionApproved = EventKind(rawValue: "prescription.approved")
    public static let prescriptionRejected = EventKind(rawValue: "prescription.rejected")
    public static let prescriptionVoided = EventKind(rawValue: "prescription.voided")
    public static let prescriptionExpired = EventKind(rawValue: "prescription.expired")
    public static let medicineOrderReserved = EventKind(rawValue: "medicine_order.reserved")
    public static let medicineOrderPaid = EventKind(rawValue: "medicine_order.paid")
    public static let medicineOrderExpired = EventKind(rawValue: "medicine_order.expired")
    public static let medicineOrderCancelled = EventKind(rawValue: "medicine_order.cancelled")
    public static let medicineOrderDispensed = EventKind(rawValue: "medicine_order.dispensed")
    public static let medicineOrderDeliveryUpdated = EventKind(rawValue: "medicine_order.delivery_updated")
    public static let medicineOrderReceived = EventKind(rawValue: "medicine_order.received")
    /// A bill was settled with the insurance fund at payment, or such a settlement reversed.
    public static let insuranceSettled = EventKind(rawValue: "insurance.settled")
    public static let insuranceReversed = EventKind(rawValue: "insurance.reversed")
    /// For supervision: a dispense scanned a traceability code that was dispensed before (a fake
    /// or resold package, DOMAIN.md).
    public static let traceabilityCodeReused = EventKind(rawValue: "supervision.traceability_code_reused")
}

/// A state change, recorded in the same unit of work as the change itself (the outbox) and handed
/// afterwards, in order, to every server's subscribers: live chat, notifications, supervision.
/// `payload` is a small JSON object with what subscribers need beyond the subject.
public struct DomainEvent: Sendable, Equatable {
    public var id: UUID
    public var kind: EventKind
    public var subjectType: String
    public var subjectId: UUID
    public var payload: String
    public var occurredAt: Date

    public init(id: UUID, kind: EventKind, subjectType: String, subjectId: UUID, payload: String = "{}", occurredAt: Date) {
        self.id = id
        self.kind = kind
        self.subjectType = subjectType
        self.subjectId = subjectId
        self.payload = payload
        self.occurredAt = occurredAt
    }

    /// An event about a consultation, with `payload` encoded as JSON.
    public static func consultation<Payload: Encodable>(_ kind: EventKind, _ consultation: UUID, payload: Payload,
                                                        at now: Date) throws -> DomainEvent {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(payload), as: UTF8.self)
        return DomainEvent(id: .v7(at: now), kind: kind, subjectType: "consultation", subjectId: consultation,
                           payload: text, occurredAt: now)
    }

    /// An order moved to `state` (`kind` is one of the `order.*` kinds).
    public static func order(_ kind: EventKind, _ order: UUID, state: String, at now: Date) -> DomainEvent {
        DomainEvent(id: .v7(at: now), kind: kind, subjectType: "order", subjectId: order,
                    payload: #"{"state":"\#(state)"}"#, occurredAt: now)
    }

    /// Something on `doctor`'s public profile changed.
    public static func doctorChanged(_ doctor: UUID, _ change: DoctorChange, at now: Date) -> DomainEvent {
        DomainEvent(id: .v7(at: now), kind: .doctorChanged, subjectType: "doctor", subjectId: doctor,
                    payload: #"{"change":"\#(change.rawValue)"}"#, occurredAt: now)
    }

    /// `institution`'s registry entry changed.
    public static func institutionChanged(_ institution: UUID, at now: Date) -> DomainEvent {
        DomainEvent(id: .v7(at: now), kind: .institutionChanged, subjectType: "institution", subjectId: institution, occurredAt: now)
    }

    /// A prescription moved to `state` (`kind` is one of the `prescription.*` kinds).
    public static func prescription(_ kind: EventKind, _ prescription: UUID, state: PrescriptionState, at now: Date) -> DomainEvent {
        DomainEvent(id: .v7(at: now), kind: kind, subjectType: "prescription", subjectId: prescription,
                    payload: #"{"state":"\#(state.rawValue)"}"#, occurredAt: now)
    }

    /// A medicine order moved to `state` (`kind` is one of the `medicine_order.*` kinds).
    public static func medicineOrder(_ kind: EventKind, _ order: UUID, state: MedicineOrderState, at now: Date) -> DomainEvent {
        DomainEvent(id: .v7(at: now), kind: kind, subjectType: "medicine_order", subjectId: order,
                    payload: #"{"state":"\#(state.rawValue)"}"#, occurredAt: now)
    }

    /// A settlement (or reversal) was written; the payload carries the figures a monitor reads.
    public static func settlement(_ kind: EventKind, _ settlement: UUID, region: RegionCode, institution: UUID, fundFen: Int64,
                                  at now: Date) -> DomainEvent {
        DomainEvent(id: .v7(at: now), kind: kind, subjectType: "settlement", subjectId: settlement,
                    payload: #"{"fundFen":\#(fundFen),"institution":"\#(institution.text)","region":"\#(region.value)"}"#,
                    occurredAt: now)
    }

    /// Decodes the payload.
    public func decodePayload<Payload: Decodable>(as type: Payload.Type) throws -> Payload {
        try JSONDecoder().decode(type, from: Data(payload.utf8))
    }
}

/// An event as stored: its place in the one order every server reads them in.
public struct StoredEvent: Sendable, Equatable {
    public var sequence: Int64
    public var event: DomainEvent

    public init(sequence: Int64, event: DomainEvent) {
        self.sequence = sequence
        self.event = event
    }
}

/// What changed on a doctor's profile (payload of `doctor.changed`).
public enum DoctorChange: String, Codable, Sendable, CaseIterable {
    /// A new doctor in the directory.
    case registered
    /// A line of the service menu: price, pause, cap.
    case menu
    /// The regulator's qualification decision.
    case qualification
    case photo
    /// Patients served, consultations, reply time, ratings (and so the rank).
    case counters

    /// Whether search results show it: a search may list a doctor by a stale counter for a few
    /// seconds, never by a stale price or after a suspension.
    public var isShownInSearch: Bool {
        switch self {
        case .registered, .menu, .qualification: return true
        case .photo, .counters: return false
        }
    }

    /// The change a `doctor.changed` event records.
    public init?(event: DomainEvent) {
        struct Payload: Decodable { var change: DoctorChange }
        guard event.kind == .doctorChanged, let payload = try? event.decodePayload(as: Payload.self) else { return nil }
        self = payload.change
    }
}

/// Payload of `consultation.message.sent`: the message is read from the store by its id, so the
/// outbox holds no clinical text.
public struct MessageSent: Codable, Sendable, Equatable {
    public var messageId: UUID

    public init(messageId: UUID) {
        self.messageId = messageId
    }
}

/// Payload of `consultation.messages.read`: the reader has read the other side's messages up to `upTo`.
public struct MessagesRead: Codable, Sendable, Equatable {
    public var readerAccountId: UUID
    public var upTo: UUID

    public init(readerAccountId: UUID, upTo: UUID) {
        self.readerAccountId = readerAccountId
        self.upTo = upTo
    }
}

/// Payload of state events: the state moved to (a consultation accepted, completed, refunded; an
/// order paid, cancelled, refunded), and the call for a consultation's call events.
public struct StateChange: Codable, Sendable, Equatable {
    public var state: String
    public var callId: UUID?

    public init(state: String, callId: UUID? = nil) {
        self.state = state
        self.callId = callId
    }
}
