import Foundation
import MedLoopDomain
import SQLKit

/// The facts of a signed prescription and a completed consultation: the patient's earlier supply
/// of the same drugs, and the department's daily volumes and override rates.
extension FraudFacts {
    /// States of a prescription that gave (or may still give) the patient a supply.
    static let supplyingStates = "'signed', 'approved', 'dispensed'"

    func signed(_ event: DomainEvent, rules: FraudRuleSet) async throws -> [AlertDraft] {
        try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT p.id, p.patient_id, p.institution_id, p.signed_at, p.findings, p.overrides,
                       d.id AS doctor_id, d.department, i.region_code
                FROM prescriptions p
                JOIN doctors d ON d.account_id = p.doctor_account_id
                JOIN institutions i ON i.id = p.institution_id
                WHERE p.id = \(bind: event.subjectId.text) AND p.signed_at IS NOT NULL
                """).first() else { return [] }
            let code = try row.text("region_code")
            guard let region = try? RegionCode(code) else { throw StoredValueError(column: "region_code", value: code) }
            let doctorId = try row.uuid("doctor_id")
            let department = try row.text("department")
            let signedAt = try row.instant("signed_at")
            var drafts: [AlertDraft] = []

            let current = try await sql.raw("""
                SELECT p.id, p.patient_id, p.signed_at, d.id AS doctor_id, it.drug_id, it.days, it.quantity
                FROM prescriptions p
                JOIN prescription_items it ON it.prescription_id = p.id
                JOIN doctors d ON d.account_id = p.doctor_account_id
                WHERE p.id = \(bind: event.subjectId.text)
                """).all().map(Self.fill)
            if rules.earlyRefill.enabled || rules.sameDrugSeveralDoctors.enabled || rules.splitPrescription.enabled,
               let patient = current.first?.patientId {
                // Far enough back for the longest supply (a long prescription's 12 weeks) and every window.
                let lookBackDays = max(PrescriptionRules.longSupplyDays, rules.sameDrugSeveralDoctors.windowDays,
                                       rules.splitPrescription.windowHours / 24 + 1)
                let from = signedAt.addingTimeInterval(-TimeInterval(lookBackDays) * 86_400)
                let drugs = Set(current.map(\.drugId))
                let earlier = try await sql.raw("""
                    SELECT p.id, p.patient_id, p.signed_at, d.id AS doctor_id, it.drug_id, it.days, it.quantity
                    FROM prescriptions p
                    JOIN prescription_items it ON it.prescription_id = p.id
                    JOIN doctors d ON d.account_id = p.doctor_account_id
                    WHERE p.patient_id = \(bind: patient.text) AND p.state IN (\(unsafeRaw: Self.supplyingStates))
                      AND p.signed_at >= \(bind: from.epochMillis) AND p.signed_at <= \(bind: signedAt.epochMillis)
                      AND p.id <> \(bind: event.subjectId.text)
                    """).all().map(Self.fill).filter { drugs.contains($0.drugId) }
                drafts += rules.earlyRefill.evaluate(current, earlier: earlier, region: region)
                drafts += rules.sameDrugSeveralDoctors.evaluate(current, earlier: earlier, region: region)
                drafts += rules.splitPrescription.evaluate(current, earlier: earlier, region: region)
            }
            let day = Self.shanghaiDay(of: signedAt)
            // The department's counts only when the doctor's own may flag: most days it cannot.
            if try await rules.doctorVolumeAbovePeers.mayFlag(
                count: DoctorVolumes.volume(of: doctorId, .prescriptions, department: department, day: day.day, in: sql)) {
                let counts = try await Self.counts(sql, DoctorVolumes.department(department, .prescriptions, day: day.day))
                let volume = DailyVolume(doctorId: doctorId, department: department, day: day.day, measure: .prescriptions, counts: counts,
                                         quietPeers: try await Self.quietPeers(sql, department: department, besides: counts, doctorId))
                if let draft = rules.doctorVolumeAbovePeers.evaluate(volume, region: region, at: event.occurredAt) { drafts.append(draft) }
            }
            let overrides = rules.overridesAbovePeers
            if overrides.enabled,
               overrides.isOverridden(findings: try StoredJSON.value([Finding].self, from: try row.text("findings")),
                                      overrides: try StoredJSON.value([FindingOverride].self, from: try row.text("overrides"))) {
                let from = signedAt.addingTimeInterval(-TimeInterval(overrides.windowDays) * 86_400)
                let rows = try await sql.raw("""
                    SELECT d.id, p.findings, p.overrides FROM doctors d
                    JOIN prescriptions p ON p.doctor_account_id = d.account_id
                    WHERE d.qualification = 'approved' AND d.department = \(bind: department)
                      AND p.signed_at >= \(bind: from.epochMillis) AND p.signed_at <= \(bind: signedAt.epochMillis)
                    """).all()
                var counts: [UUID: OverrideCount] = [:]
                for row in rows {
                    let doctor = try row.uuid("id")
                    let overridden = overrides.isOverridden(
                        findings: try StoredJSON.value([Finding].self, from: try row.text("findings")),
                        overrides: try StoredJSON.value([FindingOverride].self, from: try row.text("overrides")))
                    var count = counts[doctor] ?? OverrideCount(prescriptions: 0, overridden: 0)
                    count.prescriptions += 1
                    if overridden { count.overridden += 1 }
                    counts[doctor] = count
                }
                let rates = OverrideRates(doctorId: doctorId, department: department, counts: counts)
                if let draft = overrides.evaluate(rates, region: region, at: event.occurredAt) { drafts.append(draft) }
            }
            return drafts
        }
    }

    func completed(_ event: DomainEvent, rules: FraudRuleSet) async throws -> [AlertDraft] {
        guard rules.doctorVolumeAbovePeers.enabled else { return [] }
        return try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT c.doctor_id, c.completed_at, d.department, i.region_code
                FROM consultations c
                JOIN doctors d ON d.id = c.doctor_id
                JOIN institutions i ON i.id = d.hospital_id
                WHERE c.id = \(bind: event.subjectId.text) AND c.completed_at IS NOT NULL
                """).first() else { return [] }
            let code = try row.text("region_code")
            guard let region = try? RegionCode(code) else { throw StoredValueError(column: "region_code", value: code) }
            let doctorId = try row.uuid("doctor_id")
            let department = try row.text("department")
            let day = Self.shanghaiDay(of: try row.instant("completed_at"))
            guard try await rules.doctorVolumeAbovePeers.mayFlag(
                count: DoctorVolumes.volume(of: doctorId, .consultations, department: department, day: day.day, in: sql)) else { return [] }
            let counts = try await Self.counts(sql, DoctorVolumes.department(department, .consultations, day: day.day))
            let volume = DailyVolume(doctorId: doctorId, department: department, day: day.day, measure: .consultations, counts: counts,
                                     quietPeers: try await Self.quietPeers(sql, department: department, besides: counts, doctorId))
            return rules.doctorVolumeAbovePeers.evaluate(volume, region: region, at: event.occurredAt).map { [$0] } ?? []
        }
    }

    private static func fill(_ row: any SQLRow) throws -> SupplyFill {
        SupplyFill(prescriptionId: try row.uuid("id"), patientId: try row.uuid("patient_id"), doctorId: try row.uuid("doctor_id"),
                   drugId: try row.uuid("drug_id"), signedAt: try row.instant("signed_at"),
                   days: Int(try row.int64("days")), quantity: Int(try row.int64("quantity")))
    }

    /// The approved doctors of `department` that are neither in `counts` (those with a count that
    /// day) nor the one examined: the peers with none.
    private static func quietPeers(_ sql: any SQLDatabase, department: String, besides counts: [UUID: Int],
                                   _ doctorId: UUID) async throws -> Int {
        // Kept as the department's doctors are registered and their standing changes (M0037).
        let all = Int(try await sql.raw("SELECT approved FROM department_doctors WHERE department = \(bind: department)").first()?
            .int64("approved") ?? 0)
        return all - counts.count - (counts[doctorId] == nil ? 1 : 0)
    }

    private static func counts(_ sql: any SQLDatabase, _ query: SQLQueryString) async throws -> [UUID: Int] {
        var counts: [UUID: Int] = [:]
        for row in try await sql.raw(query).all() {
            counts[try row.uuid("id")] = Int(try row.int64("n"))
        }
        return counts
    }
}
