import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Lab and exam results: a hospital's doctor imports them for a patient; the patient reads them
/// and may share them with the doctor of a consultation.
struct RecordRoutes {
    let records: RecordStore
    let audit: AuditStore
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.post("lab-reports", use: importReport)
        group.get("lab-reports/:id/file", use: file)
        group.get("patients/:id/lab-reports", use: list)
        group.post("consultations/:id/share-records", use: share)
        group.get("consultations/:id/records", use: forDoctor)
    }

    struct ImportBody: Decodable {
        var nationalId: String
        var title: String
        var takenOn: CalendarDate
        var values: [LabValue]
        /// The report as a PDF, base64-encoded.
        var reportPdf: String?
    }

    struct ReportView: APIView, Encodable {
        struct Value: Encodable, Sendable {
            var code: String
            var name: String
            var value: Double
            var unit: String
            var referenceLow: Double?
            var referenceHigh: Double?
            var flag: LabFlag
        }

        var id: UUID
        var patientId: UUID
        var hospitalId: UUID
        var title: String
        var takenOn: CalendarDate
        var values: [Value]
        var hasFile: Bool
        var importedAt: Date

        init(_ stored: StoredLabReport) {
            id = stored.id
            patientId = stored.patientId
            hospitalId = stored.hospitalId
            title = stored.report.title
            takenOn = stored.report.takenOn
            values = stored.report.values.map {
                Value(code: $0.code, name: $0.name, value: $0.value, unit: $0.unit, referenceLow: $0.referenceLow,
                      referenceHigh: $0.referenceHigh, flag: $0.flag)
            }
            hasFile = stored.hasFile
            importedAt = stored.importedAt
        }
    }

    /// A doctor of a physical hospital sends a report made there.
    @Sendable func importReport(_ request: Request, context: AppContext) async throws -> Created<ReportView> {
        let caller = try await authorizer.require(.importRecords, context, action: "patient.lab_report.import", resourceType: "lab_report")
        guard let hospital = caller.institutionId else { throw AppError.forbidden("Reports come from a hospital.") }
        let body = try await request.decodeJSON(as: ImportBody.self, context: context)
        let now = clock.now()
        var validator = FieldValidator()
        let nationalId = validator.check { () throws(DomainError) in try NationalID(body.nationalId, today: .shanghai(now)) }
        var file: [UInt8]?
        if let text = body.reportPdf {
            if let data = Data(base64Encoded: text) { file = Array(data) } else {
                validator.add("reportPdf", code: "not_base64", "The report file is base64-encoded.")
            }
        }
        try validator.finish()
        let report = try LabReport(title: body.title, takenOn: body.takenOn, values: body.values, today: .shanghai(now))
        let stored = try await records.importReport(report, nationalId: nationalId!, hospital: hospital, file: file,
                                                    context: context.auditContext(at: now))
        return Created(value: ReportView(stored))
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> ListView<ReportView> {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.requirePatient(id, context, action: "patient.lab_report.read")
        let reports = try await records.reports(of: id)
        try await audit.recordRead("patient.lab_report.read", of: "patient", id: id.text, patient: id, by: context,
                                   at: clock.now())
        return ListView(items: reports.map(ReportView.init), nextCursor: nil)
    }

    @Sendable func file(_ request: Request, context: AppContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        guard let found = try await records.file(of: id) else { throw AppError.notFound("report file") }
        _ = try await authorizer.requirePatient(found.patient, context, action: "patient.lab_report.read")
        try await audit.recordRead("patient.lab_report.file", of: "lab_report", id: id.text, patient: found.patient,
                                   by: context, at: clock.now())
        return Response(status: .ok, headers: [.contentType: "application/pdf"], body: .init(byteBuffer: ByteBuffer(bytes: found.data)))
    }

    @Sendable func share(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try context.requireCaller()
        try await records.share(consultation: try context.parameters.uuid("id"), by: caller.accountId,
                                context: context.auditContext(at: clock.now()))
        return Response(status: .noContent)
    }

    @Sendable func forDoctor(_ request: Request, context: AppContext) async throws -> ListView<ReportView> {
        let caller = try context.requireCaller()
        let id = try context.parameters.uuid("id")
        do {
            let (patient, reports) = try await records.reportsForDoctor(consultation: id, doctorAccount: caller.accountId)
            try await audit.recordRead("patient.lab_report.read", of: "consultation", id: id.text, patient: patient,
                                       by: context, at: clock.now())
            return ListView(items: reports.map(ReportView.init), nextCursor: nil)
        } catch DomainError.forbidden(let code, let message) {
            try await audit.recordRead("patient.lab_report.read", of: "consultation", id: id.text, outcome: .denied,
                                       by: context, at: clock.now())
            throw AppError(.forbidden, code: code, message: message)
        }
    }
}
