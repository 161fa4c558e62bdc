import ArgumentParser
import Foundation
import MedLoopApp
import MedLoopStore

/// `medloop migrate`: applies pending migrations and reports them.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Only list the pending migrations.")
    var dryRun = false

    func run() async throws {
        let configuration = try database.configuration()
        let logger = bootstrapLogging(configuration.logLevel)
        let db = try await Database.open(configuration.databaseLocation, maxConnections: 2, logger: logger)
        do {
            let migrator = Migrator(database: db)
            let migrations = dryRun ? try await migrator.pending() : try await migrator.migrate()
            let verb = dryRun ? "pending" : "applied"
            if migrations.isEmpty { say("No migration \(verb); the schema is up to date.") }
            for migration in migrations {
                say(String(format: "%@ %04d %@", verb, migration.version, migration.name))
            }
        } catch {
            await db.close()
            throw error
        }
        await db.close()
    }
}
