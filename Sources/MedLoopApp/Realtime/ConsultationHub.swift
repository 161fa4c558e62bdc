import Foundation
import Synchronization

/// Hands each consultation's live events (new messages, read receipts, state changes) to the
/// WebSocket streams open on it in this server. Events reach it only through the event outbox
/// (`EventDispatcher` → `ChatFanOut`), so a change made on any server reaches streams on all.
final class ConsultationHub: Sendable {
    private struct Subscriber {
        let id: UUID
        /// The account that opened the stream.
        let account: UUID?
        let continuation: AsyncStream<String>.Continuation
    }

    private let subscribers = Mutex<[UUID: [Subscriber]]>([:])

    /// A stream of the events of `consultation`, until `cancel` is called with the returned id.
    func subscribe(_ consultation: UUID, account: UUID? = nil) -> (id: UUID, events: AsyncStream<String>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(256))
        subscribers.withLock {
            $0[consultation, default: []].append(Subscriber(id: id, account: account, continuation: continuation))
        }
        return (id, stream)
    }

    func cancel(_ subscription: UUID, of consultation: UUID) {
        let removed = subscribers.withLock { all -> [Subscriber] in
            let gone = all[consultation]?.filter { $0.id == subscription } ?? []
            all[consultation]?.removeAll { $0.id == subscription }
            if all[consultation]?.isEmpty == true { all[consultation] = nil }
            return gone
        }
        removed.forEach { $0.continuation.finish() }
    }

    /// Whether any stream is open on `consultation` here.
    func hasSubscribers(_ consultation: UUID) -> Bool {
        subscribers.withLock { $0[consultation] != nil }
    }

    /// Sends `event` (a JSON text) to every stream open on `consultation`.
    func publish(_ event: String, to consultation: UUID) {
        let targets = subscribers.withLock { $0[consultation] ?? [] }
        for target in targets { target.continuation.yield(event) }
    }

    /// Sends `event` to the streams open on `consultation` by the accounts `recipients` admits
    /// (a call's signalling goes to the other party only).
    func publish(_ event: String, to consultation: UUID, recipients: (UUID) -> Bool) {
        let targets = subscribers.withLock { ($0[consultation] ?? []).filter { $0.account.map(recipients) ?? false } }
        for target in targets { target.continuation.yield(event) }
    }
}
