import Foundation
import ArgumentParser
import MedLoopStore

/// `medloop generate-key`: prints a new value for `MEDLOOP_DATA_KEY`.
struct GenerateKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-key",
        abstract: "Print a new random data key for MEDLOOP_DATA_KEY (keep it secret; losing it loses the encrypted data).")

    func run() {
        say(FieldCipher.generateKey())
    }
}
