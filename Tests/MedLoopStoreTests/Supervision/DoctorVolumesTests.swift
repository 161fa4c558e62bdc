import Foundation
import MedLoopDomain
@testable import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Doctors' daily volumes, kept")
struct DoctorVolumesTests {
    static let now = Date(timeIntervalSince1970: 1_788_000_000)

    @Test("a volume's day is the Asia/Shanghai day of the instant, to the millisecond the instant is stored with",
          arguments: [
            (Int64(1_788_019_199_999), "2026-08-29"),   // 15:59:59.999 UTC: 23:59:59.999 in Shanghai
            (1_788_019_200_000, "2026-08-30"),          // 16:00 UTC: midnight in Shanghai
            (1_788_000_000_000, "2026-08-29"),          // 10:40 UTC
          ])
    func dayOfInstant(millis: Int64, day: String) {
        #expect(DoctorVolumes.day(of: Date(timeIntervalSince1970: TimeInterval(millis) / 1000)) == day)
    }

    @Test("after a generated history every doctor's volumes are counted; a volume that no longer matches its consultations is named by the check, and counting again mends it")
    func keptAfterBulkLoad() async throws {
        try await withTestDatabase { database in
            let cipher = try aCipher()
            _ = try await DemoWorld.seed(database: database, cipher: cipher, passwordHash: "h", now: Self.now)
            _ = try await DirectoryGenerator.generate(doctors: 200, into: database, now: Self.now)
            let summary = try await HistoryGenerator.generate(days: 2, into: database, cipher: cipher, now: Self.now)
            #expect(summary.consultations > 50)
            let check = ConsistencyCheck(database: database)
            #expect(try await check.problems() == [])
            let (kept, completed) = try await database.read { sql in
                (try await sql.raw("SELECT CAST(SUM(volume) AS BIGINT) AS n FROM doctor_day_volumes WHERE measure = 'consultations'").first()?
                    .decode(column: "n", as: Int.self),
                 try await sql.raw("SELECT COUNT(*) AS n FROM consultations WHERE state = 'completed'").first()?.decode(column: "n", as: Int.self))
            }
            #expect(kept == completed)
            #expect((kept ?? 0) > 0)

            // One completion counted that no consultation shows.
            let doctor = try #require(try await database.read { sql in
                try await sql.raw("SELECT id, department FROM doctors WHERE qualification = 'approved' ORDER BY id LIMIT 1").first()
            })
            let doctorId = try #require(UUID(uuidString: try doctor.decode(column: "id", as: String.self)))
            try await database.unitOfWork { tx in
                try await DoctorVolumes.count(.consultations, doctor: doctorId, department: try doctor.decode(column: "department", as: String.self),
                                              at: Self.now, in: tx)
            }
            #expect(try await check.problems() == ["1 doctor-day volumes differ from the consultations and prescriptions they count"])
            try await database.unitOfWork { tx in
                for statement in Migrations.doctorDayVolumesFill(database.engine) { try await tx.sql.raw(SQLQueryString(statement)).run() }
            }
            #expect(try await check.problems() == [])
        }
    }
}
