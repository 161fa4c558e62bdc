import ArgumentParser
import Foundation
import Logging
import MedLoopApp
import MedLoopStore

/// `medloop serve`: runs the HTTP server until SIGTERM or SIGINT, then finishes open requests.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the MedLoop server.",
        discussion: "Applies pending migrations first. On an empty database it seeds the demo world unless --no-demo.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on (overrides MEDLOOP_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (overrides MEDLOOP_PORT; default 8080).")
    var port: Int?

    @Flag(name: .customLong("no-demo"), help: "Do not seed the demo world into an empty database.")
    var noDemo = false

    func run() async throws {
        var configuration = try database.configuration()
        if let host { configuration.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
            configuration.port = port
        }
        configuration.seedDemoWhenEmpty = !noDemo
        let logger = bootstrapLogging(configuration.logLevel)
        let (services, seeded) = try await AppServices.start(configuration, logger: logger)
        if seeded { printDemoCredentials() }
        let app = buildApplication(services, logger: logger) { channel in
            let address = channel.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
            say("MedLoop is listening on http://\(address) (\(services.database.engine.rawValue))")
        }
        do {
            try await app.runService()
        } catch {
            await services.database.close()
            throw error
        }
        await services.database.close()
    }
}
