import ArgumentParser
import AsyncHTTPClient
import Foundation

/// `medloop-bench`: load scenarios against a running MedLoop server on this machine.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "medloop-bench",
        abstract: "Measure a running MedLoop server.",
        discussion: """
            Only a server on this machine is measured (127.0.0.1, localhost or ::1), and every run stops
            by itself after its warm-up and duration. scripts/bench seeds a directory, starts a server and
            runs the scenarios; BENCHMARKS.md says what is measured and the targets.
            """,
        subcommands: [RunScenario.self],
        defaultSubcommand: RunScenario.self)
}

/// `medloop-bench run`: one scenario for a fixed time, then throughput and latency percentiles.
struct RunScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one load scenario and report requests/s and latency percentiles.")

    @Option(help: "The server's base URL; loopback only (127.0.0.1, localhost, ::1).")
    var url: String = "http://127.0.0.1:8080"

    @Option(help: """
        search: the popular search mix; search-tail: thousands of distinct searches; profile: the 2,000 \
        best-ranked profiles; profile-tail: random doctors, unlisted ones included; signin-burst: reads \
        while other clients sign in; health: /health/live, the HTTP ceiling; loop: the closed care loop, each \
        connection a patient; mixed: --read-percent search-tail and profile-tail reads, the rest loop steps; \
        chat: --connections WebSockets on consultations of the demo world, messages timed from one party to the other.
        """)
    var scenario: Scenario = .search

    @Option(help: "Seconds to measure (1...3600).")
    var duration: Int = 20

    @Option(help: "Seconds of load before measuring starts (0...600).")
    var warmup: Int = 3

    @Option(help: """
        Concurrent connections, each with one request in flight (1...1024); in signin-burst, the readers; in \
        loop and mixed, the virtual patients; in chat, the WebSockets (at least 2).
        """)
    var connections: Int = 16

    @Option(help: """
        Draws the requests of search-tail, profile-tail and mixed's reads, and the doctor each virtual patient \
        of loop and mixed starts with; the same seed asks the same things.
        """)
    var seed: UInt64 = 2020

    @Option(help: "Distinct requests search-tail and profile-tail draw, each of them for mixed's reads too (100...1000000).")
    var requests: Int = 50_000

    @Option(help: "profile-tail and mixed: a file of every doctor's id, one a line (listed or not; scripts/bench writes it).")
    var doctorIds: String?

    @Option(help: "signin-burst: connections that sign in during the burst (1...256).")
    var signInConnections: Int = 4

    @Option(help: "signin-burst: the accounts to sign in with, numbers and ranges (default: the demo patients and doctors).")
    var phones: String = SignInBurst.demoPhones

    @Option(help: """
        loop, mixed and chat: the patients' phones, numbers and ranges; in loop and mixed each virtual patient takes its \
        share of them in turn, one a loop (default: the ten demo patients; medloop seed --loop-patients N adds 16600000001 on).
        """)
    var patients: String = CareWorld.demoPatientPhones

    @Option(help: "signin-burst, loop and mixed: the accounts' password (the demo world's).")
    var password: String = "medloop-demo"

    @Option(help: "mixed: the share of requests (percent, 0...100) that are reads; the rest are care-loop steps.")
    var readPercent: Int = 80

    @Option(help: """
        chat: messages a second, all consultations together, spread evenly (0: each consultation sends its next \
        message as soon as the last one arrived).
        """)
    var messagesPerSecond: Double = 0

    @Option(help: "Requests/s taken as the ceiling (the health scenario's); the report gives this run's share of it.")
    var ceiling: Double?

    @Flag(help: "Exit with status 1 when any request got an unexpected answer or none.")
    var failOnErrors = false

    @Flag(help: "Also print the figures as one JSON line.")
    var json = false

    @Flag(help: "Print the scenario's requests (method and URL, one a line) instead of running it: to time them one by one.")
    var listRequests = false

    func validate() throws {
        guard (1...3600).contains(duration) else { throw ValidationError("--duration must be 1...3600 seconds.") }
        guard (0...600).contains(warmup) else { throw ValidationError("--warmup must be 0...600 seconds.") }
        guard (1...1024).contains(connections) else { throw ValidationError("--connections must be 1...1024.") }
        if scenario == .chat && connections < 2 {
            throw ValidationError("--connections must be at least 2 in chat: a socket for each party.")
        }
        guard (100...1_000_000).contains(requests) else { throw ValidationError("--requests must be 100...1000000.") }
        guard (0...100).contains(readPercent) else { throw ValidationError("--read-percent must be 0...100.") }
        guard (1...256).contains(signInConnections) else { throw ValidationError("--sign-in-connections must be 1...256.") }
        guard messagesPerSecond >= 0 && messagesPerSecond <= 100_000 else {
            throw ValidationError("--messages-per-second must be 0...100000.")
        }
        if listRequests && (scenario.runsCareLoops || scenario == .chat) {
            throw ValidationError("--list-requests lists the requests of a scenario with a fixed list, not of \(scenario.rawValue).")
        }
        if let ceiling, !(ceiling > 0) { throw ValidationError("--ceiling must be a positive number of requests/s.") }
        do {
            _ = try SignInBurst.phones(phones)
            _ = try SignInBurst.phones(patients, option: "--patients")
        } catch {
            throw ValidationError("\(error)")
        }
        _ = try LoopbackServer(url)
    }

    func run() async throws {
        let server = try LoopbackServer(url)
        let options = ScenarioOptions(connections: connections, seed: seed, requests: requests, doctorIdsFile: doctorIds,
                                      signInConnections: signInConnections, phones: try SignInBurst.phones(phones),
                                      password: password)
        let allConnections = connections + (scenario == .signinBurst ? signInConnections : 0)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: HTTPClient.Configuration.Timeout(connect: .seconds(5), read: .seconds(30)),
            // One connection per worker: each worker keeps exactly one request in flight.
            connectionPool: HTTPClient.Configuration.ConnectionPool(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: allConnections))
        configuration.httpVersion = .http1Only
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        if scenario.runsCareLoops {
            try await runCareLoops(on: server, client: client, options: options)
            return
        }
        if scenario == .chat {
            try await runChat(on: server, client: client)
            return
        }
        try await finish(client, nothing: "no request completed during the measured time",
                         errors: "requests got an unexpected answer or none") { () -> Report? in
            try await server.checkReady(client)
            let plan = try await scenario.plan(on: server, client: client, options: options)
            if listRequests {
                for target in plan.lanes.flatMap(\.targets) { emit((target.method == .get ? "GET " : "POST ") + target.url) }
                return nil
            }
            note("medloop-bench: \(scenario.rawValue): \(plan.distinctRequests) distinct requests, \(allConnections) connections, "
                 + "\(warmup) s warm-up, \(duration) s measured")
            let driver = LoadDriver(client: client, plan: plan)
            let outcome = await driver.run(warmup: .seconds(warmup), duration: .seconds(duration))
            return Report(scenario: scenario.rawValue, seed: scenario.isSeeded ? seed : nil, ceiling: ceiling, outcome: outcome)
        }
    }

    /// Runs `measure`, shuts the client down whatever happens, and prints the report it made (none:
    /// nothing to print); then fails when nothing was measured, or with `--fail-on-errors` when
    /// something went wrong (`errors` says what, after the count).
    func finish<R: ScenarioReport>(_ client: HTTPClient, nothing: String, errors: String,
                                   _ measure: () async throws -> R?) async throws {
        let report: R?
        do {
            report = try await measure()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        guard let report else { return }
        for line in report.lines() { emit(line) }
        if json { emit(try report.jsonLine()) }
        guard report.measured > 0 else { throw BenchError(nothing) }
        if failOnErrors && report.errors > 0 {
            throw BenchError("\(report.errors) \(errors)")
        }
    }
}

extension RunScenario {
    /// The loop and mixed scenarios: prepares the demo world's care loop, runs it, reports it.
    func runCareLoops(on server: LoopbackServer, client: HTTPClient, options: ScenarioOptions) async throws {
        try await finish(client, nothing: "no request completed during the measured time",
                         errors: "requests got an unexpected answer or none") { () -> CareLoopReport? in
            try await server.checkReady(client)
            let reads = try await scenario.plan(on: server, client: client, options: options).lanes.first?.targets ?? []
            let world = try await CareWorld.prepare(on: server, client: client, password: password,
                                                    patientPhones: try SignInBurst.phones(patients, option: "--patients"))
            note("medloop-bench: \(scenario.rawValue): \(world.patients.count) patients (\(world.patients.filter(\.insured).count) "
                 + "insured), \(world.doctors.count) doctors, \(reads.count) distinct reads, \(connections) connections, "
                 + "\(warmup) s warm-up, \(duration) s measured")
            let driver = CareLoopDriver(client: client, server: server, world: world, connections: connections, reads: reads,
                                        readPercent: scenario == .mixed ? readPercent : 0, seed: seed)
            let result = await driver.run(warmup: .seconds(warmup), duration: .seconds(duration))
            return CareLoopReport(scenario: scenario.rawValue, connections: connections, world: world,
                                  readPercent: scenario == .mixed ? readPercent : nil, result: result)
        }
    }
}

extension RunScenario {
    /// The chat scenario: opens the consultations, runs the sockets, completes the consultations, reports.
    func runChat(on server: LoopbackServer, client: HTTPClient) async throws {
        try await finish(client, nothing: "no message was delivered during the measured time",
                         errors: "deliveries were lost or messages refused") { () -> ChatReport? in
            try await server.checkReady(client)
            let world = try await CareWorld.prepare(on: server, client: client, password: password,
                                                    patientPhones: try SignInBurst.phones(patients, option: "--patients"))
            let api = SetupClient(server: server, client: client)
            let rooms = try await ChatRooms.open(ChatRooms.count(sockets: connections, world: world), world: world, api: api)
            note("medloop-bench: chat: \(connections) sockets on \(rooms.count) consultations, "
                 + (messagesPerSecond > 0 ? "\(messagesPerSecond) messages/s, " : "each message as soon as the last arrived, ")
                 + "\(warmup) s warm-up, \(duration) s measured")
            let driver = ChatDriver(server: server, rooms: rooms, sockets: connections,
                                    messagesPerSecond: messagesPerSecond > 0 ? messagesPerSecond : nil)
            let result: ChatResult
            do {
                result = try await driver.run(warmup: .seconds(warmup), duration: .seconds(duration))
            } catch {
                await ChatRooms.close(rooms, api: api)
                throw error
            }
            await ChatRooms.close(rooms, api: api)
            return ChatReport(sockets: connections, consultations: rooms.count,
                              pace: messagesPerSecond > 0 ? messagesPerSecond : nil, result: result)
        }
    }
}

/// A failure of the benchmark itself (not a slow or failing request, which is counted).
struct BenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// The server under test: a base URL whose host is this machine.
struct LoopbackServer: Sendable {
    static let loopbackHosts: Set<String> = ["127.0.0.1", "localhost", "::1"]

    /// The base URL without a trailing slash.
    let base: String

    init(_ text: String) throws {
        guard let components = URLComponents(string: text), components.scheme?.lowercased() == "http",
              let host = components.host, !host.isEmpty else {
            throw ValidationError("--url must be an http:// URL, like http://127.0.0.1:8080.")
        }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        guard Self.loopbackHosts.contains(bare) else {
            throw ValidationError("medloop-bench measures only a server on this machine: the host of --url must be "
                                  + "127.0.0.1, localhost or ::1, not \(host).")
        }
        base = text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// The full URL of a path (with its query) on this server.
    func url(_ pathAndQuery: String) -> String { base + pathAndQuery }

    /// Fails with a clear message when no MedLoop server is ready at this address.
    func checkReady(_ client: HTTPClient) async throws {
        let ready = url("/health/ready")
        do {
            let response = try await client.execute(HTTPClientRequest(url: ready), timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 20)
            guard (200..<300).contains(response.status.code) else {
                throw BenchError("\(ready) answered \(response.status.code): the server is not ready")
            }
        } catch let error as BenchError {
            throw error
        } catch {
            throw BenchError("no MedLoop server answers at \(base) (\(error)); start one with `medloop serve`")
        }
    }
}

/// Prints a line of the report to standard output at once.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Prints a progress note to standard error, keeping standard output for the report.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
