import Foundation
import MedLoopDomain
@testable import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

/// Each department's kept count of approved doctors (M0037), which the volume rule reads instead of
/// counting the department's doctors on every signature and completed consultation.
@Suite("A department's kept count of approved doctors")
struct DepartmentCountTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("the kept count follows registrations and changes of standing, and medloop check names a wrong one")
    func keptCountFollowsStandings() async throws {
        try await withTestDatabase { database in
            _ = try await DemoWorld.seed(database: database, cipher: try aCipher(), passwordHash: "h", now: Self.now)
            let doctors = DoctorStore(database: database, audit: AuditStore(database: database))
            let kept = { @Sendable in
                try await database.read { sql in
                    try await sql.raw("SELECT approved FROM department_doctors WHERE department = 'cardiology'").first()?.int64("approved")
                }
            }
            let counted = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM doctors WHERE department = 'cardiology' AND qualification = 'approved'")
                    .first()?.int64("n")
            }
            let doctor = try #require(try await database.read { sql in
                try await sql.raw("SELECT id FROM doctors WHERE department = 'cardiology' AND qualification = 'approved' ORDER BY id LIMIT 1")
                    .first()?.uuid("id")
            })
            #expect(try await kept() == counted)
            #expect((counted ?? 0) > 0)
            let standing = { @Sendable (status: QualificationStatus) in
                try await database.unitOfWork { tx in try await doctors.setQualification(status, of: doctor, at: Self.now, in: tx) }
            }
            try await standing(.suspended)
            #expect(try await kept() == counted.map { $0 - 1 })
            try await standing(.suspended)
            #expect(try await kept() == counted.map { $0 - 1 })
            try await standing(.approved)
            #expect(try await kept() == counted)
            #expect(try await ConsistencyCheck(database: database).problems().isEmpty)

            try await database.unitOfWork { tx in
                try await tx.sql.raw("UPDATE department_doctors SET approved = approved + 5 WHERE department = 'cardiology'").run()
            }
            let problems = try await ConsistencyCheck(database: database).problems()
            #expect(problems == ["department cardiology has \(counted ?? 0) approved doctors, but \((counted ?? 0) + 5) are counted"])
        }
    }
}
