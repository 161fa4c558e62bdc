import Foundation
import MedLoopDomain
import SQLKit

/// A page by price walked through the service lines (`TermPlan.priceWalk`): the lines of the
/// search's kind and place in price order, each checked against the groups of terms, to the price of
/// the page's last row, then every passing line up to that price sorted.
extension DoctorStore {
    /// The service lines a price walk reads, of one standing (`paused`): of the priced kind (the text
    /// package unless the search names a service), in the search's city and department, whichever
    /// it names (their price indexes, M0029 and M0034). A province is checked on the doctor's term
    /// entry (`passes`): no index keeps its lines in price order.
    static func lineConditions(_ search: DoctorSearch, paused: Bool) -> [SQLQueryString] {
        let kind = (search.service ?? .textPackage).rawValue
        var conditions: [SQLQueryString] = ["s.kind = \(bind: kind)", "s.paused = \(bind: paused)"]
        if let prefix = search.cityPrefix, prefix.count >= 4 {
            conditions.append("s.city_code = \(bind: String(prefix.prefix(4)) + "00")")
        }
        if let department = search.department {
            conditions.append("s.department = \(bind: department)")
        }
        return conditions
    }

    /// That the doctor `doctor` (a column) has a term of every group and passes the filters
    /// (`entryConditions`).
    static func passes(_ search: DoctorSearch, groups: [TermGroup], driving: Int, doctor: String, engine: Engine) -> SQLQueryString {
        let conditions: [SQLQueryString] = ["t.term IN (\(binds: groups[driving].terms))", "t.doctor_id = \(unsafeRaw: doctor)"]
            + entryConditions(search, groups: groups, driving: driving, excluded: nil, engine: engine)
        return probe("SELECT 1 FROM doctor_terms t WHERE " + conditions.joined(separator: " AND "), engine: engine)
    }

    /// The lines of one standing whose doctor passes.
    static func pricedLines(_ search: DoctorSearch, groups: [TermGroup], driving: Int, paused: Bool, engine: Engine) -> SQLQueryString {
        " FROM doctor_services s WHERE "
            + (lineConditions(search, paused: paused) + [passes(search, groups: groups, driving: driving, doctor: "s.doctor_id", engine: engine)])
                .joined(separator: " AND ")
    }

    /// The standings of service lines a page by price shows: open and paused ones for the text
    /// package (a paused line still has its price), open ones for a named service.
    static func pricedStandings(_ search: DoctorSearch) -> [Bool] {
        search.service == nil ? [false, true] : [false]
    }

    /// How many open service lines a price walk reads per row of its page at most: enough for a word
    /// or condition that one doctor in seventy-five has (`mostGatheredEntries`), with room to spare.
    /// A walk that does not fill its page within them (a word and a condition seldom found together,
    /// a word rare in the department) is left to gathering, whose cost is bounded by the group's entries.
    static let priceWalkLinesPerRow = 120

    /// How many open service lines the first, short walk reads per row: a word or condition that
    /// one doctor in ten has in the place settles its page within them. A walk that does not is
    /// tried again with `priceWalkLinesPerRow`; but when none of its lines passed, the group may be
    /// rare in the place, and is gathered if it is (`countsPlacedEntries`).
    static let shortPriceWalkLinesPerRow = 10

    /// The deepest row a price walk is tried for: up to 12,000 lines read.
    static let deepestPriceWalkRow = 100

    /// The largest driving group whose entries in the search's place are counted when a short price
    /// walk found none of its lines (`placedEntriesQuery`): counting reads at most the group's
    /// entries in the term index, about 4 ms for 23,000 of them when none is in the place.
    static let mostCountedEntries: Int64 = 40_000

    /// Whether a price walk of `groups` whose short walk found none of its lines counts the driving
    /// group's entries in the search's place: a word common among all doctors may be rare in a
    /// department or city (`asthma` in ophthalmology), where the long walk reads its 120 lines a row
    /// in vain and the page falls to gathering or the trigram index (26–52 ms on SQLite, 95–113 ms
    /// on PostgreSQL among 150,000 doctors); its few entries there are gathered instead.
    static func countsPlacedEntries(_ search: DoctorSearch, group: TermGroup) -> Bool {
        (search.department != nil || search.cityPrefix != nil) && group.entries <= mostCountedEntries
    }

    /// How many of the driving group's entries pass the filters kept on them (standing, department,
    /// city, M0032), up to `gatheredEntries + 1`: read from the term index alone, stopping there.
    static func placedEntriesQuery(_ search: DoctorSearch, groups: [TermGroup], driving: Int, gatheredEntries: Int64) -> SQLQueryString {
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM doctor_terms t WHERE "
            + (["t.term IN (\(binds: groups[driving].terms))"] + filters(search, placedIn: "t", withHospital: false)).joined(separator: " AND ")
            + " LIMIT \(bind: gatheredEntries + 1)) c"
    }

    /// Whether the driving group has at most `mostGatheredEntries` entries in the search's place
    /// (`countsPlacedEntries`), so that gathering them answers the page.
    func gathersPlacedEntries(_ search: DoctorSearch, groups: [TermGroup], driving: Int) async throws -> Bool {
        guard Self.countsPlacedEntries(search, group: groups[driving]) else { return false }
        let count = Self.placedEntriesQuery(search, groups: groups, driving: driving, gatheredEntries: mostGatheredEntries)
        let placed = try await database.readPrepared { sql in try await sql.raw(count).first()?.int64("n") ?? 0 }
        return placed <= mostGatheredEntries
    }

    /// The prices of the passing lines among the first `linesRead` open lines in price order, the
    /// first `offset + limit + 1` of them.
    static func openPricesQuery(_ search: DoctorSearch, groups: [TermGroup], driving: Int, linesRead: Int,
                                engine: Engine) -> SQLQueryString {
        var window: SQLQueryString = "SELECT s.doctor_id, s.price_fen FROM doctor_services s WHERE "
        window += lineConditions(search, paused: false).joined(separator: " AND ") + " ORDER BY s.price_fen, s.doctor_id LIMIT \(bind: linesRead)"
        return "SELECT w.price_fen FROM (" + window + ") w WHERE " + passes(search, groups: groups, driving: driving, doctor: "w.doctor_id", engine: engine)
            + " ORDER BY w.price_fen LIMIT \(bind: search.offset + search.limit + 1)"
    }

    /// How many open lines there are, up to `linesRead` (whether the walk read them all).
    static func openLinesQuery(_ search: DoctorSearch, linesRead: Int) -> SQLQueryString {
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM doctor_services s WHERE " + lineConditions(search, paused: false).joined(separator: " AND ")
            + " LIMIT \(bind: linesRead)) w"
    }

    /// The prices of the passing paused lines (text package only), the first `offset + limit + 1`.
    static func pausedPricesQuery(_ search: DoctorSearch, groups: [TermGroup], driving: Int, engine: Engine) -> SQLQueryString {
        "SELECT s.price_fen" + pricedLines(search, groups: groups, driving: driving, paused: true, engine: engine)
            + " ORDER BY s.price_fen LIMIT \(bind: search.offset + search.limit + 1)"
    }

    /// What a price walk found: the price of the page's last row (of `offset + limit + 1`) among
    /// the passing lines in price order, when it settled it; how many of the open lines it read
    /// passed; and whether it read every open line of the place.
    struct PriceWalk {
        var edge: Int64?
        var passingOpenLines: Int
        var readEveryLine: Bool
    }

    /// The price of the page's last row among the passing lines in price order (`PriceWalk`); nil
    /// when the walk does not settle it within `linesPerRow` open lines a row, or fewer lines pass
    /// (doctors without a line would follow them).
    func priceEdge(_ search: DoctorSearch, groups: [TermGroup], driving: Int,
                   linesPerRow: Int = priceWalkLinesPerRow) async throws -> Int64? {
        try await priceWalk(search, groups: groups, driving: driving, linesPerRow: linesPerRow).edge
    }

    /// Walks the open lines in price order, `linesPerRow` a row of the page at most (`PriceWalk`).
    func priceWalk(_ search: DoctorSearch, groups: [TermGroup], driving: Int, linesPerRow: Int) async throws -> PriceWalk {
        let engine = database.engine
        let depth = search.offset + search.limit + 1
        let linesRead = depth * linesPerRow
        let open = Self.openPricesQuery(search, groups: groups, driving: driving, linesRead: linesRead, engine: engine)
        var prices = try await database.readPrepared { sql in try await sql.raw(open).all().map { try $0.int64("price_fen") } }
        let passing = prices.count
        var readEveryLine = false
        if prices.count < depth {
            // Every open line read, or the walk stopped short of the page.
            let count = Self.openLinesQuery(search, linesRead: linesRead)
            let lines = try await database.readPrepared { sql in Int(try await sql.raw(count).first()?.int64("n") ?? 0) }
            guard lines < linesRead else { return PriceWalk(edge: nil, passingOpenLines: passing, readEveryLine: false) }
            readEveryLine = true
        }
        if search.service == nil {
            // Paused lines are few; lines past the open walk cost at least its last price, which is at
            // least the edge, so merging keeps the edge right.
            let paused = Self.pausedPricesQuery(search, groups: groups, driving: driving, engine: engine)
            prices += try await database.readPrepared { sql in try await sql.raw(paused).all().map { try $0.int64("price_fen") } }
            prices.sort()
        }
        return PriceWalk(edge: prices.count >= depth ? prices[depth - 1] : nil, passingOpenLines: passing, readEveryLine: readEveryLine)
    }

    /// The page by price: every passing line up to `edge` (those before the page's last row and
    /// all that share its price, which rank then orders), sorted, and only those doctors read.
    static func priceWalkQuery(_ search: DoctorSearch, groups: [TermGroup], driving: Int, edge: Int64, engine: Engine) -> SQLQueryString {
        let keys = pricedStandings(search).map { paused -> SQLQueryString in
            "SELECT s.doctor_id" + pricedLines(search, groups: groups, driving: driving, paused: paused, engine: engine) + " AND s.price_fen <= \(bind: edge)"
        }
        let lines = keys.joined(separator: " UNION ALL ")
        switch engine {
        case .sqlite:
            return doctors(of: lines, idColumn: "doctor_id", search: search) + orderBy(.price, relevance: nil) + window(search, engine: engine)
        case .postgres:
            return doctors(byKey: lines, search: search)
        }
    }
}
