import ArgumentParser
import Foundation
import MedLoopApp
import MedLoopStore

/// `medloop verify-chain`: walks the whole hash-chained audit log — which also carries every
/// prescription's trail — and names the first entry that does not follow from the one before it
/// (edited, removed or inserted). Exits 1 when the chain is broken.
struct VerifyChain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-chain",
        abstract: "Verify the hash chain of the audit log and prescription trails; name the first broken entry.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let configuration = try database.configuration()
        let logger = bootstrapLogging(configuration.logLevel)
        let db = try await Database.open(configuration.databaseLocation, maxConnections: 2, logger: logger)
        let broken: Int64?
        do {
            broken = try await AuditStore(database: db).firstBreak()
        } catch {
            await db.close()
            throw error
        }
        await db.close()
        if let broken {
            say("broken: entry \(broken) of the audit log does not follow from the entry before it")
            throw ExitCode(1)
        }
        say("verify-chain: every entry of the audit log follows from the one before it")
    }
}
