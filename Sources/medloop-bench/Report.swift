import Foundation
import Histogram

/// Requests, errors, throughput and latency percentiles of one lane over one span of time.
struct Figures: Encodable {
    var requests: Int
    /// Unexpected answers (not a 2xx and not an expected status) and requests left unanswered.
    var errors: Int
    /// The errors by status ("500") or "no answer"; absent when there were none.
    var errorsByKind: [String: Int]?
    /// 404s where a missing doctor is an expected answer (profile-tail); absent elsewhere.
    var notFound: Int?
    /// 429s of the sign-in throttle (signin-burst); absent elsewhere.
    var throttled: Int?
    /// Requests that followed a `nextCursor` to a later page (search-tail); absent when none did.
    var nextPages: Int?
    var durationSeconds: Double
    var requestsPerSecond: Double
    var p50Ms: Double
    var p90Ms: Double
    var p99Ms: Double
    var p999Ms: Double
    var maxMs: Double

    init(_ result: LoadResult, expectedStatuses: Set<UInt>) {
        let (seconds, attoseconds) = result.elapsed.components
        let elapsed = Double(seconds) + Double(attoseconds) / 1e18
        func milliseconds(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
        requests = result.requests
        errors = result.errors
        errorsByKind = result.errorsByKind.isEmpty ? nil : result.errorsByKind
        notFound = expectedStatuses.contains(404) ? result.expected[404, default: 0] : nil
        throttled = expectedStatuses.contains(429) ? result.expected[429, default: 0] : nil
        nextPages = result.nextPages > 0 ? result.nextPages : nil
        durationSeconds = elapsed
        requestsPerSecond = elapsed > 0 ? Double(result.requests) / elapsed : 0
        let empty = result.requests == 0
        p50Ms = empty ? 0 : milliseconds(result.latencies.valueAtPercentile(50))
        p90Ms = empty ? 0 : milliseconds(result.latencies.valueAtPercentile(90))
        p99Ms = empty ? 0 : milliseconds(result.latencies.valueAtPercentile(99))
        p999Ms = empty ? 0 : milliseconds(result.latencies.valueAtPercentile(99.9))
        maxMs = empty ? 0 : milliseconds(result.latencies.maxRecorded)
    }

    /// `requests  1234 (0 errors, 56 not found)`, `throughput ...`, `latency ms ...`, indented by `label`.
    func lines(_ label: String) -> [String] {
        var counts = ["\(errors) errors"]
        if let errorsByKind {
            counts[0] += ": " + errorsByKind.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", ")
        }
        if let notFound { counts.append("\(notFound) not found (expected)") }
        if let throttled { counts.append("\(throttled) throttled (429)") }
        if let nextPages { counts.append("\(nextPages) of them later pages by a cursor") }
        return [
            label + "requests     \(requests) (" + counts.joined(separator: ", ") + ")",
            label + "throughput   " + String(format: "%.1f requests/s over %.2f s", requestsPerSecond, durationSeconds),
            label + "latency ms   " + String(format: "p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f",
                                             p50Ms, p90Ms, p99Ms, p999Ms, maxMs),
        ]
    }
}

/// The figures of one run, as BENCHMARKS.md's table lists them: the main lane's figures at the top
/// level (one JSON object per run), and for signin-burst the reads per phase and the sign-ins.
struct Report: ScenarioReport {
    var scenario: String
    var connections: Int
    var distinctRequests: Int
    var seed: UInt64?
    /// The main lane (the only one, or the reads of signin-burst) over the whole measured time.
    var main: Figures
    /// `--ceiling`: the requests/s taken as the ceiling (the `health` scenario's), and this run's share of it.
    var ceilingRequestsPerSecond: Double?
    var shareOfCeiling: Double?
    /// signin-burst: the reads while nobody signs in, and while the sign-in lane sends too.
    var quiet: Figures?
    var burst: Figures?
    /// Burst p99 over quiet p99 of the reads (target ≤ 2).
    var burstToQuietP99: Double?
    var signIns: Figures?
    var signInConnections: Int?
    /// How the second lane is named in the text report.
    private var secondLaneName = ""

    init(scenario: String, seed: UInt64?, ceiling: Double?, outcome: LoadOutcome) {
        let plan = outcome.plan
        let reads = plan.lanes[0]
        self.scenario = scenario
        self.seed = seed
        connections = reads.connections
        distinctRequests = plan.distinctRequests
        main = Figures(outcome.total(lane: 0), expectedStatuses: reads.expectedStatuses)
        if let ceiling, ceiling > 0 {
            ceilingRequestsPerSecond = ceiling
            shareOfCeiling = main.requestsPerSecond / ceiling
        }
        if plan.hasBurst {
            let quiet = Figures(outcome.results[0][0], expectedStatuses: reads.expectedStatuses)
            let burst = Figures(outcome.results[0][1], expectedStatuses: reads.expectedStatuses)
            self.quiet = quiet
            self.burst = burst
            burstToQuietP99 = quiet.p99Ms > 0 ? burst.p99Ms / quiet.p99Ms : nil
        }
        if plan.lanes.count > 1 {
            let lane = plan.lanes[1]
            // The sign-ins send in the burst phase only: their rate is over that phase.
            signIns = Figures(plan.hasBurst ? outcome.results[1][1] : outcome.total(lane: 1), expectedStatuses: lane.expectedStatuses)
            signInConnections = lane.connections
            secondLaneName = lane.name
        }
    }

    /// Every lane's unexpected errors.
    var errors: Int { main.errors + (signIns?.errors ?? 0) }

    /// The human-readable report.
    func lines() -> [String] {
        var lines = ["scenario     \(scenario) (\(connections) connections, \(distinctRequests) distinct requests"
                     + (seed.map { ", seed \($0)" } ?? "") + ")"]
        lines += main.lines("")
        if let ceilingRequestsPerSecond, let shareOfCeiling {
            lines.append(String(format: "ceiling      %.1f%% of %.1f requests/s", shareOfCeiling * 100, ceilingRequestsPerSecond))
        }
        if let quiet, let burst {
            lines += quiet.lines("quiet  ")
            lines += burst.lines("burst  ")
            if let burstToQuietP99 {
                lines.append(String(format: "burst/quiet  p99 ratio %.2f (target <= 2)", burstToQuietP99))
            }
        }
        if let signIns, let signInConnections {
            lines += signIns.lines("\(secondLaneName) (\(signInConnections) connections)  ")
        }
        return lines
    }

    private enum Keys: String, CodingKey {
        case scenario, connections, distinctRequests, seed, ceilingRequestsPerSecond, shareOfCeiling
        case quiet, burst, burstToQuietP99, signIns, signInConnections
    }

    /// One flat object: the main figures sit beside the scenario's name, as in earlier reports.
    func encode(to encoder: any Encoder) throws {
        try main.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(scenario, forKey: .scenario)
        try container.encode(connections, forKey: .connections)
        try container.encode(distinctRequests, forKey: .distinctRequests)
        try container.encodeIfPresent(seed, forKey: .seed)
        try container.encodeIfPresent(ceilingRequestsPerSecond, forKey: .ceilingRequestsPerSecond)
        try container.encodeIfPresent(shareOfCeiling, forKey: .shareOfCeiling)
        try container.encodeIfPresent(quiet, forKey: .quiet)
        try container.encodeIfPresent(burst, forKey: .burst)
        try container.encodeIfPresent(burstToQuietP99, forKey: .burstToQuietP99)
        try container.encodeIfPresent(signIns, forKey: .signIns)
        try container.encodeIfPresent(signInConnections, forKey: .signInConnections)
    }

    /// The same figures as one JSON object on one line.
}

/// What a scenario's run reports: its lines for people, its figures as JSON, how many requests (or
/// deliveries) were measured and how many went wrong.
protocol ScenarioReport: Encodable {
    func lines() -> [String]
    /// Requests (deliveries, in chat) completed in the measured time.
    var measured: Int { get }
    var errors: Int { get }
}

extension ScenarioReport {
    /// The figures as one JSON line, keys sorted.
    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

extension Report {
    var measured: Int { main.requests }
}

extension CareLoopReport {
    var measured: Int { requests }
}

extension ChatReport {
    var measured: Int { deliveries.requests }
}
