import Foundation

/// The plain JSON coders of stored columns (audit lines, settlement explanations, lab values),
/// made once rather than for each row: keys as the types name them, no date strategy.
enum StoredJSON {
    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    /// `value` as JSON text, for a column or a bound parameter.
    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The value a column's JSON text holds.
    static func value<Value: Decodable>(_ type: Value.Type, from text: String) throws -> Value {
        try decoder.decode(type, from: Data(text.utf8))
    }
}
