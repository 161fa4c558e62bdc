import Foundation
import MedLoopDomain
import SQLKit

extension DoctorStore {
    /// Whether SQLite first walks the order's index for a one-word search, checking each doctor's
    /// text for the word, before it asks the trigram index (`searchKeyQuery`): a word of 3+
    /// characters, no condition, sorted by rating or patients served, or by relevance for the
    /// matches that follow the exact ones. A common word fills its page within the first doctors of
    /// the order, at a cost that grows with the page rather than with the word's thousands of matches
    /// (`hypertension` matches one doctor in thirteen: 0.2 ms walking, 24 ms through the trigrams on
    /// 150,000 doctors); a rare word does not, and the trigram index, whose cost grows with the
    /// matches, answers it. Not by price, which the doctor rows do not hold, nor deep into the matches;
    /// nor in a province, whose doctors no index keeps in order (the walk would read the whole order
    /// to find the window's doctors of a small province: 358 ms for a name in Hainan).
    public static func walksTextFirst(_ search: DoctorSearch, engine: Engine) -> Bool {
        findsBySearchKey(search, engine: engine) && search.terms.count == 1 && search.sort != .price
            && search.offset + search.limit + 1 <= deepestWalkedRow && (search.cityPrefix?.count ?? 4) >= 4
    }

    /// How many doctors of the order a text walk reads at most before it leaves the search to the
    /// trigram index: enough for a word that one doctor in twenty matches to fill the page. A walk
    /// that does not fill costs about 6 µs a doctor read (measured on 150,000 doctors), hence the
    /// bound on how deep a page is walked (`deepestWalkedRow`).
    static func textWalkWindow(_ search: DoctorSearch) -> Int {
        20 * (search.offset + search.limit + 1)
    }

    /// The deepest row a text walk is tried for: up to 1,600 doctors read.
    static let deepestWalkedRow = 80

    /// The query of `walksTextFirst`: the first `textWalkWindow` doctors in the page's order (through
    /// the order's index for the search's filters), those whose text holds the word (with
    /// `substringOnly`, not as one of their exact terms), and of those the page. Doctors come out in
    /// the walk's order: the window is a co-routine read in order, and each later step keeps it.
    /// Fewer rows than `limit + 1` mean the window ran out, not the matches: the caller then asks
    /// `searchKeyQuery`.
    public static func textWalkQuery(_ search: DoctorSearch, substringOnly: Bool) -> SQLQueryString {
        let term = search.terms[0]
        let order: SQLQueryString = search.sort == .patientsServed ? " ORDER BY d.patients_served DESC, d.id"
                                                                   : " ORDER BY d.rank_score DESC, d.id"
        var walked: SQLQueryString = "SELECT d.id, d.search_text FROM doctors d"
        if search.service != nil { walked += serviceJoin(search) }
        walked += " WHERE " + filters(search).joined(separator: " AND ") + order
        walked += " LIMIT \(literal: textWalkWindow(search))"
        var matches: SQLQueryString = "SELECT w.id FROM (" + walked + ") w WHERE w.search_text LIKE \(bind: likePattern(term)) ESCAPE '\\'"
        if substringOnly {
            matches += " AND NOT EXISTS (SELECT 1 FROM doctor_terms t WHERE t.term = \(bind: term) AND t.doctor_id = w.id)"
        }
        matches += window(search, engine: .sqlite)
        return doctors(of: matches, idColumn: "id", search: search)
    }
}
