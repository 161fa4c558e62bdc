import ArgumentParser
import Foundation
import MedLoopApp
import MedLoopDomain
import MedLoopStore

/// `medloop clearing --date D`: each region's settlements and reversals of an Asia/Shanghai day,
/// per institution, as a CSV file with a summary reconciled to the ledger to the fen. Writes one
/// file per region into `--out` (or prints them), says which regions reconcile, and exits 1 when
/// one does not: a mismatch is reported, never absorbed.
struct Clearing: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Produce the day's clearing file per insurance region, reconciled to the ledger; exit 1 on a mismatch.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The Asia/Shanghai day, YYYY-MM-DD.") var date: String
    @Option(help: "Only this region (6-digit code); every region that settled that day by default.") var region: String?
    @Option(help: "A directory to write clearing-<region>-<date>.csv into; the files are printed otherwise.") var out: String?

    func run() async throws {
        guard let day = CalendarDate(iso: date) else { throw ValidationError("--date is a day, YYYY-MM-DD.") }
        let only = try region.map { text in
            do { return try RegionCode(text) } catch { throw ValidationError("--region is a 6-digit region code.") }
        }
        let configuration = try database.configuration()
        let logger = bootstrapLogging(configuration.logLevel)
        let db = try await Database.open(configuration.databaseLocation, maxConnections: 2, logger: logger)
        let reports: [ClearingReport]
        do {
            let clearings = ClearingStore(database: db, audit: AuditStore(database: db))
            var found: [ClearingReport] = []
            let regions = if let only { [only] } else { try await clearings.regions(on: day) }
            for code in regions {
                found.append(try await clearings.report(region: code, day: day))
            }
            reports = found
        } catch {
            await db.close()
            throw error
        }
        await db.close()
        // With the files printed, the summary goes to standard error so that standard output is the CSV alone.
        let toStandardError = out == nil
        func report(_ line: String) {
            if toStandardError { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { say(line) }
        }
        for clearing in reports {
            let file = ClearingRule.csv(clearing)
            if let out {
                let url = URL(fileURLWithPath: out).appendingPathComponent("clearing-\(clearing.region.value)-\(day).csv")
                try file.write(to: url, atomically: true, encoding: .utf8)
                say("wrote \(url.path)")
            } else {
                print(file, terminator: "")
            }
            let settled = clearing.entries.filter { $0.kind == .settlement }.count
            report("region \(clearing.region.value), \(day): \(settled) settlements, \(clearing.entries.count - settled) reversals, "
                   + "\(clearing.totals.count) institutions, " + (clearing.isReconciled ? "reconciled to the ledger" : "NOT reconciled"))
            for problem in clearing.problems { report("problem: \(problem)") }
        }
        if reports.isEmpty { report("no settlements on \(day)") }
        guard reports.allSatisfy(\.isReconciled) else { throw ExitCode(1) }
    }
}
