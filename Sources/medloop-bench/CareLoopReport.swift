import Foundation

/// The figures of a loop or mixed run: loops completed per second, every step's latency
/// percentiles and errors, the domain limits met, a sample answer of each kind of error, and in
/// mixed the reads apart from the loop's steps.
struct CareLoopReport: ScenarioReport {
    var scenario: String
    var connections: Int
    var patients: Int
    var insuredPatients: Int
    var doctors: Int
    var loopsCompleted: Int
    var loopsPerSecond: Double
    var durationSeconds: Double
    /// Every step's requests together.
    var loopSteps: Figures
    /// Each step's figures, by step name.
    var steps: [String: Figures]
    /// Mixed only: the search-tail and profile-tail reads.
    var reads: Figures?
    var readPercent: Int?
    /// Domain limits met (`step code`), counted, not errors.
    var limits: [String: Int]
    var errorSamples: [String: String]
    var exhaustedPatients: Int

    init(scenario: String, connections: Int, world: CareWorld, readPercent: Int?, result: CareLoopResult) {
        self.scenario = scenario
        self.connections = connections
        patients = world.patients.count
        insuredPatients = world.patients.filter(\.insured).count
        doctors = world.doctors.count
        loopsCompleted = result.loopsCompleted
        let (seconds, attoseconds) = result.elapsed.components
        durationSeconds = Double(seconds) + Double(attoseconds) / 1e18
        loopsPerSecond = durationSeconds > 0 ? Double(result.loopsCompleted) / durationSeconds : 0
        loopSteps = Figures(result.allSteps, expectedStatuses: [])
        var steps: [String: Figures] = [:]
        for (step, stepResult) in result.steps {
            var timed = stepResult
            timed.elapsed = result.elapsed
            steps[step.rawValue] = Figures(timed, expectedStatuses: [])
        }
        self.steps = steps
        if let readPercent {
            var reads = result.reads
            reads.elapsed = result.elapsed
            self.reads = Figures(reads, expectedStatuses: [404])
            self.readPercent = readPercent
        }
        limits = result.limits
        errorSamples = result.errorSamples
        exhaustedPatients = result.exhaustedPatients
    }

    /// Unexpected answers of the loop's steps and of the reads.
    var errors: Int { loopSteps.errors + (reads?.errors ?? 0) }

    /// Requests measured, steps and reads together.
    var requests: Int { loopSteps.requests + (reads?.requests ?? 0) }

    func lines() -> [String] {
        var lines = ["scenario     \(scenario) (\(connections) connections: \(patients) patients, \(insuredPatients) of them "
                     + "insured, \(doctors) doctors" + (readPercent.map { "; \($0)% reads" } ?? "") + ")"]
        lines.append(String(format: "loops        %d completed, %.2f loops/s over %.2f s", loopsCompleted, loopsPerSecond,
                            durationSeconds))
        lines.append("step           requests  errors     p50 ms     p90 ms     p99 ms     max ms")
        for step in LoopStep.allCases {
            guard let figures = steps[step.rawValue] else { continue }
            lines.append(step.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)
                         + String(format: " %8d %7d %10.2f %10.2f %10.2f %10.2f", figures.requests, figures.errors, figures.p50Ms, figures.p90Ms, figures.p99Ms, figures.maxMs))
        }
        lines += loopSteps.lines("loop steps   ")
        if let reads { lines += reads.lines("reads        ") }
        for (name, count) in limits.sorted(by: { $0.key < $1.key }) {
            lines.append("limit        \(name): \(count) (counted, not an error)")
        }
        if exhaustedPatients > 0 {
            lines.append("limit        \(exhaustedPatients) virtual patients stopped: every doctor of theirs reached the daily cap")
        }
        for step in LoopStep.allCases {
            guard let kinds = steps[step.rawValue]?.errorsByKind else { continue }
            for (kind, count) in kinds.sorted(by: { $0.key < $1.key }) {
                lines.append("error        \(step.rawValue) \(kind): \(count)")
            }
        }
        for (key, sample) in errorSamples.sorted(by: { $0.key < $1.key }) {
            lines.append("error answer \(key): \(sample)")
        }
        return lines
    }
}
