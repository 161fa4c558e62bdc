import Foundation
import Hummingbird
import Logging
@testable import MedLoopApp
import MedLoopDomain
import NIOCore
import Synchronization
import Testing

/// What a dashboard stream wrote, collected for the test.
private final class Output: Sendable {
    let written = Mutex("")
    let finished = Mutex(false)
    var writer: CollectingWriter { CollectingWriter(output: self) }
}

private struct CollectingWriter: ResponseBodyWriter {
    let output: Output

    mutating func write(_ buffer: ByteBuffer) async throws {
        output.written.withLock { $0 += String(buffer: buffer) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        output.finished.withLock { $0 = true }
    }
}

@Suite("Supervision: an open dashboard stream")
struct MonitorStreamTests {
    static let figures = DashboardFigures(region: nil, at: Date(timeIntervalSince1970: 1_790_000_000), consultationsWaiting: 0,
                                          consultationsOpen: 0, prescriptionsAwaitingReview: 0, oldestReviewWaitSeconds: nil,
                                          settlementDay: CalendarDate(iso: "2026-09-21")!, settlements: [], deliveriesLate: 0,
                                          alertsOpen: 0)

    /// Waits until `condition` holds, or `seconds` pass.
    static func wait(_ seconds: Int, until condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test("a stream whose session is signed out or expires ends at its next heartbeat, and not before")
    func endsWithItsSession() async throws {
        let authorised = Mutex(true)
        let stream = MonitorStream(feed: MonitorFeed(locate: { _, _ in nil }), scope: "3308", figures: { Self.figures },
                                   isAuthorised: { authorised.withLock { $0 } }, logger: Logger(label: "test"),
                                   heartbeat: .milliseconds(50))
        let output = Output()
        let running = Task { try await stream.body.write(output.writer) }
        // Two heartbeats while the session holds (the wait is long only on a busy machine).
        try await Self.wait(30) { output.written.withLock { $0.components(separatedBy: ": heartbeat").count > 2 } }
        #expect(output.written.withLock { $0.contains("event: figures") })
        #expect(!output.finished.withLock { $0 }, "the stream ended while its session held")

        authorised.withLock { $0 = false }
        try await Self.wait(30) { output.finished.withLock { $0 } }
        #expect(output.finished.withLock { $0 }, "the stream went on after its session ended")
        running.cancel()
        _ = try? await running.value
    }
}

/// How many times each scope's figures were computed.
private final class Computations: Sendable {
    let counts = Mutex<[String: Int]>([:])
}

@Suite("Supervision: dashboard figures shared by the streams of a region")
struct SharedFiguresTests {
    @Test("twenty streams of one region asking together compute its figures once; another region's are its own")
    func oncePerRegion() async throws {
        let shared = SharedFigures(freshFor: .seconds(600))
        let computed = Computations()
        let ask: @Sendable (String) async throws -> DashboardFigures = { scope in
            try await shared.figures(of: scope) {
                computed.counts.withLock { $0[scope, default: 0] += 1 }
                return MonitorStreamTests.figures
            }
        }
        try await withThrowingTaskGroup(of: DashboardFigures.self) { group in
            for stream in 0..<20 { group.addTask { try await ask(stream < 15 ? "330800" : "420100") } }
            for try await figures in group { #expect(figures == MonitorStreamTests.figures) }
        }
        #expect(computed.counts.withLock { $0 } == ["330800": 1, "420100": 1])
    }

    @Test("figures computed before a change that moves them are not given to an ask after it; a chat message keeps them")
    func computedAgainAfterAChange() async throws {
        // Fresh for ten minutes: only a change makes the feed compute again, however slow the machine.
        let feed = MonitorFeed(locate: { _, _ in nil }, figuresFreshFor: .seconds(600))
        let computed = Computations()
        let ask = { @Sendable in
            try await feed.figures.figures(of: "3308") {
                computed.counts.withLock { $0["3308", default: 0] += 1 }
                return MonitorStreamTests.figures
            }
        }
        let now = Date(timeIntervalSince1970: 1_788_000_000)
        _ = try await ask()
        _ = try await ask()
        #expect(computed.counts.withLock { $0 } == ["3308": 1])
        let message = try DomainEvent.consultation(.messageSent, UUID(), payload: ["seq": 1], at: now)
        await feed.handle(StoredEvent(sequence: 1, event: message))
        _ = try await ask()
        #expect(computed.counts.withLock { $0 } == ["3308": 1])
        await feed.handle(StoredEvent(sequence: 2, event: .order(.orderPaid, UUID(), state: "paid", at: now)))
        _ = try await ask()
        _ = try await ask()
        #expect(computed.counts.withLock { $0 } == ["3308": 2])
    }

    @Test("figures older than the freshness window are computed again, and a failed computation is not kept past it")
    func computedAgain() async throws {
        struct Busy: Error {}
        let shared = SharedFigures(freshFor: .zero)
        let computed = Computations()
        for _ in 0..<3 {
            _ = try await shared.figures(of: "") {
                computed.counts.withLock { $0["", default: 0] += 1 }
                return MonitorStreamTests.figures
            }
        }
        #expect(computed.counts.withLock { $0 } == ["": 3])
        await #expect(throws: Busy.self) { try await shared.figures(of: "") { throw Busy() } }
        #expect(try await shared.figures(of: "") { MonitorStreamTests.figures } == MonitorStreamTests.figures)
    }
}
