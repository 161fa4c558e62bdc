import Foundation
import Logging
import MedLoopStore

/// Every setting of a MedLoop server, read once at start-up from `MEDLOOP_*` variables and
/// `DATABASE_URL`, then overridden by command-line flags.
public struct Configuration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// SQLite file when `databaseURL` is not set.
    public var sqlitePath = "./medloop.sqlite"
    /// `postgres://...` to use PostgreSQL.
    public var databaseURL: String?
    /// Folder for the demo data key and, later, uploads.
    public var dataDirectory = "./medloop-data"
    /// Base64 of the 32-byte data key; when unset a demo key is kept in the data folder.
    public var dataKey: String?
    public var tokenLifetime: TimeInterval = 12 * 3600
    public var maxBodyBytes = 1 << 20
    /// bcrypt cost for new password hashes (4–31).
    public var bcryptCost: UInt8 = 10
    public var logLevel: Logger.Level = .info
    /// Seed the demo world into an empty database at start-up.
    public var seedDemoWhenEmpty = true
    public var databaseConnections = 10
    /// A connection that sends nothing for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// A request head must arrive whole within this long of its first byte (408 otherwise).
    public var requestHeadTimeout: Duration = .seconds(20)
    /// The largest request head (request line and headers) accepted; 431 above.
    public var maxHeadBytes = 32 << 10
    /// Take the client address from the last `X-Forwarded-For` entry (behind MedLoop's own proxy only).
    public var trustForwardedFor = false
    /// The ICE servers browsers use for voice and video calls, as the JSON list of WebRTC's
    /// `RTCIceServer` (`[{"urls": "turn:turn.example.org:3478", "username": "…", "credential": "…"}]`).
    /// Empty: peers on one network reach each other directly; across networks they need a TURN
    /// server (README, "Voice and video calls").
    public var iceServers = "[]"
    /// A fraud-rules document (JSON) replacing the shipped one (`MEDLOOP_FRAUD_RULES`, a path);
    /// checked at start-up like a policy.
    public var fraudRulesPath: String?
    /// For crash tests only: the point where the server kills itself (`CrashPoints`).
    public var crashPoint: String?

    public init() {}

    /// Reads the environment; a bad value is an error that names the variable.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
        var configuration = Configuration()
        func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw ConfigurationError(variable: name, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        if let host = environment["MEDLOOP_HOST"], !host.isEmpty { configuration.host = host }
        if let port = try integer("MEDLOOP_PORT", in: 0...65535) { configuration.port = port }
        if let path = environment["MEDLOOP_DB_PATH"], !path.isEmpty { configuration.sqlitePath = path }
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                throw ConfigurationError(variable: "DATABASE_URL", expected: "postgres://user:password@host:port/database")
            }
            configuration.databaseURL = url
        }
        if let folder = environment["MEDLOOP_DATA_DIR"], !folder.isEmpty { configuration.dataDirectory = folder }
        if let key = environment["MEDLOOP_DATA_KEY"], !key.isEmpty {
            guard (try? FieldCipher.decodeKey(key)) != nil else {
                throw ConfigurationError(variable: "MEDLOOP_DATA_KEY", expected: "32 bytes in base64 (try `medloop generate-key`)")
            }
            configuration.dataKey = key
        }
        if let seconds = try integer("MEDLOOP_TOKEN_TTL_SECONDS", in: 60...(90 * 86400)) {
            configuration.tokenLifetime = TimeInterval(seconds)
        }
        if let bytes = try integer("MEDLOOP_MAX_BODY_BYTES", in: 1024...(64 << 20)) { configuration.maxBodyBytes = bytes }
        if let cost = try integer("MEDLOOP_BCRYPT_COST", in: 4...31) { configuration.bcryptCost = UInt8(cost) }
        if let connections = try integer("MEDLOOP_DB_CONNECTIONS", in: 1...200) { configuration.databaseConnections = connections }
        if let seconds = try integer("MEDLOOP_IDLE_TIMEOUT_SECONDS", in: 1...3600) { configuration.idleTimeout = .seconds(seconds) }
        if let seconds = try integer("MEDLOOP_REQUEST_HEAD_TIMEOUT_SECONDS", in: 1...300) {
            configuration.requestHeadTimeout = .seconds(seconds)
        }
        if let bytes = try integer("MEDLOOP_MAX_HEADER_BYTES", in: 4096...(1 << 20)) { configuration.maxHeadBytes = bytes }
        if let text = environment["MEDLOOP_TRUST_FORWARDED_FOR"], !text.isEmpty {
            guard let flag = ["true": true, "1": true, "false": false, "0": false][text.lowercased()] else {
                throw ConfigurationError(variable: "MEDLOOP_TRUST_FORWARDED_FOR", expected: "true or false")
            }
            configuration.trustForwardedFor = flag
        }
        if let point = environment["MEDLOOP_CRASH_AT"], !point.isEmpty {
            guard CrashPoints.all.contains(point) else {
                throw ConfigurationError(variable: "MEDLOOP_CRASH_AT",
                                         expected: "one of " + CrashPoints.all.joined(separator: ", "))
            }
            configuration.crashPoint = point
        }
        if let path = environment["MEDLOOP_FRAUD_RULES"], !path.isEmpty {
            configuration.fraudRulesPath = path
        }
        if let servers = environment["MEDLOOP_ICE_SERVERS"], !servers.isEmpty {
            guard let normalised = Self.iceServers(servers) else {
                throw ConfigurationError(variable: "MEDLOOP_ICE_SERVERS",
                                         expected: #"a JSON list like [{"urls": "turn:host:3478", "username": "u", "credential": "p"}] "#
                                            + "whose urls start with stun:, turn: or turns:")
            }
            configuration.iceServers = normalised
        }
        if let level = environment["MEDLOOP_LOG_LEVEL"], !level.isEmpty {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw ConfigurationError(variable: "MEDLOOP_LOG_LEVEL", expected: "trace, debug, info, notice, warning, error or critical")
            }
            configuration.logLevel = parsed
        }
        return configuration
    }

    /// The ICE server list of `text` re-encoded, or nil when it is not a list of servers whose
    /// `urls` (a string or strings) are STUN or TURN addresses, with string credentials if any.
    static func iceServers(_ text: String) -> String? {
        guard let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else { return nil }
        for server in list {
            let urls = (server["urls"] as? [String]) ?? (server["urls"] as? String).map { [$0] } ?? []
            guard !urls.isEmpty, urls.allSatisfy({ url in ["stun:", "turn:", "turns:"].contains { url.hasPrefix($0) } }),
                  Set(server.keys).isSubset(of: ["urls", "username", "credential"]),
                  server["username"] == nil || server["username"] is String,
                  server["credential"] == nil || server["credential"] is String else { return nil }
        }
        guard let data = try? JSONSerialization.data(withJSONObject: list, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Where the database is.
    public var databaseLocation: DatabaseLocation {
        if let databaseURL { return .postgres(url: databaseURL) }
        return .sqlite(path: sqlitePath)
    }

    /// The data key: `MEDLOOP_DATA_KEY`, or the demo key kept in the data folder (created when missing).
    public func loadDataKey() throws -> Data {
        if let dataKey { return try FieldCipher.decodeKey(dataKey) }
        return try FieldCipher.loadOrCreateKey(at: URL(fileURLWithPath: dataDirectory).appendingPathComponent("demo-data.key"))
    }
}

/// A configuration variable with a value MedLoop cannot use.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let variable: String
    public let expected: String
    public var description: String { "\(variable) must be \(expected)" }
}
