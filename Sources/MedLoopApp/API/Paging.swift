import Foundation
import Hummingbird
import MedLoopDomain

/// Reads the query parameters shared by every list (API.md, lists): `limit` (default 20, at
/// most 100) and `cursor`.
struct Paging {
    var limit: Int
    var cursor: String?

    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        if let text = query["limit"].map(String.init) {
            guard let value = Int(text), (1...100).contains(value) else {
                throw AppError.invalid("limit", code: "range", "limit is a number from 1 to 100.")
            }
            limit = value
        } else {
            limit = 20
        }
        cursor = query["cursor"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }
}

extension Request {
    /// An optional UUID query parameter; a malformed one is a 400.
    func uuidQuery(_ name: String) throws -> UUID? {
        guard let text = uri.queryParameters[Substring(name)].map(String.init), !text.isEmpty else { return nil }
        guard let id = UUID(uuidString: text) else {
            throw AppError.invalid(name, code: "format", "\(name) is a UUID.")
        }
        return id
    }

    /// An optional enumeration query parameter; an unknown value is a 400.
    func enumQuery<T: RawRepresentable & CaseIterable>(_ name: String, as type: T.Type) throws -> T? where T.RawValue == String {
        guard let text = uri.queryParameters[Substring(name)].map(String.init), !text.isEmpty else { return nil }
        guard let value = T(rawValue: text) else {
            throw AppError.invalid(name, code: "unknown_value",
                                   "Expected one of: \(T.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return value
    }

    /// An optional RFC 3339 time query parameter; a malformed one is a 400.
    func timeQuery(_ name: String) throws -> Date? {
        guard let text = uri.queryParameters[Substring(name)].map(String.init), !text.isEmpty else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw AppError.invalid(name, code: "format", "\(name) is an RFC 3339 time, like 2026-03-02T12:30:00+08:00.")
        }
        return date
    }
}

extension Parameters {
    /// A UUID path parameter; a malformed one is a 404 (no resource has that name).
    func uuid(_ name: String) throws -> UUID {
        guard let text = get(name), let id = UUID(uuidString: text) else { throw AppError.notFound("resource") }
        return id
    }
}
