import Foundation
import Logging
import NIOCore
import PostgresKit
import SQLKit
import Synchronization

/// PostgreSQL's named prepared statements, kept per connection of the pool: a statement whose SQL
/// text a connection has prepared before is only bound and executed there, neither parsed nor
/// planned afresh (PostgreSQL plans a prepared statement for its values for the first executions,
/// then keeps a generic plan when that costs no more). A statement's shape is its SQL text, so
/// every value it varies by must be a bind.
final class PreparedStatements: Sendable {
    /// Statements kept per connection; past this, a shape runs unnamed (planned each time), so a
    /// caller whose SQL text varies without bound cannot fill a connection with statements.
    static let perConnection = 256

    private struct Key: Hashable {
        let connection: PostgresConnection.ID
        let sql: String
    }

    private struct State {
        var statements: [Key: PreparedQuery] = [:]
        var counts: [PostgresConnection.ID: Int] = [:]
        var connections: [PostgresConnection.ID: PostgresConnection] = [:]
    }

    private let state = Mutex(State())

    /// The statement `sql` prepared on `connection`, preparing it on first use; `nil` when the
    /// connection already keeps its quota of statements.
    func statement(_ sql: String, on connection: PostgresConnection) async throws -> PreparedQuery? {
        let key = Key(connection: connection.id, sql: sql)
        let known: PreparedQuery?? = state.withLock { state in
            if let statement = state.statements[key] { return .some(statement) }
            return state.counts[connection.id, default: 0] >= Self.perConnection ? .some(nil) : nil
        }
        if let known { return known }
        // A connection is leased to one task at a time, so no other task prepares on it meanwhile.
        let prepared = try await connection.prepare(query: sql).get()
        state.withLock { state in
            if state.connections[connection.id] == nil {
                // A new connection: forget the statements of those the pool has closed since.
                for (id, closed) in state.connections where closed.isClosed {
                    state.connections[id] = nil
                    state.counts[id] = nil
                    state.statements = state.statements.filter { $0.key.connection != id }
                }
                state.connections[connection.id] = connection
            }
            state.statements[key] = prepared
            state.counts[connection.id, default: 0] += 1
        }
        return prepared
    }

    /// How many statements are kept, over every connection (tests).
    var count: Int { state.withLock { $0.statements.count } }
}

/// An `SQLDatabase` on one leased PostgreSQL connection that runs each statement as a named
/// prepared statement of that connection (`PreparedStatements`). Each bind's type is written into
/// the statement's text (`$1::text`), since a statement is prepared before its values are known; a
/// statement with a bind of any other type than text, integer, boolean or floating point runs
/// unnamed, as on a plain connection.
struct PreparedPostgresSQL: SQLDatabase {
    let connection: PostgresConnection
    let statements: PreparedStatements

    var logger: Logger { connection.logger }
    var eventLoop: any EventLoop { connection.eventLoop }
    var dialect: any SQLDialect { PostgresDialect() }
    var queryLogLevel: Logger.Level? { nil }

    private var plain: any SQLDatabase { connection.sql(queryLogLevel: nil) }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = serialize(query)
        guard let typed = Self.typed(sql, binds: binds),
              let statement = try await statements.statement(typed.sql, on: connection) else {
            return try await plain.execute(sql: query, onRow)
        }
        try await statement.execute(typed.values) { row in onRow(PreparedRow(row.makeRandomAccess())) }.get()
    }

    /// `sql` with each `$n` cast to its bind's type, and the binds as values of those types; `nil`
    /// when a bind is of another type.
    static func typed(_ sql: String, binds: [any Encodable & Sendable]) -> (sql: String, values: [PostgresData])? {
        var values: [PostgresData] = []
        var types: [String] = []
        for bind in binds {
            switch bind {
            case let value as String: values.append(PostgresData(string: value)); types.append("text")
            case let value as Int: values.append(PostgresData(int64: Int64(value))); types.append("int8")
            case let value as Int64: values.append(PostgresData(int64: value)); types.append("int8")
            case let value as Bool: values.append(PostgresData(bool: value)); types.append("bool")
            case let value as Double: values.append(PostgresData(double: value)); types.append("float8")
            default: return nil
            }
        }
        // The dialect writes binds as `$1`, `$2`, … and MedLoop's SQL has no other `$`.
        var result = ""
        result.reserveCapacity(sql.utf8.count + binds.count * 6)
        var characters = sql[...]
        while let dollar = characters.firstIndex(of: "$") {
            result += characters[..<dollar]
            let digits = characters[characters.index(after: dollar)...].prefix { $0.isASCII && $0.isNumber }
            guard let index = Int(digits), index >= 1, index <= types.count else { return nil }
            result += "$\(index)::\(types[index - 1])"
            characters = characters[digits.endIndex...]
        }
        result += characters
        return (result, values)
    }
}

/// A row of a prepared statement. PostgresNIO always asks for results in binary, but describes a
/// prepared statement's columns as text (the format the server announces before any bind), so
/// each cell is read as binary here. Reads the types PostgresNIO decodes (text, integers, booleans,
/// floating point, and optionals of them), which are all MedLoop's rows hold.
struct PreparedRow: SQLRow {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRandomAccessRow) { self.row = row }

    var allColumns: [String] { row.map(\.columnName) }

    func contains(column: String) -> Bool { row.contains(column) }

    func decodeNil(column: String) throws -> Bool { try cell(column).bytes == nil }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        let cell = try cell(column)
        guard let decodable = D.self as? any PostgresDecodable.Type, let value = try Self.decode(cell, as: decodable) as? D else {
            throw DecodingError.typeMismatch(D.self, .init(codingPath: [], debugDescription: "column \(column) of a prepared statement"))
        }
        return value
    }

    private func cell(_ column: String) throws -> PostgresCell {
        guard row.contains(column) else {
            throw DecodingError.keyNotFound(SomeCodingKey(stringValue: column), .init(codingPath: [], debugDescription: "no column \(column)"))
        }
        var cell = row[column]
        cell.format = .binary
        return cell
    }

    private static func decode<Value: PostgresDecodable>(_ cell: PostgresCell, as type: Value.Type) throws -> Any {
        try cell.decode(Value.self)
    }
}
