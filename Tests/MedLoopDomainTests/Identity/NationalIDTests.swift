import Foundation
import Testing
@testable import MedLoopDomain

/// The first 17 characters completed with their check character, so that a fixture fails for the
/// reason it was built for and not for its checksum.
private func completed(_ first17: String) -> String {
    first17 + String(NationalID.checkCharacter(for: first17))
}

struct NationalIDTests {
    /// A number and the code it is refused with.
    struct Rejection: Sendable, CustomTestStringConvertible {
        let text: String
        let code: String
        var testDescription: String { "\"\(text)\" → \(code)" }
    }

    static let rejections: [Rejection] = [
        Rejection(text: "", code: "length"),
        Rejection(text: "11010519491231002", code: "length"),
        Rejection(text: "11010519491231002X1", code: "length"),
        Rejection(text: "1101051949123100AX", code: "format"),
        Rejection(text: "11010519491231002A", code: "format"),
        Rejection(text: "X10105194912310021", code: "format"),
        // The right check character of 11010519491231002 is X.
        Rejection(text: "110105194912310021", code: "checksum"),
        Rejection(text: "110105194912310020", code: "checksum"),
        // Two digits swapped: 1949 → 1994.
        Rejection(text: "11010519941231002X", code: "checksum"),
        Rejection(text: completed("99010119900101001"), code: "region"),
        Rejection(text: completed("00010119900101001"), code: "region"),
        Rejection(text: completed("11010520230230001"), code: "birth_date"),
        Rejection(text: completed("11010520230229001"), code: "birth_date"),
        Rejection(text: completed("11010519901301001"), code: "birth_date"),
        Rejection(text: completed("11010519900100001"), code: "birth_date"),
        Rejection(text: completed("11010518991231001"), code: "birth_date"),
    ]

    @Test("the check character weighs the 17 digits by 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 and maps sum mod 11 through 10X98765432")
    func checkCharacter() {
        // 11010519491231002: 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167, 167 mod 11 = 2 → X.
        #expect(NationalID.checkCharacter(for: "11010519491231002") == "X")
        // 11010520000229001: sum 130, 130 mod 11 = 9 → 3.
        #expect(NationalID.checkCharacter(for: "11010520000229001") == "3")
        // 99010119900101001: sum 234, 234 mod 11 = 3 → 9.
        #expect(NationalID.checkCharacter(for: "99010119900101001") == "9")
        // 44030519800101002: sum 176, 176 mod 11 = 0 → 1.
        #expect(NationalID.checkCharacter(for: "44030519800101002") == "1")
    }

    @Test("a valid number gives its birth date, region and sex: an even 17th digit is a woman")
    func validWoman() throws {
        let id = try NationalID("11010519491231002X", today: fixtureToday)
        #expect(id.value == "11010519491231002X")
        #expect(id.birthDate == CalendarDate(year: 1949, month: 12, day: 31))
        #expect(id.sex == .female)
        #expect(id.region == "110105")
    }

    @Test("an odd 17th digit is a man, and a leap-day birth date is read")
    func validMan() throws {
        let id = try NationalID("110105200002290013", today: fixtureToday)
        #expect(id.birthDate == CalendarDate(year: 2000, month: 2, day: 29))
        #expect(id.sex == .male)
    }

    @Test("a lower-case x check character is accepted and stored as X")
    func lowercaseX() throws {
        let id = try NationalID("11010519491231002x", today: fixtureToday)
        let upper = try NationalID("11010519491231002X", today: fixtureToday)
        #expect(id.value == "11010519491231002X")
        #expect(id == upper)
    }

    @Test("spaces around the number are ignored")
    func surroundingSpaces() throws {
        let id = try NationalID("  11010519491231002X ", today: fixtureToday)
        #expect(id.value == "11010519491231002X")
    }

    @Test("every number make builds is valid and carries its birth date and the sex of its sequence",
          arguments: [0, 1, 2, 37, 38, 500, 999])
    func madeNumbers(sequence: Int) throws {
        let birth = CalendarDate(year: 1985, month: 7, day: 14)!
        let text = NationalID.make(region: "440305", birth: birth, sequence: sequence)
        #expect(text.count == 18)
        let id = try NationalID(text, today: fixtureToday)
        #expect(id.birthDate == birth)
        #expect(id.sex == (sequence % 2 == 1 ? Sex.male : Sex.female))
        #expect(id.region == "440305")
    }

    @Test("a malformed number is refused with a stable code", arguments: Self.rejections)
    func refused(_ rejection: Rejection) {
        let code = issueCode { () throws(DomainError) in try NationalID(rejection.text, today: fixtureToday) }
        #expect(code == rejection.code)
    }

    @Test("every issue is reported on the nationalId field")
    func issueField() {
        let issues = fieldIssues { () throws(DomainError) in try NationalID("110105194912310021", today: fixtureToday) }
        #expect(issues == ["nationalId/checksum"])
    }

    @Test("a birth date after today is refused; one on today is accepted")
    func futureBirthDate() throws {
        let tomorrow = CalendarDate(year: 2026, month: 3, day: 3)!
        let unborn = NationalID.make(region: "110105", birth: tomorrow, sequence: 1)
        let code = issueCode { () throws(DomainError) in try NationalID(unborn, today: fixtureToday) }
        #expect(code == "birth_date")
        // The same number is valid once the day has come.
        let born = try NationalID(unborn, today: tomorrow)
        #expect(born.birthDate == tomorrow)

        let newborn = try NationalID(NationalID.make(region: "110105", birth: fixtureToday, sequence: 2),
                                     today: fixtureToday)
        #expect(newborn.birthDate == fixtureToday)
    }

    @Test("the masked form shows only the first 4 and last 4 characters")
    func masked() throws {
        let id = try NationalID("11010519491231002X", today: fixtureToday)
        #expect(id.masked == "1101**********002X")
        #expect(NationalID.mask("1234") == "****")
        #expect(NationalID.mask("123456789") == "1234*6789")
    }

    @Test("the description never contains the full number or its birth date")
    func descriptionHidesNumber() throws {
        let id = try NationalID("11010519491231002X", today: fixtureToday)
        let texts = [id.description, "\(id)", String(describing: id)]
        for text in texts {
            #expect(text == "1101**********002X")
            #expect(!text.contains("11010519491231002X"))
            #expect(!text.contains("19491231"))
        }
    }
}
