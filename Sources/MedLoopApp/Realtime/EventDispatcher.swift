import Foundation
import Logging
import MedLoopDomain
import MedLoopStore
import ServiceLifecycle

/// Something in a server that acts on committed domain events.
protocol EventSubscriber: Sendable {
    func handle(_ stored: StoredEvent) async
    /// The events of one read of the outbox, in sequence order: by default each in turn. A
    /// subscriber that reads the database for its events reads them for the batch at once here.
    func handle(batch: [StoredEvent]) async
}

extension EventSubscriber {
    func handle(batch: [StoredEvent]) async {
        for stored in batch { await handle(stored) }
    }
}

/// Reads the domain-event outbox in sequence order and hands each new event to this server's
/// subscribers (ARCHITECTURE.md, "Events, live updates, jobs"). Every server runs one, so two
/// servers on one database see each other's chat messages: PostgreSQL's NOTIFY wakes them all,
/// SQLite wakes this server on each of its commits, and a slow poll catches anything else.
/// Events older than the server's start are not replayed: clients catch up over REST.
struct EventDispatcher: Service {
    let events: EventStore
    let database: Database
    let subscribers: [any EventSubscriber]
    let pollInterval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            guard var cursor = await startingSequence() else { return }
            let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await watch(wake) }
                group.addTask {
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: pollInterval) } catch { return }
                        wake.yield()
                    }
                }
                for await _ in wakes {
                    cursor = await drain(after: cursor)
                }
                group.cancelAll()
            }
        }
    }

    /// The newest sequence at start, retried until the database answers (or shutdown).
    private func startingSequence() async -> Int64? {
        while !Task.isCancelled {
            do {
                return try await events.lastSequence()
            } catch {
                if Task.isCancelled { return nil }
                logger.warning("event outbox unreadable; retrying", metadata: ["error": "\(error)"])
                do { try await Task.sleep(for: .seconds(1)) } catch { return nil }
            }
        }
        return nil
    }

    /// Wakes the loop on every change the database reports; a lost listener connection is
    /// opened again (the poll covers the gap).
    private func watch(_ wake: AsyncStream<Void>.Continuation) async {
        while !Task.isCancelled {
            do {
                try await database.watchChanges(channel: EventStore.channel) { wake.yield() }
            } catch {
                if Task.isCancelled { return }
                logger.warning("event listener stopped; reconnecting", metadata: ["error": "\(error)"])
            }
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
        }
    }

    /// Hands every event after `cursor` to the subscribers; returns the new cursor.
    func drain(after cursor: Int64) async -> Int64 {
        var cursor = cursor
        while !Task.isCancelled {
            let batch: [StoredEvent]
            do {
                batch = try await events.events(after: cursor, limit: 500)
            } catch {
                // Shutdown cancels a read in flight; that is no fault worth a warning.
                if !Task.isCancelled { logger.warning("event outbox unreadable", metadata: ["error": "\(error)"]) }
                return cursor
            }
            for subscriber in subscribers { await subscriber.handle(batch: batch) }
            if let last = batch.last { cursor = last.sequence }
            if batch.count < 500 { break }
        }
        return cursor
    }
}

/// Pushes chat messages, read receipts and state changes to the consultation streams open in
/// this server, whichever server the change was made on; and the prescription's way to the patient
/// (reviewed, then the medicine order's steps) to the stream of the consultation it was written in.
struct ChatFanOut: EventSubscriber {
    let hub: ConsultationHub
    let messages: ConsultationMessageStore
    let prescriptions: PrescriptionStore
    let logger: Logger

    /// The prescription events both participants may follow live: not drafts and signatures, which
    /// are not yet the patient's to see.
    static let followedPrescriptionEvents: Set<EventKind> = [.prescriptionApproved, .prescriptionRejected, .prescriptionVoided,
                                                             .prescriptionExpired]

    private func followPrescription(_ event: DomainEvent) async {
        guard (event.subjectType == "medicine_order" && event.kind != .traceabilityCodeReused)
                || Self.followedPrescriptionEvents.contains(event.kind) else { return }
        do {
            guard let consultation = try await prescriptions.consultation(of: event.subjectId, subjectType: event.subjectType),
                  hub.hasSubscribers(consultation) else { return }
            let change = try event.decodePayload(as: StateChange.self)
            hub.publish(ChatEvent.state(StateView(event: event.kind.rawValue, state: change.state, callId: nil, at: event.occurredAt,
                                                  subjectId: event.subjectId)).json,
                        to: consultation)
        } catch {
            logger.warning("prescription event not delivered", metadata: ["event": "\(event.id)", "error": "\(error)"])
        }
    }

    /// Messages are read for the whole batch in one statement: on PostgreSQL a read per message,
    /// one after another, kept the streams 184 ms behind at 200 messages/s (`chat` in BENCHMARKS.md).
    func handle(batch: [StoredEvent]) async {
        let sent = batch.compactMap { stored -> UUID? in
            guard stored.event.kind == .messageSent, stored.event.subjectType == "consultation",
                  hub.hasSubscribers(stored.event.subjectId) else { return nil }
            return try? stored.event.decodePayload(as: MessageSent.self).messageId
        }
        var read: [UUID: ConsultationMessage] = [:]
        if !sent.isEmpty {
            do {
                read = try await messages.messages(sent)
            } catch {
                logger.warning("chat messages not read", metadata: ["count": "\(sent.count)", "error": "\(error)"])
            }
        }
        for stored in batch { await handle(stored, messages: read) }
    }

    func handle(_ stored: StoredEvent) async {
        await handle(stored, messages: [:])
    }

    /// Delivers one event; a message sent is taken from `messages` when there, else read.
    private func handle(_ stored: StoredEvent, messages read: [UUID: ConsultationMessage]) async {
        let event = stored.event
        if event.subjectType == "prescription" || event.subjectType == "medicine_order" {
            await followPrescription(event)
            return
        }
        guard event.subjectType == "consultation", hub.hasSubscribers(event.subjectId) else { return }
        do {
            switch event.kind {
            case .messageSent:
                let sent = try event.decodePayload(as: MessageSent.self)
                var message = read[sent.messageId]
                if message == nil { message = try await messages.message(sent.messageId) }
                guard let message else { return }
                hub.publish(ChatEvent.message(MessageView(message)).json, to: event.subjectId)
            case .messagesRead:
                let read = try event.decodePayload(as: MessagesRead.self)
                hub.publish(ChatEvent.read(ReadView(readerAccountId: read.readerAccountId, upTo: read.upTo)).json,
                            to: event.subjectId)
            case .consultationQueued, .consultationAccepted, .consultationCompleted, .consultationRefunded, .callStarted, .callEnded:
                let change = try event.decodePayload(as: StateChange.self)
                hub.publish(ChatEvent.state(StateView(event: event.kind.rawValue, state: change.state, callId: change.callId,
                                                      at: event.occurredAt)).json,
                            to: event.subjectId)
            default:
                return
            }
        } catch {
            logger.warning("chat event not delivered", metadata: ["event": "\(event.id)", "error": "\(error)"])
        }
    }
}
