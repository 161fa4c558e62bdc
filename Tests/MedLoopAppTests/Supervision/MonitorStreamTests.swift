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
