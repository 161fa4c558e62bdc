import Foundation
import MedLoopDomain
import SQLKit

extension DoctorStore {
    /// The most pieces a word's matches are walked through, one walk each (M0033): `高血压` is in 2
    /// terms, `diabetes` in 3, `人民医院` in 86 hospitals' names among 150,000 doctors (0.9 ms for
    /// its first page, 36–48 ms through the trigrams). A word in more is searched through the
    /// trigram index of the doctors' text.
    static let mostWalkedPieces = 128

    /// Whether `search` may be answered by walking its word's pieces (M0033): one word of 3+
    /// characters, without a condition or a hospital (neither is on the term entries), not by price
    /// (the term entries keep rank and patients-served order).
    static func walksVocabulary(_ search: DoctorSearch) -> Bool {
        search.terms.count == 1 && search.terms[0].count >= 3 && search.condition == nil && search.hospitalId == nil
            && search.sort != .price
    }

    /// The terms of the search vocabulary that contain `word`; nil when the word is also in some
    /// doctor's training (which has no term entries to walk) or in more than `mostWalkedPieces` terms.
    func termsContaining(_ word: String) async throws -> [String]? {
        let engine = database.engine
        let rows = try await database.readPrepared { sql in try await sql.raw(Self.vocabularyQuery(word, engine: engine)).all() }
        guard rows.count <= Self.mostWalkedPieces else { return nil }
        var terms: [String] = []
        for row in rows {
            if try row.bool("in_training") { return nil }
            terms.append(try row.text("term"))
        }
        return terms
    }

    /// The vocabulary's pieces that contain `word`, through its trigram index (case aside, as the
    /// doctors' own trigram index matches), one more than `mostWalkedPieces` at most.
    public static func vocabularyQuery(_ word: String, engine: Engine) -> SQLQueryString {
        switch engine {
        case .sqlite:
            return """
                SELECT v.term, v.in_training FROM search_vocabulary_text f CROSS JOIN search_vocabulary v
                WHERE f.search_vocabulary_text MATCH \(bind: ftsPhrase(word)) AND v.id = f.rowid LIMIT \(literal: mostWalkedPieces + 1)
                """
        case .postgres:
            return """
                SELECT term, in_training FROM search_vocabulary WHERE term ILIKE \(bind: likePattern(word))
                LIMIT \(bind: mostWalkedPieces + 1)
                """
        }
    }

    /// The page of doctors who have one of `terms` (the pieces holding the search's word), in the
    /// page's order. Each term's entries are walked in the order's term index to the page's last
    /// row, with the filters checked on the entries (M0032), and the walks are merged: the page's
    /// doctors are among the first rows of the walks that hold them, so no walk reads further.
    /// With `substringOnly`, doctors whose exact term is the word are left out (they came first).
    public static func vocabularyWalkQuery(_ search: DoctorSearch, terms: [String], substringOnly: Bool,
                                           engine: Engine) -> SQLQueryString {
        let key = search.sort == .patientsServed ? "patients_served" : "rank_score"
        let depth = search.offset + search.limit + 1
        var conditions = filters(search, placedIn: "t")
        if let service = search.service {
            conditions.append("""
                EXISTS (SELECT 1 FROM doctor_services s WHERE s.doctor_id = t.doctor_id AND s.kind = \(bind: service.rawValue) \
                AND s.paused = \(bind: false))
                """)
        }
        if substringOnly {
            conditions.append("NOT EXISTS (SELECT 1 FROM doctor_terms e WHERE e.term = \(bind: search.terms[0]) AND e.doctor_id = t.doctor_id)")
        }
        let walks = terms.enumerated().map { index, term -> SQLQueryString in
            var walk: SQLQueryString = "SELECT * FROM (SELECT t.doctor_id, t.\(unsafeRaw: key) AS k FROM doctor_terms t WHERE "
            walk += (["t.term = \(bind: term)"] + conditions).joined(separator: " AND ")
            walk += " ORDER BY t.\(unsafeRaw: key) DESC, t.doctor_id"
            walk += engine == .sqlite ? " LIMIT \(literal: depth)" : " LIMIT \(bind: depth)"
            return walk + ") w\(unsafeRaw: String(index))"
        }
        let merged = walks.joined(separator: " UNION ") + " ORDER BY k DESC, doctor_id" + window(search, engine: engine)
        return doctors(of: merged, idColumn: "doctor_id", search: search) + " ORDER BY p.k DESC, p.doctor_id"
    }

    /// The rows of `vocabularyWalkQuery`, or nil when `search` is not walked through its word's
    /// pieces (`walksVocabulary`, `termsContaining`).
    func vocabularyRows(of search: DoctorSearch, substringOnly: Bool) async throws -> [any SQLRow]? {
        guard Self.walksVocabulary(search), let terms = try await termsContaining(search.terms[0]) else { return nil }
        let walked = substringOnly ? terms.filter { $0 != search.terms[0] } : terms
        guard !walked.isEmpty else { return [] }
        let engine = database.engine
        return try await database.readPrepared { sql in
            try await sql.raw(Self.vocabularyWalkQuery(search, terms: walked, substringOnly: substringOnly, engine: engine)).all()
        }
    }
}
