import Foundation

/// The figures of a chat run: messages sent per second, and each delivery to a socket of the other
/// party as a timed request (its latency percentiles; a delivery that never came is an error).
struct ChatReport: ScenarioReport {
    var scenario = "chat"
    var sockets: Int
    var consultations: Int
    /// `--messages-per-second`; absent when each message went as soon as the last arrived.
    var pace: Double?
    var messagesSent: Int
    var messagesPerSecond: Double
    /// Every delivery of a measured message to a socket of the other party.
    var deliveries: Figures
    /// Every frame the sockets received, the sender's own other sockets' copies included.
    var framesReceived: Int
    /// Error frames the server sent (a refused message), and the first of them.
    var errorFrames: Int
    var errorSample: String?

    init(sockets: Int, consultations: Int, pace: Double?, result: ChatResult) {
        self.sockets = sockets
        self.consultations = consultations
        self.pace = pace
        deliveries = Figures(result.deliveries, expectedStatuses: [])
        messagesSent = result.messagesSent
        messagesPerSecond = deliveries.durationSeconds > 0 ? Double(result.messagesSent) / deliveries.durationSeconds : 0
        framesReceived = result.framesReceived
        errorFrames = result.errorFrames
        errorSample = result.errorSample
    }

    /// Lost deliveries and error frames.
    var errors: Int { deliveries.errors + errorFrames }

    func lines() -> [String] {
        var lines = ["scenario     chat (\(sockets) sockets on \(consultations) consultations, half each party's; "
                     + (pace.map { String(format: "paced at %.0f messages/s)", $0) } ?? "each message as soon as the last arrived)")]
        lines.append(String(format: "messages     %d sent, %.1f messages/s; %d frames received in all", messagesSent, messagesPerSecond,
                            framesReceived))
        lines += deliveries.lines("delivery     ")
        if errorFrames > 0 {
            lines.append("error frames \(errorFrames)" + (errorSample.map { ", the first: \($0)" } ?? ""))
        }
        return lines
    }
}
