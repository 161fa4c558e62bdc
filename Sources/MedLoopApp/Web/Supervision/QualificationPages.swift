import Foundation
import Hummingbird
import MedLoopDomain

/// Credentials: a holder's submission and the regulator's review queue (issue 20, part 1).
///
/// - `/credentials`: a doctor's, pharmacist's or pharmacy's credentials and the form to submit one;
///   `credentials.js` uploads the certificate images first (`POST /credentials/files`) and the form
///   names them.
/// - `/supervision/qualifications?state=`: the region's queue; `/supervision/qualifications/{id}`:
///   a credential with its images and history, and the form to decide with a reason.
struct QualificationPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("credentials", use: mine)
        group.post("credentials", use: submit)
        group.post("credentials/files", use: upload)
        group.get("supervision/qualifications", use: queue)
        group.get("supervision/qualifications/:id", use: show)
        group.get("supervision/qualifications/:id/files/:number", use: file)
        group.post("supervision/qualifications/:id/decision", use: decide)
    }

    // MARK: Holders

    @Sendable func mine(_ request: Request, context: AppContext) async throws -> Response {
        try await minePage(form: [:], errors: nil, context: context)
    }

    @Sendable func submit(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try context.requireSignedIn(.doctor, .pharmacist, .pharmacyStaff)
        let form = context.browser.form
        let kind = CredentialHolderKind.of(caller.role)?.rawValue ?? ""
        var body: [String: DocumentValue] = [
            "holderKind": .string(kind),
            "licenceNumber": .string(form["licenceNumber"] ?? ""),
            "certificateFiles": .list((form["certificateFiles"] ?? "").split(separator: ",").map { .string(String($0)) }),
            "yearsOfPractice": Int64(form["yearsOfPractice"] ?? "").map(DocumentValue.integer) ?? .string(form["yearsOfPractice"] ?? ""),
            "licenceExpiresOn": .string(form["licenceExpiresOn"] ?? ""),
        ]
        if let site = form["siteId"] {
            var claim: [String: DocumentValue] = ["institutionId": .string(site)]
            if let consent = form["consentReference"] { claim["consentReference"] = .string(consent) }
            body["practiceSites"] = .list([.map(claim)])
        }
        let answer = await web.api.send(.post, "credentials", json: .map(body), context: context)
        if case .refused(let error) = answer {
            let echo = ["licenceNumber", "certificateFiles", "yearsOfPractice", "licenceExpiresOn", "siteId", "consentReference"]
                .reduce(into: [String: Any]()) { $0[$1] = form[$1] ?? "" }
            return try await minePage(form: echo, errors: web.formErrors(error, context: context), context: context,
                                      status: error.status)
        }
        return web.redirect("/credentials?submitted=1")
    }

    /// A certificate image posted by `credentials.js` (raw bytes, `X-CSRF-Token`); answers the
    /// API's JSON, `{"id"}` or the standard error.
    @Sendable func upload(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor, .pharmacist, .pharmacyStaff)
        let bytes = try await request.bodyBytes(upTo: CertificateFileRule.maximumBytes,
                                                tooLarge: AppError(.contentTooLarge, code: "file_too_large",
                                                                   message: "A certificate image is at most 5 MiB."))
        switch await web.api.exchange(.post, "credential-files", body: Data(buffer: bytes),
                                      contentType: request.headers[.contentType] ?? "application/octet-stream", context: context) {
        case .success(let (status, headers, data)):
            return Response(status: status, headers: [.contentType: headers[.contentType] ?? "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        case .failure(let error):
            throw WebJSONError(error)
        }
    }

    private func minePage(form: [String: Any], errors: [String: Any]?, context: AppContext,
                          status: HTTPResponse.Status = .ok) async throws -> Response {
        let caller = try context.requireSignedIn(.doctor, .pharmacist, .pharmacyStaff)
        let page = try web.object(await web.api.get("credentials/mine", query: [("limit", "50")], context: context), context: context)
        var submission = form
        submission["shown"] = true
        if let errors { submission["fieldErrors"] = errors["fields"] }
        var data: [String: Any] = [
            "credentials": (page["items"] as? [[String: Any]] ?? []).map { described($0, context: context) },
            "submission": submission,
            "isPharmacy": caller.role == .pharmacyStaff,
            "kindWords": words("qualification.kind.\(CredentialHolderKind.of(caller.role)?.rawValue ?? "")", context: context),
        ]
        if let errors { data["errors"] = errors }
        return web.page("qualification-mine", title: "qualification.mine.title", data, context: context, status: status)
    }

    // MARK: Regulators

    @Sendable func queue(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator)
        let state = AlertPages.query(request, "state") ?? CredentialState.submitted.rawValue
        var query: [(String, String)] = [("state", state), ("limit", "20")]
        if let cursor = AlertPages.query(request, "cursor") { query.append(("cursor", cursor)) }
        let page = try web.object(await web.api.get("supervision/credentials", query: query, context: context), context: context)
        var data: [String: Any] = [
            "credentials": (page["items"] as? [[String: Any]] ?? []).map { described($0, context: context) },
            "states": CredentialState.allCases.map { value in
                ["label": words("qualification.state.\(value.rawValue)", context: context), "current": value.rawValue == state,
                 "href": AlertPages.link("/supervision/qualifications", [("state", value.rawValue)])] as [String: Any]
            },
            "stateWords": words("qualification.state.\(state)", context: context),
        ]
        if let next = page["nextCursor"] as? String {
            data["nextPage"] = AlertPages.link("/supervision/qualifications", [("state", state), ("cursor", next)])
        }
        return web.page("qualification-queue", title: "qualification.queue.title", data, context: context)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await credentialPage(try context.parameters.require("id"), form: [:], errors: nil, context: context)
    }

    @Sendable func file(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator)
        let id = try context.parameters.require("id")
        let number = try context.parameters.require("number")
        switch await web.api.exchange(.get, "supervision/credentials/\(id)/files/\(number)", context: context) {
        case .success(let (_, headers, data)):
            return .file(data, mediaType: headers[.contentType] ?? "application/octet-stream", cacheControl: "private, no-store")
        case .failure(let error):
            throw error
        }
    }

    @Sendable func decide(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.regulator)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        let decision = CredentialDecision(rawValue: form["decision"] ?? "")
        guard let decision, decision != .supersede else {
            let error = AppError.invalid("decision", code: "required", "Choose a decision.")
            return try await credentialPage(id, form: ["reason": form["reason"] ?? ""], errors: web.formErrors(error, context: context),
                                            context: context, status: error.status)
        }
        var body: [String: DocumentValue] = [:]
        if let reason = form["reason"] { body["reason"] = .string(reason) }
        let answer = await web.api.send(.post, "supervision/credentials/\(id)/\(decision.rawValue)", json: .map(body), context: context)
        if case .refused(let error) = answer {
            return try await credentialPage(id, form: ["reason": form["reason"] ?? "", "decision": decision.rawValue],
                                            errors: web.formErrors(error, context: context), context: context, status: error.status)
        }
        return web.redirect("/supervision/qualifications/\(id)")
    }

    private func credentialPage(_ id: String, form: [String: Any], errors: [String: Any]?, context: AppContext,
                                status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.regulator)
        var credential = described(try web.object(await web.api.get("supervision/credentials/\(id)", context: context),
                                                  context: context), context: context)
        credential["fileList"] = (credential["files"] as? [[String: Any]] ?? []).map { file in
            var file = file
            file["href"] = "/supervision/qualifications/\(id)/files/\(file["number"] ?? 1)"
            return file
        }
        credential["history"] = (credential["decisions"] as? [[String: Any]] ?? []).map { entry in
            var entry = entry
            entry["decisionWords"] = words("qualification.decision.\(entry["decision"] as? String ?? "")", context: context)
            entry["toWords"] = words("qualification.state.\(entry["to"] as? String ?? "")", context: context)
            entry["byJob"] = entry["decidedBy"] == nil
            return entry
        }
        let state = CredentialState(rawValue: credential["state"] as? String ?? "") ?? .rejected
        let choices = CredentialDecision.allCases.filter { $0 != .supersede && (try? state.after($0)) != nil }
        var data: [String: Any] = ["credential": credential]
        if !choices.isEmpty {
            var decideForm = form
            if let errors { decideForm["fieldErrors"] = errors["fields"] }
            let chosen = form["decision"] as? String ?? choices[0].rawValue
            decideForm["choices"] = choices.map { choice in
                ["value": choice.rawValue, "label": words("qualification.decision.\(choice.rawValue)", context: context),
                 "checked": choice.rawValue == chosen] as [String: Any]
            }
            data["decide"] = decideForm
        }
        if let errors { data["errors"] = errors }
        return web.page("qualification-show", title: "qualification.show.title", data, context: context, status: status)
    }

    // MARK: Words

    /// A credential with the words of its kind and state.
    private func described(_ credential: [String: Any], context: AppContext) -> [String: Any] {
        var credential = credential
        if let kind = credential["holderKind"] as? String { credential["kindWords"] = words("qualification.kind.\(kind)", context: context) }
        if let state = credential["state"] as? String { credential["stateWords"] = words("qualification.state.\(state)", context: context) }
        return credential
    }

    private func words(_ path: String, context: AppContext) -> String {
        let words = web.renderer.string(path, in: context.language)
        return words == path ? String(path.split(separator: ".").last ?? "") : words
    }
}
