import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Credentials and their review: submitted by doctors, pharmacists and pharmacies, decided by a regulator of their region (issue 20, part 1).
///
/// - `POST /credential-files` (the certificate image as the body) → 201 file; then
///   `POST /credentials` naming the files → 201 credential; `GET /credentials/mine`.
/// - `GET /supervision/credentials?state=`, `GET /supervision/credentials/{id}` (and `/files/{n}`),
///   `POST /supervision/credentials/{id}/approve|reject|suspend|reinstate` with `{reason}`.
struct QualificationRoutes: SupervisionRouteGroup {
    let dependencies: SupervisionDependencies

    var directory: DirectoryCache { dependencies.services.directory }

    func register(_ authenticated: RouterGroup<AppContext>) {
        authenticated.post("credential-files", use: upload)
        authenticated.post("credentials", use: submit)
        authenticated.get("credentials/mine", use: mine)
        authenticated.get("supervision/credentials", use: queue)
        authenticated.get("supervision/credentials/:id", use: show)
        authenticated.get("supervision/credentials/:id/files/:number", use: file)
        for decision in [CredentialDecision.approve, .reject, .suspend, .reinstate] {
            authenticated.post("supervision/credentials/:id/\(decision.rawValue)") { request, context in
                try await decide(request, context: context, decision)
            }
        }
    }

    // MARK: Views

    struct FileView: Encodable, Sendable {
        var number: Int
        var mediaType: String
        var sizeBytes: Int64
        /// Where a regulator reviewing the credential reads the file (absent in the holder's own list).
        var url: String?
    }

    struct DecisionView: Encodable, Sendable {
        var decision: CredentialDecision
        var from: CredentialState
        var to: CredentialState
        var reason: String
        var decidedBy: UUID?
        var decidedAt: Date
    }

    struct CredentialView: APIView, Encodable {
        var id: UUID
        var holderKind: CredentialHolderKind
        var holderAccountId: UUID
        var holderInstitutionId: UUID
        var holderInstitutionName: String
        var doctorId: UUID?
        var holderRegion: String
        var licenceNumber: String
        var files: [FileView]
        var practiceSites: [PracticeSiteClaim]
        var yearsOfPractice: Int
        var licenceExpiresOn: CalendarDate
        var state: CredentialState
        var reason: String?
        var decidedBy: UUID?
        var decidedAt: Date?
        var remindedAt: Date?
        var submittedAt: Date
        var decisions: [DecisionView]

        init(_ record: CredentialRecord, forRegulator: Bool = true) {
            id = record.id
            holderKind = record.holderKind
            holderAccountId = record.holderAccountId
            holderInstitutionId = record.holderInstitutionId
            holderInstitutionName = record.holderInstitutionName
            doctorId = record.doctorId
            holderRegion = record.holderRegion.value
            licenceNumber = record.licenceNumber
            files = record.files.enumerated().map { index, file in
                FileView(number: index + 1, mediaType: file.mediaType, sizeBytes: file.sizeBytes,
                         url: forRegulator ? "/api/v1/supervision/credentials/\(record.id.text)/files/\(index + 1)" : nil)
            }
            practiceSites = record.practiceSites
            yearsOfPractice = record.yearsOfPractice
            licenceExpiresOn = record.licenceExpiresOn
            state = record.state
            reason = record.reason
            decidedBy = record.decidedBy
            decidedAt = record.decidedAt
            remindedAt = record.remindedAt
            submittedAt = record.submittedAt
            decisions = record.decisions.map {
                DecisionView(decision: $0.decision, from: $0.from, to: $0.to, reason: $0.reason, decidedBy: $0.decidedBy,
                             decidedAt: $0.decidedAt)
            }
        }
    }

    struct UploadView: APIView, Encodable {
        var id: UUID
        var mediaType: String
        var sizeBytes: Int64
    }

    // MARK: Holders

    /// The body is one certificate image (JPEG, PNG or WebP, at most 5 MiB).
    @Sendable func upload(_ request: Request, context: AppContext) async throws -> Created<UploadView> {
        let caller = try await authorizer.require(.submitCredentials, context, action: "credential.file.upload",
                                                  resourceType: "credential_file")
        let bytes = try await request.uploadedBytes(upTo: CertificateFileRule.maximumBytes,
                                                    tooLarge: AppError(.contentTooLarge, code: "file_too_large",
                                                                       message: "A certificate image is at most 5 MiB."))
        let file = try await stores.credentials.upload(bytes, by: caller.accountId, context: context.auditContext(at: clock.now()))
        return Created(value: UploadView(id: file.id, mediaType: file.mediaType, sizeBytes: file.sizeBytes))
    }

    struct SubmitBody: Decodable {
        var holderKind: CredentialHolderKind
        var licenceNumber: String
        var certificateFiles: [UUID]
        var practiceSites: [PracticeSiteClaim]?
        var yearsOfPractice: Int
        var licenceExpiresOn: CalendarDate
    }

    @Sendable func submit(_ request: Request, context: AppContext) async throws -> Created<CredentialView> {
        let caller = try await authorizer.require(.submitCredentials, context, action: "credential.submit", resourceType: "credential")
        let body = try await request.decodeJSON(as: SubmitBody.self, context: context)
        let draft = CredentialDraft(holderKind: body.holderKind, licenceNumber: body.licenceNumber,
                                    certificateFiles: body.certificateFiles, practiceSites: body.practiceSites ?? [],
                                    yearsOfPractice: body.yearsOfPractice, licenceExpiresOn: body.licenceExpiresOn)
        let record = try await stores.credentials.submit(draft, by: caller, context: context.auditContext(at: clock.now()))
        return Created(value: CredentialView(record, forRegulator: false))
    }

    @Sendable func mine(_ request: Request, context: AppContext) async throws -> ListView<CredentialView> {
        let caller = try await authorizer.require(.submitCredentials, context, action: "credential.list", resourceType: "credential")
        let paging = try Paging(request)
        let page = try await stores.credentials.credentials(of: caller, limit: paging.limit, cursor: paging.cursor)
        return ListView(items: page.items.map { CredentialView($0, forRegulator: false) }, nextCursor: page.nextCursor)
    }

    // MARK: Regulators

    @Sendable func queue(_ request: Request, context: AppContext) async throws -> ListView<CredentialView> {
        let scope = try await regions.scope(.qualifyDoctors, context, action: "credential.queue", resourceType: "credential")
        let paging = try Paging(request)
        let state = try request.enumQuery("state", as: CredentialState.self)
        let page = try await stores.credentials.queue(state: state, regionPrefix: scope.prefix, limit: paging.limit,
                                                      cursor: paging.cursor)
        return ListView(items: page.items.map { CredentialView($0) }, nextCursor: page.nextCursor)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> CredentialView {
        CredentialView(try await supervised(context, action: "credential.read"))
    }

    @Sendable func file(_ request: Request, context: AppContext) async throws -> Response {
        let credential = try await supervised(context, action: "credential.file.read")
        guard let number = context.parameters.get("number").flatMap(Int.init),
              let file = try await stores.credentials.file(number, of: credential) else {
            throw AppError.notFound("file")
        }
        return .file(file.data, mediaType: file.mediaType, cacheControl: "private, no-store")
    }

    struct DecisionBody: Decodable {
        var reason: String?
    }

    func decide(_ request: Request, context: AppContext, _ decision: CredentialDecision) async throws -> CredentialView {
        let action = "credential.\(decision.rawValue)"
        let credential = try await supervised(context, action: action)
        let body = try await request.decodeJSON(as: DecisionBody.self, context: context)
        let now = clock.now()
        let reviewer = try await self.reviewer(context, action: action)
        let record = try await stores.credentials.decide(credential.id, decision, reason: body.reason, by: reviewer,
                                                         context: context.auditContext(at: now))
        if let doctor = record.doctorId, record.holderKind == .doctor {
            // This server's pages go at once; every other server's on the `doctor.changed` event.
            directory.forget(doctor, .qualification)
        }
        return CredentialView(record)
    }

    /// The credential named in the path, if it lies in the regulator's region (403, audited, if not).
    private func supervised(_ context: AppContext, action: String) async throws -> CredentialRecord {
        let id = try context.parameters.uuid("id")
        let scope = try await regions.scope(.qualifyDoctors, context, action: action, resourceType: "credential",
                                            resourceId: id.text)
        guard let credential = try await stores.credentials.credential(id) else { throw AppError.notFound("credential") }
        try await regions.check(credential.holderRegion, within: scope, context, action: action, resourceType: "credential",
                                resourceId: id.text)
        return credential
    }

    private func reviewer(_ context: AppContext, action: String) async throws -> CredentialReviewer {
        let scope = try await regions.scope(.qualifyDoctors, context, action: action, resourceType: "credential")
        return CredentialReviewer(accountId: scope.caller.accountId, institutionId: scope.caller.institutionId, region: scope.region)
    }
}
