import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// An insured person as the insurer's registry gives them, and every issue the draft must report (`field/code`).
struct InsuredDraftCase: Sendable, CustomTestStringConvertible {
    var rule: String
    var scheme = InsuranceScheme.employee
    var number = "ZJ12345678"
    var accountFen: Int64 = 0
    var issues: [String]

    var testDescription: String { rule }
}

/// A registry file of one header and one row, and the reason the row must be refused for.
struct RefusedRegistryRow: Sendable, CustomTestStringConvertible {
    var rule: String
    var row: String
    var reason: String

    var testDescription: String { rule }
}

@Suite("Insured persons: the registry's rules for one person and for a file an insurer uploads")
struct InsuredPersonListTests {
    static let today = CalendarDate(year: 2026, month: 3, day: 2)!

    /// A valid national ID number of a Quzhou resident born on 1980-05-17.
    static func nationalId(_ sequence: Int) -> String {
        NationalID.make(region: "330802", birth: CalendarDate(year: 1980, month: 5, day: 17)!, sequence: sequence)
    }

    /// `nationalId(sequence)` with its check character wrong.
    static func badChecksum(_ sequence: Int) -> String {
        let valid = nationalId(sequence)
        return String(valid.dropLast()) + (valid.last == "0" ? "1" : "0")
    }

    static let header = "nationalId,scheme,insuredNumber,status,personalAccountFen"

    static func parse(_ text: String) throws(DomainError) -> [String] {
        let result = try InsuredPersonList.parse(text, today: today)
        return result.rows.map { "\($0.line) ok" } + result.refused.map { "\($0.line) \($0.reason)" }
    }

    // MARK: One person

    static let drafts: [InsuredDraftCase] = [
        InsuredDraftCase(rule: "an employee with a 10-character number and 500 yuan in the account is valid", accountFen: 50_000, issues: []),
        InsuredDraftCase(rule: "a number of 6 letters and digits is long enough", number: "ZJ1234", issues: []),
        InsuredDraftCase(rule: "a number of 5 is too short", number: "ZJ123", issues: ["insuredNumber/format"]),
        InsuredDraftCase(rule: "a number of 30 is long enough", number: String(repeating: "A1", count: 15), issues: []),
        InsuredDraftCase(rule: "a number of 31 is too long", number: String(repeating: "A1", count: 15) + "B", issues: ["insuredNumber/format"]),
        InsuredDraftCase(rule: "a number with a hyphen is not letters and digits", number: "ZJ-123456", issues: ["insuredNumber/format"]),
        InsuredDraftCase(rule: "a number with a blank inside is not letters and digits", number: "ZJ 123456", issues: ["insuredNumber/format"]),
        InsuredDraftCase(rule: "a number with Chinese characters is not ASCII letters and digits", number: "浙江123456",
                         issues: ["insuredNumber/format"]),
        InsuredDraftCase(rule: "an empty number is refused", number: "", issues: ["insuredNumber/format"]),
        InsuredDraftCase(rule: "a resident without an account is valid", scheme: .resident, accountFen: 0, issues: []),
        InsuredDraftCase(rule: "a resident with one fen in an account is refused: only employees have one", scheme: .resident,
                         accountFen: 1, issues: ["personalAccountFen/resident_has_no_account"]),
        InsuredDraftCase(rule: "a negative balance is out of range", accountFen: -1, issues: ["personalAccountFen/range"]),
        InsuredDraftCase(rule: "a resident's negative balance is out of range first", scheme: .resident, accountFen: -1,
                         issues: ["personalAccountFen/range"]),
        InsuredDraftCase(rule: "a balance of exactly one million yuan is valid", accountFen: 100_000_000, issues: []),
        InsuredDraftCase(rule: "a balance of one fen over a million yuan is out of range", accountFen: 100_000_001,
                         issues: ["personalAccountFen/range"]),
        InsuredDraftCase(rule: "a bad number and a huge balance are both reported", number: "ZJ1", accountFen: Int64.max,
                         issues: ["insuredNumber/format", "personalAccountFen/range"]),
    ]

    @Test("an insured person has a number of 6 to 30 ASCII letters and digits and an account of 0 to a million yuan, employees only",
          arguments: drafts)
    func draft(_ example: InsuredDraftCase) throws {
        let id = try NationalID(Self.nationalId(1), today: Self.today)
        #expect(fieldIssues { () throws(DomainError) in
            try InsuredPersonDraft(nationalId: id, scheme: example.scheme, insuredNumber: example.number, status: .active,
                                   personalAccountFen: example.accountFen)
        } == example.issues)
    }

    @Test("blanks around an insured-person number are trimmed, not refused")
    func numberTrimmed() throws {
        let draft = try InsuredPersonDraft(nationalId: try NationalID(Self.nationalId(1), today: Self.today), scheme: .employee,
                                           insuredNumber: "  ZJ123456 ", status: .suspended, personalAccountFen: 0)
        #expect(draft.insuredNumber == "ZJ123456")
        #expect(draft.status == .suspended)
    }

    // MARK: A registry file

    @Test("a file with the columns in any order, extra columns, a byte-order mark and quoted fields reads every row")
    func anyColumnOrder() throws {
        let text = "\u{FEFF}status,personalAccountFen,note,\"insuredNumber\",scheme,nationalId\r\n"
            + "active,50000,\"Zhang, San\",ZJ00000001,employee,\(Self.nationalId(11))\r\n"
            + "suspended,,\"said \"\"moved\"\"\",\" ZJ00000002 \",resident,\(Self.nationalId(12))\r\n"
        let result = try InsuredPersonList.parse(text, today: Self.today)
        #expect(result.refused.isEmpty, "\(result.refused)")
        #expect(result.rows.map(\.line) == [2, 3])
        let first = try #require(result.rows.first?.person)
        #expect(first.nationalId.value == Self.nationalId(11))
        #expect(first.scheme == .employee && first.status == .active)
        #expect(first.insuredNumber == "ZJ00000001")
        #expect(first.personalAccountFen == 50_000)
        let second = try #require(result.rows.last?.person)
        #expect(second.nationalId.value == Self.nationalId(12))
        #expect(second.scheme == .resident && second.status == .suspended)
        #expect(second.insuredNumber == "ZJ00000002")
        #expect(second.personalAccountFen == 0, "an empty balance is 0")
    }

    @Test("a header with blanks around its names and LF line ends reads too")
    func blanksInHeader() throws {
        let text = " nationalId , scheme,insuredNumber ,status,personalAccountFen\n\(Self.nationalId(11)),employee,ZJ00000001,active,0\n"
        #expect(try Self.parse(text) == ["2 ok"])
    }

    static let refusedRows: [RefusedRegistryRow] = [
        RefusedRegistryRow(rule: "a national ID with a wrong check character", row: "\(badChecksum(13)),employee,ZJ00000013,active,0",
                           reason: "national_id"),
        RefusedRegistryRow(rule: "a national ID of 17 characters", row: "\(nationalId(13).dropLast()),employee,ZJ00000013,active,0",
                           reason: "national_id"),
        RefusedRegistryRow(rule: "a national ID of someone born after today",
                           row: "\(NationalID.make(region: "330802", birth: CalendarDate(year: 2026, month: 3, day: 3)!, sequence: 1)),employee,ZJ00000013,active,0",
                           reason: "national_id"),
        RefusedRegistryRow(rule: "a scheme that is neither employee nor resident", row: "\(nationalId(13)),staff,ZJ00000013,active,0",
                           reason: "scheme"),
        RefusedRegistryRow(rule: "a scheme in capitals", row: "\(nationalId(13)),Employee,ZJ00000013,active,0", reason: "scheme"),
        RefusedRegistryRow(rule: "a status that is neither active nor suspended", row: "\(nationalId(13)),employee,ZJ00000013,deceased,0",
                           reason: "status"),
        RefusedRegistryRow(rule: "a balance in yuan with decimals", row: "\(nationalId(13)),employee,ZJ00000013,active,12.50",
                           reason: "personal_account_fen"),
        RefusedRegistryRow(rule: "a balance too large for a number", row: "\(nationalId(13)),employee,ZJ00000013,active,99999999999999999999",
                           reason: "personal_account_fen"),
        RefusedRegistryRow(rule: "a row with a column too few", row: "\(nationalId(13)),employee,ZJ00000013,active", reason: "column_count"),
        RefusedRegistryRow(rule: "a row with a column too many", row: "\(nationalId(13)),employee,ZJ00000013,active,0,extra",
                           reason: "column_count"),
        RefusedRegistryRow(rule: "an insured-person number too short", row: "\(nationalId(13)),employee,ZJ1,active,0", reason: "format"),
        RefusedRegistryRow(rule: "a resident with an account", row: "\(nationalId(13)),resident,ZJ00000013,active,100",
                           reason: "resident_has_no_account"),
        RefusedRegistryRow(rule: "a negative balance", row: "\(nationalId(13)),employee,ZJ00000013,active,-5", reason: "range"),
        RefusedRegistryRow(rule: "a balance over a million yuan", row: "\(nationalId(13)),employee,ZJ00000013,active,100000001",
                           reason: "range"),
    ]

    @Test("a row that breaks a rule is refused by its line with the reason's code, and the file is still read", arguments: refusedRows)
    func refusedRow(_ example: RefusedRegistryRow) throws {
        let text = Self.header + "\r\n" + "\(Self.nationalId(11)),employee,ZJ00000011,active,0\r\n" + example.row + "\r\n"
        #expect(try Self.parse(text) == ["2 ok", "3 \(example.reason)"])
    }

    @Test("every refused row of a file is named by its line, a quoted line break counting as a line, and a repeated person is refused")
    func refusedByLine() throws {
        let text = [
            Self.header,
            "\(Self.nationalId(11)),employee,ZJ00000011,active,50000",
            "\(Self.badChecksum(12)),employee,ZJ00000012,active,0",
            "\(Self.nationalId(13)),staff,ZJ00000013,active,0",
            "\(Self.nationalId(14)),employee,\"ZJ00000014\",gone,0",
            "\(Self.nationalId(11)),resident,ZJ00000099,active,0",
            "\(Self.nationalId(15)),employee,ZJ00000015",
            "\(Self.nationalId(16)),resident,ZJ00000016,suspended,",
            "\(Self.nationalId(17)),employee,\"ZJ\n00000017\",active,0",
            "\(Self.nationalId(18)),employee,ZJ00000018,active,1.5",
            "\(Self.nationalId(19)),resident,ZJ00000019,active,1",
            "",
        ].joined(separator: "\r\n")
        let result = try InsuredPersonList.parse(text, today: Self.today)
        #expect(result.rows.map(\.line) == [2, 8])
        #expect(result.refused.map { "\($0.line) \($0.reason)" } == [
            "3 national_id", "4 scheme", "5 status", "6 repeated", "7 column_count", "9 format", "11 personal_account_fen",
            "12 resident_has_no_account",
        ])
    }

    @Test("blank lines at the end of a file are no rows", arguments: ["\r\n", "\r\n\r\n", "\n\n\n"])
    func trailingBlankLines(_ ending: String) throws {
        let text = Self.header + "\r\n" + "\(Self.nationalId(11)),employee,ZJ00000011,active,0" + ending
        #expect(try Self.parse(text) == ["2 ok"])
    }

    @Test("a header without one of the five columns is a 400 on file with code header", arguments: [
        "scheme,insuredNumber,status,personalAccountFen",
        "nationalId,insuredNumber,status,personalAccountFen",
        "nationalId,scheme,status,personalAccountFen",
        "nationalId,scheme,insuredNumber,personalAccountFen",
        "nationalId,scheme,insuredNumber,status",
        "nationalid,scheme,insuredNumber,status,personalAccountFen",
        "national_id,scheme,insured_number,status,personal_account_fen",
    ])
    func missingColumn(_ header: String) {
        let text = header + "\r\n" + "\(Self.nationalId(11)),employee,ZJ00000011,active,0\r\n"
        #expect(fieldIssues { () throws(DomainError) in try InsuredPersonList.parse(text, today: Self.today) } == ["file/header"])
    }

    @Test("an empty file has no header: 400 file/header")
    func emptyFile() {
        #expect(fieldIssues { () throws(DomainError) in try InsuredPersonList.parse("", today: Self.today) } == ["file/header"])
    }

    @Suite("Insurance quotas: an institution's monthly budget for the fund's shares")
    struct Quota {
        @Test("a quota is counted in the month of the service day", arguments: [
            ("2026-12-31", "2026-12"),
            ("2026-01-01", "2026-01"),
            ("2024-02-29", "2024-02"),
        ])
        func month(_ isoDay: String, _ month: String) throws {
            #expect(InsuranceQuota.month(of: try day(isoDay)) == month)
        }

        @Test("a draw is admitted up to exactly the budget and not one fen over; a negative draw never", arguments: [
            (Int64(100), Int64(900), Int64(1000), true),
            (101, 900, 1000, false),
            (0, 1000, 1000, true),
            (1, 1000, 1000, false),
            (1000, 0, 1000, true),
            (0, 0, 0, true),
            (-1, 0, 1000, false),
            (0, 1200, 1000, false),
        ])
        func admits(_ draw: Int64, _ used: Int64, _ budget: Int64, _ admitted: Bool) {
            #expect(InsuranceQuota.admits(drawFen: draw, usedFen: used, budgetFen: budget) == admitted)
        }

        @Test("for any budget and use within it, the draw of what is left is admitted and one fen more is not")
        func admitsWhatIsLeft() async {
            await propertyCheck(input: Gen.int64(in: 0...10_000_000_000), Gen.int64(in: 0...10_000)) { budget, share in
                let used = budget * share / 10_000
                #expect(InsuranceQuota.admits(drawFen: budget - used, usedFen: used, budgetFen: budget))
                #expect(!InsuranceQuota.admits(drawFen: budget - used + 1, usedFen: used, budgetFen: budget))
            }
        }

        @Test("a month given as input is YYYY-MM; anything else is a 400 on month with code format", arguments: [
            ("2026-12", "ok"),
            ("2026-01", "ok"),
            ("2026-13", "month/format"),
            ("2026-00", "month/format"),
            ("2026-1", "month/format"),
            ("abcd-ef", "month/format"),
            ("2026-12-01", "month/format"),
            ("202612", "month/format"),
            (" 2026-12", "month/format"),
            ("", "month/format"),
        ])
        func checkMonth(_ text: String, _ expected: String) {
            let issues = fieldIssues { () throws(DomainError) in try InsuranceQuota.checkMonth(text) }
            #expect((issues.isEmpty ? "ok" : issues.joined(separator: " ")) == expected)
        }
    }
}
