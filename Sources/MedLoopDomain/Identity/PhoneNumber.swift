/// A mainland China mobile number: 11 digits starting with 1 and a second digit 3–9.
/// Sign-in name of every account.
public struct PhoneNumber: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public init(_ text: String, field: String = "phone") throws(DomainError) {
        var digits = text.filter { $0 != " " && $0 != "-" }
        if digits.hasPrefix("+86") { digits.removeFirst(3) }
        let characters = Array(digits)
        guard characters.count == 11, characters.allSatisfy(\.isASCIIDigit), characters[0] == "1",
              ("3"..."9").contains(characters[1]) else {
            throw .invalidField(field, code: "format", "A mobile number has 11 digits and starts with 13–19.")
        }
        value = digits
    }

    /// `138****0001`: what logs and lists may show.
    public var masked: String { String(value.prefix(3)) + "****" + String(value.suffix(4)) }
    public var description: String { masked }
}

/// Password rules for accounts: 8 to 128 characters, at least 4 of them different.
public enum PasswordRule {
    public static func check(_ password: String, field: String = "password") throws(DomainError) {
        guard (8...128).contains(password.count) else {
            throw .invalidField(field, code: "length", "A password has 8 to 128 characters.")
        }
        guard Set(password).count >= 4 else {
            throw .invalidField(field, code: "too_simple", "A password needs at least 4 different characters.")
        }
    }
}
