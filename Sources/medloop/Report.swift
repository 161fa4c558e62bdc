import ArgumentParser
import Foundation
import MedLoopApp
import MedLoopDomain
import MedLoopStore

/// `medloop report --date D`: writes a region's daily export for the provincial supervision
/// platform (issue 20, part 9): `report-<region>-<date>.ndjson` (a header line, then one canonical
/// JSON record a line: consultations, prescriptions, dispenses, settlements; identifiers, never
/// names or national IDs) and beside it `report-<region>-<date>.sig`, a JSON object holding the
/// file's SHA-256 and an ECDSA P-256 signature over that digest by the platform key, with the
/// public key. The platform key is kept in the database, sealed with `MEDLOOP_DATA_KEY`, and made
/// on first use; `--public-key` prints its public half for the province to register. The signature
/// is a standard one over the file: `openssl dgst -sha256 -verify platform.pem -signature sig.der
/// report-….ndjson` checks it (sig.der: the `signature` field, base64-decoded).
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write the daily report for the provincial supervision platform.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The Asia/Shanghai day, YYYY-MM-DD.") var date: String?
    @Option(help: "Only this region (6-digit code); every regulator's region by default.") var region: String?
    @Option(help: "The directory to write the files into (the current one by default).") var out: String?
    @Flag(help: "Print the platform key's public key (PEM) for the provincial platform, and write nothing.")
    var publicKey = false

    func run() async throws {
        let day = try date.map { text in
            guard let day = CalendarDate(iso: text) else { throw ValidationError("--date is a day, YYYY-MM-DD.") }
            return day
        }
        guard publicKey || day != nil else { throw ValidationError("--date is required (or --public-key).") }
        let only = try region.map { text in
            do { return try RegionCode(text) } catch { throw ValidationError("--region is a 6-digit region code.") }
        }
        let directory = URL(fileURLWithPath: out ?? FileManager.default.currentDirectoryPath, isDirectory: true)
        let configuration = try database.configuration()
        let cipher = try FieldCipher(dataKey: try configuration.loadDataKey())
        let logger = bootstrapLogging(configuration.logLevel)
        let db = try await Database.open(configuration.databaseLocation, maxConnections: 2, logger: logger)
        do {
            let keys = PlatformKeyStore(database: db, cipher: cipher)
            if publicKey {
                print(try await keys.publicKey(at: Date()), terminator: "")
            } else if let day {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let audit = AuditStore(database: db)
                let traces = TraceStore(database: db, audit: audit)
                let regions = if let only { [only] } else { try await traces.reportRegions() }
                if regions.isEmpty { say("no region to report: no regulator institution, and no --region") }
                for code in regions {
                    let written = try await keys.write(try await traces.report(region: code, day: day), into: directory, at: Date())
                    let counts = written.report.counts
                    say("wrote \(written.ndjson.path) (\(counts["consultation"] ?? 0) consultations, "
                        + "\(counts["prescription"] ?? 0) prescriptions, \(counts["dispense"] ?? 0) dispenses, "
                        + "\(counts["settlement"] ?? 0) settlements)")
                    say("wrote \(written.signature.path)")
                    // The export carries every patient's records of the day: it is a read of their data.
                    try await audit.record(AuditRecord(action: "supervision.report.write", resourceType: "provincial_report",
                                                       resourceId: "\(code.value)/\(day)"),
                                           context: AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil,
                                                                 requestId: "medloop report", at: Date()))
                }
            }
        } catch {
            await db.close()
            throw error
        }
        await db.close()
    }
}
