import Foundation
import MedLoopDomain
import SQLKit

/// A stored lab or exam report.
public struct StoredLabReport: Sendable {
    public var id: UUID
    public var patientId: UUID
    public var hospitalId: UUID
    public var report: LabReport
    public var hasFile: Bool
    public var importedAt: Date
}

/// Lab and exam results: imported by a hospital for a patient it finds by national ID (through the
/// keyed hash, never by decrypting), read by the patient, and by a consultation's doctor once the
/// patient shares them for that consultation.
public struct RecordStore: Sendable {
    let database: Database
    let cipher: FieldCipher
    let audit: AuditStore
    let files: FileFolder

    public init(database: Database, cipher: FieldCipher, dataDirectory: URL, audit: AuditStore) {
        self.database = database
        self.cipher = cipher
        self.audit = audit
        self.files = FileFolder(dataDirectory: dataDirectory, name: "reports", cipher: cipher)
    }

    /// Imports a report from `hospital` for the patient with `nationalId`; unknown patients are
    /// a 404 (the hospital learns nothing else). `file` is the report's PDF, if any.
    public func importReport(_ report: LabReport, nationalId: NationalID, hospital: UUID, file: [UInt8]?,
                             context: AuditContext) async throws -> StoredLabReport {
        let hash = cipher.lookupHash(nationalId.value, field: "national_id")
        let id = UUID.v7(at: context.at)
        return try await database.unitOfWork { tx in
            let kind = try await tx.sql.raw("SELECT kind FROM institutions WHERE id = \(bind: hospital.text)").first()?
                .value("kind", as: InstitutionKind.self)
            guard kind == .physicalHospital else {
                throw DomainError.forbidden(code: "not_a_hospital", message: "Lab and exam reports come from a physical hospital.")
            }
            guard let patient = try await tx.sql.raw("SELECT id FROM patients WHERE national_id_hash = \(bind: hash)").first()?.uuid("id") else {
                throw DomainError.notFound(resource: "patient")
            }
            let values = try StoredJSON.text(report.values)
            var fileName: String?
            if let file {
                guard file.starts(with: Array("%PDF".utf8)), file.count <= 10 << 20 else {
                    throw DomainError.invalidField("reportPdf", code: "not_a_pdf", "A report file is a PDF of at most 10 MiB.")
                }
                try await files.write(file, named: id.text)
                fileName = id.text
            }
            try await tx.sql.raw("""
                INSERT INTO lab_reports (id, patient_id, hospital_id, title, taken_on, values_json, file_name, imported_by, imported_at)
                VALUES (\(bind: id.text), \(bind: patient.text), \(bind: hospital.text), \(bind: report.title),
                        \(bind: report.takenOn.description), \(bind: values), \(bind: fileName),
                        \(bind: context.actorAccountId?.text ?? ""), \(bind: context.at.epochMillis))
                """).run()
            try await audit.append(AuditRecord(action: "patient.lab_report.import", resourceType: "lab_report", resourceId: id.text,
                                               patientId: patient), context: context, in: tx)
            return StoredLabReport(id: id, patientId: patient, hospitalId: hospital, report: report, hasFile: file != nil,
                                   importedAt: Date(epochMillis: context.at.epochMillis))
        }
    }

    /// A patient's reports, newest sample first.
    public func reports(of patient: UUID) async throws -> [StoredLabReport] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM lab_reports WHERE patient_id = \(bind: patient.text) ORDER BY taken_on DESC, id DESC")
                .all().map(Self.report(from:))
        }
    }

    /// The patient shares their records with the doctor of one consultation.
    public func share(consultation: UUID, by account: UUID, context: AuditContext) async throws {
        try await database.unitOfWork { tx in
            let shared = try await tx.sql.raw("""
                UPDATE consultations SET records_shared_at = COALESCE(records_shared_at, \(bind: context.at.epochMillis))
                WHERE id = \(bind: consultation.text) AND account_id = \(bind: account.text) RETURNING patient_id
                """).first()
            guard let shared else { throw DomainError.notFound(resource: "consultation") }
            try await audit.append(AuditRecord(action: "patient.records.share", resourceType: "consultation",
                                               resourceId: consultation.text, patientId: try shared.uuid("patient_id")),
                                   context: context, in: tx)
        }
    }

    /// The patient's reports for the doctor of `consultation`, if the patient shared them.
    public func reportsForDoctor(consultation: UUID, doctorAccount: UUID) async throws -> (patient: UUID, reports: [StoredLabReport]) {
        let row = try await database.read { sql in
            try await sql.raw("SELECT patient_id, doctor_account_id, records_shared_at FROM consultations WHERE id = \(bind: consultation.text)").first()
        }
        guard let row, try row.optionalUUID("doctor_account_id") == doctorAccount else {
            throw DomainError.notFound(resource: "consultation")
        }
        guard try row.optionalInt64("records_shared_at") != nil else {
            throw DomainError.forbidden(code: "consent_required", message: "The patient has not shared their records with you.")
        }
        let patient = try row.uuid("patient_id")
        return (patient, try await reports(of: patient))
    }

    /// The PDF of a report.
    public func file(of report: UUID) async throws -> (patient: UUID, data: Data)? {
        guard let row = try await database.read({ sql in
            try await sql.raw("SELECT patient_id, file_name FROM lab_reports WHERE id = \(bind: report.text)").first()
        }), let name = try row.optionalText("file_name") else { return nil }
        guard let data = try await files.read(name) else { return nil }
        return (try row.uuid("patient_id"), data)
    }

    /// Encrypts reports stored before files were encrypted (at start-up); returns how many.
    public func encryptEarlierFiles() async throws -> Int {
        try await files.encryptEarlierFiles()
    }

    static func report(from row: any SQLRow) throws -> StoredLabReport {
        let values = try StoredJSON.value([LabValue].self, from: try row.text("values_json"))
        let report = try LabReport(title: try row.text("title"), takenOn: CalendarDate(iso: try row.text("taken_on"))!,
                                   values: values, today: CalendarDate(year: 9999, month: 12, day: 31)!)
        return StoredLabReport(id: try row.uuid("id"), patientId: try row.uuid("patient_id"), hospitalId: try row.uuid("hospital_id"),
                               report: report, hasFile: try row.optionalText("file_name") != nil,
                               importedAt: try row.instant("imported_at"))
    }
}
