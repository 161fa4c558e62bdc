import Foundation
import NIOPosix

/// A folder under the data folder (`uploads`, `reports`, `photos`) whose files are encrypted at
/// rest with the data key (AES-GCM, as the identifiers) and readable by the server's user only
/// (folder 0700, files 0600). Files are written whole: a reader sees the old file or the new
/// one, never part of one. All file IO runs on threads of its own, never on an event loop and
/// never queued behind the server's other blocking work.
struct FileFolder: Sendable {
    let url: URL
    let cipher: FieldCipher
    private let name: String

    /// The first bytes of an encrypted file; files without them were written before encryption.
    private static let magic = Data("MLF1".utf8)

    /// The threads that read and write files, shared by every folder of the process.
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    init(dataDirectory: URL, name: String, cipher: FieldCipher) {
        self.url = dataDirectory.appendingPathComponent(name, isDirectory: true)
        self.name = name
        self.cipher = cipher
    }

    /// Writes `bytes` as the file `file`, replacing an earlier one whole (written aside with mode
    /// 0600, then renamed into place).
    func write(_ bytes: [UInt8], named file: String) async throws {
        let sealed = Self.magic + (try cipher.seal(bytes: Data(bytes), name: "\(name)/\(file)"))
        try await Self.pool.runIfActive { try replace(file, with: sealed) }
    }

    /// The plain bytes of the file `file`, or `nil` when there is none.
    func read(_ file: String) async throws -> Data? {
        let location = url.appendingPathComponent(file)
        guard let stored = try await Self.pool.runIfActive({ () throws -> Data? in
            guard FileManager.default.fileExists(atPath: location.path) else { return nil }
            return try Data(contentsOf: location)
        }) else { return nil }
        guard stored.starts(with: Self.magic) else { return stored }
        return try cipher.open(bytes: stored.dropFirst(Self.magic.count), name: "\(name)/\(file)")
    }

    /// Removes the file `file` if it is there.
    func remove(_ file: String) async {
        let location = url.appendingPathComponent(file)
        _ = try? await Self.pool.runIfActive { try FileManager.default.removeItem(at: location) }
    }

    /// Encrypts every file written before files were encrypted and closes the folder to other
    /// users; returns how many files it encrypted. Run at start-up, before serving.
    func encryptEarlierFiles() async throws -> Int {
        let names = try await Self.pool.runIfActive { () throws -> [String] in
            guard FileManager.default.fileExists(atPath: url.path) else { return [] }
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.path)
            return try FileManager.default.contentsOfDirectory(atPath: url.path).filter { !$0.hasPrefix(".") }
        }
        var encrypted = 0
        for file in names {
            let location = url.appendingPathComponent(file)
            let stored = try await Self.pool.runIfActive { try Data(contentsOf: location) }
            if stored.starts(with: Self.magic) {
                try await Self.pool.runIfActive {
                    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: location.path)
                }
                continue
            }
            try await write(Array(stored), named: file)
            encrypted += 1
        }
        return encrypted
    }

    /// Blocking: writes `data` beside the file with mode 0600 and renames it into place.
    private func replace(_ file: String, with data: Data) throws {
        let manager = FileManager.default
        if !manager.fileExists(atPath: url.path) {
            try manager.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let aside = url.appendingPathComponent(".\(file).\(UUID().uuidString)")
        guard manager.createFile(atPath: aside.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: aside.path])
        }
        guard rename(aside.path, url.appendingPathComponent(file).path) == 0 else {
            try? manager.removeItem(at: aside)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file])
        }
    }
}
