import Foundation

/// A folder under the data folder (`uploads`, `reports`, `photos`) whose files are written whole:
/// a reader sees the old file or the new one, never part of one.
struct FileFolder: Sendable {
    let url: URL

    init(dataDirectory: URL, name: String) {
        self.url = dataDirectory.appendingPathComponent(name, isDirectory: true)
    }

    /// Where the file `name` is kept.
    func file(_ name: String) -> URL {
        url.appendingPathComponent(name)
    }

    /// Writes `bytes` as the file `name`, replacing an earlier one whole (written aside, then
    /// renamed into place).
    func write(_ bytes: [UInt8], named name: String) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Data(bytes).write(to: file(name), options: .atomic)
    }

    /// The file `name`, or `nil` when there is none.
    func read(_ name: String) throws -> Data? {
        let location = file(name)
        guard FileManager.default.fileExists(atPath: location.path) else { return nil }
        return try Data(contentsOf: location)
    }
}
