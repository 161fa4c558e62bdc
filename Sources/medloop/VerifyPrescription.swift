import ArgumentParser
import Foundation
import MedLoopDomain

/// `medloop verify-prescription FILE`: checks a prescription exported from
/// `GET /api/v1/prescriptions/{id}/verification` offline — the document against its hash, the
/// doctor's signature over it, and the pharmacist's review of it — with nothing but the file.
struct VerifyPrescription: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-prescription",
        abstract: "Verify an exported prescription's hash and signatures offline; exit 1 when it does not verify.")

    @Argument(help: "The JSON the verification route returned.")
    var file: String

    func run() throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ValidationError("\(file) cannot be read.")
        }
        guard let signed = try? JSONDecoder().decode(SignedPrescription.self, from: data) else {
            throw ValidationError("\(file) is not an exported MedLoop prescription.")
        }
        let problems = signed.problems()
        for problem in problems { say("problem: \(problem)") }
        guard problems.isEmpty else { throw ExitCode(1) }
        let signers = signed.signatures.map(\.role).joined(separator: " and ")
        say("verified: prescription \(signed.prescriptionId.text), signed by the \(signers), hash \(signed.documentHash)")
    }
}
