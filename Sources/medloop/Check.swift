import ArgumentParser
import Foundation
import MedLoopApp
import MedLoopStore

/// `medloop check`: the books and the promises of the database — the ledger balances, no
/// `Idempotency-Key` is left claimed without its answer, and every paid order's money is where
/// its state says. Prints each problem and exits 1 when there is any.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the ledger, idempotency keys and orders; exit 1 on any problem.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let configuration = try database.configuration()
        let logger = bootstrapLogging(configuration.logLevel)
        let db = try await Database.open(configuration.databaseLocation, maxConnections: 2, logger: logger)
        let problems: [String]
        do {
            problems = try await ConsistencyCheck(database: db).problems()
        } catch {
            await db.close()
            throw error
        }
        await db.close()
        for problem in problems { say("problem: \(problem)") }
        guard problems.isEmpty else { throw ExitCode(1) }
        say("check: the ledger balances, no idempotency key is left unanswered, every order's money is where its state says")
    }
}
