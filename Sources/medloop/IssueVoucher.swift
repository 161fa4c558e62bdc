import ArgumentParser
import Foundation
import MedLoopApp
import MedLoopDomain
import MedLoopStore

/// `medloop voucher`: the insurer's side of an e-voucher, for trying MedLoop — issues a voucher,
/// valid for 5 minutes, for the insured person with a national ID (or a demo patient's phone),
/// signed with the key of the region that insures them, and prints it.
struct IssueVoucher: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voucher",
        abstract: "Issue an e-voucher (valid 5 minutes) for the insured person with a national ID or a demo patient's phone.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The national ID number of the insured person.") var nationalId: String?
    @Option(help: "The phone of a demo patient (instead of --national-id).") var phone: String?

    func run() async throws {
        guard let number = nationalId ?? phone.flatMap(DemoWorld.nationalId(ofPatient:)) else {
            throw ValidationError("Give --national-id, or --phone of a demo patient (13800000001 to 13800000010).")
        }
        var configuration = try database.configuration()
        configuration.seedDemoWhenEmpty = false
        let logger = bootstrapLogging(configuration.logLevel)
        let (services, _) = try await AppServices.start(configuration, logger: logger, forServing: false)
        let issued: (code: String, expiresAt: Date)
        do {
            let now = services.clock.now()
            issued = try await services.stores.insuredPersons.issueVoucher(
                forNationalId: try NationalID(number, today: CalendarDate.shanghai(now)),
                context: AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: nil, at: now))
        } catch {
            await services.database.close()
            throw error
        }
        await services.database.close()
        say(issued.code)
        say("valid until \(Timestamp.format(issued.expiresAt))")
    }
}
