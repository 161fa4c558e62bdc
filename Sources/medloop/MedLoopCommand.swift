import ArgumentParser
import Foundation
import Logging
import MedLoopApp

/// `medloop`: the MedLoop server and its administration commands.
@main
struct MedLoopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "medloop",
        abstract: "MedLoop, an open-source Internet-hospital platform.",
        discussion: """
            Settings come from MEDLOOP_* variables and DATABASE_URL (see README.md); flags override them.
            Without DATABASE_URL, MedLoop keeps its data in ./medloop.sqlite.
            """,
        subcommands: [Serve.self, Migrate.self, Seed.self, Check.self, VerifyChain.self, VerifyPrescription.self, GenerateKey.self,
                      IssueVoucher.self, Clearing.self, Report.self])
}

/// Options shared by the commands that open the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "A postgres:// URL (overrides DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .customLong("db-path"), help: "The SQLite file (overrides MEDLOOP_DB_PATH).")
    var sqlitePath: String?

    /// The environment's configuration with these flags applied; bad values end the command.
    func configuration() throws -> Configuration {
        var configuration: Configuration
        do {
            configuration = try Configuration.fromEnvironment()
        } catch {
            throw ValidationError(String(describing: error))
        }
        if let databaseURL { configuration.databaseURL = databaseURL }
        if let sqlitePath { configuration.sqlitePath = sqlitePath }
        return configuration
    }
}

/// Structured logging for every command, set up once.
func bootstrapLogging(_ level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
    return Logger(label: "medloop")
}

/// Prints a line to standard output at once (unbuffered), so credentials and addresses appear
/// even when the output is a pipe or a file.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
