import ArgumentParser
import Foundation
import MedLoopApp
import MedLoopDomain
import MedLoopStore

/// `medloop seed --demo` creates the demo world (the same accounts every time);
/// `medloop seed --doctors N` generates a large doctor directory for benchmarks (BENCHMARKS.md);
/// `medloop seed --patients N` generates N patients (no activity) for benchmarks;
/// `medloop seed --loop-patients N` adds the N patients the benchmark's care loop signs in as;
/// `medloop seed --history-days N` generates N days of activity on it for the analytics (issue 20).
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Seed data into the database.")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Seed the demo world: a city with hospitals, pharmacies, an insurer, a regulator and demo accounts.")
    var demo = false

    @Option(help: "Generate N doctors (1...1000000) at hospitals in 42 cities and 3 platforms; running again adds N more.")
    var doctors: Int?

    @Option(help: "Generate N patients (1...9999999), some of them insured, who cannot sign in; running again adds N more.")
    var patients: Int?

    @Option(help: ArgumentHelp("Add N patients (1...1000000) who sign in as 16600000001... with the demo password, for medloop-bench's loop.",
                               discussion: "Quzhou residents with an in-person visit to follow up, two in three insured; needs the demo world."))
    var loopPatients: Int?

    @Option(help: "Generate N days (1...366) of consultations, prescriptions and settlements, ending yesterday, on the stored doctors.")
    var historyDays: Int?

    func validate() throws {
        guard demo || doctors != nil || patients != nil || loopPatients != nil || historyDays != nil else {
            throw ValidationError("Say what to seed: --demo, --doctors N, --patients N, --loop-patients N or --history-days N.")
        }
        if let loopPatients, !(1...LoopPatients.maximum).contains(loopPatients) {
            throw ValidationError("--loop-patients must be 1...\(LoopPatients.maximum).")
        }
        if let patients, !(1...PatientGenerator.maximumPerRun).contains(patients) {
            throw ValidationError("--patients must be 1...\(PatientGenerator.maximumPerRun).")
        }
        if let doctors, !(1...1_000_000).contains(doctors) {
            throw ValidationError("--doctors must be 1...1000000.")
        }
        if let historyDays, !(1...366).contains(historyDays) {
            throw ValidationError("--history-days must be 1...366.")
        }
    }

    func run() async throws {
        var configuration = try database.configuration()
        configuration.seedDemoWhenEmpty = false
        let logger = bootstrapLogging(configuration.logLevel)
        let (services, _) = try await AppServices.start(configuration, logger: logger, forServing: false)
        do {
            if demo {
                let created = try await services.seedDemo()
                say(created ? "Seeded the demo world." : "The demo world is already there.")
                printDemoCredentials()
            }
            if let doctors {
                try await generateDirectory(doctors, into: services.database, now: services.clock.now())
            }
            if let patients {
                try await generatePatients(patients, services: services)
            }
            if let loopPatients {
                let written = try await services.seedLoopPatients(loopPatients)
                say("Wrote \(written) loop patients (\(loopPatients - written) were there already).")
            }
            if let historyDays {
                try await generateHistory(historyDays, services: services)
            }
        } catch {
            await services.database.close()
            throw error
        }
        await services.database.close()
    }

    /// Generates the directory with a progress bar on standard error, then says what it wrote.
    private func generateDirectory(_ count: Int, into database: Database, now: Date) async throws {
        let (written, seconds) = try await withProgress(of: count, unit: "doctors") { progress in
            try await DirectoryGenerator.generate(doctors: count, into: database, now: now, progress: progress)
        }
        say("Wrote \(written) doctors in \(seconds) s (\(database.engine.rawValue)).")
    }
}

extension Seed {
    /// Generates the patients with a progress bar on standard error, then says what it wrote.
    private func generatePatients(_ count: Int, services: AppServices) async throws {
        let (written, seconds) = try await withProgress(of: count, unit: "patients") { progress in
            try await PatientGenerator.generate(patients: count, into: services.database, cipher: services.stores.cipher,
                                                now: services.clock.now(), progress: progress)
        }
        say("Wrote \(written) patients in \(seconds) s (\(services.database.engine.rawValue)).")
    }

    /// Generates the history with a progress bar (days) on standard error, then says what it wrote.
    private func generateHistory(_ days: Int, services: AppServices) async throws {
        let (summary, seconds) = try await withProgress(of: days, unit: "days") { progress in
            try await HistoryGenerator.generate(days: days, into: services.database, cipher: services.stores.cipher,
                                                now: services.clock.now(), progress: progress)
        }
        say("Wrote \(summary.consultations) consultations, \(summary.prescriptions) prescriptions and \(summary.settlements) settlements "
            + "for \(summary.patients) patients in \(seconds) s (\(services.database.engine.rawValue)).")
    }
}

/// Runs `generate`, drawing its progress towards `total` on standard error, and returns what it
/// made with the seconds it took ("12.3").
private func withProgress<Made>(of total: Int, unit: String,
                                _ generate: (@escaping @Sendable (Int) -> Void) async throws -> Made) async throws -> (Made, String) {
    let clock = ContinuousClock()
    let started = clock.now
    drawProgress(0, of: total, unit: unit)
    let made = try await generate { done in drawProgress(done, of: total, unit: unit) }
    FileHandle.standardError.write(Data("\n".utf8))
    let (seconds, attoseconds) = (clock.now - started).components
    return (made, String(format: "%.1f", Double(seconds) + Double(attoseconds) / 1e18))
}

/// Redraws `[#########           ] 45% 67500/150000 doctors` in place on standard error.
private func drawProgress(_ written: Int, of total: Int, unit: String = "doctors") {
    let width = 20
    let filled = total == 0 ? width : min(width, written * width / total)
    let percent = total == 0 ? 100 : written * 100 / total
    let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
    FileHandle.standardError.write(Data("\r[\(bar)] \(percent)% \(written)/\(total) \(unit)".utf8))
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
