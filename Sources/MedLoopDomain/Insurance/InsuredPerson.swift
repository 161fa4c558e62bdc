import Foundation

/// An insured person as the insurer of a region keeps them, before they have an identifier
/// (the issue, "Insured persons and coverage").
public struct InsuredPersonDraft: Sendable, Hashable {
    public var nationalId: NationalID
    public var scheme: InsuranceScheme
    /// The insurer's own number for the person.
    public var insuredNumber: String
    public var status: InsuredStatus
    /// The personal account balance; employee scheme only (0 for a resident).
    public var personalAccountFen: Int64

    /// Checks the registry's rules: an insured-person number of 6 to 30 letters and digits, a
    /// balance from 0 to one million yuan, and no balance under the resident scheme.
    ///
    /// - Throws: 400 on `insuredNumber` (`format`), `personalAccountFen` (`range`, `resident_has_no_account`).
    public init(nationalId: NationalID, scheme: InsuranceScheme, insuredNumber: String, status: InsuredStatus,
                personalAccountFen: Int64) throws(DomainError) {
        var validator = FieldValidator()
        let number = insuredNumber.trimmingCharacters(in: .whitespaces)
        if !(6...30).contains(number.count) || !number.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            validator.add("insuredNumber", code: "format", "An insured-person number has 6 to 30 letters and digits.")
        }
        if !(0...100_000_000).contains(personalAccountFen) {
            validator.add("personalAccountFen", code: "range", "A personal account holds 0 to 1,000,000 yuan.")
        } else if scheme == .resident && personalAccountFen != 0 {
            validator.add("personalAccountFen", code: "resident_has_no_account", "Only the employee scheme has a personal account.")
        }
        try validator.finish()
        self.nationalId = nationalId
        self.scheme = scheme
        self.insuredNumber = number
        self.status = status
        self.personalAccountFen = personalAccountFen
    }
}

/// A registry file as an insurer exports it: CSV with a header naming `nationalId`, `scheme`,
/// `insuredNumber`, `status` and `personalAccountFen` in any order (other columns are ignored).
public enum InsuredPersonList {
    public static let maximumRows = 20_000
    static let columns = ["nationalId", "scheme", "insuredNumber", "status", "personalAccountFen"]

    /// The rows that read well with their line, and the line and reason of every one that does not.
    ///
    /// - Throws: 400 on `file` when the header lacks a column or there are too many rows.
    public static func parse(_ text: String, today: CalendarDate) throws(DomainError)
        -> (rows: [(line: Int, person: InsuredPersonDraft)], refused: [(line: Int, reason: String)]) {
        let records = try CSV.records(text)
        let header = records.first?.fields.map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        let index = columns.compactMap { header.firstIndex(of: $0) }
        guard index.count == columns.count else {
            throw .invalidField("file", code: "header", "The first line names the columns \(columns.joined(separator: ", ")).")
        }
        guard records.count - 1 <= maximumRows else {
            throw .invalidField("file", code: "too_many_rows", "A registry file has at most \(maximumRows) rows.")
        }
        var rows: [(line: Int, person: InsuredPersonDraft)] = []
        var refused: [(line: Int, reason: String)] = []
        var seen: Set<String> = []
        for record in records.dropFirst() where !(record.fields.count == 1 && record.fields[0].isEmpty) {
            guard record.fields.count == header.count else { refused.append((record.line, "column_count")); continue }
            let field = { (column: Int) in record.fields[index[column]].trimmingCharacters(in: .whitespaces) }
            guard let nationalId = try? NationalID(field(0), today: today) else { refused.append((record.line, "national_id")); continue }
            guard let scheme = InsuranceScheme(rawValue: field(1)) else { refused.append((record.line, "scheme")); continue }
            guard let status = InsuredStatus(rawValue: field(3)) else { refused.append((record.line, "status")); continue }
            guard let balance = Int64(field(4).isEmpty ? "0" : field(4)) else { refused.append((record.line, "personal_account_fen")); continue }
            do {
                let draft = try InsuredPersonDraft(nationalId: nationalId, scheme: scheme, insuredNumber: field(2), status: status,
                                                   personalAccountFen: balance)
                // Only a row that reads well counts the person as given: a corrected row later in the file still applies.
                guard seen.insert(nationalId.value).inserted else { refused.append((record.line, "repeated")); continue }
                rows.append((record.line, draft))
            } catch {
                let code = if case .invalid(let issues) = error { issues.first?.code ?? "invalid" } else { "invalid" }
                refused.append((record.line, code))
            }
        }
        return (rows, refused)
    }
}
