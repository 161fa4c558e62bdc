import Foundation

/// A resident identity card number of the People's Republic of China (GB 11643-1999):
/// 6-digit region of registration, 8-digit birth date, 3-digit sequence whose last digit is odd for
/// men and even for women, and a check character (ISO 7064 MOD 11-2, `X` for 10).
public struct NationalID: Hashable, Sendable, CustomStringConvertible {
    /// The 18 characters, with a lower-case `x` normalised to `X`.
    public let value: String
    public let birthDate: CalendarDate
    public let sex: Sex

    private static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let checkCharacters: [Character] = Array("10X98765432")

    /// Validates `text` and derives birth date and sex. A birth date after `today` is refused.
    public init(_ text: String, today: CalendarDate) throws(DomainError) {
        let field = "nationalId"
        let normalised = text.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        let characters = Array(normalised)
        guard characters.count == 18 else {
            throw .invalidField(field, code: "length", "A national ID number has 18 characters.")
        }
        guard characters.prefix(17).allSatisfy(\.isASCIIDigit),
              characters[17].isASCIIDigit || characters[17] == "X" else {
            throw .invalidField(field, code: "format", "A national ID number is 17 digits and a digit or X.")
        }
        guard characters[17] == NationalID.checkCharacter(for: characters.prefix(17)) else {
            throw .invalidField(field, code: "checksum", "The check character of the national ID number is wrong.")
        }
        guard RegionCode.isProvincePrefix(String(characters[0..<2])) else {
            throw .invalidField(field, code: "region", "The national ID number starts with an unknown province code.")
        }
        let digits = characters.map { $0.wholeNumberValue ?? 10 }
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + digits[$1] } }
        guard let birth = CalendarDate(year: number(6..<10), month: number(10..<12), day: number(12..<14)),
              birth.year >= 1900 else {
            throw .invalidField(field, code: "birth_date", "The national ID number holds no valid birth date.")
        }
        guard birth <= today else {
            throw .invalidField(field, code: "birth_date", "The birth date in the national ID number is in the future.")
        }
        self.value = normalised
        self.birthDate = birth
        self.sex = digits[16] % 2 == 1 ? .male : .female
    }

    /// The check character that completes the first 17 digits.
    public static func checkCharacter(for first17: some Collection<Character>) -> Character {
        let sum = zip(first17, weights).reduce(0) { $0 + ($1.0.wholeNumberValue ?? 0) * $1.1 }
        return checkCharacters[sum % 11]
    }

    /// A valid number built from region, birth date and 3-digit sequence (demo data, tests).
    public static func make(region: String, birth: CalendarDate, sequence: Int) -> String {
        let first17 = region + birth.description.replacingOccurrences(of: "-", with: "")
            + String(format: "%03d", sequence % 1000)
        return first17 + String(checkCharacter(for: Array(first17)))
    }

    /// The region of registration (first 6 digits).
    public var region: String { String(value.prefix(6)) }

    /// The number with all but the first 4 and last 4 characters hidden, for display.
    public var masked: String { NationalID.mask(value) }

    /// Hides all but the first 4 and last 4 characters of an identifier.
    public static func mask(_ text: String) -> String {
        guard text.count > 8 else { return String(repeating: "*", count: text.count) }
        return String(text.prefix(4)) + String(repeating: "*", count: text.count - 8) + String(text.suffix(4))
    }

    /// The masked form: the full number never appears in logs or descriptions.
    public var description: String { masked }
}

/// Sex as recorded in the national ID number.
public enum Sex: String, Codable, Sendable, CaseIterable {
    case male, female
}
