import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore
import Metrics
import NIOCore
import Synchronization

/// Encoded JSON bodies this server keeps for a while, so what patients ask for again and again is
/// read and encoded once. An entry lives at most `lifetime`; whoever knows of a change removes
/// entries earlier (`DirectoryCacheInvalidation`, from the event outbox of every server).
final class EncodedCache<Key: Hashable & Sendable>: Sendable {
    private struct Entry {
        let body: ByteBuffer
        let expiresAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// The epoch the entries belong to (the Shanghai year: years of practice and bookability depend on it).
        var epoch: Int?
        /// Counts removals: a load that overlapped one is not kept, as it may hold what was removed.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let capacity: Int
    private let lifetime: Duration
    /// Answers served from the cache and answers loaded, on `/metrics` by cache `name`
    /// (`medloop_directory_cache_hits_total{cache="searches"}`): the benchmark's hit rate.
    private let hits: Counter
    private let misses: Counter

    init(name: String, capacity: Int, lifetime: Duration) {
        self.capacity = capacity
        self.lifetime = lifetime
        hits = Counter(label: "medloop_directory_cache_hits_total", dimensions: [("cache", name)])
        misses = Counter(label: "medloop_directory_cache_misses_total", dimensions: [("cache", name)])
    }

    /// The body for `key` in `epoch`: kept, or `load`ed and encoded now. What `load` throws (a
    /// 404, say) is thrown on and nothing is kept.
    func body<View: Encodable>(_ key: Key, epoch: Int, load: () async throws -> View) async throws -> PreEncodedJSON {
        let now = ContinuousClock.now
        let (kept, generation) = state.withLock { state -> (ByteBuffer?, UInt64) in
            if state.epoch != epoch {
                state.entries.removeAll()
                state.epoch = epoch
            }
            guard let entry = state.entries[key], entry.expiresAt > now else { return (nil, state.generation) }
            return (entry.body, state.generation)
        }
        if let kept {
            hits.increment()
            return PreEncodedJSON(body: kept)
        }
        misses.increment()
        let body = ByteBuffer(bytes: try JSONCoding.encoder.encode(try await load()))
        state.withLock { state in
            guard state.generation == generation, state.epoch == epoch else { return }
            if state.entries.count >= capacity, state.entries[key] == nil {
                // Full: drop an arbitrary entry; what is still asked for comes back soon enough.
                state.entries.remove(at: state.entries.startIndex)
            }
            // Spread over the last fifth of the lifetime, so entries loaded together (a warm-up,
            // a popular page) do not all expire in the same moment and reload at once.
            state.entries[key] = Entry(body: body, expiresAt: now.advanced(by: lifetime * Double.random(in: 0.8...1.0)))
        }
        return PreEncodedJSON(body: body)
    }

    func remove(_ key: Key) {
        state.withLock { state in
            state.generation &+= 1
            state.entries[key] = nil
        }
    }

    func removeAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll()
        }
    }
}

/// The doctor directory's kept answers: profiles by doctor, and search pages by search.
struct DirectoryCache: Sendable {
    /// Up to 10,000 profiles (about 1.5 KB each). Every change to a doctor removes theirs at
    /// once, so the 5-minute lifetime only bounds what a missed event could leave behind.
    let profiles = EncodedCache<UUID>(name: "profiles", capacity: 10_000, lifetime: .seconds(300))
    /// Up to 2,000 result pages (about 6 KB each), each at most 10 s: a new price, a pause or a
    /// qualification decision removes them all at once; counters and ranks may lag by those 10 s.
    let searches = EncodedCache<DoctorSearch>(name: "searches", capacity: 2_000, lifetime: .seconds(10))

    /// Forgets what this server knows of `doctor` after it changed here (the server that made a
    /// change does not wait for its own event).
    func forget(_ doctor: UUID, _ change: DoctorChange) {
        profiles.remove(doctor)
        if change.isShownInSearch { searches.removeAll() }
    }
}

/// Keeps `DirectoryCache` true to changes made on any server, as the event outbox reports them.
struct DirectoryCacheInvalidation: EventSubscriber {
    let cache: DirectoryCache

    func handle(_ stored: StoredEvent) async {
        switch stored.event.kind {
        case .doctorChanged:
            // An unreadable change is treated as one search shows.
            cache.forget(stored.event.subjectId, DoctorChange(event: stored.event) ?? .menu)
        case .institutionChanged:
            cache.profiles.removeAll()
            cache.searches.removeAll()
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
