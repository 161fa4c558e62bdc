import Foundation

/// What can happen to a consultation: the events that move it from one state to the next.
public enum ConsultationEvent: String, Sendable, CaseIterable {
    /// The doctor takes the consultation from the queue.
    case accept
    /// The doctor ends the consultation (advised or referred).
    case complete
    /// Nobody accepted it in time, or it was called off while waiting: the fee goes back.
    case refund
    /// Its doctor was suspended (issue 20): an open consultation, waiting or active, goes back with its fee.
    case handBack
}

/// The life of an online consultation: it waits in the doctor's queue once paid, is active once
/// the doctor accepts, and ends completed (possibly with a referral to in-person care) — or is
/// refunded when nobody accepted it in time.
public enum ConsultationState: String, Codable, Sendable, CaseIterable {
    case waiting, active, completed, refunded

    /// The state a consultation is in after `event`: the one place that says which moves are
    /// legal. waiting + accept → active; active + complete → completed; waiting + refund → refunded.
    ///
    /// - Throws: `DomainError.conflict` with code `consultation_state` for any other pair;
    ///   completed and refunded consultations accept no event.
    public func after(_ event: ConsultationEvent) throws(DomainError) -> ConsultationState {
        switch (self, event) {
        case (.waiting, .accept): return .active
        case (.active, .complete): return .completed
        case (.waiting, .refund): return .refunded
        case (.waiting, .handBack), (.active, .handBack): return .refunded
        case (_, .accept):
            throw .conflict(code: "consultation_state", message: "Only a waiting consultation can be accepted.")
        case (_, .complete):
            throw .conflict(code: "consultation_state", message: "Only an active consultation can be completed.")
        case (_, .refund):
            throw .conflict(code: "consultation_state", message: "Only a waiting consultation can be refunded.")
        case (_, .handBack):
            throw .conflict(code: "consultation_state", message: "Only an open consultation can be handed back.")
        }
    }

    /// The states a consultation may move to from this one: exactly those one legal event reaches.
    public var next: Set<ConsultationState> {
        Set(ConsultationEvent.allCases.compactMap { try? after($0) })
    }
}

/// How a consultation ended.
public enum ConsultationOutcome: String, Codable, Sendable, CaseIterable {
    /// Advice given online.
    case advised
    /// Sent to in-person care (the case is unsuitable online: DOMAIN.md, risks).
    case referred
}

/// A consultation as stored.
public struct Consultation: Sendable, Equatable {
    public var id: UUID
    public var orderId: UUID
    public var accountId: UUID
    public var patientId: UUID
    public var doctorId: UUID
    public var doctorAccountId: UUID?
    public var service: ServiceKind
    public var state: ConsultationState
    public var queuedAt: Date
    public var acceptedAt: Date?
    /// When a text package stops taking messages (48 hours after acceptance).
    public var closesAt: Date?
    public var completedAt: Date?
    public var diagnosis: ICD10Code?
    public var notes: String?
    public var outcome: ConsultationOutcome?

    public init(id: UUID, orderId: UUID, accountId: UUID, patientId: UUID, doctorId: UUID, doctorAccountId: UUID?,
                service: ServiceKind, state: ConsultationState, queuedAt: Date, acceptedAt: Date? = nil, closesAt: Date? = nil,
                completedAt: Date? = nil, diagnosis: ICD10Code? = nil, notes: String? = nil, outcome: ConsultationOutcome? = nil) {
        self.id = id
        self.orderId = orderId
        self.accountId = accountId
        self.patientId = patientId
        self.doctorId = doctorId
        self.doctorAccountId = doctorAccountId
        self.service = service
        self.state = state
        self.queuedAt = queuedAt
        self.acceptedAt = acceptedAt
        self.closesAt = closesAt
        self.completedAt = completedAt
        self.diagnosis = diagnosis
        self.notes = notes
        self.outcome = outcome
    }

    /// A paid consultation nobody accepted within this time is refunded automatically.
    public static let acceptanceDeadline: TimeInterval = 24 * 3600

    /// Whether `account` takes part: the patient's account or the doctor's.
    public func isParticipant(_ account: UUID) -> Bool {
        account == accountId || account == doctorAccountId
    }

    /// Checks that a message may be sent at `now`: the consultation is active and, for a text
    /// package, its 48-hour window is open.
    public func checkOpen(at now: Date) throws(DomainError) {
        guard state == .active else {
            throw .conflict(code: "consultation_not_active",
                            message: state == .waiting ? "The doctor has not accepted this consultation yet."
                                                       : "This consultation has ended.")
        }
        if let closesAt, now >= closesAt {
            throw .conflict(code: "consultation_window_closed", message: "The 48-hour window of this consultation has closed.")
        }
    }
}

/// A doctor's queue position and the wait the patient can expect.
public struct QueuePosition: Sendable, Equatable, Codable {
    /// 1 for the next patient to be accepted.
    public var position: Int
    public var expectedWaitMinutes: Int

    /// Minutes a doctor spends per waiting patient when they have no history yet.
    public static let defaultMinutesPerPatient = 10

    /// Position `index` (0-based) in a queue, with the doctor's average time to reply.
    public init(index: Int, averageReplySeconds: Int?) {
        position = index + 1
        let perPatient = max(1, (averageReplySeconds ?? QueuePosition.defaultMinutesPerPatient * 60) / 60)
        expectedWaitMinutes = index * perPatient
    }
}

/// A message in a consultation.
public enum MessageKind: String, Codable, Sendable, CaseIterable {
    case text, image, system
}

/// Message bodies: 1 to 2000 characters.
public enum MessageRule {
    public static func text(_ body: String) throws(DomainError) -> String {
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...2000).contains(trimmed.count) else {
            throw .invalidField("text", code: "length", "A message has 1 to 2000 characters.")
        }
        return trimmed
    }
}

/// Uploaded images: JPEG, PNG or WebP, recognised by their first bytes, at most 5 MiB.
public enum ImageRule {
    public static let maximumBytes = 5 << 20

    /// The image's media type, if `bytes` start like one MedLoop accepts.
    public static func mediaType(of bytes: some Collection<UInt8>) -> String? {
        let head = Array(bytes.prefix(12))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if head.count >= 12, head.starts(with: Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) { return "image/webp" }
        return nil
    }

    /// Checks an upload's size and content.
    public static func check(_ bytes: some Collection<UInt8>) throws(DomainError) -> String {
        guard bytes.count <= maximumBytes else {
            throw .invalidField("image", code: "too_large", "An image is at most 5 MiB.")
        }
        guard !bytes.isEmpty, let type = mediaType(of: bytes) else {
            throw .invalidField("image", code: "not_an_image", "Send a JPEG, PNG or WebP image.")
        }
        return type
    }
}

extension Consultation {
    /// Checks that `account` may send a call's signalling (offer, answer, ICE candidates, hang-up)
    /// at `now`: only the consultation's two parties, in an open voice or video consultation — an
    /// invited colleague reads the conversation but is not on the call.
    public func checkCallSignal(from account: UUID, at now: Date) throws(DomainError) {
        guard isParticipant(account) else {
            throw .forbidden(code: "not_a_call_party", message: "Only the patient and the doctor of this consultation are on its calls.")
        }
        guard service.isMetered else {
            throw .conflict(code: "not_a_call", message: "This consultation is not a voice or video consultation.")
        }
        try checkOpen(at: now)
    }
}

/// A WebRTC signalling message relayed between the two parties of a call, as MedLoop reads it:
/// its kind and its size are checked, the rest is passed on as the browser wrote it.
public enum CallSignal {
    public static let kinds: Set<String> = ["offer", "answer", "candidate", "hangup", "connected"]
    /// An SDP offer with a few media sections is a few kilobytes; anything larger is not a signal.
    public static let maximumBytes = 32 * 1024

    /// - Throws: 400 `signal` / `invalid_value` for an unknown kind, `length` when too large.
    public static func check(kind: String, bytes: Int) throws(DomainError) {
        guard kinds.contains(kind) else {
            throw .invalidField("signal.kind", code: "invalid_value", "kind is offer, answer, candidate, connected or hangup.")
        }
        guard bytes <= maximumBytes else {
            throw .invalidField("signal", code: "length", "A signalling message is at most 32 KiB.")
        }
    }
}

