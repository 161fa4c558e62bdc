/// Each department's count of approved doctors, kept (issue 21, the loop). The rule on a doctor's
/// volume against their peers needs how many of the department's doctors had none that day, and
/// counted them on each signed prescription and completed consultation: 11,462 index entries for
/// pediatrics among 150,000 doctors, 1.2 ms on SQLite and 3 ms on PostgreSQL under the loop. The
/// count changes only when a doctor is registered or their standing changes (`DoctorStore`), and
/// is filled again after a bulk load, as the search vocabulary is. `medloop check` compares it
/// with the doctors.
extension Migrations {
    static let approvedDoctorsByDepartment = Migration(version: 37, name: "approved_doctors_by_department") { _ in
        ["CREATE TABLE department_doctors (department TEXT PRIMARY KEY, approved BIGINT NOT NULL)"] + departmentDoctorsFill
    }

    /// Counts every department's approved doctors again (after a bulk load too).
    public static let departmentDoctorsFill = [
        """
        INSERT INTO department_doctors (department, approved)
        SELECT department, COUNT(*) FROM doctors WHERE qualification = 'approved' GROUP BY department
        ON CONFLICT (department) DO UPDATE SET approved = excluded.approved
        """,
    ]
}
