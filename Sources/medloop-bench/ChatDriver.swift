import Foundation
import HTTPTypes
import Logging
import Synchronization
import WSClient

/// The chat scenario's load: `sockets` WebSockets open on the streams of `rooms` consultations
/// (`GET /api/v1/consultations/{id}/stream`), each room's sockets half the patient's and half the
/// doctor's. In each room the patient's first socket and the doctor's first socket talk in turn:
/// one sends a message, and the next goes the other way once it has reached the other party's first
/// socket, or, with `messagesPerSecond`, at the room's next turn of that pace, whichever is later. A
/// delivery is timed from just before the frame is written until it arrives at a socket
/// of the other party, for every socket of that party; messages sent after the warm-up count.
struct ChatDriver: Sendable {
    let server: LoopbackServer
    let rooms: [ChatRoom]
    let sockets: Int
    /// All rooms together send at most this many messages a second, spread evenly; `nil`: as fast as
    /// the messages arrive.
    let messagesPerSecond: Double?

    enum Party: Sendable { case patient, doctor }

    /// A socket's place: its room, its party, and whether it is that party's first socket, which
    /// sends the party's messages and whose receipt lets the room go on.
    struct Seat: Sendable {
        var room: Int
        var party: Party
        var isFirst: Bool
    }

    /// How long after the measured time ends a message may still arrive; one still missing then is lost.
    static let grace: Duration = .seconds(5)
    /// How long the sockets may take to open.
    static let connectPatience: Duration = .seconds(60)

    /// Socket `index`'s seat: sockets go round the rooms, and within a room alternate between the parties.
    func seat(of index: Int) -> Seat {
        let room = index % rooms.count
        let turn = index / rooms.count
        return Seat(room: room, party: turn % 2 == 0 ? .patient : .doctor, isFirst: turn < 2)
    }

    /// How many sockets of `party` room `room` has.
    func seats(of party: Party, in room: Int) -> Int {
        (0..<sockets).reduce(0) { count, index in
            let seat = seat(of: index)
            return count + (seat.room == room && seat.party == party ? 1 : 0)
        }
    }

    func run(warmup: Duration, duration: Duration) async throws -> ChatResult {
        let clock = ContinuousClock()
        let board = ChatBoard(clock: clock)
        var outgoing: [[AsyncStream<String>.Continuation]] = []
        var streams: [[AsyncStream<String>]] = []
        for _ in rooms {
            let patient = AsyncStream<String>.makeStream()
            let doctor = AsyncStream<String>.makeStream()
            outgoing.append([patient.continuation, doctor.continuation])
            streams.append([patient.stream, doctor.stream])
        }
        let senders = outgoing
        let result = try await withThrowingTaskGroup(of: Void.self, returning: ChatResult.self) { socketTasks in
            for index in 0..<sockets {
                let seat = seat(of: index)
                let sends = seat.isFirst ? streams[seat.room][seat.party == .patient ? 0 : 1] : nil
                socketTasks.addTask { await self.socket(seat, sending: sends, board: board) }
            }
            let opening = clock.now
            while board.opened < sockets {
                guard clock.now - opening < Self.connectPatience else {
                    socketTasks.cancelAll()
                    throw BenchError("only \(board.opened) of \(sockets) chat sockets opened within \(Self.connectPatience); "
                                     + (board.failure.map { "the last failure: \($0)" } ?? "none failed"))
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let measureFrom = clock.now + warmup
            let stopAt = measureFrom + duration
            board.measure(from: measureFrom)
            let watchdog = Task {
                guard (try? await Task.sleep(until: stopAt + Self.grace, clock: clock)) != nil else { return }
                board.abandon()
            }
            await withTaskGroup(of: Void.self) { conversations in
                for room in rooms.indices {
                    let patients = seats(of: .patient, in: room)
                    let doctors = seats(of: .doctor, in: room)
                    // Each room sends once every `interval`; the rooms' turns are spread over it.
                    let interval = messagesPerSecond.map { Duration.seconds(Double(rooms.count) / $0) }
                    let firstTurn = clock.now + (interval.map { $0 * (Double(room) / Double(rooms.count)) } ?? .zero)
                    conversations.addTask {
                        await Self.converse(room: room, senders: senders[room], recipients: (patients, doctors),
                                            turns: (firstTurn, interval), board: board, clock: clock, until: stopAt)
                    }
                }
            }
            let ended = clock.now
            // A room stops once the other party's first socket has its last message; the copies on
            // that party's other sockets may still be on their way.
            while board.deliveriesInFlight > 0 && clock.now < stopAt + Self.grace {
                try await Task.sleep(for: .milliseconds(10))
            }
            watchdog.cancel()
            for pair in senders { for sender in pair { sender.finish() } }
            socketTasks.cancelAll()
            return board.result(elapsed: min(ended, stopAt) - measureFrom)
        }
        return result
    }

    /// One room's turns until `stopAt`: the patient's first socket sends, the doctor's first socket
    /// receives, then the other way; with an interval, no sooner than the room's next turn.
    private static func converse(room: Int, senders: [AsyncStream<String>.Continuation], recipients: (patient: Int, doctor: Int),
                                 turns: (first: ContinuousClock.Instant, interval: Duration?), board: ChatBoard,
                                 clock: ContinuousClock, until stopAt: ContinuousClock.Instant) async {
        var sequence = 0
        var turn = turns.first
        while clock.now < stopAt {
            if let interval = turns.interval {
                try? await Task.sleep(until: turn, clock: clock)
                turn += interval
                guard clock.now < stopAt else { return }
            }
            let from: Party = sequence % 2 == 0 ? .patient : .doctor
            let tag = "bench-r\(room)-s\(sequence)"
            board.expect(tag, from: from, deliveries: from == .patient ? recipients.doctor : recipients.patient)
            senders[from == .patient ? 0 : 1].yield(#"{"type":"message","text":"\#(tag)"}"#)
            guard await board.firstDelivery(of: tag) else { return }
            sequence += 1
        }
    }

    /// One socket, open until the run cancels it: writes what `sending` yields, hands every frame to the board.
    private func socket(_ seat: Seat, sending: AsyncStream<String>?, board: ChatBoard) async {
        let room = rooms[seat.room]
        var configuration = WebSocketClientConfiguration()
        let token = seat.party == .patient ? room.patient.token : room.doctor.token
        configuration.additionalHeaders = [.authorization: "Bearer " + token]
        var logger = Logger(label: "medloop-bench.chat")
        logger.logLevel = .critical
        let url = "ws" + server.base.dropFirst("http".count) + "/api/v1/consultations/\(room.consultationId)/stream"
        do {
            try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                board.didOpen()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    if let sending {
                        group.addTask {
                            for await text in sending {
                                board.willSend(text)
                                try await outbound.write(.text(text))
                            }
                        }
                    }
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        guard case .text(let text) = message else { continue }
                        board.received(text, by: seat)
                    }
                    group.cancelAll()
                }
            }
        } catch {
            if !Task.isCancelled { board.didFail(error) }
        }
    }
}

/// What is in flight and what arrived, shared by every socket and room of a chat run.
final class ChatBoard: Sendable {
    /// A message on its way: who sent it, when, and how many sockets of the other party have yet to get it.
    struct Flight {
        var from: ChatDriver.Party
        var sentAt: ContinuousClock.Instant?
        var deliveriesLeft: Int
        var firstArrived = false
        var waiter: CheckedContinuation<Bool, Never>?
    }

    struct State {
        var flights: [String: Flight] = [:]
        var measureFrom: ContinuousClock.Instant?
        var abandoned = false
        var deliveries = LoadResult()
        var messagesSent = 0
        var framesReceived = 0
        var errorFrames = 0
        var errorSample: String?
        var opened = 0
        var failure: String?
    }

    let clock: ContinuousClock
    private let state = Mutex(State())

    init(clock: ContinuousClock) {
        self.clock = clock
    }

    var opened: Int { state.withLock { $0.opened } }

    /// Deliveries of sent messages not arrived yet.
    var deliveriesInFlight: Int {
        state.withLock { state in state.flights.values.filter { $0.sentAt != nil }.reduce(0) { $0 + $1.deliveriesLeft } }
    }
    var failure: String? { state.withLock { $0.failure } }

    func didOpen() { state.withLock { $0.opened += 1 } }

    func didFail(_ error: any Error) { state.withLock { $0.failure = "\(error)" } }

    func measure(from instant: ContinuousClock.Instant) { state.withLock { $0.measureFrom = instant } }

    /// A message `tag` is about to be sent by `from`; `deliveries` sockets of the other party should get it.
    func expect(_ tag: String, from: ChatDriver.Party, deliveries: Int) {
        state.withLock { $0.flights[tag] = Flight(from: from, deliveriesLeft: deliveries) }
    }

    /// The frame carrying a message is written now: its deliveries are timed from here.
    func willSend(_ frame: String) {
        guard let tag = Self.tag(in: frame) else { return }
        let now = clock.now
        state.withLock { state in
            state.flights[tag]?.sentAt = now
            if let from = state.measureFrom, now >= from { state.messagesSent += 1 }
        }
    }

    /// Waits until the other party's first socket has the message; `false` once the run gave up on it.
    func firstDelivery(of tag: String) async -> Bool {
        await withCheckedContinuation { continuation in
            let resumeNow: Bool? = state.withLock { state in
                if state.abandoned { return false }
                if state.flights[tag]?.firstArrived ?? true { return true }
                state.flights[tag]?.waiter = continuation
                return nil
            }
            if let resumeNow { continuation.resume(returning: resumeNow) }
        }
    }

    /// A frame arrived at `seat`'s socket.
    func received(_ frame: String, by seat: ChatDriver.Seat) {
        let now = clock.now
        let tag = Self.tag(in: frame)
        let waiter: CheckedContinuation<Bool, Never>? = state.withLock { state in
            state.framesReceived += 1
            if frame.contains(#""type":"error""#) {
                state.errorFrames += 1
                if state.errorSample == nil { state.errorSample = String(frame.prefix(400)) }
            }
            guard let tag, var flight = state.flights[tag], flight.from != seat.party else { return nil }
            if let sentAt = flight.sentAt, let from = state.measureFrom, sentAt >= from {
                state.deliveries.record(now - sentAt, status: 200, expected: [])
            }
            flight.deliveriesLeft -= 1
            var waiter: CheckedContinuation<Bool, Never>?
            if seat.isFirst {
                flight.firstArrived = true
                waiter = flight.waiter
                flight.waiter = nil
            }
            state.flights[tag] = flight.deliveriesLeft > 0 ? flight : nil
            return waiter
        }
        waiter?.resume(returning: true)
    }

    /// The run is over: every room still waiting stops waiting.
    func abandon() {
        let waiters: [CheckedContinuation<Bool, Never>] = state.withLock { state in
            state.abandoned = true
            var waiters: [CheckedContinuation<Bool, Never>] = []
            for (tag, flight) in state.flights {
                if let waiter = flight.waiter { waiters.append(waiter) }
                state.flights[tag]?.waiter = nil
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: false) }
    }

    /// The figures: deliveries timed, and the deliveries of measured messages that never came as errors.
    func result(elapsed: Duration) -> ChatResult {
        state.withLock { state in
            var deliveries = state.deliveries
            deliveries.elapsed = elapsed
            let lost = state.flights.values.filter { flight in
                guard let sentAt = flight.sentAt, let from = state.measureFrom else { return false }
                return sentAt >= from
            }.reduce(0) { $0 + $1.deliveriesLeft }
            if lost > 0 {
                deliveries.errors += lost
                deliveries.errorsByKind["not delivered", default: 0] += lost
            }
            return ChatResult(deliveries: deliveries, messagesSent: state.messagesSent, framesReceived: state.framesReceived,
                              errorFrames: state.errorFrames, errorSample: state.errorSample)
        }
    }

    /// The scenario's tag in a message frame (`bench-r3-s17`), found without decoding the frame.
    static func tag(in frame: String) -> String? {
        guard let start = frame.range(of: "bench-r") else { return nil }
        let rest = frame[start.lowerBound...]
        let end = rest.firstIndex { $0 == "\"" || $0 == "\\" } ?? rest.endIndex
        return String(rest[..<end])
    }
}

/// What a chat run measured.
struct ChatResult: Sendable {
    var deliveries: LoadResult
    var messagesSent: Int
    var framesReceived: Int
    var errorFrames: Int
    var errorSample: String?
}
