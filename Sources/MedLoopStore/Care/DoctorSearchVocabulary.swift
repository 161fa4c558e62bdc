import Foundation
import MedLoopDomain
import SQLKit

/// One word of a search, or its condition, as the terms that find it (M0033): a word of 3+
/// characters by the vocabulary's pieces that hold it, a shorter word by itself, a condition by its
/// codes. A doctor is found when they have a term of every group of the search.
struct TermGroup: Sendable, Equatable {
    var terms: [String]
    /// How many term entries the terms have together, of every standing and place: the most a walk
    /// of this group reads.
    var entries: Int64
    /// Whether this group is the search's condition: its doctors are those of `doctor_conditions`,
    /// to whom its terms (the codes) lead.
    var isCondition = false
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
}

extension DoctorStore {
    /// The most pieces a word's matches are walked through, one walk each (M0033): `高血压` is in 2
    /// terms, `diabetes` in 3, `人民医院` in 86 hospitals' names among 150,000 doctors (0.9 ms for
    /// its first page, 36–48 ms through the trigrams). A word in more is searched through the
    /// trigram index of the doctors' text.
    static let mostWalkedPieces = 128

    /// The most term entries gathered to sort a search by price: a word or condition that about one
    /// doctor in thirty has. Beyond it the trigram index and the price index answer as before.
    static let mostGatheredEntries: Int64 = 5_000

    /// Whether `search` may be answered from its groups of terms (`termGroups`): words or a
    /// condition, no hospital (the term entries do not keep it), and by relevance only one word
    /// (`substringOnly`: the matches after its exact ones) or none (relevance is then rank order).
    static func walksVocabulary(_ search: DoctorSearch, substringOnly: Bool) -> Bool {
        guard search.hospitalId == nil, !search.terms.isEmpty || search.condition != nil else { return false }
        return search.sort != .relevance || search.terms.isEmpty || (substringOnly && search.terms.count == 1)
    }

    /// How `groups` answer `search`, or nil when they do not (a sort by price whose smallest group
    /// has too many entries to gather).
    static func termPlan(_ search: DoctorSearch, groups: [TermGroup]) -> TermPlan? {
        guard !groups.contains(where: { $0.terms.isEmpty }) else { return .nobody }
        guard let driving = groups.indices.min(by: { groups[$0].entries < groups[$1].entries }) else { return nil }
        guard search.sort == .price else { return .walk(driving: driving) }
        return groups[driving].entries <= mostGatheredEntries ? .gather(driving: driving) : nil
    }

    /// The search's words and condition as groups of terms; with `substringOnly`, the one word's
    /// group without the word itself. Nil when a word of 3+ characters is also in some doctor's
    /// training (which has no term entries) or in more than `mostWalkedPieces` terms.
    func termGroups(of search: DoctorSearch, substringOnly: Bool) async throws -> [TermGroup]? {
        let engine = database.engine
        var groups: [TermGroup] = []
        let codes = search.condition == nil ? nil : search.conditionCodes
        let exact = search.terms.filter { $0.count < 3 } + (codes ?? []).map { $0.lowercased() }
        var counted: [String: Int64] = [:]
        if !exact.isEmpty {
            let rows = try await database.readPrepared { sql in try await sql.raw(Self.entriesQuery(exact)).all() }
            counted = try Dictionary(rows.map { (try $0.text("term"), try $0.int64("entries")) }, uniquingKeysWith: +)
        }
        for word in search.terms {
            guard word.count >= 3 else {
                groups.append(TermGroup(terms: [word], entries: counted[word] ?? 0))
                continue
            }
            let rows = try await database.readPrepared { sql in try await sql.raw(Self.vocabularyQuery(word, engine: engine)).all() }
            guard rows.count <= Self.mostWalkedPieces else { return nil }
            var group = TermGroup(terms: [], entries: 0)
            for row in rows {
                if try row.bool("in_training") { return nil }
                let term = try row.text("term")
                if substringOnly && term == word { continue }
                group.terms.append(term)
                group.entries += try row.int64("entries")
            }
            groups.append(group)
        }
        if let codes {
            let terms = codes.map { $0.lowercased() }
            groups.append(TermGroup(terms: terms, entries: terms.reduce(0) { $0 + (counted[$1] ?? 0) }, isCondition: true))
        }
        return groups
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

    /// What every term entry `t` read for `search` must pass: the filters kept on the entries
    /// (M0032), the service, a term of every group but the driving one, the condition's codes (also
    /// when its group drives: its terms lead to the codes' doctors), and with `substringOnly` not
    /// the word as an exact term.
    static func entryConditions(_ search: DoctorSearch, groups: [TermGroup], driving: Int, substringOnly: Bool) -> [SQLQueryString] {
        var conditions = filters(search, placedIn: "t")
        if let service = search.service {
            conditions.append("""
                EXISTS (SELECT 1 FROM doctor_services s WHERE s.doctor_id = t.doctor_id AND s.kind = \(bind: service.rawValue) \
                AND s.paused = \(bind: false))
                """)
        }
        if let condition = conditionFilter(search, doctor: "t.doctor_id") { conditions.append(condition) }
        for (index, group) in groups.enumerated() where !group.isCondition {
            if index != driving {
                conditions.append("EXISTS (SELECT 1 FROM doctor_terms x WHERE x.term IN (\(binds: group.terms)) AND x.doctor_id = t.doctor_id)")
            }
        }
        if substringOnly, let word = search.terms.first {
            conditions.append("NOT EXISTS (SELECT 1 FROM doctor_terms e WHERE e.term = \(bind: word) AND e.doctor_id = t.doctor_id)")
        }
        return conditions
    }

    /// The page of `search` walked through the driving group's terms: each term's entries are
    /// walked in the order's term index to the page's last row, checked as `entryConditions` says,
    /// and the walks are merged: the page's doctors are among the first rows of the walks that hold
    /// them, so no walk reads further.
    static func termWalkQuery(_ search: DoctorSearch, groups: [TermGroup], driving: Int, substringOnly: Bool,
                              engine: Engine) -> SQLQueryString {
        let key = search.sort == .patientsServed ? "patients_served" : "rank_score"
        let depth = search.offset + search.limit + 1
        let conditions = entryConditions(search, groups: groups, driving: driving, substringOnly: substringOnly)
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
    /// entries), checked as `entryConditions` says, sorted by price; only they are read.
    static func termGatherQuery(_ search: DoctorSearch, groups: [TermGroup], driving: Int, engine: Engine) -> SQLQueryString {
        let conditions = entryConditions(search, groups: groups, driving: driving, substringOnly: false)
        var keys: SQLQueryString = "SELECT DISTINCT t.doctor_id FROM doctor_terms t WHERE "
        keys += (["t.term IN (\(binds: groups[driving].terms))"] + conditions).joined(separator: " AND ")
        let order = orderBy(.price, relevance: nil) + window(search, engine: engine)
        switch engine {
        case .sqlite:
            return doctors(of: keys, idColumn: "doctor_id", search: search) + order
        case .postgres:
            // As an array of ids the doctors are read by key; joined as a table, PostgreSQL merges
            // or hashes the candidates against every doctor.
            return summaryColumns() + " FROM doctors d JOIN institutions i ON i.id = d.hospital_id" + serviceJoin(search)
                + " WHERE d.id = ANY (ARRAY(" + keys + "))" + order
        }
    }

    /// The statement that answers `search` by `plan`, or nil when nobody is found.
    static func termStatement(_ search: DoctorSearch, groups: [TermGroup], plan: TermPlan, substringOnly: Bool,
                              engine: Engine) -> SQLQueryString? {
        switch plan {
        case .nobody: nil
        case .walk(let driving): termWalkQuery(search, groups: groups, driving: driving, substringOnly: substringOnly, engine: engine)
        case .gather(let driving): termGatherQuery(search, groups: groups, driving: driving, engine: engine)
        }
    }

    /// The rows of `search` answered from its groups of terms, or nil when it is not (see
    /// `walksVocabulary`, `termGroups`, `termPlan`).
    func vocabularyRows(of search: DoctorSearch, substringOnly: Bool) async throws -> [any SQLRow]? {
        guard Self.walksVocabulary(search, substringOnly: substringOnly),
              let groups = try await termGroups(of: search, substringOnly: substringOnly),
              let plan = Self.termPlan(search, groups: groups) else { return nil }
        let engine = database.engine
        guard let statement = Self.termStatement(search, groups: groups, plan: plan, substringOnly: substringOnly, engine: engine) else {
            return []
        }
        return try await database.readPrepared { sql in try await sql.raw(statement).all() }
    }
}
