/// Each doctor's completed consultations and signed prescriptions per Asia/Shanghai day, kept by
/// department (issue 21, the loop). The rule on a doctor's volume against their peers counted the
/// department's consultations or prescriptions of the day, doctor by doctor, on every completion
/// and every signature: its cost grew with the day's work (2.3–2.6 ms a time under the loop on
/// PostgreSQL), so a busy department paid it squared. A completion or a signature now adds one to
/// its doctor's row in the same unit of work (`DoctorVolumes`), and the rule reads the
/// department's rows of the day. Counted again after a bulk load (`medloop seed --history-days`);
/// `medloop check` compares the rows with the consultations and prescriptions.
extension Migrations {
    static let doctorDayVolumes = Migration(version: 39, name: "doctor_day_volumes") { engine in
        [
            """
            CREATE TABLE doctor_day_volumes (
                department TEXT NOT NULL,
                day TEXT NOT NULL,
                measure TEXT NOT NULL,
                doctor_id TEXT NOT NULL,
                volume BIGINT NOT NULL,
                PRIMARY KEY (department, day, measure, doctor_id)
            )\(engine == .sqlite ? " WITHOUT ROWID" : "")
            """,
        ] + doctorDayVolumesFill(engine)
    }

    /// Counts every doctor's volumes again from the consultations and prescriptions.
    public static func doctorDayVolumesFill(_ engine: Engine) -> [String] {
        ["DELETE FROM doctor_day_volumes",
         "INSERT INTO doctor_day_volumes (department, day, measure, doctor_id, volume) " + doctorDayVolumesCounted(engine)]
    }

    /// Every doctor's volumes counted from the consultations and prescriptions, by their department
    /// now: `department, day, measure, doctor_id, volume`.
    static func doctorDayVolumesCounted(_ engine: Engine) -> String {
        // China keeps UTC+8 all year (DOMAIN.md).
        func day(_ millis: String) -> String {
            engine == .sqlite ? "strftime('%Y-%m-%d', \(millis) / 1000 + 28800, 'unixepoch')"
                : "to_char(to_timestamp(\(millis) / 1000 + 28800) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        }
        return """
            SELECT d.department, \(day("c.completed_at")), 'consultations', d.id, COUNT(*)
            FROM consultations c JOIN doctors d ON d.id = c.doctor_id
            WHERE c.state = 'completed' AND c.completed_at IS NOT NULL
            GROUP BY d.department, \(day("c.completed_at")), d.id
            UNION ALL
            SELECT d.department, \(day("p.signed_at")), 'prescriptions', d.id, COUNT(*)
            FROM prescriptions p JOIN doctors d ON d.account_id = p.doctor_account_id
            WHERE p.signed_at IS NOT NULL
            GROUP BY d.department, \(day("p.signed_at")), d.id
            """
    }
}
