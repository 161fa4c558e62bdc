import Foundation
import Hummingbird
import Logging
import MedLoopDomain

/// What every page handler uses: the in-process API, the renderer, the CSRF tokens and the clock.
struct WebKit: Sendable {
    let api: WebAPI
    let renderer: PageRenderer
    let csrf: CSRFTokens
    /// The server's clock, for a page's defaults (today's clearing, this month's quotas).
    let clock: any MedLoopClock

    /// `template` rendered in the layout, its title a catalogue path.
    func page(_ template: String, title: String, _ data: [String: Any] = [:], context: AppContext,
              status: HTTPResponse.Status = .ok) -> Response {
        renderer.page(template, title: title, data: data, context: context, csrf: csrf.token(for: context.browser), status: status)
    }

    /// An API answer's JSON as a template sees it (`PageRenderer.values`).
    func values(_ value: DocumentValue, context: AppContext) -> Any? {
        renderer.values(value, in: context.language)
    }

    /// The body of an answer, or the refusal thrown (for the error page).
    func require(_ answer: WebAPI.Answer) throws -> DocumentValue {
        switch answer {
        case .ok(_, let value): return value
        case .refused(let error): throw error
        }
    }

    /// The object of an answer as template values (empty for a non-object).
    func object(_ answer: WebAPI.Answer, context: AppContext) throws -> [String: Any] {
        values(try require(answer), context: context) as? [String: Any] ?? [:]
    }

    /// A refusal as a form shows it: the message in the page's language, and each field's issue
    /// beside its field (`errors.phone`).
    func formErrors(_ error: AppError, context: AppContext) -> [String: Any] {
        var fields: [String: String] = [:]
        for issue in error.details where fields[issue.field] == nil {
            let path = "fieldError.\(issue.code)"
            let words = renderer.string(path, in: context.language)
            fields[issue.field] = words == path ? issue.message : words
        }
        return ["message": Catalogue.shared.message(for: error.code, in: context.language, fallback: error.message),
                "fields": fields]
    }

    /// Any error as a page: 401 goes to sign-in; 403, 404, 409, 422 and the rest say what happened.
    func errorPage(_ error: any Error, context: AppContext) -> Response {
        let appError = AppError.from(error)
        if appError.status == .unauthorized {
            return WebRedirect.signIn(next: context.browser.pathWithQuery, ended: context.browser.hasEnded).response
        }
        if appError.status.code >= 500 {
            context.logger.error("page failed", metadata: ["error": .string(String(describing: error))])
        }
        let message = appError.pageStatus == .forbidden
            ? Catalogue.shared.message(for: "forbidden", in: context.language, fallback: "You are not allowed to do this.")
            : Catalogue.shared.message(for: appError.code, in: context.language, fallback: appError.message)
        let status = appError.pageStatus ?? appError.status
        let title = switch status.code {
        case 403: "error.forbidden"
        case 404: "error.notFound"
        case 500...: "error.server"
        default: "error.refused"
        }
        return page("error", title: title, ["message": message, "requestId": context.requestId], context: context,
                    status: status)
    }

    /// A settlement (or its quote) with each sentence in the page's language.
    func settlementValues(_ quote: DocumentValue, context: AppContext) -> [String: Any] {
        var shown = self.values(quote, context: context) as? [String: Any] ?? [:]
        shown["sentences"] = (shown["explanation"] as? [[String: Any]] ?? []).map { sentence in
            context.language == .english ? sentence["en"] ?? "" : sentence["zh"] ?? ""
        }
        return shown
    }

    func redirect(_ location: String) -> Response {
        WebRedirect(location: location).response
    }

    /// A fresh idempotency key for a creating form: the form carries it, so a double-submitted
    /// form books or pays once.
    static func idempotencyKey() -> String {
        UUID().uuidString.lowercased()
    }
}

/// The navigation of each role: its pages, first its home.
enum WebNavigation {
    struct Item {
        let href: String
        let label: String
    }

    static func items(for role: Role) -> [Item] {
        switch role {
        case .patient:
            [Item(href: "/doctors", label: "nav.doctors"), Item(href: "/orders", label: "nav.orders"),
             Item(href: "/prescriptions", label: "nav.prescriptions"), Item(href: "/wallet", label: "nav.wallet"),
             Item(href: "/me", label: "nav.me")]
        case .doctor:
            [Item(href: "/queue", label: "nav.queue"), Item(href: "/doctor/services", label: "nav.services"),
             Item(href: "/doctor/earnings", label: "nav.earnings"), Item(href: "/doctor/audits", label: "nav.myAudits"),
             Item(href: "/credentials", label: "nav.credentials")]
        case .pharmacist:
            [Item(href: "/review-queue", label: "nav.reviewQueue"), Item(href: "/audit-samples", label: "nav.auditSamples"),
             Item(href: "/credentials", label: "nav.credentials")]
        case .pharmacyStaff:
            [Item(href: "/pharmacy/orders", label: "nav.pharmacyOrders"), Item(href: "/pharmacy/stock", label: "nav.stock"),
             Item(href: "/credentials", label: "nav.credentials")]
        case .courier:
            [Item(href: "/deliveries", label: "nav.deliveries")]
        case .insurer:
            [Item(href: "/insurance/claims", label: "nav.claims"), Item(href: "/insurance/persons", label: "nav.insuredPersons"),
             Item(href: "/insurance/policies", label: "nav.policies"), Item(href: "/insurance/quotas", label: "nav.quotas"),
             Item(href: "/insurance/clearings", label: "nav.clearings"), Item(href: "/insurance/simulator", label: "nav.simulator")]
        case .regulator:
            [Item(href: "/supervision", label: "nav.dashboard"), Item(href: "/supervision/alerts", label: "nav.alerts"),
             Item(href: "/supervision/qualifications", label: "nav.qualifications"),
             Item(href: "/supervision/samples", label: "nav.samples"), Item(href: "/traces", label: "nav.traces"),
             Item(href: "/supervision/access", label: "nav.access"), Item(href: "/audit", label: "nav.audit"),
             Item(href: "/analytics", label: "nav.analytics"), Item(href: "/insurance/quotas", label: "nav.quotas")]
        case .operator:
            [Item(href: "/institutions", label: "nav.institutions"), Item(href: "/accounts", label: "nav.accounts"),
             Item(href: "/analytics", label: "nav.analytics"), Item(href: "/supervision/samples", label: "nav.samples")]
        }
    }

    static func home(for role: Role) -> String {
        items(for: role).first?.href ?? "/"
    }
}
