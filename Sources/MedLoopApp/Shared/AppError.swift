import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore
import NIOCore

/// The one error type the HTTP layer renders: status, stable code, an English fallback message
/// and field details. The catalogue supplies the message in the caller's language.
public struct AppError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: [FieldIssue]
    public var headers: HTTPFields
    /// The status a page of the web app shows for this error when it differs from the API's: a
    /// resource of another person is a 404 to the API, so that its clients learn nothing, and a
    /// 403 page to the person signed in to the web app.
    public var pageStatus: HTTPResponse.Status?

    public init(_ status: HTTPResponse.Status, code: String, message: String, details: [FieldIssue] = [],
                headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    static func unauthenticated(code: String) -> AppError {
        AppError(.unauthorized, code: code, message: "Sign in to continue.", headers: [.wwwAuthenticate: "Bearer"])
    }

    static func forbidden(_ message: String = "You are not allowed to do this.") -> AppError {
        AppError(.forbidden, code: "forbidden", message: message)
    }

    static func notFound(_ resource: String) -> AppError {
        AppError(.notFound, code: "not_found", message: "No such \(resource).")
    }

    /// Another person's resource asked for (the refusal is audited by the caller): 404 in the API,
    /// a 403 page in the web app.
    static func notYours(_ resource: String) -> AppError {
        var error = notFound(resource)
        error.pageStatus = .forbidden
        return error
    }

    static func invalid(_ field: String, code: String, _ message: String) -> AppError {
        AppError(.badRequest, code: "invalid_request", message: "The request has invalid fields.",
                 details: [FieldIssue(field: field, code: code, message: message)])
    }

    /// Any error as an `AppError`: domain errors map here, in one place.
    static func from(_ error: any Error) -> AppError {
        switch error {
        case let error as AppError:
            return error
        case let error as DomainError:
            switch error {
            case .invalid(let issues):
                return AppError(.badRequest, code: "invalid_request", message: "The request has invalid fields.", details: issues)
            case .refused(let code, let message):
                return AppError(.unprocessableContent, code: code, message: message)
            case .conflict(let code, let message):
                return AppError(.conflict, code: code, message: message)
            case .notFound(let resource):
                return notFound(resource)
            case .forbidden(let code, let message):
                return AppError(.forbidden, code: code, message: message)
            }
        case let error as HTTPError:
            switch error.status {
            case .notFound: return notFound("resource")
            case .methodNotAllowed: return AppError(.methodNotAllowed, code: "method_not_allowed", message: "This method is not allowed here.")
            case .contentTooLarge: return bodyTooLarge
            default: return AppError(error.status, code: "http_\(error.status.code)", message: error.body ?? error.status.reasonPhrase)
            }
        case is NIOTooManyBytesError:
            return bodyTooLarge
        case let error where isTransientConflict(error):
            return AppError(.serviceUnavailable, code: "try_again",
                            message: "Others were changing the same records at that moment; nothing was changed. Send the request again.")
        default:
            return AppError(.internalServerError, code: "internal_error", message: "Something went wrong on our side.")
        }
    }

    static let bodyTooLarge = AppError(.contentTooLarge, code: "body_too_large", message: "The request body is too large.")
}

/// The standard error body (API.md, errors).
struct ErrorBody: Encodable {
    struct Content: Encodable {
        var code: String
        var message: String
        var requestId: String
        var details: [FieldIssue]?
    }

    var error: Content
}
