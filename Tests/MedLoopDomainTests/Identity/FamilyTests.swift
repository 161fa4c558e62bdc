import Foundation
import Testing
@testable import MedLoopDomain

/// A family member born on `birth` (`YYYY-MM-DD`).
private func aFamilyMember(born birth: String, _ relationship: FamilyRelationship = .child) throws -> FamilyMember {
    let nationalId = try aNationalID(born: birth, sequence: 2)
    return FamilyMember(patientId: UUID.named("patient:\(birth)"), relationship: relationship,
                        realName: "张小明", nationalId: nationalId)
}

struct FamilyRuleTests {
    @Test("a patient cannot add themselves as a family member, under any relationship",
          arguments: FamilyRelationship.allCases)
    func notSelf(relationship: FamilyRelationship) throws {
        let holder = try NationalID("11010519491231002X", today: fixtureToday)
        // The same number typed with a lower-case x is still the holder.
        let member = try NationalID("11010519491231002x", today: fixtureToday)
        let code = issueCode { () throws(DomainError) in
            try FamilyRule.checkNewMember(member, relationship: relationship, holder: holder)
        }
        #expect(code == "family_member_is_self")
    }

    @Test("a child must be younger than the account holder",
          arguments: ["1960-05-01", "1980-01-01"])
    func childNotYounger(childBirth: String) throws {
        let holder = try aNationalID(born: "1980-01-01", sequence: 1)
        let child = try aNationalID(born: childBirth, sequence: 2)
        let code = issueCode { () throws(DomainError) in
            try FamilyRule.checkNewMember(child, relationship: .child, holder: holder)
        }
        #expect(code == "child_older_than_holder")
    }

    @Test("a child born after the account holder is accepted", arguments: ["1980-01-02", "2010-03-02", "2026-03-02"])
    func youngerChild(childBirth: String) throws {
        let holder = try aNationalID(born: "1980-01-01", sequence: 1)
        let child = try aNationalID(born: childBirth, sequence: 2)
        let code = issueCode { () throws(DomainError) in
            try FamilyRule.checkNewMember(child, relationship: .child, holder: holder)
        }
        #expect(code == nil)
    }

    @Test("a spouse or another relative may be older or younger than the account holder",
          arguments: ["1950-06-01", "1980-01-01", "1990-12-31"])
    func spouseAnyAge(birth: String) throws {
        let holder = try aNationalID(born: "1980-01-01", sequence: 1)
        let relative = try aNationalID(born: birth, sequence: 4)
        for relationship in [FamilyRelationship.spouse, .other] {
            let code = issueCode { () throws(DomainError) in
                try FamilyRule.checkNewMember(relative, relationship: relationship, holder: holder)
            }
            #expect(code == nil, "\(relationship) born \(birth)")
        }
    }
}

struct FamilyMemberTests {
    @Test("a member is a minor until the day of their 18th birthday")
    func minorUntilEighteen() throws {
        let member = try aFamilyMember(born: "2010-03-02")
        let birthDay = try day("2010-03-02")
        let dayBefore18 = try day("2028-03-01")
        let birthday18 = try day("2028-03-02")
        let later = try day("2040-01-01")
        #expect(member.isMinor(on: birthDay))
        #expect(member.isMinor(on: dayBefore18))
        #expect(!member.isMinor(on: birthday18))
        #expect(!member.isMinor(on: later))
    }

    @Test("someone born on 29 February comes of age on 1 March of a common year")
    func leapDayBirthday() throws {
        let member = try aFamilyMember(born: "2008-02-29")
        let lastDayOfFebruary = try day("2026-02-28")
        let firstOfMarch = try day("2026-03-01")
        #expect(member.isMinor(on: lastDayOfFebruary))
        #expect(!member.isMinor(on: firstOfMarch))
    }
}

struct ProfileRuleTests {
    @Test("a real name of 2 to 40 letters, with middle dots, spaces or hyphens, is kept without surrounding space",
          arguments: ["张三", "  李四 ", "阿卜杜拉·买买提", "John Smith", "Mary-Jane Watson", "\n王五\t"])
    func realNameAccepted(text: String) throws {
        let name = try ProfileRule.realName(text)
        #expect(name == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("a real name of 40 characters is accepted, of 41 refused")
    func realNameLimit() throws {
        let longest = String(repeating: "王", count: 40)
        let accepted = try ProfileRule.realName(longest)
        #expect(accepted == longest)
        let code = issueCode { () throws(DomainError) in try ProfileRule.realName(longest + "王") }
        #expect(code == "length")
    }

    @Test("a real name shorter than 2 characters after trimming is refused as length", arguments: ["", "张", "  张  ", "   "])
    func realNameTooShort(text: String) {
        let code = issueCode { () throws(DomainError) in try ProfileRule.realName(text) }
        #expect(code == "length")
    }

    @Test("a real name with digits, punctuation or controls is refused as format",
          arguments: ["张3", "张三!", "张_三", "张\t三", "Robert'); DROP TABLE", "李@四"])
    func realNameFormat(text: String) {
        let code = issueCode { () throws(DomainError) in try ProfileRule.realName(text) }
        #expect(code == "format")
    }

    @Test("the issue is reported under the field the caller names")
    func realNameField() {
        let issues = fieldIssues { () throws(DomainError) in try ProfileRule.realName("1", field: "members[0].realName") }
        #expect(issues == ["members[0].realName/length"])
    }

    @Test("an address has 1 to 300 characters and a label 1 to its limit")
    func addressAndLabel() throws {
        let address = try ProfileRule.address(" 广东省深圳市 ")
        #expect(address == "广东省深圳市")
        let blank = issueCode { () throws(DomainError) in try ProfileRule.address("  ") }
        #expect(blank == "length")
        let long = issueCode { () throws(DomainError) in try ProfileRule.address(String(repeating: "路", count: 301)) }
        #expect(long == "length")
        let label = issueCode { () throws(DomainError) in try ProfileRule.label("青霉素", field: "substance", limit: 2) }
        #expect(label == "length")
    }
}
