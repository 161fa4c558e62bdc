import AsyncHTTPClient
import Foundation
import Histogram

/// Closed-loop load: each lane's workers send one request at a time over their own connection and
/// the next as soon as the answer is read, until the deadline. Latencies of requests started after
/// the warm-up are recorded in microseconds, per worker and phase, and merged at the end.
struct LoadDriver: Sendable {
    let client: HTTPClient
    let plan: LoadPlan

    /// The largest latency recorded as itself (a minute); slower answers count as a minute.
    static let highestMicroseconds: UInt64 = 60_000_000
    /// A request that takes longer than this is abandoned and counted as an error.
    static let requestTimeoutSeconds: Int64 = 30

    /// When the phases begin and end.
    struct Schedule: Sendable {
        let clock: ContinuousClock
        let measureFrom: ContinuousClock.Instant
        /// The start of the burst phase (the middle of the measured time); `nil` without one.
        let burstFrom: ContinuousClock.Instant?
        let stopAt: ContinuousClock.Instant

        /// The phase a request started at `instant` belongs to; `nil` during the warm-up.
        func phase(of instant: ContinuousClock.Instant) -> Int? {
            guard instant >= measureFrom else { return nil }
            if let burstFrom, instant >= burstFrom { return 1 }
            return 0
        }
    }

    /// Runs the load for `warmup` then `duration`; returns once every worker has stopped (at most a
    /// request timeout after the deadline), with one result per lane and phase.
    func run(warmup: Duration, duration: Duration) async -> LoadOutcome {
        let clock = ContinuousClock()
        let measureFrom = clock.now + warmup
        let stopAt = measureFrom + duration
        let schedule = Schedule(clock: clock, measureFrom: measureFrom,
                                burstFrom: plan.hasBurst ? measureFrom + duration / 2 : nil, stopAt: stopAt)
        let phaseCount = plan.phases.count
        typealias WorkerResult = (lane: Int, phases: [LoadResult], stopped: ContinuousClock.Instant)
        let finished = await withTaskGroup(of: WorkerResult.self, returning: [WorkerResult].self) { group in
            for (laneIndex, lane) in plan.lanes.enumerated() {
                for worker in 0..<lane.connections {
                    group.addTask {
                        let (phases, stopped) = await self.work(lane: lane, first: worker * lane.targets.count / lane.connections,
                                                                schedule: schedule, phaseCount: phaseCount)
                        return (laneIndex, phases, stopped)
                    }
                }
            }
            var all: [WorkerResult] = []
            for await result in group { all.append(result) }
            return all
        }
        var results = Array(repeating: Array(repeating: LoadResult(), count: phaseCount), count: plan.lanes.count)
        for laneIndex in results.indices {
            let workers = finished.filter { $0.lane == laneIndex }
            // A lane's last phase ends when its last worker stopped (its last answer came).
            let end = workers.map(\.stopped).max() ?? stopAt
            for phase in results[laneIndex].indices {
                for worker in workers { results[laneIndex][phase].add(worker.phases[phase]) }
                let from = phase == 1 ? (schedule.burstFrom ?? measureFrom) : measureFrom
                let to = phase == 0 ? (schedule.burstFrom ?? end) : end
                results[laneIndex][phase].elapsed = to - from
            }
        }
        return LoadOutcome(plan: plan, results: results)
    }

    /// One worker's loop, starting at target `first`; its results per phase and when it stopped.
    private func work(lane: Lane, first: Int, schedule: Schedule,
                      phaseCount: Int) async -> ([LoadResult], ContinuousClock.Instant) {
        var results = Array(repeating: LoadResult(), count: phaseCount)
        let clock = schedule.clock
        if lane.sendsOnlyInBurst, let burstFrom = schedule.burstFrom {
            try? await Task.sleep(until: burstFrom, clock: clock)
        }
        var index = first % lane.targets.count
        var nextPage: (target: Target, pagesLeft: Int)?
        var stopped = clock.now
        while true {
            let started = clock.now
            stopped = started
            if started >= schedule.stopAt { break }
            let target: Target
            let pagesLeft: Int
            let isNextPage = nextPage != nil
            if let page = nextPage {
                (target, pagesLeft) = page
                nextPage = nil
            } else {
                target = lane.targets[index]
                pagesLeft = target.followPages
                index = (index + 1) % lane.targets.count
            }
            let answer = await send(target, readingCursor: pagesLeft > 0)
            let finished = clock.now
            if let cursor = answer.cursor, pagesLeft > 0 {
                nextPage = (target.page(after: cursor), pagesLeft - 1)
            }
            if let phase = schedule.phase(of: started) {
                results[phase].record(finished - started, status: answer.status, expected: lane.expectedStatuses)
                if isNextPage { results[phase].nextPages += 1 }
            }
        }
        return (results, stopped)
    }

    /// What came back: the status (`nil` when no answer came) and the list's `nextCursor` if asked for.
    struct Answer {
        var status: UInt?
        var cursor: String?
    }

    /// Sends one request and reads the whole body.
    private func send(_ target: Target, readingCursor: Bool) async -> Answer {
        var request = HTTPClientRequest(url: target.url)
        if target.method == .post {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(target.body ?? [])
        }
        do {
            let response = try await client.execute(request, timeout: .seconds(Self.requestTimeoutSeconds))
            let body = try await response.body.collect(upTo: 16 << 20)
            let status = response.status.code
            guard readingCursor, (200..<300).contains(status) else { return Answer(status: status) }
            return Answer(status: status, cursor: Self.nextCursor(in: Array(body.readableBytesView)))
        } catch {
            return Answer(status: nil)
        }
    }

    private static let cursorKey = Array(#""nextCursor":""#.utf8)

    /// The value of `"nextCursor":"..."` in a list's JSON, found without decoding the page. Cursors are
    /// base64url, so the value holds no escapes.
    static func nextCursor(in body: [UInt8]) -> String? {
        let key = cursorKey
        guard body.count > key.count else { return nil }
        var start = 0
        while start <= body.count - key.count {
            if body[start] == key[0], Array(body[start..<start + key.count]) == key {
                let valueStart = start + key.count
                guard let valueEnd = body[valueStart...].firstIndex(of: UInt8(ascii: "\"")), valueEnd > valueStart else {
                    return nil
                }
                return String(decoding: body[valueStart..<valueEnd], as: UTF8.self)
            }
            start += 1
        }
        return nil
    }
}

/// What a run measured: one result per lane (in plan order) and phase (in `plan.phases` order).
struct LoadOutcome: Sendable {
    let plan: LoadPlan
    let results: [[LoadResult]]

    /// A lane's results over every phase.
    func total(lane: Int) -> LoadResult {
        var total = LoadResult()
        for result in results[lane] { total.add(result) }
        total.elapsed = results[lane].reduce(.zero) { $0 + $1.elapsed }
        return total
    }
}

/// What a run (or one worker, one phase) measured.
struct LoadResult: Sendable {
    /// Latencies in microseconds, errors and expected answers included.
    var latencies = Histogram<UInt64>(highestTrackableValue: LoadDriver.highestMicroseconds,
                                      numberOfSignificantValueDigits: .three)
    var requests = 0
    /// Requests answered with anything but a 2xx or an expected status, or not answered.
    var errors = 0
    /// Errors by status ("500"), or "no answer".
    var errorsByKind: [String: Int] = [:]
    /// Expected non-2xx answers by status.
    var expected: [UInt: Int] = [:]
    /// Requests for a later page of a list, by a `nextCursor` of the previous answer.
    var nextPages = 0
    /// The phase's length: from its start until it ended (the last worker stopped, for the last one).
    var elapsed: Duration = .zero

    mutating func record(_ latency: Duration, status: UInt?, expected expectedStatuses: Set<UInt>) {
        let (seconds, attoseconds) = latency.components
        let microseconds = UInt64(max(0, seconds)) * 1_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000_000)
        latencies.record(min(microseconds, LoadDriver.highestMicroseconds))
        requests += 1
        guard let status else {
            errors += 1
            errorsByKind["no answer", default: 0] += 1
            return
        }
        if (200..<300).contains(status) { return }
        if expectedStatuses.contains(status) {
            expected[status, default: 0] += 1
        } else {
            errors += 1
            errorsByKind[String(status), default: 0] += 1
        }
    }

    mutating func add(_ other: LoadResult) {
        latencies.add(other.latencies)
        requests += other.requests
        errors += other.errors
        errorsByKind.merge(other.errorsByKind, uniquingKeysWith: +)
        expected.merge(other.expected, uniquingKeysWith: +)
        nextPages += other.nextPages
    }
}
