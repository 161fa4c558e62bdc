import AsyncHTTPClient
import Foundation
import Histogram

/// Closed-loop load: `connections` workers, each sending one GET at a time over its own
/// connection and the next as soon as the answer is read, until the deadline. Latencies of requests
/// started after the warm-up are recorded in microseconds, per worker, and merged at the end.
struct LoadDriver: Sendable {
    let client: HTTPClient
    let targets: [String]
    let connections: Int

    /// The largest latency recorded as itself (a minute); slower answers count as a minute.
    static let highestMicroseconds: UInt64 = 60_000_000
    /// A request that takes longer than this is abandoned and counted as an error.
    static let requestTimeoutSeconds: Int64 = 30

    /// Runs the load for `warmup` then `duration`; returns once every worker has stopped (at most a
    /// request timeout after the deadline).
    func run(warmup: Duration, duration: Duration) async -> LoadResult {
        let clock = ContinuousClock()
        let measureFrom = clock.now + warmup
        let stopAt = measureFrom + duration
        let merged = await withTaskGroup(of: LoadResult.self, returning: LoadResult.self) { group in
            for worker in 0..<connections {
                group.addTask {
                    await self.work(first: worker * self.targets.count / self.connections, clock: clock,
                                    measureFrom: measureFrom, stopAt: stopAt)
                }
            }
            var total = LoadResult()
            for await result in group { total.add(result) }
            return total
        }
        var result = merged
        result.elapsed = clock.now - measureFrom
        return result
    }

    /// One worker's loop, starting at target `first` so that workers spread over the targets.
    private func work(first: Int, clock: ContinuousClock, measureFrom: ContinuousClock.Instant,
                      stopAt: ContinuousClock.Instant) async -> LoadResult {
        var result = LoadResult()
        var index = first % targets.count
        while true {
            let started = clock.now
            if started >= stopAt { break }
            let succeeded = await get(targets[index])
            let finished = clock.now
            index = (index + 1) % targets.count
            if started >= measureFrom {
                result.record(finished - started, succeeded: succeeded)
            }
        }
        return result
    }

    /// Sends one GET and reads the whole body; whether the answer was a 2xx.
    private func get(_ url: String) async -> Bool {
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(Self.requestTimeoutSeconds))
            _ = try await response.body.collect(upTo: 16 << 20)
            return (200..<300).contains(response.status.code)
        } catch {
            return false
        }
    }
}

/// What a run (or one worker) measured.
struct LoadResult: Sendable {
    /// Latencies in microseconds, errors included.
    var latencies = Histogram<UInt64>(highestTrackableValue: LoadDriver.highestMicroseconds,
                                      numberOfSignificantValueDigits: .three)
    var requests = 0
    /// Requests answered with anything but a 2xx, or not answered.
    var errors = 0
    /// From the end of the warm-up until the last worker stopped.
    var elapsed: Duration = .zero

    mutating func record(_ latency: Duration, succeeded: Bool) {
        let (seconds, attoseconds) = latency.components
        let microseconds = UInt64(max(0, seconds)) * 1_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000_000)
        latencies.record(min(microseconds, LoadDriver.highestMicroseconds))
        requests += 1
        if !succeeded { errors += 1 }
    }

    mutating func add(_ other: LoadResult) {
        latencies.add(other.latencies)
        requests += other.requests
        errors += other.errors
    }
}
