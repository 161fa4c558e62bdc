import Foundation

/// One request a worker sends.
struct Target: Sendable {
    /// GET or POST.
    var method: Method = .get
    /// The full URL, with its query.
    var url: String
    /// A JSON body (POST only).
    var body: [UInt8]?
    /// How many further pages to ask for, one after another, while an answer carries a `nextCursor`
    /// (a list URL only: the cursor is appended as `&cursor=`).
    var followPages = 0

    enum Method: Sendable {
        case get, post
    }

    /// The next page of this list after `cursor`.
    func page(after cursor: String) -> Target {
        Target(method: method, url: url + "&cursor=" + cursor, body: body, followPages: 0)
    }
}

/// Workers that send the same kind of request, each over its own connection, one at a time.
struct Lane: Sendable {
    /// Names the lane's figures in the report ("reads", "sign-ins").
    var name: String
    var connections: Int
    /// Cycled in order; worker `w` of `n` starts at `w * count / n`, so workers spread over them.
    var targets: [Target]
    /// Answers that are expected here although not a 2xx (a 404 for an unlisted doctor, a 429 of the
    /// sign-in throttle): counted by status, not as errors.
    var expectedStatuses: Set<UInt> = []
    /// Whether the lane sends from the start of the warm-up, or only in the burst phase.
    var sendsOnlyInBurst = false
}

/// What a scenario runs: its lanes, and whether the measured time is split into a quiet first half
/// (the burst lanes idle) and a burst second half (they send too).
struct LoadPlan: Sendable {
    var lanes: [Lane]
    var hasBurst = false
    /// Distinct requests the lanes cycle through (cursor pages not counted).
    var distinctRequests: Int { lanes.reduce(0) { $0 + $1.targets.count } }

    /// The names of the measured phases, in order.
    var phases: [String] { hasBurst ? ["quiet", "burst"] : ["all"] }
}
