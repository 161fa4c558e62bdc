import PropertyBased
import Testing
@testable import MedLoopDomain

/// How a department's count of approved doctors follows their standings (`department_doctors`, M0037).
@Suite("A department's count of approved doctors")
struct ApprovedCountTests {
    @Test("each change of standing moves the count by the number written", arguments: [
        (nil, QualificationStatus.approved, 1), (nil, .pending, 0), (nil, .suspended, 0),
        (.pending, .approved, 1), (.approved, .suspended, -1), (.suspended, .approved, 1),
        (.approved, .approved, 0), (.pending, .suspended, 0), (.approved, .pending, -1),
    ] as [(QualificationStatus?, QualificationStatus, Int)])
    func change(_ before: QualificationStatus?, _ after: QualificationStatus, _ expected: Int) {
        #expect(QualificationStatus.approvedCountChange(from: before, to: after) == expected)
    }

    @Test("for any registration and any standings after it, the changes add up to 1 for a doctor approved at the end, 0 otherwise")
    func changesAddUp() async {
        await propertyCheck(input: Gen<QualificationStatus>.case.array(of: 1...12)) { standings in
            var before: QualificationStatus?
            var total = 0
            for standing in standings {
                total += QualificationStatus.approvedCountChange(from: before, to: standing)
                before = standing
            }
            #expect(total == (standings.last == .approved ? 1 : 0))
        }
    }
}
