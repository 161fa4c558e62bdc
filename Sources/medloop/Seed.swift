import ArgumentParser
import Foundation
import MedLoopApp
import MedLoopDomain
import MedLoopStore

/// `medloop seed --demo`: creates the demo world (the same accounts every time).
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Seed data into the database.")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Seed the demo world: a city with hospitals, pharmacies, an insurer, a regulator and demo accounts.")
    var demo = false

    func run() async throws {
        guard demo else { throw ValidationError("Say what to seed: --demo.") }
        var configuration = try database.configuration()
        configuration.seedDemoWhenEmpty = false
        let logger = bootstrapLogging(configuration.logLevel)
        let (services, _) = try await AppServices.start(configuration, logger: logger)
        do {
            let created = try await services.seedDemo()
            say(created ? "Seeded the demo world." : "The demo world is already there.")
            printDemoCredentials()
        } catch {
            await services.database.close()
            throw error
        }
        await services.database.close()
    }
}

/// Prints every demo sign-in, grouped by role.
func printDemoCredentials() {
    say("Demo accounts (password for all: \(DemoWorld.password)):")
    var lastRole: Role?
    for credential in DemoWorld.credentials {
        if credential.role != lastRole {
            say("  \(credential.role.rawValue):")
            lastRole = credential.role
        }
        say("    \(credential.phone)  \(credential.name)")
    }
}
