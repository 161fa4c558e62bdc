import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore
import NIOCore
import Synchronization

/// The encoded public profiles of the doctors patients are looking at, kept by this server so a
/// popular profile is read and encoded once rather than on every request. An entry leaves when
/// the outbox says its doctor (or any institution) changed — on whichever server the change was
/// made — and after `lifetime` in any case, so a missed event cannot keep a profile stale.
final class DoctorProfileCache: EventSubscriber {
    private struct Entry {
        let year: Int
        let body: ByteBuffer
        let expiresAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [UUID: Entry] = [:]
        /// Counts invalidations: a load that overlapped one is not kept (it may hold the old profile).
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let capacity: Int
    private let lifetime: Duration

    init(capacity: Int = 10_000, lifetime: Duration = .seconds(30)) {
        self.capacity = capacity
        self.lifetime = lifetime
    }

    /// The profile of `doctor` as shown in `year` (whether they are bookable depends on it):
    /// from memory, or `load`ed and encoded, or `nil` when `load` finds no public profile.
    func profile(_ doctor: UUID, year: Int, load: () async throws -> DoctorProfileView?) async throws -> PreEncodedJSON? {
        let now = ContinuousClock.now
        let (cached, generation) = state.withLock { state -> (ByteBuffer?, UInt64) in
            guard let entry = state.entries[doctor], entry.year == year, entry.expiresAt > now else { return (nil, state.generation) }
            return (entry.body, state.generation)
        }
        if let cached { return PreEncodedJSON(body: cached) }
        guard let view = try await load() else { return nil }
        let body = ByteBuffer(bytes: try JSONCoding.encoder.encode(view))
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity, state.entries[doctor] == nil {
                // Full: drop an arbitrary entry; the profiles still asked for come back soon enough.
                state.entries.remove(at: state.entries.startIndex)
            }
            state.entries[doctor] = Entry(year: year, body: body, expiresAt: now.advanced(by: lifetime))
        }
        return PreEncodedJSON(body: body)
    }

    /// Forgets `doctor`'s profile here at once (the server that made a change does not wait for
    /// its own event).
    func invalidate(_ doctor: UUID) {
        state.withLock { state in
            state.generation &+= 1
            state.entries[doctor] = nil
        }
    }

    func handle(_ stored: StoredEvent) async {
        switch stored.event.kind {
        case .doctorChanged:
            invalidate(stored.event.subjectId)
        case .institutionChanged:
            state.withLock { state in
                state.generation &+= 1
                state.entries.removeAll()
            }
        default:
            return
        }
    }
}

/// A JSON body encoded earlier, sent as it is with status 200.
struct PreEncodedJSON: ResponseGenerator {
    let body: ByteBuffer

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }
}
