/// An ICD-10 code as used in Chinese clinical records (GB/T 14396 extends the WHO list with
/// sub-codes): a letter, two digits, then optionally a dot and up to 4 more characters.
public struct ICD10Code: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String

    public init(_ text: String, field: String = "icd10") throws(DomainError) {
        let code = text.trimmingCharacters(in: .whitespaces).uppercased()
        let characters = Array(code)
        let head = characters.prefix(3)
        guard head.count == 3, head[0].isLetter, head[0].isASCII, head.dropFirst().allSatisfy(\.isASCIIDigit) else {
            throw .invalidField(field, code: "format", "An ICD-10 code is a letter and two digits, like I10 or E11.9.")
        }
        if characters.count > 3 {
            let tail = characters.dropFirst(3)
            guard tail.first == ".", (2...5).contains(tail.count),
                  tail.dropFirst().allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLetter) }) else {
                throw .invalidField(field, code: "format", "An ICD-10 code is a letter and two digits, like I10 or E11.9.")
            }
        }
        value = code
    }

    public var description: String { value }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "an ICD-10 code"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

import Foundation
