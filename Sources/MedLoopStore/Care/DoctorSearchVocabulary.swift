import Foundation
import MedLoopDomain
import SQLKit

/// One word of a search, or its condition, as the terms that find it (M0033): a word of 3+
/// characters by the vocabulary's pieces that hold it, a shorter word by itself, a condition by its
/// codes. A doctor is found when they have a term of every group of the search.
struct TermGroup: Sendable, Equatable {
    /// A term and how many entries it has, of every standing and place.
    struct Piece: Sendable, Equatable {
        var term: String
        var entries: Int64
    }

    var pieces: [Piece]
    /// Whether this group is the search's condition: its doctors are those of `doctor_conditions`,
    /// to whom its terms (the codes) lead.
    var isCondition = false
    /// Whether this group is the search's hospital: its doctors are those working there, to whom its
    /// term (the hospital's name, one of their terms) leads.
    var isHospital = false

    var terms: [String] { pieces.map(\.term) }
    /// The most a walk of this group reads.
    var entries: Int64 { pieces.reduce(0) { $0 + $1.entries } }
}

/// How a search's groups of terms answer it.
enum TermPlan: Equatable {
    /// A group has no terms: nobody is found.
    case nobody
    /// Walk the entries of the group with the fewest, in the page's order, checking the others.
    case walk(driving: Int)
    /// Gather the doctors of the group with the fewest entries, checking the others, and sort them
    /// by price (the term entries keep no price order).
    case gather(driving: Int)
    /// Walk the service lines in price order, checking each doctor against the groups, to the
    /// price of the page's last row (`priceEdge`), then sort the lines up to that price
    /// (`priceWalkQuery`); gather when the walk does not settle it.
    case priceWalk(driving: Int)
}

extension DoctorStore {
    /// The most pieces a word's matches are walked through, one walk each (M0033): `高血压` is in 2
    /// terms, `diabetes` in 3, `人民医院` in 86 hospitals' names among 150,000 doctors (0.9 ms for
    /// its first page, 36–48 ms through the trigrams). A word in more is searched through the
    /// trigram index of the doctors' text.
    static let mostWalkedPieces = 128

    /// The most term entries gathered to sort a search by price: a word or condition that about one
    /// doctor in seventy-five has among 150,000. Gathering costs about 3 µs an entry, a price walk
    /// about 1.5 µs a service line, and a word with more entries fills a page of 20 within some 1,500
    /// lines in price order (`TermPlan.priceWalk`).
    public static let mostGatheredEntries: Int64 = 2_000

    /// The most term entries ever gathered to sort a search by price, when a price walk cannot be
    /// tried (in a province, deep into the list) or does not settle the page: beyond it the trigram
    /// index answers (`人民医院`'s 104,000 entries took 950 ms to gather for a page 200 rows deep,
    /// 270 ms through the trigrams).
    static let largestGatheredGroup: Int64 = 20_000

    /// Whether `search` may be answered from its groups of terms (`termGroups`): words or a
    /// condition, and by relevance only one word (`substringOnly`: the matches after its exact ones)
    /// or none (relevance is then rank order); see `ranksFromTerms` for the others.
    static func walksVocabulary(_ search: DoctorSearch, substringOnly: Bool) -> Bool {
        guard !search.terms.isEmpty || search.condition != nil else { return false }
        return search.sort != .relevance || search.terms.isEmpty || (substringOnly && search.terms.count == 1)
    }

    /// How `groups` answer `search`: by price, a group of more than `gatheredEntries` entries is
    /// walked through the service lines, unless in a province (no index keeps a province's lines in
    /// price order) or deep into the list; then gathered up to `largestGatheredGroup` entries, else
    /// left to the trigram index (nil).
    static func termPlan(_ search: DoctorSearch, groups: [TermGroup], gatheredEntries: Int64) -> TermPlan? {
        guard !groups.contains(where: { $0.terms.isEmpty }) else { return .nobody }
        guard let driving = groups.indices.min(by: { groups[$0].entries < groups[$1].entries }) else { return nil }
        guard search.sort == .price else { return .walk(driving: driving) }
        let entries = groups[driving].entries
        if entries <= gatheredEntries { return .gather(driving: driving) }
        if (search.cityPrefix?.count ?? 4) >= 4 && search.offset + search.limit + 1 <= deepestPriceWalkRow { return .priceWalk(driving: driving) }
        return entries <= largestGatheredGroup ? .gather(driving: driving) : nil
    }

    /// The search's words, condition and hospital as groups of terms, in the order of `search.terms`,
    /// then the condition, then the hospital; with `substringOnly`, the one word's group without the word itself. Pieces
    /// without entries are left out. Nil when a word of 3+ characters is also in some doctor's
    /// training (which has no term entries) or in more than `mostWalkedPieces` terms.
    func termGroups(of search: DoctorSearch, substringOnly: Bool) async throws -> [TermGroup]? {
        let engine = database.engine
        var groups: [TermGroup] = []
        let codes = search.condition == nil ? nil : search.conditionCodes
        var hospitalTerm: String?
        if let hospital = search.hospitalId {
            let name = try await database.readPrepared { sql in try await sql.raw(Self.hospitalNameQuery(hospital)).first()?.text("name") }
            hospitalTerm = name?.lowercased() ?? ""
        }
        let exact = search.terms.filter { $0.count < 3 } + (codes ?? []).map { $0.lowercased() } + (hospitalTerm.map { [$0] } ?? [])
        let counted = try await entries(of: exact)
        func pieces(_ terms: [String]) -> [TermGroup.Piece] { Self.pieces(terms, entries: counted) }
        for word in search.terms {
            guard word.count >= 3 else {
                groups.append(TermGroup(pieces: pieces([word])))
                continue
            }
            let rows = try await database.readPrepared { sql in try await sql.raw(Self.vocabularyQuery(word, engine: engine)).all() }
            guard rows.count <= Self.mostWalkedPieces else { return nil }
            var group = TermGroup(pieces: [])
            for row in rows {
                if try row.bool("in_training") { return nil }
                let piece = TermGroup.Piece(term: try row.text("term"), entries: try row.int64("entries"))
                if piece.entries > 0 && !(substringOnly && piece.term == word) { group.pieces.append(piece) }
            }
            groups.append(group)
        }
        if let codes { groups.append(TermGroup(pieces: pieces(codes.map { $0.lowercased() }), isCondition: true)) }
        if let hospitalTerm { groups.append(TermGroup(pieces: pieces([hospitalTerm]), isHospital: true)) }
        return groups
    }

    /// The page of a walk of one term in order (`walksTermInOrder`). One word with a condition is
    /// walked from whichever of the two has fewer entries, the word or the condition's codes, each
    /// checked for the other: walking the word checked every entry of a word whose doctors seldom
    /// have the condition (all 11,462 of `pediatrics` for D64.9: 28 ms among 150,000 doctors, 300 ms
    /// under load).
    func exactMatches(_ search: DoctorSearch) async throws -> [any SQLRow] {
        let engine = database.engine
        guard search.condition != nil, let word = search.terms.first else {
            return try await database.readPrepared { sql in try await sql.raw(Self.rankedTermQuery(search, engine: engine)).all() }
        }
        let codes = search.conditionCodes.map { $0.lowercased() }
        let counted = try await entries(of: [word] + codes)
        let groups = [TermGroup(pieces: Self.pieces([word], entries: counted)),
                      TermGroup(pieces: Self.pieces(codes, entries: counted), isCondition: true)]
        guard let plan = Self.termPlan(search, groups: groups, gatheredEntries: mostGatheredEntries),
              let statement = Self.termStatements(search, groups: groups, plan: plan, excluded: nil, engine: engine).first else { return [] }
        return try await database.readPrepared { sql in try await sql.raw(statement).all() }
    }

    /// The name of a hospital, whose doctors have it as a term (`DoctorIndex.terms`).
    static func hospitalNameQuery(_ hospital: UUID) -> SQLQueryString {
        "SELECT name FROM institutions WHERE id = \(bind: hospital.text)"
    }

    /// The vocabulary's pieces that contain `word`, through its trigram index (case aside, as the
    /// doctors' own trigram index matches), one more than `mostWalkedPieces` at most.
    public static func vocabularyQuery(_ word: String, engine: Engine) -> SQLQueryString {
        switch engine {
        case .sqlite:
            return """
                SELECT v.term, v.entries, v.in_training FROM search_vocabulary_text f CROSS JOIN search_vocabulary v
                WHERE f.search_vocabulary_text MATCH \(bind: ftsPhrase(word)) AND v.id = f.rowid LIMIT \(literal: mostWalkedPieces + 1)
                """
        case .postgres:
            return """
                SELECT term, entries, in_training FROM search_vocabulary WHERE term ILIKE \(bind: likePattern(word))
                LIMIT \(bind: mostWalkedPieces + 1)
                """
        }
    }

    /// The counts of entries of exact terms (short words, condition codes).
    static func entriesQuery(_ terms: [String]) -> SQLQueryString {
        "SELECT term, entries FROM search_vocabulary WHERE term IN (\(binds: terms))"
    }

    /// How many entries each of `terms` has (`entriesQuery`); a term nobody has is left out.
    func entries(of terms: [String]) async throws -> [String: Int64] {
        guard !terms.isEmpty else { return [:] }
        let rows = try await database.readPrepared { sql in try await sql.raw(Self.entriesQuery(terms)).all() }
        return try Dictionary(rows.map { (try $0.text("term"), try $0.int64("entries")) }, uniquingKeysWith: +)
    }

    /// The pieces of `terms` that have entries, as `entries` counts them.
    static func pieces(_ terms: [String], entries: [String: Int64]) -> [TermGroup.Piece] {
        terms.compactMap { term in entries[term].flatMap { $0 > 0 ? TermGroup.Piece(term: term, entries: $0) : nil } }
    }

    /// What every term entry `t` read for `search` must pass: the filters kept on the entries
    /// (M0032), a term of every group but the driving one, not `excluded` as an exact term, the
    /// condition's codes and the hospital (also when their group drives: its terms lead to their
    /// doctors), and the service.
    static func entryConditions(_ search: DoctorSearch, groups: [TermGroup], driving: Int, excluded: String?,
                                engine: Engine) -> [SQLQueryString] {
        // Cheapest first: the entry's own columns, then probes of the clustered term table, then the
        // condition's covering index, then the rows of the service line and of the doctor.
        var conditions = filters(search, placedIn: "t", withHospital: false)
        for (index, group) in groups.enumerated() where !group.isCondition && index != driving {
            conditions.append(probe("SELECT 1 FROM doctor_terms x WHERE x.term IN (\(binds: group.terms)) AND x.doctor_id = t.doctor_id",
                                    engine: engine))
        }
        if let excluded {
            conditions.append(probe("SELECT 1 FROM doctor_terms e WHERE e.term = \(bind: excluded) AND e.doctor_id = t.doctor_id",
                                    engine: engine, negated: true))
        }
        if let condition = conditionFilter(search, doctor: "t.doctor_id", engine: engine) { conditions.append(condition) }
        if let service = search.service {
            conditions.append(probe("""
                SELECT 1 FROM doctor_services o WHERE o.doctor_id = t.doctor_id AND o.kind = \(bind: service.rawValue) \
                AND o.paused = \(bind: false)
                """, engine: engine))
        }
        if let hospital = search.hospitalId {
            // Another hospital may share the name.
            conditions.append(probe("SELECT 1 FROM doctors h WHERE h.id = t.doctor_id AND h.hospital_id = \(bind: hospital.text)",
                                    engine: engine))
        }
        return conditions
    }

    /// The page of `search` walked through the driving group's terms: each term's entries are
    /// walked in the order's term index to the page's last row, checked as `entryConditions` says,
    /// and the walks are merged: the page's doctors are among the first rows of the walks that hold
    /// them, so no walk reads further. Leaves out the doctors whose exact term is `excluded`.
    static func termWalkQuery(_ search: DoctorSearch, groups: [TermGroup], driving: Int, excluded: String?,
                              engine: Engine) -> SQLQueryString {
        let key = search.sort == .patientsServed ? "patients_served" : "rank_score"
        let depth = search.offset + search.limit + 1
        let conditions = entryConditions(search, groups: groups, driving: driving, excluded: excluded, engine: engine)
        let walks = groups[driving].terms.enumerated().map { index, term -> SQLQueryString in
            var walk: SQLQueryString = "SELECT * FROM (SELECT t.doctor_id, t.\(unsafeRaw: key) AS k FROM doctor_terms t WHERE "
            walk += (["t.term = \(bind: term)"] + conditions).joined(separator: " AND ")
            walk += " ORDER BY t.\(unsafeRaw: key) DESC, t.doctor_id"
            walk += engine == .sqlite ? " LIMIT \(literal: depth)" : " LIMIT \(bind: depth)"
            return walk + ") w\(unsafeRaw: String(index))"
        }
        let merged = walks.joined(separator: " UNION ") + " ORDER BY k DESC, doctor_id" + window(search, engine: engine)
        return doctors(of: merged, idColumn: "doctor_id", search: search) + " ORDER BY p.k DESC, p.doctor_id"
    }

    /// The page of `search` by price: the driving group's doctors (at most `mostGatheredEntries`
    /// entries), checked as `entryConditions` says, sorted by price. On SQLite they are sorted by the
    /// price of their service line and the rank their term entries keep, and only the page's doctors
    /// are read (reading every candidate's row cost 30–40 ms for 4,000–5,000 of them).
    static func termGatherQuery(_ search: DoctorSearch, groups: [TermGroup], driving: Int, engine: Engine) -> SQLQueryString {
        let conditions = entryConditions(search, groups: groups, driving: driving, excluded: nil, engine: engine)
        var candidates: SQLQueryString = "SELECT DISTINCT t.doctor_id, t.rank_score AS k FROM doctor_terms t WHERE "
        candidates += (["t.term IN (\(binds: groups[driving].terms))"] + conditions).joined(separator: " AND ")
        switch engine {
        case .sqlite:
            let kind = (search.service ?? .textPackage).rawValue
            var keys: SQLQueryString = "SELECT c.doctor_id, s.price_fen AS price, c.k FROM (" + candidates + ") c"
            keys += search.service != nil
                ? " JOIN doctor_services s ON s.doctor_id = c.doctor_id AND s.kind = \(bind: kind) AND s.paused = \(bind: false)"
                : " LEFT JOIN doctor_services s ON s.doctor_id = c.doctor_id AND s.kind = \(bind: kind)"
            keys += " ORDER BY price ASC NULLS LAST, c.k DESC, c.doctor_id" + window(search, engine: engine)
            return doctors(of: keys, idColumn: "doctor_id", search: search) + " ORDER BY p.price ASC NULLS LAST, p.k DESC, p.doctor_id"
        case .postgres:
            return doctors(byKey: "SELECT doctor_id FROM (" + candidates + ") c", search: search)
        }
    }

    /// The page by price of the doctors whose ids `keys` gives, on PostgreSQL. As an array of ids
    /// the doctors are read by key; joined as a table, PostgreSQL merges or hashes the candidates
    /// against every doctor (it cannot tell how few pass the probes that choose them).
    static func doctors(byKey keys: SQLQueryString, search: DoctorSearch) -> SQLQueryString {
        summaryColumns() + " FROM doctors d JOIN institutions i ON i.id = d.hospital_id" + serviceJoin(search)
            + " WHERE d.id = ANY (ARRAY(" + keys + "))" + orderBy(.price, relevance: nil) + window(search, engine: .postgres)
    }

    /// How many doctors a walk of `groups` would give in all (asked only when paging past them).
    static func termCount(_ search: DoctorSearch, groups: [TermGroup], driving: Int, excluded: String?, engine: Engine) -> SQLQueryString {
        let conditions = entryConditions(search, groups: groups, driving: driving, excluded: excluded, engine: engine)
        return "SELECT COUNT(DISTINCT t.doctor_id) AS n FROM doctor_terms t WHERE "
            + (["t.term IN (\(binds: groups[driving].terms))"] + conditions).joined(separator: " AND ")
    }

    /// The statements that answer `search` by `plan`, in order (none when nobody is found). A price
    /// walk's page is bound to the edge its first statements find (`edge` stands in for it), a
    /// short walk and then, unless the group's entries in the place are few and gathered
    /// (`countsPlacedEntries`), a long one; gathering follows when they find none (up to
    /// `largestGatheredGroup` entries; the trigram index's statements beyond, which the caller adds).
    static func termStatements(_ search: DoctorSearch, groups: [TermGroup], plan: TermPlan, excluded: String?, engine: Engine,
                               edge: Int64 = 0) -> [SQLQueryString] {
        switch plan {
        case .nobody: []
        case .walk(let driving): [termWalkQuery(search, groups: groups, driving: driving, excluded: excluded, engine: engine)]
        case .gather(let driving): [termGatherQuery(search, groups: groups, driving: driving, engine: engine)]
        case .priceWalk(let driving):
            [openPricesQuery(search, groups: groups, driving: driving, linesRead: 1, engine: engine),
             openLinesQuery(search, linesRead: 1)]
                + (search.service == nil ? [pausedPricesQuery(search, groups: groups, driving: driving, engine: engine)] : [])
                + (countsPlacedEntries(search, group: groups[driving])
                    ? [placedEntriesQuery(search, groups: groups, driving: driving, gatheredEntries: mostGatheredEntries)] : [])
                + [priceWalkQuery(search, groups: groups, driving: driving, edge: edge, engine: engine)]
                + (groups[driving].entries <= largestGatheredGroup || countsPlacedEntries(search, group: groups[driving])
                    ? [termGatherQuery(search, groups: groups, driving: driving, engine: engine)] : [])
        }
    }

    /// The rows of `search` answered from its groups of terms, or nil when it is not (see
    /// `walksVocabulary`, `termGroups`, `termPlan`).
    func vocabularyRows(of search: DoctorSearch, substringOnly: Bool) async throws -> [any SQLRow]? {
        guard Self.walksVocabulary(search, substringOnly: substringOnly),
              let groups = try await termGroups(of: search, substringOnly: substringOnly) else { return nil }
        return try await rows(of: search, groups: groups, excluded: substringOnly ? search.terms.first : nil)
    }

    /// The rows of `search` from `groups`, or nil when they do not answer it (`termPlan`; a price
    /// walk whose lines do not fill the page, which doctors without a line would follow).
    private func rows(of search: DoctorSearch, groups: [TermGroup], excluded: String?) async throws -> [any SQLRow]? {
        guard let plan = Self.termPlan(search, groups: groups, gatheredEntries: mostGatheredEntries) else { return nil }
        let engine = database.engine
        if case .priceWalk(let driving) = plan {
            // A short walk settles most pages. One that does not is walked again as far as a walk
            // goes, or gathered when none of its lines passed and the group is rare in the place.
            let short = try await priceWalk(search, groups: groups, driving: driving, linesPerRow: Self.shortPriceWalkLinesPerRow)
            var edge = short.edge
            var gathers = false
            if edge == nil && !short.readEveryLine {
                if short.passingOpenLines == 0 { gathers = try await gathersPlacedEntries(search, groups: groups, driving: driving) }
                if !gathers { edge = try await priceEdge(search, groups: groups, driving: driving) }
            }
            let page: SQLQueryString
            if let edge {
                page = Self.priceWalkQuery(search, groups: groups, driving: driving, edge: edge, engine: engine)
            } else if gathers || groups[driving].entries <= Self.largestGatheredGroup {
                page = Self.termGatherQuery(search, groups: groups, driving: driving, engine: engine)
            } else {
                return nil
            }
            return try await database.readPrepared { sql in try await sql.raw(page).all() }
        }
        guard let statement = Self.termStatements(search, groups: groups, plan: plan, excluded: excluded, engine: engine).first else {
            return []
        }
        return try await database.readPrepared { sql in try await sql.raw(statement).all() }
    }

    /// Whether `search` by relevance may be answered from its groups of terms (`relevanceRows`):
    /// several words, or one with a hospital (`walksTermInOrder` answers one without).
    static func ranksFromTerms(_ search: DoctorSearch) -> Bool {
        search.sort == .relevance && (search.terms.count > 1 || (search.terms.count == 1 && search.hospitalId != nil))
    }

    /// How relevance orders the doctors a search of several words finds. Relevance counts the words a
    /// doctor has as exact terms. A word found only as itself (a short word, or one in no other
    /// term) is an exact term of every doctor found, and a word that is nobody's term of none: only a
    /// word that is some doctors' exact term and is in other terms too tells the doctors apart.
    enum RelevanceOrder: Equatable {
        /// No word tells the doctors apart: relevance is rank order.
        case rank
        /// One word does: the doctors who have it as an exact term first, each part in rank order.
        case exactFirst(word: String, group: Int)
        /// Several do: the doctors are ordered by how many they have (left to the trigram index).
        case byCount
    }

    static func relevanceOrder(of search: DoctorSearch, groups: [TermGroup]) -> RelevanceOrder {
        let ranking = search.terms.indices.filter { index in
            let terms = groups[index].terms
            return terms.count > 1 && terms.contains(search.terms[index])
        }
        guard let first = ranking.first else { return .rank }
        return ranking.count == 1 ? .exactFirst(word: search.terms[first], group: first) : .byCount
    }

    /// The groups of the doctors who have `word` (of group `index`) as an exact term, and of those
    /// who have another of its pieces (who must also not have `word`: `excluded`).
    static func split(_ groups: [TermGroup], at index: Int, word: String) -> (exact: [TermGroup], others: [TermGroup]) {
        var exact = groups
        var others = groups
        exact[index].pieces = groups[index].pieces.filter { $0.term == word }
        others[index].pieces = groups[index].pieces.filter { $0.term != word }
        return (exact, others)
    }

    /// The rows of a search of several words by relevance from its groups of terms, as
    /// `relevanceOrder` says; nil when several words order them, or the groups do not answer it.
    func relevanceRows(of search: DoctorSearch) async throws -> [any SQLRow]? {
        guard Self.ranksFromTerms(search), let groups = try await termGroups(of: search, substringOnly: false) else { return nil }
        switch Self.relevanceOrder(of: search, groups: groups) {
        case .byCount:
            return nil
        case .rank:
            return try await rows(of: search, groups: groups, excluded: nil)
        case .exactFirst(let word, let index):
            let (exactGroups, otherGroups) = Self.split(groups, at: index, word: word)
            guard let exact = try await rows(of: search, groups: exactGroups, excluded: nil) else { return nil }
            let wanted = search.limit + 1
            guard exact.count < wanted else { return exact }
            var exactTotal = search.offset + exact.count
            if exact.isEmpty && search.offset > 0,
               case .walk(let driving)? = Self.termPlan(search, groups: exactGroups, gatheredEntries: mostGatheredEntries) {
                let count = Self.termCount(search, groups: exactGroups, driving: driving, excluded: nil, engine: database.engine)
                exactTotal = try await database.readPrepared { sql in Int(try await sql.raw(count).first()?.int64("n") ?? 0) }
            }
            var rest = search
            rest.offset = max(0, search.offset - exactTotal)
            rest.limit = wanted - exact.count
            guard let others = try await rows(of: rest, groups: otherGroups, excluded: word) else { return nil }
            return exact + others
        }
    }
}
