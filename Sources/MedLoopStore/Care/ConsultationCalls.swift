import Foundation
import MedLoopDomain
import SQLKit

/// Voice and video calls of a consultation: the sessions they are billed by, in started minutes
/// of the prepaid time.
extension ConsultationStore {
    /// A call session as recorded.
    public struct CallSession: Sendable {
        public var id: UUID
        public var startedAt: Date
        public var endedAt: Date?
        public var seconds: Int64?
        public var minutes: Int64?
    }

    /// Starts a call in an active voice or video consultation (the media itself runs outside
    /// MedLoop; this records the session it is billed by).
    public func startCall(_ id: UUID, by account: UUID, at now: Date) async throws -> CallSession {
        try await database.unitOfWork { tx in
            let consultation = try await participantConsultation(id, account: account, in: tx)
            guard consultation.service.isMetered else {
                throw DomainError.conflict(code: "not_a_call", message: "This consultation is not a voice or video consultation.")
            }
            try consultation.checkOpen(at: now)
            let open = try await tx.sql.raw("SELECT id FROM call_sessions WHERE consultation_id = \(bind: id.text) AND ended_at IS NULL").first()
            guard open == nil else { throw DomainError.conflict(code: "call_in_progress", message: "A call is already running.") }
            let used = try await tx.sql.raw("""
                SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) AS used FROM call_sessions WHERE consultation_id = \(bind: id.text)
                """).first()?.int64("used") ?? 0
            let prepaid = try await tx.sql.raw("SELECT prepaid_minutes FROM orders WHERE id = \(bind: consultation.orderId.text)")
                .first()?.optionalInt64("prepaid_minutes") ?? 0
            guard used < prepaid else {
                throw DomainError.conflict(code: "prepaid_minutes_used", message: "The prepaid minutes are used up.")
            }
            let session = CallSession(id: .v7(at: now), startedAt: Date(epochMillis: now.epochMillis))
            try await tx.sql.raw("""
                INSERT INTO call_sessions (id, consultation_id, started_by, started_at)
                VALUES (\(bind: session.id.text), \(bind: id.text), \(bind: account.text), \(bind: now.epochMillis))
                """).run()
            try await EventStore.append(.consultation(.callStarted, id, payload: StateChange(state: "active", callId: session.id),
                                                      at: now), in: tx)
            return session
        }
    }

    /// Ends a running call; its length is metered in started minutes.
    public func endCall(_ id: UUID, session: UUID, by account: UUID, at now: Date) async throws -> CallSession {
        try await database.unitOfWork { tx in
            _ = try await participantConsultation(id, account: account, in: tx)
            guard let row = try await tx.sql.raw("""
                SELECT * FROM call_sessions WHERE id = \(bind: session.text) AND consultation_id = \(bind: id.text)
                """).first() else { throw DomainError.notFound(resource: "call") }
            guard try row.optionalInt64("ended_at") == nil else {
                throw DomainError.conflict(code: "call_ended", message: "This call has ended already.")
            }
            _ = try await closeCalls(id, at: now, in: tx)
            try await EventStore.append(.consultation(.callEnded, id, payload: StateChange(state: "active", callId: session),
                                                      at: now), in: tx)
            return try await callSession(session, in: tx)
        }
    }

    /// The calls of a consultation, first first.
    public func calls(_ id: UUID) async throws -> [CallSession] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM call_sessions WHERE consultation_id = \(bind: id.text) ORDER BY started_at, id").all()
                .map { row in
                    CallSession(id: try row.uuid("id"), startedAt: try row.instant("started_at"),
                                endedAt: try row.optionalInstant("ended_at"), seconds: try row.optionalInt64("seconds"),
                                minutes: try row.optionalInt64("minutes"))
                }
        }
    }

    /// Ends every open call of a consultation at `now`; returns the minutes of all its calls.
    func closeCalls(_ id: UUID, at now: Date, in tx: Transaction) async throws -> Int64 {
        for open in try await tx.sql.raw("SELECT id, started_at FROM call_sessions WHERE consultation_id = \(bind: id.text) AND ended_at IS NULL").all() {
            let seconds = max(0, (now.epochMillis - (try open.int64("started_at"))) / 1000)
            try await tx.sql.raw("""
                UPDATE call_sessions SET ended_at = \(bind: now.epochMillis), seconds = \(bind: seconds),
                    minutes = \(bind: CallMetering.startedMinutes(seconds: seconds))
                WHERE id = \(bind: try open.text("id")) AND ended_at IS NULL
                """).run()
        }
        return try await tx.sql.raw("""
            SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) AS used FROM call_sessions WHERE consultation_id = \(bind: id.text)
            """).first()?.int64("used") ?? 0
    }

    private func callSession(_ id: UUID, in tx: Transaction) async throws -> CallSession {
        guard let row = try await tx.sql.raw("SELECT * FROM call_sessions WHERE id = \(bind: id.text)").first() else {
            throw DomainError.notFound(resource: "call")
        }
        return CallSession(id: try row.uuid("id"), startedAt: try row.instant("started_at"),
                           endedAt: try row.optionalInstant("ended_at"), seconds: try row.optionalInt64("seconds"),
                           minutes: try row.optionalInt64("minutes"))
    }
}
