import Foundation
import Logging
import PropertyBased
import Synchronization
import Testing
@testable import MedLoopApp

/// An instant written out by hand and the milliseconds since the epoch it stands for.
struct WrittenInstant: Sendable, CustomTestStringConvertible {
    var millisecondsSinceEpoch: Int64
    var text: String

    var testDescription: String { text }
}

@Suite("JSON log lines: formatting, time stamps and the bounded writer")
struct JSONLogFormatTests {
    static let instants: [WrittenInstant] = [
        WrittenInstant(millisecondsSinceEpoch: 0, text: "1970-01-01T00:00:00.000Z"),
        WrittenInstant(millisecondsSinceEpoch: 1_709_251_199_999, text: "2024-02-29T23:59:59.999Z"),
        WrittenInstant(millisecondsSinceEpoch: 1_709_251_200_000, text: "2024-03-01T00:00:00.000Z"),
        WrittenInstant(millisecondsSinceEpoch: 951_805_800_000, text: "2000-02-29T06:30:00.000Z"),
        WrittenInstant(millisecondsSinceEpoch: 4_107_542_400_000, text: "2100-03-01T00:00:00.000Z"),
        WrittenInstant(millisecondsSinceEpoch: 1_796_216_701_123, text: "2026-12-02T13:05:01.123Z"),
        WrittenInstant(millisecondsSinceEpoch: -1, text: "1969-12-31T23:59:59.999Z"),
        WrittenInstant(millisecondsSinceEpoch: -2_208_988_800_000, text: "1900-01-01T00:00:00.000Z"),
    ]

    @Test("an instant is written as RFC 3339 UTC with milliseconds", arguments: Self.instants)
    func timestamp(_ instant: WrittenInstant) {
        #expect(JSONLogFormat.timestamp(millisecondsSinceEpoch: instant.millisecondsSinceEpoch) == instant.text)
    }

    @Test("any instant from 1900 to 2100 is written as the Gregorian calendar reads it in UTC")
    func timestampAgreesWithTheCalendar() async {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let utc = calendar
        await propertyCheck(input: Gen.int64(in: -2_208_988_800_000...4_107_542_400_000)) { milliseconds in
            let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
            let parts = utc.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                           from: Date(timeIntervalSince1970: Double(seconds)))
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.year!, parts.month!, parts.day!,
                                  parts.hour!, parts.minute!, parts.second!, Int(milliseconds - seconds * 1000))
            #expect(JSONLogFormat.timestamp(millisecondsSinceEpoch: milliseconds) == expected)
        }
    }

    @Test("a line reads back as exactly its fields, escapes and Chinese text included", arguments: [
        "plain request",
        "a \"quoted\" word and a back\\slash",
        "two\nlines, a\rreturn and a\ttab",
        "control \u{0}\u{1}\u{8}\u{C}\u{1B}\u{1F} and delete \u{7F}",
        "患者主诉：头痛三天，伴有发热 🤒",
        "",
    ])
    func readsBack(_ text: String) throws {
        let fields = try parsed(line(message: text, metadata: ["note": .string(text), "\"key\\\n": "value"]))
        #expect(fields == ["time": "2026-12-02T13:05:01.123Z", "level": "info", "label": "medloop.test",
                           "message": text, "note": text, "\"key\\\n": "value"])
    }

    @Test("a line has its keys in order and one per line; a metadata key named like a fixed field loses to it")
    func exactBytes() {
        let bytes = line(message: "m", metadata: ["zeta": "1", "alpha": "2", "message": "spoofed", "mid": "3", "time": "0"])
        #expect(String(decoding: bytes, as: UTF8.self) == """
            {"alpha":"2","label":"medloop.test","level":"info","message":"m","mid":"3",\
            "time":"2026-12-02T13:05:01.123Z","zeta":"1"}

            """)
    }

    @Test("an event's metadata wins over its logger's for a shared key; both give their other keys, in order")
    func overridesWin() {
        var bytes: [UInt8] = []
        JSONLogFormat.appendLine(to: &bytes, millisecondsSinceEpoch: 1_796_216_701_123, level: "info", label: "medloop.test",
                                 message: "m", metadata: ["request_id": "r-1", "shared": "logger", "zeta": "z"],
                                 overriddenBy: ["shared": "event", "alpha": "a", "level": "spoofed"])
        #expect(String(decoding: bytes, as: UTF8.self) == """
            {"alpha":"a","label":"medloop.test","level":"info","message":"m","request_id":"r-1","shared":"event",\
            "time":"2026-12-02T13:05:01.123Z","zeta":"z"}

            """)
    }

    @Test("a metadata value is written as its description, nested values as one string")
    func metadataDescriptions() throws {
        let nested: Logger.MetadataValue = ["count": "2", "items": ["a", "b"]]
        let fields = try parsed(line(message: "m", metadata: ["nested": nested, "number": .stringConvertible(42)]))
        #expect(fields["nested"] == nested.description)
        #expect(fields["number"] == "42")
    }

    @Test("any message reads back unchanged from its line")
    func anyMessageReadsBack() async {
        // Half the scalars are ASCII, control characters included; the rest come from all of Unicode.
        let scalar = Gen<UInt32>.value(in: 0...0x1F_FFFF).map { value -> Character in
            let code = value < 0x10_0000 ? value % 0x80 : value - 0x10_0000
            return Character(Unicode.Scalar(code) ?? "\u{FFFD}")
        }
        await propertyCheck(input: scalar.string(of: 0...40)) { message in
            guard let fields = try? parsed(line(message: message, metadata: [:])) else {
                Issue.record("the line for \(message.debugDescription) is not JSON"); return
            }
            #expect(fields["message"] == message)
        }
    }

    @Test("a full buffer drops lines and counts them, and a take reports the count and starts afresh")
    func bufferDropsWhenFull() {
        var buffer = LogBuffer(capacity: 10)
        let kept = ["12345\n", "abcdef\n", "xyz\n", "!\n"].map { buffer.append(Array($0.utf8)) }
        #expect(kept == [true, false, true, false])
        #expect(buffer.droppedLines == 2)

        var batch: [UInt8] = []
        #expect(buffer.take(into: &batch) == 2)
        #expect(String(decoding: batch, as: UTF8.self) == "12345\nxyz\n")
        #expect(buffer.isEmpty)
        #expect(buffer.droppedLines == 0)
        let keptAfterTake = buffer.append(Array("012345678\n".utf8))
        #expect(keptAfterTake)
    }

    @Test("a line longer than the whole buffer is dropped, not cut")
    func oversizedLineIsDropped() {
        var buffer = LogBuffer(capacity: 4)
        let kept = buffer.append(Array("too long\n".utf8))
        #expect(!kept)
        #expect(buffer.bytes.isEmpty)
        #expect(buffer.droppedLines == 1)
    }

    @Test("the writer writes every logged line in order by the time flush returns, metadata of the event winning")
    func writerWritesInOrder() throws {
        let output = try PipeOutput()
        output.startReading()
        let writer = LogWriter(descriptor: output.writeEnd)
        var logger = Logger(label: "medloop.test") { label in JSONLogHandler(label: label, level: .info, writer: writer) }
        logger[metadataKey: "request"] = "r-1"
        logger[metadataKey: "shared"] = "handler"
        for index in 0..<500 {
            logger.info("line \(index)", metadata: ["shared": "event", "index": "\(index)"])
        }
        logger.debug("below the level")
        #expect(writer.flush())
        writer.stop()
        let lines = output.finish()

        #expect(lines.count == 500)
        for (index, line) in lines.enumerated() {
            let fields = try parsed(Array((line + "\n").utf8))
            #expect(fields["message"] == "line \(index)")
            #expect(fields["index"] == "\(index)")
            #expect(fields["request"] == "r-1")
            #expect(fields["shared"] == "event")
            #expect(fields["level"] == "info")
        }
    }

    @Test("when the output stalls, the writer drops lines rather than waiting and then says how many it dropped",
          .timeLimit(.minutes(1)))
    func writerReportsDrops() throws {
        let output = try PipeOutput()
        let filler = output.fillPipe()
        let writer = LogWriter(descriptor: output.writeEnd, capacity: 1_000)
        let handler = JSONLogHandler(label: "medloop.test", level: .info, writer: writer)
        let logger = Logger(label: "medloop.test") { _ in handler }
        // Nothing is read from the full pipe until after the loop: a writer that waited for the pipe
        // would never let the loop finish, and the time limit fails the test.
        for index in 0..<200 { logger.info("line \(index)") }

        output.startReading()
        #expect(writer.flush())
        writer.stop()
        let lines = output.finish().filter { !$0.hasPrefix(filler) }

        let written = try lines.map { try parsed(Array(($0 + "\n").utf8)) }
        let notices = written.filter { $0["label"] == "medloop.log" }
        let logged = written.filter { $0["label"] == "medloop.test" }
        let dropped = notices.compactMap { $0["dropped"].flatMap { Int($0) } }.reduce(0, +)
        #expect(!notices.isEmpty)
        #expect(notices.allSatisfy { $0["level"] == "warning" })
        #expect(dropped > 0)
        #expect(logged.count + dropped == 200)
        let indices = logged.compactMap { $0["message"]?.split(separator: " ").last.flatMap { Int($0) } }
        #expect(indices == indices.sorted())
    }

    // MARK: - Fixtures

    private func line(message: String, metadata: Logger.Metadata) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONLogFormat.appendLine(to: &bytes, millisecondsSinceEpoch: 1_796_216_701_123, level: "info",
                                 label: "medloop.test", message: message, metadata: metadata)
        return bytes
    }

    private func parsed(_ line: [UInt8]) throws -> [String: String] {
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
        let object = try JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])
        return try #require(object as? [String: String])
    }
}

/// A pipe standing in for standard error: the writer writes into `writeEnd`, a thread of its own
/// reads the other end, and `finish()` closes the write end and returns the lines read.
private final class PipeOutput: Sendable {
    let writeEnd: Int32
    private let readEnd: Int32
    private let received = Mutex<[UInt8]>([])
    private let done = DispatchSemaphore(value: 0)
    private let reading = Mutex(false)

    init() throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    /// Fills the pipe to the brim with lines of filler, so the next write blocks until read;
    /// returns the filler lines' first character, to tell them apart from logged lines.
    func fillPipe() -> String {
        let flags = fcntl(writeEnd, F_GETFL)
        _ = fcntl(writeEnd, F_SETFL, flags | O_NONBLOCK)
        // 512 bytes is below PIPE_BUF, so each chunk goes in whole or not at all.
        let chunk = [UInt8](repeating: UInt8(ascii: "#"), count: 511) + [UInt8(ascii: "\n")]
        while chunk.withUnsafeBytes({ write(writeEnd, $0.baseAddress!, $0.count) }) > 0 {}
        _ = fcntl(writeEnd, F_SETFL, flags)
        return "#"
    }

    func startReading() {
        guard !reading.withLock({ let was = $0; $0 = true; return was }) else { return }
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress!, $0.count) }
                if count > 0 {
                    received.withLock { $0.append(contentsOf: chunk[0..<count]) }
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            done.signal()
        }
        thread.start()
    }

    /// Closes the write end and returns every line read, without their newlines.
    func finish() -> [String] {
        startReading()
        close(writeEnd)
        done.wait()
        close(readEnd)
        let text = String(decoding: received.withLock { $0 }, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}

@Suite("The request log's duration")
struct RequestDurationTextTests {
    @Test("a request's duration is written in milliseconds with two decimals, rounded", arguments: [
        (Duration.zero, "0.00"), (.microseconds(4), "0.00"), (.microseconds(5), "0.01"), (.microseconds(1_234), "1.23"),
        (.milliseconds(12) + .microseconds(345), "12.35"), (.microseconds(99_995), "100.00"), (.seconds(3) + .milliseconds(7), "3007.00"),
    ] as [(Duration, String)])
    func milliseconds(_ elapsed: Duration, _ text: String) {
        #expect(RequestMiddleware.milliseconds(elapsed) == text)
    }
}

@Suite("Request ids")
struct RequestIdTests {
    @Test("two words are written as 32 lowercase hex digits, high word first", arguments: [
        (UInt64(0), UInt64(0), "00000000000000000000000000000000"),
        (0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, "0123456789abcdeffedcba9876543210"),
        (UInt64.max, 1, "ffffffffffffffff0000000000000001"),
    ] as [(UInt64, UInt64, String)])
    func hex(_ high: UInt64, _ low: UInt64, _ text: String) {
        #expect(RequestIds.hex(high, low) == text)
    }

    @Test("ids are 32 lowercase hex digits, share the process's first half, and do not repeat")
    func idsAreDistinct() {
        let ids = (0..<20_000).map { _ in RequestIds.next() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 32 && $0.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) } })
        #expect(Set(ids.map { $0.prefix(16) }).count == 1)
        #expect(RequestMiddleware.requestId(from: nil).count == 32)
    }
}
