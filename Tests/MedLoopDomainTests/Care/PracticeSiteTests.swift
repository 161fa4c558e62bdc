import Foundation
import MedLoopDomain
import Testing

@Suite("The internet hospital an online booking is made at")
struct PracticeSiteTests {
    static let first = UUID.named("site:first")
    static let second = UUID.named("site:second")

    @Test("the named site if it is the doctor's; the only site when none is named")
    func chosen() throws {
        #expect(try PracticeSite.choose(Self.second, from: [Self.first, Self.second]) == Self.second)
        #expect(try PracticeSite.choose(nil, from: [Self.first]) == Self.first)
    }

    @Test("a site not the doctor's, no site among several, or a doctor with none is refused", arguments: [
        (UUID?.some(UUID.named("site:other")), [first, second], "siteId/not_a_practice_site"),
        (nil, [first, second], "siteId/required"),
        (nil, [], "no_practice_site"),
    ] as [(UUID?, [UUID], String)])
    func refused(requested: UUID?, sites: [UUID], expected: String) {
        do {
            _ = try PracticeSite.choose(requested, from: sites)
            Issue.record("expected a refusal")
        } catch {
            switch error {
            case .invalid(let issues): #expect(issues.map { "\($0.field)/\($0.code)" } == [expected])
            case .refused(let code, _): #expect(code == expected)
            default: Issue.record("unexpected \(error)")
            }
        }
    }
}
