import Crypto
import Foundation
import MedLoopDomain
import SQLKit

extension TraceStore {
    /// The regions that get a daily report: each regulator's region.
    public func reportRegions() async throws -> [RegionCode] {
        try await database.read { sql in
            try await sql.raw("SELECT DISTINCT region_code FROM institutions WHERE kind = 'regulator' ORDER BY region_code")
                .all().map { try RegionCode(try $0.text("region_code")) }
        }
    }

    /// The region's day for the provincial platform: consultations queued, prescriptions signed
    /// and medicine orders dispensed at institutions of the region during the Asia/Shanghai day,
    /// and the settlements the region's fund cleared that day.
    public func report(region: RegionCode, day: CalendarDate) async throws -> ProvincialReport {
        let (start, end) = ProvincialReport.window(of: day)
        let from = start.epochMillis, to = end.epochMillis
        let prefix = region.coveredPrefix + "%"
        let records = try await database.read { sql -> [ProvincialRecord] in
            var records: [ProvincialRecord] = []
            for row in try await sql.raw("""
                SELECT c.*, i.id AS institution_id FROM consultations c JOIN orders o ON o.id = c.order_id
                JOIN doctors d ON d.id = c.doctor_id JOIN institutions i ON i.id = COALESCE(o.site_id, d.hospital_id)
                WHERE c.queued_at >= \(bind: from) AND c.queued_at < \(bind: to) AND i.region_code LIKE \(bind: prefix)
                ORDER BY c.queued_at, c.id
                """).all() {
                records.append(.consultation(.init(
                    id: try row.uuid("id"), institutionId: try row.uuid("institution_id"), doctorId: try row.uuid("doctor_id"),
                    patientId: try row.uuid("patient_id"), service: try row.text("service"), state: try row.text("state"),
                    queuedAt: try row.instant("queued_at"), acceptedAt: try row.optionalInstant("accepted_at"),
                    completedAt: try row.optionalInstant("completed_at"), diagnosis: try row.optionalText("diagnosis_icd10"))))
            }
            // The day's prescriptions, and their items by the same filter: a province's day holds
            // more prescriptions than a statement takes binds.
            let signedThatDay: SQLQueryString = """
                FROM prescriptions p JOIN institutions i ON i.id = p.institution_id
                WHERE p.signed_at >= \(bind: from) AND p.signed_at < \(bind: to) AND i.region_code LIKE \(bind: prefix)
                """
            let prescriptions = try await sql.raw("SELECT p.* " + signedThatDay + " ORDER BY p.signed_at, p.id").all()
            var items: [String: [ProvincialRecord.Prescription.Item]] = [:]
            let itemsThatDay: SQLQueryString = "SELECT it.prescription_id, it.drug_id, it.quantity FROM prescription_items it"
                + " WHERE it.prescription_id IN (SELECT p.id " + signedThatDay + ") ORDER BY it.prescription_id, it.position"
            for item in try await sql.raw(itemsThatDay).all() {
                items[try item.text("prescription_id"), default: []].append(.init(
                    drugId: try item.uuid("drug_id"), quantity: try item.decode(column: "quantity", as: Int.self)))
            }
            for row in prescriptions {
                records.append(.prescription(.init(
                    id: try row.uuid("id"), consultationId: try row.uuid("consultation_id"),
                    institutionId: try row.uuid("institution_id"), doctorAccountId: try row.uuid("doctor_account_id"),
                    patientId: try row.uuid("patient_id"), diagnosis: try row.text("diagnosis_icd10"), state: try row.text("state"),
                    signedAt: try row.instant("signed_at"), documentHash: try row.optionalText("document_hash"),
                    reviewerAccountId: try row.optionalUUID("reviewer_account_id"), reviewedAt: try row.optionalInstant("reviewed_at"),
                    items: items[try row.text("id")] ?? [])))
            }
            let dispensedThatDay: SQLQueryString = """
                FROM medicine_orders o JOIN institutions i ON i.id = o.pharmacy_id
                WHERE o.dispensed_at >= \(bind: from) AND o.dispensed_at < \(bind: to) AND i.region_code LIKE \(bind: prefix)
                """
            let orders = try await sql.raw("SELECT o.* " + dispensedThatDay + " ORDER BY o.dispensed_at, o.id").all()
            var codes: [String: [String]] = [:]
            let codesThatDay: SQLQueryString = "SELECT c.order_id, c.code FROM dispensed_codes c WHERE c.order_id IN (SELECT o.id "
                + dispensedThatDay + ") ORDER BY c.order_id, c.code"
            for code in try await sql.raw(codesThatDay).all() {
                codes[try code.text("order_id"), default: []].append(try code.text("code"))
            }
            for row in orders {
                records.append(.dispense(.init(
                    orderId: try row.uuid("id"), prescriptionId: try row.uuid("prescription_id"), pharmacyId: try row.uuid("pharmacy_id"),
                    mode: try row.text("mode"), totalFen: try row.int64("total_fen"), dispensedAt: try row.instant("dispensed_at"),
                    codes: codes[try row.text("id")] ?? [])))
            }
            for row in try await sql.raw("""
                SELECT * FROM settlements WHERE clearing_day = \(bind: day.description) AND region LIKE \(bind: prefix)
                ORDER BY created_at, id
                """).all() {
                records.append(.settlement(.init(
                    id: try row.uuid("id"), kind: try row.text("kind"), institutionId: try row.uuid("institution_id"),
                    orderId: try row.optionalUUID("order_id"), medicineOrderId: try row.optionalUUID("medicine_order_id"),
                    region: try row.text("region"), scheme: try row.text("scheme"), totalFen: try row.int64("total_fen"),
                    fundFen: try row.int64("fund_fen"), personalAccountFen: try row.int64("personal_account_fen"),
                    cashFen: try row.int64("cash_fen"), createdAt: try row.instant("created_at"))))
            }
            return records
        }
        return ProvincialReport(region: region, day: day, records: records)
    }
}

/// The files of one written report.
public struct WrittenReport: Sendable {
    public var report: ProvincialReport
    public var ndjson: URL
    public var signature: URL
}

/// The platform's report-signing key (P-256). It lives in the database, its private half sealed
/// with the data key (`MEDLOOP_DATA_KEY`) like the doctors' signing keys, so every server and
/// `medloop report` sign with the same key and a copy of the database signs nothing; it is made
/// on first use. Its public half (`publicKey()`, `medloop report --public-key`) is what the
/// provincial platform registers to check the reports.
public struct PlatformKeyStore: Sendable {
    static let purpose = "provincial-report"
    let database: Database
    let cipher: FieldCipher

    public init(database: Database, cipher: FieldCipher) {
        self.database = database
        self.cipher = cipher
    }

    /// The signing key, made and kept on first use (two first uses at once keep the first).
    public func signingKey(at now: Date) async throws -> P256.Signing.PrivateKey {
        // The key crosses the unit of work as its raw bytes (the key type is not Sendable).
        let raw = try await database.unitOfWork { tx -> Data in
            if let key = try await stored(in: tx.sql) { return key }
            let made = P256.Signing.PrivateKey()
            try await tx.sql.raw("""
                INSERT INTO platform_keys (id, purpose, public_key, sealed_private_key, created_at)
                VALUES (\(bind: UUID.v7(at: now).text), \(bind: Self.purpose), \(bind: made.publicKey.pemRepresentation),
                        \(bind: try cipher.seal(made.rawRepresentation.base64EncodedString(), field: Self.field)),
                        \(bind: now.epochMillis))
                ON CONFLICT (purpose) DO NOTHING
                """).run()
            guard let key = try await stored(in: tx.sql) else { throw StoredValueError(column: "platform_keys", value: "missing") }
            return key
        }
        return try P256.Signing.PrivateKey(rawRepresentation: raw)
    }

    /// The public key (PEM) the province checks reports with; made now if there is none yet.
    public func publicKey(at now: Date) async throws -> String {
        try await signingKey(at: now).publicKey.pemRepresentation
    }

    /// Writes `report` as `<base>.ndjson` and its detached signature `<base>.sig` into `directory`.
    public func write(_ report: ProvincialReport, into directory: URL, at now: Date) async throws -> WrittenReport {
        let key = try await signingKey(at: now)
        let file = Data(report.ndjson().utf8)
        let ndjson = directory.appendingPathComponent(report.baseName + ".ndjson")
        let signature = try ReportSigning.sign(file, name: ndjson.lastPathComponent, key: key, at: now)
        let sig = directory.appendingPathComponent(report.baseName + ".sig")
        try file.write(to: ndjson, options: .atomic)
        try Data((CanonicalJSON.text(of: signature) + "\n").utf8).write(to: sig, options: .atomic)
        return WrittenReport(report: report, ndjson: ndjson, signature: sig)
    }

    /// The stored key's raw bytes, opened with the data key.
    private func stored(in sql: any SQLDatabase) async throws -> Data? {
        guard let row = try await sql.raw("SELECT sealed_private_key FROM platform_keys WHERE purpose = \(bind: Self.purpose)").first() else {
            return nil
        }
        guard let bytes = Data(base64Encoded: try cipher.open(try row.text("sealed_private_key"), field: Self.field)) else {
            throw StoredValueError(column: "sealed_private_key", value: "unreadable")
        }
        return bytes
    }

    private static let field = "platform_key:\(purpose)"
}
