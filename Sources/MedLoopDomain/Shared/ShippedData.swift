import Foundation

/// Why a data file shipped in the MedLoopDomain resources (triage rules, the drug catalogue, the
/// interaction table) could not be loaded. Such a file is part of the program, so either case is a
/// packaging mistake; the description names the file so that the start-up log says what to fix.
public enum ShippedDataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is not among the MedLoopDomain resources.
    case missing(file: String)
    /// The file could not be read or does not hold what it should; the reason as the decoder or
    /// the validation gave it.
    case unreadable(file: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let file):
            return "\(file) is missing from the MedLoopDomain resources"
        case .unreadable(let file, let reason):
            return "\(file) is not valid: \(reason)"
        }
    }
}

/// Reads the JSON data files shipped in the MedLoopDomain resources. Each is read once, at
/// start-up, by the caller that needs it; the domain itself does no IO.
public enum ShippedData {
    /// Reads and decodes the resource `file` (name with its `.json` extension).
    ///
    /// - Throws: `ShippedDataError.missing` when the file is not in the bundle,
    ///   `ShippedDataError.unreadable` when it cannot be read or does not decode.
    public static func load<T: Decodable>(_ type: T.Type, from file: String) throws(ShippedDataError) -> T {
        let name = (file as NSString).deletingPathExtension
        guard let url = Bundle.module.url(forResource: name, withExtension: "json") else {
            throw .missing(file: file)
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadable(file: file, reason: "\(error)")
        }
        return try decode(type, from: data, file: file)
    }

    /// Reads the text of the resource `file` (name with its extension).
    ///
    /// - Throws: `ShippedDataError.missing` or `.unreadable`, naming the file.
    public static func text(of file: String) throws(ShippedDataError) -> String {
        let name = (file as NSString).deletingPathExtension
        let pathExtension = (file as NSString).pathExtension
        guard let url = Bundle.module.url(forResource: name, withExtension: pathExtension) else {
            throw .missing(file: file)
        }
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw .unreadable(file: file, reason: "\(error)")
        }
    }

    /// Decodes a document as the resource `file` would hold it.
    ///
    /// - Throws: `ShippedDataError.unreadable`, naming `file` and what is wrong.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws(ShippedDataError) -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw .unreadable(file: file, reason: "\(error)")
        }
    }
}
