import Foundation
import Histogram

/// The figures of one run, as BENCHMARKS.md's table lists them.
struct Report: Encodable {
    var scenario: String
    var connections: Int
    var requests: Int
    var errors: Int
    var durationSeconds: Double
    var requestsPerSecond: Double
    var p50Ms: Double
    var p90Ms: Double
    var p99Ms: Double
    var p999Ms: Double
    var maxMs: Double

    init(scenario: String, connections: Int, result: LoadResult) {
        let (seconds, attoseconds) = result.elapsed.components
        let elapsed = Double(seconds) + Double(attoseconds) / 1e18
        func milliseconds(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
        self.scenario = scenario
        self.connections = connections
        requests = result.requests
        errors = result.errors
        durationSeconds = elapsed
        requestsPerSecond = elapsed > 0 ? Double(result.requests) / elapsed : 0
        p50Ms = milliseconds(result.latencies.valueAtPercentile(50))
        p90Ms = milliseconds(result.latencies.valueAtPercentile(90))
        p99Ms = milliseconds(result.latencies.valueAtPercentile(99))
        p999Ms = milliseconds(result.latencies.valueAtPercentile(99.9))
        maxMs = milliseconds(result.latencies.maxRecorded)
    }

    /// The human-readable report.
    func lines() -> [String] {
        [
            "scenario     \(scenario) (\(connections) connections)",
            "requests     \(requests) (\(errors) errors)",
            "duration     " + String(format: "%.2f s", durationSeconds),
            "throughput   " + String(format: "%.1f requests/s", requestsPerSecond),
            "latency ms   " + String(format: "p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f",
                                     p50Ms, p90Ms, p99Ms, p999Ms, maxMs),
        ]
    }

    /// The same figures as one JSON object on one line.
    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
