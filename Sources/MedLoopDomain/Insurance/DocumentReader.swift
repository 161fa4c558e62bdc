import Foundation

/// Reads a document tree key by key, collecting every problem with its path instead of stopping
/// at the first.
struct DocumentReader {
    var validator = FieldValidator()

    mutating func fail(_ path: String, _ code: String, _ message: String) {
        validator.add(path, code: code, message)
    }

    func finish() throws(DomainError) { try validator.finish() }

    mutating func check<T>(_ path: String, _ body: () throws(DomainError) -> T) -> T? {
        validator.check(body)
    }

    private static func join(_ base: String, _ key: String) -> String { base.isEmpty ? key : "\(base).\(key)" }

    /// The entries of a map; a missing value is reported as required, a wrong type as `type`.
    mutating func map(_ value: DocumentValue?, at path: String) -> [String: DocumentValue] {
        switch value {
        case .map(let entries): return entries
        case nil: fail(path.isEmpty ? "document" : path, "required", "This section is required.")
        case .some: fail(path.isEmpty ? "document" : path, "type", "Expected a map of keys.")
        }
        return [:]
    }

    mutating func list(_ value: DocumentValue?, at path: String) -> [DocumentValue] {
        switch value {
        case .list(let items): return items
        case nil: fail(path, "required", "This list is required.")
        case .some: fail(path, "type", "Expected a list.")
        }
        return []
    }

    /// Reports every key of `map` that is not one of `keys`.
    mutating func allow(_ map: [String: DocumentValue], at path: String, keys: [String]) {
        for key in map.keys.sorted() where !keys.contains(key) {
            fail(Self.join(path, key), "unknown_key", "\(key) is not a key of this section.")
        }
    }

    mutating func string(_ map: [String: DocumentValue], _ key: String, at path: String) -> String? {
        let full = Self.join(path, key)
        switch map[key] {
        case .string(let text) where !text.trimmingCharacters(in: .whitespaces).isEmpty: return text
        case .string: fail(full, "required", "This text may not be empty.")
        case nil: fail(full, "required", "This key is required.")
        case .some: fail(full, "type", "Expected text.")
        }
        return nil
    }

    /// An Asia/Shanghai day, `YYYY-MM-DD`; `null` or absent is allowed unless `required`.
    mutating func day(_ map: [String: DocumentValue], _ key: String, at path: String, required: Bool) -> CalendarDate? {
        let full = Self.join(path, key)
        switch map[key] {
        case .string(let text):
            if let day = CalendarDate(iso: text) { return day }
            fail(full, "format", "Expected a day, YYYY-MM-DD.")
        case nil, .null?:
            if required { fail(full, "required", "This key is required.") }
        case .some:
            fail(full, "type", "Expected a day, YYYY-MM-DD.")
        }
        return nil
    }

    /// A whole number of fen (or days), not negative.
    mutating func amount(_ value: DocumentValue?, at path: String) -> Int64? {
        switch value {
        case .integer(let number) where number >= 0 && number <= 100_000_000_000: return number
        case .integer(let number) where number < 0: fail(path, "negative", "An amount is not negative.")
        case .integer: fail(path, "range", "The amount is too large.")
        case nil: fail(path, "required", "This key is required.")
        case .some: fail(path, "type", "Expected a whole number.")
        }
        return nil
    }

    /// Basis points, 0 to 10000.
    mutating func ratio(_ value: DocumentValue?, at path: String) -> Int? {
        switch value {
        case .integer(let number) where (0...10_000).contains(number): return Int(number)
        case .integer: fail(path, "range", "A ratio is 0 to 10000 basis points.")
        case nil: fail(path, "required", "This key is required.")
        case .some: fail(path, "type", "Expected a whole number of basis points.")
        }
        return nil
    }

    mutating func flag(_ value: DocumentValue, at path: String) -> Bool? {
        if case .bool(let flag) = value { return flag }
        fail(path, "type", "Expected true or false.")
        return nil
    }

    mutating func enumeration<T: RawRepresentable & CaseIterable>(_ value: DocumentValue, at path: String) -> T?
        where T.RawValue == String {
        if case .string(let text) = value, let found = T(rawValue: text) { return found }
        fail(path, "unknown_value", "Expected one of \(T.allCases.map(\.rawValue).joined(separator: ", ")).")
        return nil
    }
}
