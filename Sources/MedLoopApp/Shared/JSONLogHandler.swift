import Logging

/// Structured logs: one JSON object per line on standard error — time, level, label, message
/// and metadata (see `JSONLogFormat`). Callers never put personal identifiers in messages or metadata.
///
/// Logging a line only formats it and queues it for `LogWriter`'s own thread, so a request never
/// waits for standard error; when standard error falls 4 MiB behind, lines are dropped and counted.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let writer: LogWriter

    public init(label: String, level: Logger.Level) {
        self.init(label: label, level: level, writer: .standardError)
    }

    init(label: String, level: Logger.Level, writer: LogWriter) {
        self.label = label
        self.logLevel = level
        self.writer = writer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats the event and queues it; the event's metadata wins over the handler's for a key.
    public func log(event: LogEvent) {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        JSONLogFormat.appendLine(to: &line, millisecondsSinceEpoch: JSONLogFormat.nowMillisecondsSinceEpoch(),
                                 level: event.level.rawValue, label: label, message: event.message.description,
                                 metadata: metadata, overriddenBy: event.metadata ?? [:])
        writer.append(line)
    }

    /// Waits (at most five seconds) until every line logged so far is written to standard error.
    /// The process's exit does this by itself; call it before ending the process another way.
    public static func flush() {
        LogWriter.standardError.flush()
    }
}
