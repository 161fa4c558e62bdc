import Foundation
import MedLoopDomain

/// Why the fraud-rules document given at start-up (`MEDLOOP_FRAUD_RULES`) cannot be used; the
/// server refuses to start with this message.
struct FraudRulesLoadingError: Error, CustomStringConvertible {
    var description: String
}

extension FraudRuleSet {
    /// The rules of the document at `path`, or the shipped ones without a path; a bad document
    /// stops the server with a message that names what is wrong (every bad key by its path).
    static func load(path: String?) throws -> FraudRuleSet {
        guard let path else { return try loadShipped() }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FraudRulesLoadingError(description: "The fraud rules document \(path) cannot be read: \(error.localizedDescription)")
        }
        do {
            return try parse(data, file: path)
        } catch {
            throw FraudRulesLoadingError(description: "The fraud rules document \(error)")
        }
    }
}
