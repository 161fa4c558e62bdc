import Foundation

/// One field that failed validation: which field, a stable code and an English message.
public struct FieldIssue: Error, Equatable, Sendable, Codable {
    public var field: String
    public var code: String
    public var message: String

    public init(field: String, code: String, message: String) {
        self.field = field
        self.code = code
        self.message = message
    }
}

/// The ways a domain rule refuses. The app maps each case to one HTTP status in one place;
/// codes are stable snake_case strings that clients may depend on.
public enum DomainError: Error, Equatable, Sendable {
    /// Input that fails validation, field by field (400).
    case invalid([FieldIssue])
    /// Well-formed input refused by a rule of the domain (422).
    case refused(code: String, message: String)
    /// The current state does not allow the change (409).
    case conflict(code: String, message: String)
    /// No such resource, or one the caller may not know of (404).
    case notFound(resource: String)
    /// The caller is known but not allowed (403).
    case forbidden(code: String, message: String)

    /// A single-field validation failure.
    public static func invalidField(_ field: String, code: String, _ message: String) -> DomainError {
        .invalid([FieldIssue(field: field, code: code, message: message)])
    }
}

/// Collects field issues so that a request reports every bad field at once.
public struct FieldValidator: Sendable {
    public private(set) var issues: [FieldIssue] = []

    public init() {}

    /// Runs `check`; a thrown single-field `DomainError.invalid` is recorded under `field`'s name.
    public mutating func check<T>(_ check: () throws(DomainError) -> T) -> T? {
        do {
            return try check()
        } catch {
            if case .invalid(let found) = error {
                issues.append(contentsOf: found)
            } else {
                issues.append(FieldIssue(field: "", code: "invalid", message: "\(error)"))
            }
            return nil
        }
    }

    public mutating func add(_ field: String, code: String, _ message: String) {
        issues.append(FieldIssue(field: field, code: code, message: message))
    }

    /// Throws every recorded issue together, if there is any.
    public func finish() throws(DomainError) {
        if !issues.isEmpty { throw .invalid(issues) }
    }
}
