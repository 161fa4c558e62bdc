import Foundation
import Hummingbird
import MedLoopDomain

/// Intelligent triage at `/triage` (DOMAIN.md, the care market): anyone, signed in or not,
/// describes their symptoms and sees the departments to see, each a link to its doctors — or,
/// for red-flag symptoms, the instruction to go to an emergency department now, which rules out
/// booking online. The symptoms are posted, never put in an address.
struct TriagePages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("triage", use: show)
        group.post("triage", use: assess)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        web.page("triage", title: "triage.title", [:], context: context)
    }

    @Sendable func assess(_ request: Request, context: AppContext) async throws -> Response {
        let symptoms = context.browser.form.all("symptoms").first ?? ""
        var data: [String: Any] = ["symptoms": symptoms]
        switch await web.api.send(.post, "triage", json: .map(["symptoms": .string(symptoms)]), context: context) {
        case .refused(let error) where error.status == .badRequest:
            data["errors"] = PatientFormErrors(web: web).values(error, context: context, fieldOf: ["*": "symptoms"])
            return web.page("triage", title: "triage.title", data, context: context, status: error.status)
        case .refused(let error):
            throw error
        case .ok(_, let body):
            let english = context.language == .english
            let assessment = web.values(body, context: context) as? [String: Any] ?? [:]
            let canBook = assessment["canBookOnline"] as? Bool ?? true
            data["departments"] = (assessment["departments"] as? [[String: Any]] ?? []).map { department in
                var department = department
                department["name"] = english ? department["nameEn"] : department["nameZh"]
                department["reason"] = english ? department["reasonEn"] : department["reasonZh"]
                department["canBook"] = canBook
                if let code = department["code"] as? String {
                    var components = URLComponents()
                    components.path = "/doctors"
                    components.queryItems = [URLQueryItem(name: "department", value: code)]
                    department["href"] = components.string
                }
                return department
            }
            if let emergency = assessment["emergency"] as? [String: Any] {
                data["emergency"] = ["message": english ? emergency["messageEn"] : emergency["messageZh"]]
            }
            data["assessed"] = true
            data["canBookOnline"] = canBook
            return web.page("triage", title: "triage.title", data, context: context)
        }
    }
}
