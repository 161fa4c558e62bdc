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

    @Option(help: "search: the doctor search query mix; profile: doctor profile pages.")
    var scenario: Scenario = .search

    @Option(help: "Seconds to measure (1...3600).")
    var duration: Int = 20

    @Option(help: "Seconds of load before measuring starts (0...600).")
    var warmup: Int = 3

    @Option(help: "Concurrent connections, each with one request in flight (1...1024).")
    var connections: Int = 16

    @Flag(help: "Also print the figures as one JSON line.")
    var json = false

    func validate() throws {
        guard (1...3600).contains(duration) else { throw ValidationError("--duration must be 1...3600 seconds.") }
        guard (0...600).contains(warmup) else { throw ValidationError("--warmup must be 0...600 seconds.") }
        guard (1...1024).contains(connections) else { throw ValidationError("--connections must be 1...1024.") }
        _ = try LoopbackServer(url)
    }

    func run() async throws {
        let server = try LoopbackServer(url)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: HTTPClient.Configuration.Timeout(connect: .seconds(5), read: .seconds(30)),
            // One connection per worker: each worker keeps exactly one request in flight.
            connectionPool: HTTPClient.Configuration.ConnectionPool(
                idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections))
        configuration.httpVersion = .http1Only
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let report: Report
        do {
            try await server.checkReady(client)
            let targets = try await scenario.targets(on: server, client: client)
            note("medloop-bench: \(scenario.rawValue): \(targets.count) distinct requests, \(connections) connections, "
                 + "\(warmup) s warm-up, \(duration) s measured")
            let driver = LoadDriver(client: client, targets: targets, connections: connections)
            let result = await driver.run(warmup: .seconds(warmup), duration: .seconds(duration))
            report = Report(scenario: scenario.rawValue, connections: connections, result: result)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        for line in report.lines() { emit(line) }
        if json { emit(try report.jsonLine()) }
        guard report.requests > 0 else { throw BenchError("no request completed during the measured time") }
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
