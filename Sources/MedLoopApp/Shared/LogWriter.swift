import Foundation

/// Log lines waiting to be written, never more than `capacity` bytes of them.
///
/// A line that does not fit is dropped and counted, so a logger that outruns its output loses
/// lines rather than memory or time; `take(into:)` reports how many were dropped since the
/// previous take.
struct LogBuffer {
    /// The most bytes the buffer holds.
    let capacity: Int
    private(set) var bytes: [UInt8] = []
    /// Lines dropped since the last `take(into:)`.
    private(set) var droppedLines = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Whether there is nothing to write and nothing to report.
    var isEmpty: Bool { bytes.isEmpty && droppedLines == 0 }

    /// Appends `line` when it fits within the capacity; otherwise counts it as dropped.
    /// Returns whether the line was kept.
    @discardableResult
    mutating func append(_ line: [UInt8]) -> Bool {
        guard line.count <= capacity - bytes.count else {
            droppedLines += 1
            return false
        }
        bytes.append(contentsOf: line)
        return true
    }

    /// Moves every kept byte into `batch` (which must be empty; its storage is reused here) and
    /// returns how many lines were dropped since the previous take. The buffer is then empty.
    mutating func take(into batch: inout [UInt8]) -> Int {
        precondition(batch.isEmpty, "a batch is written before it is reused")
        swap(&bytes, &batch)
        let dropped = droppedLines
        droppedLines = 0
        return dropped
    }
}

/// Writes log lines to a file descriptor from one background thread of its own, so that a
/// caller of `append(_:)` only copies bytes under a lock and never waits for the descriptor.
///
/// Guarantees: lines are written whole and in the order they were appended; at most `capacity`
/// bytes wait, and lines beyond that are dropped and followed, once written out, by one warning
/// line saying how many were dropped; `flush(timeout:)` returns once every line appended before
/// it is written. `standardError` is flushed when the process exits through `exit` (which is how
/// every `medloop` command ends), for at most five seconds.
final class LogWriter: @unchecked Sendable {
    // Every stored `var` is read and written only with `condition` locked.
    private let condition = NSCondition()
    private var buffer: LogBuffer
    /// Lines handed to `append`, kept or dropped.
    private var submittedLines = 0
    /// Of those, how many have been written out or reported as dropped.
    private var writtenLines = 0
    private var writerIsWaiting = false
    private var isStopping = false
    private let descriptor: Int32

    /// The writer behind every `JSONLogHandler`: standard error, 4 MiB of waiting lines.
    static let standardError: LogWriter = {
        let writer = LogWriter(descriptor: STDERR_FILENO)
        atexit { _ = LogWriter.standardError.flush(timeout: .seconds(5)) }
        return writer
    }()

    /// How long the writing thread lets lines gather after each write, so that a busy server
    /// writes a batch per pause and rarely has to wake the thread.
    private static let gatheringPause: useconds_t = 2_000

    init(descriptor: Int32, capacity: Int = 4 << 20) {
        self.descriptor = descriptor
        self.buffer = LogBuffer(capacity: capacity)
        let thread = Thread { [self] in writeUntilStopped() }
        thread.name = "medloop-log-writer"
        thread.start()
    }

    /// Queues one line (newline included) for writing; drops it when the queue is full.
    func append(_ line: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        guard !isStopping else { return }
        buffer.append(line)
        submittedLines += 1
        if writerIsWaiting { condition.broadcast() }
    }

    /// Waits until every line appended before this call is written (or reported as dropped).
    /// Returns false when that took longer than `timeout`.
    @discardableResult
    func flush(timeout: Duration = .seconds(5)) -> Bool {
        let (seconds, attoseconds) = timeout.components
        let deadline = Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        let target = submittedLines
        while writtenLines < target {
            if !condition.wait(until: deadline) { return writtenLines >= target }
        }
        return true
    }

    /// Writes what is queued, then ends the writing thread; lines appended afterwards are ignored.
    func stop() {
        condition.lock()
        isStopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func writeUntilStopped() {
        var batch: [UInt8] = []
        while true {
            condition.lock()
            while buffer.isEmpty && !isStopping {
                writerIsWaiting = true
                condition.wait()
            }
            writerIsWaiting = false
            if buffer.isEmpty {
                condition.unlock()
                return
            }
            let dropped = buffer.take(into: &batch)
            let through = submittedLines
            let stopping = isStopping
            condition.unlock()

            if dropped > 0 {
                JSONLogFormat.appendLine(
                    to: &batch, millisecondsSinceEpoch: JSONLogFormat.nowMillisecondsSinceEpoch(), level: "warning",
                    label: "medloop.log", message: "log lines were dropped because the log output fell behind",
                    metadata: ["dropped": "\(dropped)"])
            }
            writeAll(batch)
            // A burst may have grown the batch; do not keep that much memory for good.
            if batch.capacity > 1 << 20 { batch = [] } else { batch.removeAll(keepingCapacity: true) }

            condition.lock()
            writtenLines = through
            condition.broadcast()
            condition.unlock()
            if !stopping { usleep(Self.gatheringPause) }
        }
    }

    /// Writes every byte, retrying interrupted and partial writes; gives up on the batch when the
    /// descriptor fails for good (closed, a broken pipe), as there is nowhere else to say so.
    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let result = systemWrite(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if result > 0 {
                    offset += result
                } else if result < 0 && errno == EINTR {
                    continue
                } else if result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, 100)
                } else {
                    return
                }
            }
        }
    }
}

private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, bytes, count)
    #else
    Darwin.write(descriptor, bytes, count)
    #endif
}
