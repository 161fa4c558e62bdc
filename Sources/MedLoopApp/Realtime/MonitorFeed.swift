import Foundation
import Hummingbird
import Logging
import MedLoopDomain
import NIOCore
import ServiceLifecycle
import Synchronization

/// The supervision dashboard streams open in this server: every committed domain event, from
/// whichever server, is pushed to them (issue 20, part 2). Events reach it only through the event
/// outbox (`EventDispatcher`), so a change made on any server reaches the streams on all. It
/// hands on what changed; the streams of one region share that region's figures (`figures`).
final class MonitorFeed: EventSubscriber, Sendable {
    /// Each region's figures, once for all of this server's streams of it that ask together: a
    /// change makes every stream of its region ask at about the same moment.
    let figures: SharedFigures
    private let subscribers = Mutex<[UUID: AsyncStream<MonitorChange>.Continuation]>([:])
    /// Where an event's subject lies when its payload does not say (`MonitorStore.region`).
    private let locate: @Sendable (_ subjectType: String, _ id: UUID) async throws -> RegionCode?
    private let logger: Logger

    init(locate: @escaping @Sendable (_ subjectType: String, _ id: UUID) async throws -> RegionCode?,
         figuresFreshFor: Duration = .milliseconds(250), logger: Logger = Logger(label: "medloop.monitor")) {
        self.locate = locate
        self.figures = SharedFigures(freshFor: figuresFreshFor)
        self.logger = logger
    }

    /// The changes from now on, until `cancel` is called with the returned id. A stream that
    /// falls behind keeps the newest changes: the figures it sends next are fresh anyway.
    func subscribe() -> (id: UUID, changes: AsyncStream<MonitorChange>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: MonitorChange.self, bufferingPolicy: .bufferingNewest(256))
        subscribers.withLock { $0[id] = continuation }
        return (id, stream)
    }

    func cancel(_ subscription: UUID) {
        subscribers.withLock { $0.removeValue(forKey: subscription) }?.finish()
    }

    /// How many dashboard streams are open here.
    var openStreams: Int { subscribers.withLock { $0.count } }

    func handle(_ stored: StoredEvent) async {
        var change = MonitorChange(stored.event)
        // Figures computed before this change was seen may not show it: every later ask computes
        // afresh, whichever stream or server's event made it ask.
        if change.movesFigures { figures.forgetAll() }
        let targets = subscribers.withLock { Array($0.values) }
        guard !targets.isEmpty else { return }
        if change.region == nil {
            // Once per event and server, not per stream: a region's streams are told only of its own.
            do {
                change.region = try await locate(stored.event.subjectType, stored.event.subjectId)
            } catch {
                logger.warning("dashboard change not located", metadata: ["error": "\(error)"])
            }
        }
        for target in targets { target.yield(change) }
    }
}

/// Dashboard figures by scope, each computed once for every caller that asks within `freshFor`
/// of the computation's start (the callers that come while it runs wait for it too), unless a
/// change came in between (`forgetAll`). A scope's entry is replaced by the next computation, so
/// there is at most one a scope.
final class SharedFigures: Sendable {
    private let latest = Mutex<[String: (started: ContinuousClock.Instant, task: Task<DashboardFigures, any Error>)]>([:])
    let freshFor: Duration

    init(freshFor: Duration) {
        self.freshFor = freshFor
    }

    /// The figures of `scope`: those computed within `freshFor`, or `compute`'s.
    func figures(of scope: String, _ compute: @escaping @Sendable () async throws -> DashboardFigures) async throws -> DashboardFigures {
        let now = ContinuousClock.now
        let task = latest.withLock { latest in
            if let entry = latest[scope], now - entry.started < freshFor { return entry.task }
            let task = Task { try await compute() }
            latest[scope] = (now, task)
            return task
        }
        return try await task.value
    }

    /// Forgets every computation, finished or running: the next ask of each scope computes anew.
    func forgetAll() {
        latest.withLock { $0.removeAll() }
    }
}

/// One open dashboard stream as server-sent events: the figures at once, then a `change` event
/// for each change in the caller's scope and fresh `figures` after those that can move them (at
/// most one computation per `refreshGap`, however many events arrive), a comment every
/// `heartbeat` (so proxies keep the connection and a departed client is noticed), and fresh
/// figures every `idleRefresh` for the waits that grow with time alone. It ends when the client
/// goes away (the next write fails), when the caller's session no longer holds (checked at each
/// heartbeat), or when the server shuts down gracefully.
struct MonitorStream: Sendable {
    let feed: MonitorFeed
    /// The region prefix the caller supervises; `nil` for the whole platform.
    let scope: String?
    let figures: @Sendable () async throws -> DashboardFigures
    /// Whether the caller's session still holds (not signed out, expired or disabled); asked at
    /// every heartbeat, and the stream ends when it does not.
    let isAuthorised: @Sendable () async -> Bool
    let logger: Logger
    var heartbeat: Duration = .seconds(15)
    var refreshGap: TimeInterval = 0.25
    var idleRefresh: Duration = .seconds(60)

    private enum Input: Sendable {
        case change(MonitorChange)
        case refresh
        case heartbeat
    }

    var body: ResponseBody {
        ResponseBody { writer in
            let (subscription, changes) = feed.subscribe()
            defer { feed.cancel(subscription) }
            let (inputs, input) = AsyncStream.makeStream(of: Input.self)
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await change in changes { input.yield(.change(change)) }
                        input.finish()
                    }
                    group.addTask { await Self.tick(every: heartbeat, input, .heartbeat) }
                    group.addTask { await Self.tick(every: idleRefresh, input, .refresh) }
                    try await writer.write(ServerSentEvent.retry(milliseconds: 3000))
                    try await sendFigures(&writer)
                    // Pacing a stream is a matter of wall time, not of the domain's clock.
                    var schedule = FigureRefreshSchedule(minimumGap: refreshGap, lastSent: Date())
                    inputs: for await next in inputs {
                        switch next {
                        case .change(let change):
                            guard change.isVisible(toPrefix: scope) else { continue }
                            try await writer.write(ServerSentEvent.event("change", json: ChangeView(change)))
                            guard change.movesFigures, let when = schedule.changeArrived(at: Date()) else { continue }
                            let delay = max(0, when.timeIntervalSinceNow)
                            group.addTask {
                                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                                input.yield(.refresh)
                            }
                        case .refresh:
                            schedule.sent(at: Date())
                            try await sendFigures(&writer)
                        case .heartbeat:
                            guard await isAuthorised() else { break inputs }
                            try await writer.write(ServerSentEvent.comment("heartbeat"))
                        }
                    }
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                input.finish()
            }
            try await writer.finish(nil)
        }
    }

    /// Writes the figures; a failure to compute them (the database busy or gone) is logged and
    /// the stream goes on, to try again on the next change.
    private func sendFigures(_ writer: inout any ResponseBodyWriter) async throws {
        let current: DashboardFigures
        do {
            current = try await figures()
        } catch {
            logger.warning("dashboard figures not computed", metadata: ["error": "\(error)"])
            return
        }
        try await writer.write(ServerSentEvent.event("figures", json: DashboardView(current)))
    }

    private static func tick(every period: Duration, _ input: AsyncStream<Input>.Continuation, _ value: Input) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: period) } catch { return }
            input.yield(value)
        }
    }
}

/// The wire format of server-sent events (HTML Living Standard, "Server-sent events").
enum ServerSentEvent {
    /// An event named `name` whose data is `value` as JSON (one line: JSON has no raw newlines).
    static func event(_ name: String, json value: some Encodable) throws -> ByteBuffer {
        let data = String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
        return ByteBuffer(string: "event: \(name)\ndata: \(data)\n\n")
    }

    /// A comment line, which clients ignore.
    static func comment(_ text: String) -> ByteBuffer { ByteBuffer(string: ": \(text)\n\n") }

    /// How long a client waits before reconnecting after the stream ends.
    static func retry(milliseconds: Int) -> ByteBuffer { ByteBuffer(string: "retry: \(milliseconds)\n\n") }
}

/// A change as a dashboard stream sends it.
struct ChangeView: Encodable, Sendable {
    var kind: String
    var subjectType: String
    var at: Date
    var region: RegionCode?

    init(_ change: MonitorChange) {
        kind = change.kind
        subjectType = change.subjectType
        at = change.at
        region = change.region
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(subjectType, forKey: .subjectType)
        try container.encode(at, forKey: .at)
        try container.encode(region, forKey: .region)
    }

    enum CodingKeys: String, CodingKey { case kind, subjectType, at, region }
}

/// The dashboard figures as the API returns them (`GET /supervision/dashboard`, the stream's
/// `figures` events): every key present, `null` where nothing applies.
struct DashboardView: APIView, Encodable {
    var figures: DashboardFigures

    init(_ figures: DashboardFigures) { self.figures = figures }

    struct Fund: Encodable {
        var scheme: String
        var settled: Int
        var reversed: Int
        var fundFen: Int64
        var personalAccountFen: Int64
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(figures.region, forKey: .region)
        try container.encode(figures.at, forKey: .at)
        try container.encode(figures.consultationsWaiting, forKey: .consultationsWaiting)
        try container.encode(figures.consultationsOpen, forKey: .consultationsOpen)
        try container.encode(figures.prescriptionsAwaitingReview, forKey: .prescriptionsAwaitingReview)
        try container.encode(figures.oldestReviewWaitSeconds, forKey: .oldestReviewWaitSeconds)
        try container.encode(figures.settlementDay, forKey: .settlementDay)
        try container.encode(figures.settlements.map {
            Fund(scheme: $0.scheme.rawValue, settled: $0.settled, reversed: $0.reversed, fundFen: $0.fundFen,
                 personalAccountFen: $0.personalAccountFen)
        }, forKey: .settlements)
        try container.encode(figures.deliveriesLate, forKey: .deliveriesLate)
        try container.encode(figures.alertsOpen, forKey: .alertsOpen)
    }

    enum CodingKeys: String, CodingKey {
        case region, at, consultationsWaiting, consultationsOpen, prescriptionsAwaitingReview, oldestReviewWaitSeconds,
             settlementDay, settlements, deliveriesLate, alertsOpen
    }
}
