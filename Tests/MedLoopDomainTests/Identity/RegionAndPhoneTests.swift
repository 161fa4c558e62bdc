import Foundation
import Testing
@testable import MedLoopDomain

struct RegionCodeTests {
    @Test("a 6-digit code under a known province gives its province and city")
    func valid() throws {
        let code = try RegionCode("440305")
        #expect(code.value == "440305")
        #expect(code.province == "440000")
        #expect(code.city == "440300")
        #expect(code.description == "440305")
    }

    @Test("a code that is not 6 ASCII digits is refused as format",
          arguments: ["", "4403", "4403051", "44030a", "44 305", "４４０３０５"])
    func malformed(text: String) {
        let code = issueCode { () throws(DomainError) in try RegionCode(text) }
        #expect(code == "format")
    }

    @Test("a code under an unknown province is refused as province", arguments: ["990000", "000000", "100101", "720000"])
    func unknownProvince(text: String) {
        let code = issueCode { () throws(DomainError) in try RegionCode(text) }
        #expect(code == "province")
    }

    @Test("the issue is reported under the field the caller names")
    func fieldName() {
        let issues = fieldIssues { () throws(DomainError) in try RegionCode("12", field: "home.regionCode") }
        #expect(issues == ["home.regionCode/format"])
    }

    @Test("a region code travels in JSON as its text, and a bad one does not decode")
    func codable() throws {
        let region = try RegionCode("110105")
        let data = try JSONEncoder().encode([region])
        #expect(String(decoding: data, as: UTF8.self) == #"["110105"]"#)
        let decoded = try JSONDecoder().decode([RegionCode].self, from: data)
        #expect(decoded == [region])
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode([RegionCode].self, from: Data(#"["990000"]"#.utf8))
        }
    }
}

struct PhoneNumberTests {
    @Test("a mainland mobile number is kept as its 11 digits, without spaces, dashes or +86",
          arguments: ["13800138000", "138 0013 8000", "138-0013-8000", "+8613800138000", "+86 138 0013 8000"])
    func normalised(text: String) throws {
        let phone = try PhoneNumber(text)
        #expect(phone.value == "13800138000")
    }

    @Test("every second digit from 3 to 9 is a mobile number", arguments: Array(3...9))
    func secondDigit(digit: Int) throws {
        let phone = try PhoneNumber("1\(digit)800138000")
        #expect(phone.value == "1\(digit)800138000")
    }

    @Test("anything else is refused as format",
          arguments: ["", "1380013800", "138001380000", "12800138000", "10800138000", "23800138000",
                      "1380013800a", "008613800138000", "8613800138000", "+85213800138000"])
    func malformed(text: String) {
        let code = issueCode { () throws(DomainError) in try PhoneNumber(text) }
        #expect(code == "format")
    }

    @Test("the masked form and the description show only the first 3 and last 4 digits")
    func masked() throws {
        let phone = try PhoneNumber("13800138000")
        #expect(phone.masked == "138****8000")
        #expect(phone.description == "138****8000")
        #expect(!"\(phone)".contains("13800138000"))
    }
}

struct PasswordRuleTests {
    @Test("a password of 8 to 128 characters with at least 4 different characters is accepted",
          arguments: ["abcdabcd", "correct horse", "密码安全很重要啊", String(repeating: "abcd", count: 32)])
    func accepted(password: String) {
        let code = issueCode { () throws(DomainError) in try PasswordRule.check(password) }
        #expect(code == nil)
    }

    @Test("a password shorter than 8 or longer than 128 characters is refused as length",
          arguments: ["", "abcdefg", String(repeating: "abcd", count: 32) + "e"])
    func length(password: String) {
        let code = issueCode { () throws(DomainError) in try PasswordRule.check(password) }
        #expect(code == "length")
    }

    @Test("a password of fewer than 4 different characters is refused as too_simple",
          arguments: ["aaaaaaaa", "abababab", "abcabcab", "11111111111"])
    func tooSimple(password: String) {
        let code = issueCode { () throws(DomainError) in try PasswordRule.check(password) }
        #expect(code == "too_simple")
    }
}

struct ICD10CodeTests {
    @Test("a letter and two digits, optionally a dot and 1 to 4 more characters, is a code, in upper case",
          arguments: ["I10", "i10", " E11.9 ", "J45.901", "e11.9x", "C34.1234"])
    func accepted(text: String) throws {
        let code = try ICD10Code(text)
        #expect(code.value == text.trimmingCharacters(in: .whitespaces).uppercased())
    }

    @Test("anything else is refused as format",
          arguments: ["", "I1", "110", "II0", "E11.", "E119", "E11-9", "E11.12345", "E11.9.1", "É11", "E1a"])
    func malformed(text: String) {
        let code = issueCode { () throws(DomainError) in try ICD10Code(text) }
        #expect(code == "format")
    }

    @Test("an ICD-10 code travels in JSON as its text, and a bad one does not decode")
    func codable() throws {
        let code = try ICD10Code("e11.9")
        let data = try JSONEncoder().encode([code])
        #expect(String(decoding: data, as: UTF8.self) == #"["E11.9"]"#)
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode([ICD10Code].self, from: Data(#"["11.9"]"#.utf8))
        }
    }
}
