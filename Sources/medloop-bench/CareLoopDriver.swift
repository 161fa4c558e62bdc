import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// The loop and mixed scenarios' load: each connection is one virtual patient running its care
/// loop (`CareLoop`), one request at a time. In mixed, each request is a read (search-tail and
/// profile-tail requests in turn) with probability `readPercent`, else the loop's next step, over the
/// same connection. Latencies of requests started after the warm-up are recorded per step, and for
/// the reads apart.
struct CareLoopDriver: Sendable {
    let client: HTTPClient
    let server: LoopbackServer
    let world: CareWorld
    let connections: Int
    /// Mixed only: the reads, and the share (percent) of requests that are reads.
    let reads: [Target]
    let readPercent: Int
    let seed: UInt64

    /// How long an error's answer is kept as a sample for the report.
    static let sampleCharacters = 400

    func run(warmup: Duration, duration: Duration) async -> CareLoopResult {
        let clock = ContinuousClock()
        let measureFrom = clock.now + warmup
        let stopAt = measureFrom + duration
        let finished = await withTaskGroup(of: (CareLoopResult, ContinuousClock.Instant).self) { group in
            for worker in 0..<connections {
                group.addTask {
                    await self.work(worker, clock: clock, measureFrom: measureFrom, stopAt: stopAt)
                }
            }
            var all: [(CareLoopResult, ContinuousClock.Instant)] = []
            for await result in group { all.append(result) }
            return all
        }
        var total = CareLoopResult()
        for (result, _) in finished { total.add(result) }
        let end = finished.map(\.1).max() ?? stopAt
        total.elapsed = max(end, stopAt) - measureFrom
        return total
    }

    /// The doctors worker `worker` consults: the workers that share a patient split the doctors, so
    /// that no two of them ever hold a consultation of that patient with the same doctor.
    func doctors(of worker: Int) -> [CareWorld.Doctor] {
        let patients = world.patients.count
        let groups = (connections + patients - 1) / patients
        let mine = world.doctors.enumerated().filter { $0.offset % groups == (worker / patients) % groups }.map(\.element)
        return mine.isEmpty ? world.doctors : mine
    }

    /// The people worker `worker` is, in turn: its share of them when there are at least as many as
    /// workers, else one that it may share with other workers.
    func patients(of worker: Int) -> [CareWorld.Patient] {
        let patients = world.patients
        guard patients.count >= connections else { return [patients[worker % patients.count]] }
        return stride(from: worker, to: patients.count, by: connections).map { patients[$0] }
    }

    private func work(_ worker: Int, clock: ContinuousClock, measureFrom: ContinuousClock.Instant,
                      stopAt: ContinuousClock.Instant) async -> (CareLoopResult, ContinuousClock.Instant) {
        var result = CareLoopResult()
        var loop = CareLoop(world: world, patients: patients(of: worker),
                            doctors: doctors(of: worker), seed: seed &+ UInt64(worker) &* 7919)
        var random = SeededRandom(seed: seed ^ (UInt64(worker) &+ 0x10CA_11))
        var readIndex = reads.isEmpty ? 0 : worker * reads.count / connections
        var stopped = clock.now
        while true {
            let started = clock.now
            stopped = started
            if started >= stopAt { break }
            let measured = started >= measureFrom
            if !reads.isEmpty && (loop.isExhausted || random.percent(readPercent)) {
                let (status, _) = await send(method: "GET", url: reads[readIndex].url, token: nil, body: nil, idempotent: false)
                readIndex = (readIndex + 1) % reads.count
                if measured { result.reads.record(clock.now - started, status: status, expected: [404]) }
                continue
            }
            if loop.isExhausted {
                result.exhaustedPatients += 1
                break
            }
            let request = loop.next()
            let (status, bytes) = await send(method: request.method, url: server.url(request.path), token: request.token,
                                             body: request.body, idempotent: request.isIdempotent)
            let latency = clock.now - started
            let body = bytes.flatMap { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] } ?? [:]
            let verdict = loop.take(request, status: status, body: body)
            if case .error = verdict {
                let key = "\(request.step.rawValue) \(status.map(String.init) ?? "no answer")"
                if result.errorSamples[key] == nil {
                    let text = bytes.map { String(decoding: $0, as: UTF8.self) } ?? ""
                    result.errorSamples[key] = "\(request.method) \(request.path): " + String(text.prefix(Self.sampleCharacters))
                }
            }
            guard measured else { continue }
            switch verdict {
            case .next(let completed):
                result.steps[request.step, default: LoadResult()].record(latency, status: status, expected: [])
                if completed { result.loopsCompleted += 1 }
            case .limit(let code):
                result.steps[request.step, default: LoadResult()].record(latency, status: status,
                                                                          expected: status.map { [$0] } ?? [])
                result.limits["\(request.step.rawValue) \(code)", default: 0] += 1
            case .error:
                var step = result.steps[request.step, default: LoadResult()]
                step.record(latency, status: status, expected: [])
                if let status, (200..<300).contains(status) {
                    // A success of another kind than the step's (a 200 where 201 is due) is an error too.
                    step.errors += 1
                    step.errorsByKind["\(status) (not \(request.expect))", default: 0] += 1
                }
                result.steps[request.step] = step
            }
        }
        return (result, stopped)
    }

    /// Sends one request and reads the whole body; the status is `nil` when no answer came.
    private func send(method: String, url: String, token: String?, body: [String: Any]?,
                      idempotent: Bool) async -> (UInt?, Data?) {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer " + token) }
        if idempotent { request.headers.add(name: "Idempotency-Key", value: UUID().uuidString) }
        if let body, let data = try? JSONSerialization.data(withJSONObject: body) {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(Array(data))
        }
        do {
            let response = try await client.execute(request, timeout: .seconds(LoadDriver.requestTimeoutSeconds))
            let bytes = try await response.body.collect(upTo: 16 << 20)
            return (response.status.code, Data(bytes.readableBytesView))
        } catch {
            return (nil, nil)
        }
    }
}

/// What the loop and mixed scenarios measured.
struct CareLoopResult: Sendable {
    var steps: [LoopStep: LoadResult] = [:]
    /// Mixed only.
    var reads = LoadResult()
    var loopsCompleted = 0
    /// Domain limits met, as `step code` ("book daily_cap_reached").
    var limits: [String: Int] = [:]
    /// The first answer of each kind of error, as `step status`, warm-up included.
    var errorSamples: [String: String] = [:]
    /// Virtual patients whose doctors all reached their daily cap before the end.
    var exhaustedPatients = 0
    var elapsed: Duration = .zero

    mutating func add(_ other: CareLoopResult) {
        for (step, result) in other.steps { steps[step, default: LoadResult()].add(result) }
        reads.add(other.reads)
        loopsCompleted += other.loopsCompleted
        limits.merge(other.limits, uniquingKeysWith: +)
        errorSamples.merge(other.errorSamples) { first, _ in first }
        exhaustedPatients += other.exhaustedPatients
    }

    /// Every step's requests together.
    var allSteps: LoadResult {
        var total = LoadResult()
        for result in steps.values { total.add(result) }
        total.elapsed = elapsed
        return total
    }
}
