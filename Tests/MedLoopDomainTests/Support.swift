import Foundation
import Testing
@testable import MedLoopDomain

/// The stable code of the problem `body` throws — the first field issue's code, or the code of a
/// refusal, conflict or prohibition — or `nil` when `body` succeeds.
///
///     let code = issueCode { () throws(DomainError) in try PhoneNumber("123") }
func issueCode<T>(_ body: () throws(DomainError) -> T) -> String? {
    do {
        _ = try body()
        return nil
    } catch {
        return code(of: error)
    }
}

/// Every field issue `body` reports, as `field/code`, in the order reported; empty when `body`
/// succeeds. A refusal of another kind is returned as its code alone.
func fieldIssues<T>(_ body: () throws(DomainError) -> T) -> [String] {
    do {
        _ = try body()
        return []
    } catch {
        guard case .invalid(let issues) = error else { return [code(of: error)] }
        return issues.map { "\($0.field)/\($0.code)" }
    }
}

/// The stable code a domain error carries.
func code(of error: DomainError) -> String {
    switch error {
    case .invalid(let issues): return issues.first?.code ?? ""
    case .refused(let code, _), .conflict(let code, _), .forbidden(let code, _): return code
    case .notFound: return "not_found"
    }
}

/// A calendar day written as `YYYY-MM-DD`; a malformed fixture fails the test.
func day(_ iso: String) throws -> CalendarDate {
    try #require(CalendarDate(iso: iso))
}

/// The day the fixtures are checked on.
let fixtureToday = CalendarDate(year: 2026, month: 3, day: 2)!

/// A valid national ID number for someone born on `birth` (`YYYY-MM-DD`); an odd `sequence` makes
/// a man, an even one a woman.
func aNationalID(born birth: String, sequence: Int = 1, region: String = "440305") throws -> NationalID {
    let born = try day(birth)
    let text = NationalID.make(region: region, birth: born, sequence: sequence)
    return try NationalID(text, today: fixtureToday)
}

/// What a rule did with its input, in one short string: `ok`, or the status and code(s) of the
/// refusal (`409 claim_state`, `422 voucher_forged`, `400 approvedFen/range reason/required`).
func outcome<T>(_ body: () throws(DomainError) -> T) -> String {
    do {
        _ = try body()
        return "ok"
    } catch {
        switch error {
        case .invalid(let issues): return "400 " + issues.map { "\($0.field)/\($0.code)" }.joined(separator: " ")
        case .refused(let code, _): return "422 \(code)"
        case .conflict(let code, _): return "409 \(code)"
        case .forbidden(let code, _): return "403 \(code)"
        case .notFound: return "404"
        }
    }
}
