import Foundation
import MedLoopDomain
import SQLKit

/// Each doctor's completed consultations and signed prescriptions per Asia/Shanghai day, by
/// department (M0039): what the rule on a doctor's volume against their peers compares
/// (`DailyVolume`), kept as the work is done instead of counted from it on every event.
public enum DoctorVolumes {
    /// Adds one to `doctor`'s `measure` on the Shanghai day of `instant`, under `department`, in the
    /// unit of work that completes the consultation or signs the prescription.
    public static func count(_ measure: VolumeMeasure, doctor: UUID, department: String, at instant: Date,
                             in tx: Transaction) async throws {
        try await tx.sql.raw("""
            INSERT INTO doctor_day_volumes (department, day, measure, doctor_id, volume)
            VALUES (\(bind: department), \(bind: day(of: instant)), \(bind: measure.rawValue),
                    \(bind: doctor.text), 1)
            ON CONFLICT (department, day, measure, doctor_id) DO UPDATE SET volume = doctor_day_volumes.volume + 1
            """).run()
    }

    /// The Shanghai day of `instant` as stored, to the millisecond (`YYYY-MM-DD`).
    static func day(of instant: Date) -> String {
        CalendarDate.shanghai(Date(epochMillis: instant.epochMillis)).description
    }

    /// The doctor's own `measure` on `day` (`YYYY-MM-DD`), under `department`.
    static func volume(of doctor: UUID, _ measure: VolumeMeasure, department: String, day: String,
                       in sql: any SQLDatabase) async throws -> Int {
        Int(try await sql.raw("""
            SELECT volume FROM doctor_day_volumes
            WHERE department = \(bind: department) AND day = \(bind: day) AND measure = \(bind: measure.rawValue)
              AND doctor_id = \(bind: doctor.text)
            """).first()?.int64("volume") ?? 0)
    }

    /// The department's approved doctors with their `measure` on `day`: those with none are not listed.
    static func department(_ department: String, _ measure: VolumeMeasure, day: String) -> SQLQueryString {
        """
        SELECT v.doctor_id AS id, v.volume AS n FROM doctor_day_volumes v CROSS JOIN doctors d
        WHERE v.department = \(bind: department) AND v.day = \(bind: day) AND v.measure = \(bind: measure.rawValue)
          AND d.id = v.doctor_id AND d.qualification = 'approved' AND d.department = v.department
        """
    }

    /// The kept volumes that differ from those counted from the consultations and prescriptions,
    /// as `medloop check` states them (empty when all agree).
    static func problems(in database: Database) async throws -> [String] {
        // Wrapped: EXCEPT and UNION ALL apply left to right.
        let counted = "SELECT * FROM (" + Migrations.doctorDayVolumesCounted(database.engine) + ") c"
        let kept = "SELECT department, day, measure, doctor_id, volume FROM doctor_day_volumes"
        let (extra, missing) = try await database.read { sql in
            (try await sql.raw(SQLQueryString("SELECT COUNT(*) AS n FROM (" + kept + " EXCEPT " + counted + ") x")).first()?.int64("n") ?? 0,
             try await sql.raw(SQLQueryString("SELECT COUNT(*) AS n FROM (" + counted + " EXCEPT " + kept + ") x")).first()?.int64("n") ?? 0)
        }
        guard extra > 0 || missing > 0 else { return [] }
        return ["\(max(extra, missing)) doctor-day volumes differ from the consultations and prescriptions they count"]
    }
}
