import Foundation
import MedLoopDomain
import PostgresNIO
import SQLKit

/// Typed reads of the columns MedLoop stores, one convention for both engines.
extension SQLRow {
    func text(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func optionalText(_ column: String) throws -> String? { try decode(column: column, as: String?.self) }
    func int64(_ column: String) throws -> Int64 { try decode(column: column, as: Int64.self) }
    func optionalInt64(_ column: String) throws -> Int64? { try decode(column: column, as: Int64?.self) }
    func bool(_ column: String) throws -> Bool { try decode(column: column, as: Bool.self) }
    func instant(_ column: String) throws -> Date { Date(epochMillis: try int64(column)) }
    func optionalInstant(_ column: String) throws -> Date? { try optionalInt64(column).map(Date.init(epochMillis:)) }

    func uuid(_ column: String) throws -> UUID {
        let value = try text(column)
        guard let id = UUID(text: value) else { throw StoredValueError(column: column, value: value) }
        return id
    }

    func optionalUUID(_ column: String) throws -> UUID? {
        guard let value = try optionalText(column) else { return nil }
        guard let id = UUID(text: value) else { throw StoredValueError(column: column, value: value) }
        return id
    }

    /// A stored enumeration value (`RawRepresentable` by string).
    func value<T: RawRepresentable>(_ column: String, as type: T.Type) throws -> T where T.RawValue == String {
        let raw = try text(column)
        guard let value = T(rawValue: raw) else { throw StoredValueError(column: column, value: raw) }
        return value
    }

    func optionalValue<T: RawRepresentable>(_ column: String, as type: T.Type) throws -> T? where T.RawValue == String {
        guard let raw = try optionalText(column) else { return nil }
        guard let value = T(rawValue: raw) else { throw StoredValueError(column: column, value: raw) }
        return value
    }
}

/// A stored value the code cannot read: the schema and the code disagree (a programmer error).
public struct StoredValueError: Error, CustomStringConvertible {
    public let column: String
    public let value: String
    public var description: String { "column \(column) holds an unreadable value" }
}

/// One page of a list and the opaque cursor of the next page (`nil` at the end).
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// Opaque list cursors: the sort key of the last item, base64url-encoded.
public enum Cursor {
    public static func encode(_ key: String) -> String {
        Base64URL.encode(Data(key.utf8))
    }

    /// The key inside a cursor; a cursor that was not made by `encode` is a 400.
    public static func decode(_ cursor: String) throws(DomainError) -> String {
        guard let data = Base64URL.decode(cursor), let key = String(data: data, encoding: .utf8), !key.isEmpty else {
            throw .invalidField("cursor", code: "invalid", "The cursor is not one this server gave out.")
        }
        return key
    }
}

extension Cursor {
    /// A cursor after a row ordered by an instant (epoch milliseconds) and then its id.
    static func after(millis: Int64, id: UUID) -> String { encode("\(millis)|\(id.text)") }

    /// The instant and id inside a cursor made by `after(millis:id:)`, or nil without a cursor.
    static func instantAndId(_ cursor: String?) throws -> (millis: Int64, id: String)? {
        guard let cursor else { return nil }
        let parts = try decode(cursor).split(separator: "|")
        guard parts.count == 2, let millis = Int64(parts[0]) else {
            throw DomainError.invalidField("cursor", code: "invalid", "The cursor is not one this server gave out.")
        }
        return (millis, String(parts[1]))
    }

    /// The condition that keeps rows after `after` in the order (`column`, id).
    static func condition(after: (millis: Int64, id: String)?, column: String) -> SQLQueryString {
        guard let after else { return "" }
        return " AND (\(unsafeRaw: column) > \(bind: after.millis) OR (\(unsafeRaw: column) = \(bind: after.millis) AND id > \(bind: after.id)))"
    }
}

/// Whether an error is the database refusing a duplicate of a unique key.
/// Whether the database gave up on a statement for a moment's contention: a deadlock or a
/// serialisation failure on PostgreSQL, a lock still held when the busy timeout ran out on SQLite.
/// Nothing of the unit of work stays, and the same request, sent again, may well succeed.
public func isTransientConflict(_ error: any Error) -> Bool {
    if let postgres = error as? PSQLError {
        return ["40P01", "40001"].contains(postgres.serverInfo?[.sqlState] ?? "")
    }
    if let sqlite = error as? SQLiteStatementError {
        return [5, 6].contains(sqlite.code & 0xFF)  // SQLITE_BUSY, SQLITE_LOCKED and their extended codes
    }
    return false
}

public func isUniqueViolation(_ error: any Error) -> Bool {
    if let postgres = error as? PSQLError {
        return postgres.serverInfo?[.sqlState] == "23505"
    }
    if let sqlite = error as? SQLiteStatementError {
        return sqlite.isUniqueViolation
    }
    return false
}

extension Array {
    /// The array in consecutive slices of at most `size` elements (multi-row statements stay
    /// under the engines' limits on bound values).
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
