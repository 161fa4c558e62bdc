import Foundation
import Hummingbird
import MedLoopDomain

/// The pharmacist's review queue: findings, approve or reject.
struct PharmacistPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("review-queue", use: queue)
        group.get("review-queue/:id", use: show)
        group.post("review-queue/:id/review", use: review)
    }

    private var shared: PharmacyWebValues { PharmacyWebValues(web: web) }

    /// The signed prescriptions of the pharmacist's institution waiting for review, oldest first;
    /// the list refreshes itself (`live.js`).
    @Sendable func queue(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacist)
        var query: [(String, String)] = [("limit", "20")]
        if let cursor = PharmacyWebValues.cursor(request) { query.append(("cursor", cursor)) }
        let page = try web.object(await web.api.get("pharmacists/me/review-queue", query: query, context: context), context: context)
        let prescriptions = (page["items"] as? [[String: Any]] ?? []).map { summary($0, context: context) }
        var data: [String: Any] = ["prescriptions": prescriptions]
        if let next = page["nextCursor"] as? String { data["nextPage"] = PharmacyWebValues.link("/review-queue", [("cursor", next)]) }
        return web.page("pharmacist-queue", title: "pharmacist.queue.title", data, context: context)
    }

    /// A prescription as the queue lists it: its drugs by name, and how many findings it raised and
    /// the doctor signed over.
    private func summary(_ prescription: [String: Any], context: AppContext) -> [String: Any] {
        var values = localized(prescription, context: context)
        let findings = values["findings"] as? [[String: Any]] ?? []
        values["findingCount"] = findings.count
        values["overrideCount"] = findings.filter { $0["overrideReason"] != nil }.count
        values["hasBlocking"] = findings.contains { $0["blocksSigning"] as? Bool == true }
        return values
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await reviewPage(try context.parameters.require("id"), errors: nil, typed: [:], context: context)
    }

    private func reviewPage(_ id: String, errors: [String: Any]?, typed: [String: String], context: AppContext,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacist)
        let prescription = try web.object(await web.api.get("prescriptions/\(id)", context: context), context: context)
        var data: [String: Any] = ["prescription": localized(prescription, context: context)]
        data["reasons"] = RejectionReason.allCases.map { reason in
            ["value": reason.rawValue, "label": web.renderer.string("pharmacist.reason.\(reason.rawValue)", in: context.language),
             "checked": typed["reason"] == reason.rawValue]
        }
        data["text"] = typed["text"] ?? ""
        if let errors { data["errors"] = errors }
        return web.page("pharmacist-review", title: "pharmacist.review.title", data, context: context, status: status)
    }

    /// The pharmacist's decision: approve, or reject with a reason and an explanation.
    @Sendable func review(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.pharmacist)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        var body: [String: DocumentValue] = ["decision": .string(form["decision"] ?? "")]
        if form["decision"] == "reject" {
            if let reason = form["reason"] { body["reason"] = .string(reason) }
            body["text"] = .string(form["text"] ?? "")
        }
        let answer = await web.api.send(.post, "prescriptions/\(id)/review", json: .map(body), context: context)
        if case .refused(let error) = answer {
            let typed = ["reason": form["reason"] ?? "", "text": form.all("text").first ?? ""]
            return try await reviewPage(id, errors: web.formErrors(error, context: context), typed: typed, context: context,
                                        status: error.status)
        }
        return web.redirect("/review-queue/\(id)")
    }

    /// A dose as written: `5`, `2.5`.
    static func number(_ value: Any?) -> String {
        switch value {
        case let whole as Int64: return String(whole)
        case let number as Double:
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        default: return ""
        }
    }

    /// A prescription with each item's drug and each finding's message (which names its drugs) in
    /// the page's language.
    private func localized(_ prescription: [String: Any], context: AppContext) -> [String: Any] {
        var values = prescription
        values["items"] = (prescription["items"] as? [[String: Any]] ?? []).map { item in
            var item = item
            item["name"] = PharmacyWebValues.name(item, context: context)
            item["doseText"] = Self.number(item["dose"])
            return item
        }
        values["findings"] = (prescription["findings"] as? [[String: Any]] ?? []).map { finding in
            var finding = finding
            finding["message"] = context.language == .english ? finding["messageEn"] ?? "" : finding["messageZh"] ?? ""
            return finding
        }
        if let reason = prescription["rejectionReason"] as? String {
            values["rejectionReasonLabel"] = web.renderer.string("pharmacist.reason.\(reason)", in: context.language)
        }
        values["shortId"] = PharmacyWebValues.shortId(prescription["id"])
        return values
    }
}
