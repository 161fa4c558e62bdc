import Foundation
import MedLoopDomain
import SQLKit

extension DoctorStore {
    /// Approved doctors matching `search`, in its order. Every word of the text must match a
    /// doctor, exactly (a term of `doctor_terms`) or as a substring of 3+ characters (trigram index);
    /// exact matches rank first. Terms and search text are always written together from
    /// `DoctorIndex`, so every term is a substring of its doctor's text. A city's name in the text filters by where doctors work. Filters and orders run on indexes, never a scan of all doctors.
    public func search(_ search: DoctorSearch) async throws -> Page<DoctorSummary> {
        try search.validate()
        if search.citiesContradict { return Page(items: [], nextCursor: nil) }
        let engine = database.engine
        let wanted = search.limit + 1
        if Self.walksServiceInPriceOrder(search) {
            let rows = try await database.readPrepared { sql in try await sql.raw(Self.priceWalkQuery(search, engine: engine)).all() }
            return try page(rows, search: search)
        }
        guard Self.walksTermInOrder(search) else {
            if Self.ranksFromTerms(search), let ranked = try await relevanceRows(of: search) { return try page(ranked, search: search) }
            return try page(try await rows(of: search, substringOnly: false, mayWalk: true), search: search)
        }
        // One word, best first: walk the word's exact matches in the page's order and stop at the
        // page; only when they run out do substring-only matches follow (relevance puts exact first).
        let exact = try await exactMatches(search)
        // A condition has no substring matches; a word of 3+ characters may.
        guard exact.count < wanted, let term = search.terms.first, term.count >= 3 else {
            return try page(exact, search: search)
        }
        var exactTotal = search.offset + exact.count
        if exact.isEmpty && search.offset > 0 {
            exactTotal = try await database.readPrepared { sql in
                Int(try await sql.raw(Self.rankedTermCount(search, engine: engine)).first()?.int64("n") ?? 0)
            }
        }
        var rest = search
        rest.offset = max(0, search.offset - exactTotal)
        rest.limit = wanted - exact.count
        // A word that is some doctors' exact term has few substring-only matches: a walk would not fill.
        let substring = try await rows(of: rest, substringOnly: true, mayWalk: exactTotal == 0)
        return try page(exact + substring, search: search)
    }

    /// The rows of `searchQuery(search, substringOnly:)`: those of the walks of the word's pieces when
    /// it has few (`vocabularyRows`); else on SQLite those of a text walk when one may be tried and it
    /// fills the page (`walksTextFirst`), else the trigram index's.
    private func rows(of search: DoctorSearch, substringOnly: Bool, mayWalk: Bool) async throws -> [any SQLRow] {
        if let walked = try await vocabularyRows(of: search, substringOnly: substringOnly) { return walked }
        let engine = database.engine
        if mayWalk && Self.walksTextFirst(search, engine: engine) {
            let walked = try await database.readPrepared { sql in
                try await sql.raw(Self.textWalkQuery(search, substringOnly: substringOnly)).all()
            }
            if walked.count > search.limit { return walked }
        }
        return try await database.readPrepared { sql in
            try await sql.raw(Self.searchQuery(search, engine: engine, substringOnly: substringOnly)).all()
        }
    }

    /// Whether a term index answers `search` directly, walking the term's entries in the page's
    /// order: one word sorted by relevance; one word of fewer than 3 characters (it has exact
    /// matches only) or one condition (its ICD-10 code is a term) sorted by relevance, rating or
    /// patients served; one word with a condition by relevance; none with a hospital. The term
    /// indexes keep rank order and patients-served order, not price.
    static func walksTermInOrder(_ search: DoctorSearch) -> Bool {
        // A hospital's doctors are found through its name, one of their terms (`termGroups`).
        guard search.hospitalId == nil else { return false }
        let walkedSorts: Set<DoctorSort> = [.relevance, .rating, .patientsServed]
        if search.terms.count == 1 {
            // With a condition, by relevance: the word's exact matches that have the condition first.
            if search.condition != nil { return search.sort == .relevance }
            return search.sort == .relevance || (walkedSorts.contains(search.sort) && search.terms[0].count < 3)
        }
        return search.terms.isEmpty && search.conditionCodes.count == 1 && walkedSorts.contains(search.sort)
    }

    /// The term a ranked walk follows: the word, or the condition's code.
    private static func walkedTerm(_ search: DoctorSearch) -> String {
        search.terms.first ?? search.conditionCodes.first?.lowercased() ?? ""
    }

    /// Whether `search` lists by price with filters only: walked in the order of the service
    /// price index, among the doctors offering the service.
    static func walksServiceInPriceOrder(_ search: DoctorSearch) -> Bool {
        search.sort == .price && search.terms.isEmpty && search.condition == nil
    }

    /// Doctors offering the service (the text package unless another is named), cheapest first.
    public static func priceWalkQuery(_ search: DoctorSearch, engine: Engine) -> SQLQueryString {
        let kind = (search.service ?? .textPackage).rawValue
        // A hospital's few hundred doctors are gathered through its index and sorted instead: walking
        // every line in price order for them took 420 ms in a province among 150,000 doctors.
        let walked: SQLQueryString = search.hospitalId == nil ? "doctor_services s CROSS JOIN doctors d" : "doctors d CROSS JOIN doctor_services s"
        var query = summaryColumns() + " FROM " + walked + " JOIN institutions i ON i.id = d.hospital_id"
        // The service line's copy of the city and department leads the walk to that place's lines.
        var place: [SQLQueryString] = []
        if let prefix = search.cityPrefix, prefix.count >= 4 { place.append("s.city_code = \(bind: String(prefix.prefix(4)) + "00")") }
        if let department = search.department { place.append("s.department = \(bind: department)") }
        query += " WHERE " + (["s.kind = \(bind: kind)", "s.paused = \(bind: false)"] + place + ["d.id = s.doctor_id"] + filters(search))
            .joined(separator: " AND ")
        query += " ORDER BY s.price_fen, s.doctor_id" + window(search, engine: engine)
        return query
    }

    private func page(_ rows: [any SQLRow], search: DoctorSearch) throws -> Page<DoctorSummary> {
        let summaries = try rows.prefix(search.limit).map { row in
            let ratingCount = try row.int64("rating_count")
            return DoctorSummary(
                id: try row.uuid("id"), name: try row.text("name"), title: try row.value("title", as: DoctorTitle.self),
                department: try row.text("department"), hospitalId: try row.uuid("hospital_id"),
                hospitalName: try row.text("hospital_name"), cityCode: try row.text("city_code"),
                practiceSince: Int(try row.int64("practice_since")), patientsServed: try row.int64("patients_served"),
                ratingAverage: Rating.averageStars(total: try row.int64("rating_total"), count: ratingCount),
                ratingCount: ratingCount, priceFen: try row.optionalInt64("price_fen"))
        }
        let hasMore = rows.count > search.limit && search.offset + search.limit <= DoctorSearch.maximumOffset
        return Page(items: summaries, nextCursor: hasMore ? Cursor.encode("o:\(search.offset + search.limit)") : nil)
    }

    /// The exact matches of a one-word search in the page's order, read from a term index: the
    /// standing, city and department filters are checked on the index entries (M0032), so a
    /// doctor row is read only for an entry that passes them.
    public static func rankedTermQuery(_ search: DoctorSearch, engine: Engine) -> SQLQueryString {
        var query = summaryColumns() + " FROM doctor_terms t CROSS JOIN doctors d JOIN institutions i ON i.id = d.hospital_id"
        query += serviceJoin(search)
        query += " WHERE " + (["t.term = \(bind: walkedTerm(search))", "d.id = t.doctor_id"] + termFilters(search, engine: engine)).joined(separator: " AND ")
        query += search.sort == .patientsServed ? " ORDER BY t.patients_served DESC, t.doctor_id" : " ORDER BY t.rank_score DESC, t.doctor_id"
        return query + window(search, engine: engine)
    }

    /// How many exact matches a one-word search has (only asked when paging past them).
    static func rankedTermCount(_ search: DoctorSearch, engine: Engine) -> SQLQueryString {
        var query: SQLQueryString = "SELECT COUNT(*) AS n FROM doctor_terms t CROSS JOIN doctors d"
        query += serviceJoin(search)
        query += " WHERE " + (["t.term = \(bind: walkedTerm(search))", "d.id = t.doctor_id"] + termFilters(search, engine: engine)).joined(separator: " AND ")
        return query
    }

    /// The filters of a walk of a word's exact matches: those on the entries, and the condition.
    private static func termFilters(_ search: DoctorSearch, engine: Engine) -> [SQLQueryString] {
        let condition = search.terms.isEmpty ? nil : conditionFilter(search, doctor: "t.doctor_id", engine: engine)
        return filters(search, placedIn: "t") + (condition.map { [$0] } ?? [])
    }

    /// That the doctor `doctor` (a column) has the search's condition, when it names one.
    static func conditionFilter(_ search: DoctorSearch, doctor: String, engine: Engine) -> SQLQueryString? {
        guard search.condition != nil else { return nil }
        let codes = search.conditionCodes
        guard !codes.isEmpty else { return "1 = 0" }
        return probe("SELECT 1 FROM doctor_conditions c WHERE c.doctor_id = \(unsafeRaw: doctor) AND c.icd10 IN (\(binds: codes))",
                     engine: engine)
    }

    /// That `subquery`, correlated with the row being checked, has a row (or, `negated`, has none),
    /// probed for each row the walk reads. PostgreSQL would turn the check into a join of its own
    /// choosing: with its estimate of how the entries of several groups of terms overlap, it
    /// rescanned every entry of one group for each service line of a price walk (443 ms for a page
    /// that probes find in 8 ms among 150,000 doctors, BENCHMARKS.md). An `OFFSET` keeps a
    /// subquery out of its joins. SQLite probes row by row already.
    static func probe(_ subquery: SQLQueryString, engine: Engine, negated: Bool = false) -> SQLQueryString {
        let fenced = engine == .postgres ? subquery + " OFFSET 0" : subquery
        return (negated ? "NOT EXISTS (" : "EXISTS (") + fenced + ")"
    }

    /// The doctors whose search text contains `term` (3+ characters), through the trigram index
    /// of each engine: FTS5 `trigram` on SQLite, `pg_trgm` on PostgreSQL.
    private static func substringMatch(_ term: String, engine: Engine) -> SQLQueryString {
        switch engine {
        case .sqlite:
            return "SELECT doctor_id FROM doctor_text WHERE doctor_text MATCH \(bind: ftsPhrase(term))"
        case .postgres:
            return "SELECT id AS doctor_id FROM doctors WHERE search_text LIKE \(bind: likePattern(term))"
        }
    }

    /// The term as one FTS5 phrase: a substring of the text, whatever its characters.
    static func ftsPhrase(_ term: String) -> String {
        "\"" + term.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `%term%` for `LIKE`, with the pattern's own characters escaped.
    static func likePattern(_ term: String) -> String {
        "%" + term.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    /// Whether PostgreSQL filters the doctor row itself by its one word (of 3+ characters), rather
    /// than gathering the word's doctors first: the planner then either walks the order's index
    /// checking each doctor's text (a common word fills the page at once) or reads the word's doctors
    /// through the trigram index, by its estimate. Measured on 150,000 doctors (BENCHMARKS.md): 4–6 ms
    /// instead of 45–110 ms for rating and patients served, alone, in a city or a department. Not when
    /// sorting by price, where it hashes every service line instead; not for two words, whose
    /// intersection stays small; nor with a condition, whose doctors come from their own table.
    public static func filtersDoctorByText(_ search: DoctorSearch, engine: Engine, substringOnly: Bool) -> Bool {
        engine == .postgres && !substringOnly && search.condition == nil && search.sort != .price && search.terms.count == 1
            && search.terms[0].count >= 3
    }

    /// The service a search is priced by (or filtered on, when it names one).
    static func serviceJoin(_ search: DoctorSearch) -> SQLQueryString {
        let kind = (search.service ?? .textPackage).rawValue
        return search.service != nil
            ? " JOIN doctor_services s ON s.doctor_id = d.id AND s.kind = \(bind: kind) AND s.paused = \(bind: false)"
            : " LEFT JOIN doctor_services s ON s.doctor_id = d.id AND s.kind = \(bind: kind)"
    }

    /// The filters every search applies to the doctor: standing, department and city on the doctor
    /// row `d`, or on the rows named by `placedIn` that keep copies of them; the hospital on `d`
    /// unless `withHospital` is false (the caller checks it otherwise).
    static func filters(_ search: DoctorSearch, placedIn place: String = "d", withHospital: Bool = true) -> [SQLQueryString] {
        var conditions: [SQLQueryString] = ["\(unsafeRaw: place).qualification = \(bind: QualificationStatus.approved.rawValue)"]
        if let department = search.department { conditions.append("\(unsafeRaw: place).department = \(bind: department)") }
        if let prefix = search.cityPrefix {
            conditions.append(prefix.count >= 4 ? "\(unsafeRaw: place).city_code = \(bind: String(prefix.prefix(4)) + "00")"
                                                : "\(unsafeRaw: place).city_code LIKE \(bind: prefix + "%")")
        }
        if withHospital, let hospital = search.hospitalId { conditions.append("d.hospital_id = \(bind: hospital.text)") }
        return conditions
    }

    /// The offset inside a search cursor.
    public static func offset(fromCursor cursor: String?) throws(DomainError) -> Int {
        guard let cursor else { return 0 }
        let key = try Cursor.decode(cursor)
        guard key.hasPrefix("o:"), let offset = Int(key.dropFirst(2)), offset >= 0 else {
            throw .invalidField("cursor", code: "invalid", "The cursor is not one this server gave out.")
        }
        return offset
    }

    /// The SQL of a search (exposed so tests and the benchmark can show its plan).
    public static func searchQuery(_ search: DoctorSearch, engine: Engine, substringOnly: Bool = false) -> SQLQueryString {
        if findsBySearchKey(search, engine: engine) { return searchKeyQuery(search, substringOnly: substringOnly) }
        var query = summaryColumns()
        let terms = search.terms
        if search.sort == .relevance && !terms.isEmpty && !substringOnly {
            let exact = terms.map { term -> SQLQueryString in
                "(CASE WHEN d.id IN (SELECT doctor_id FROM doctor_terms WHERE term = \(bind: term)) THEN 1 ELSE 0 END)"
            }
            query += ", " + exact.joined(separator: " + ") + " AS relevance"
        }
        // With text or a condition, the candidates come first — the intersection of each word's
        // matches (and the condition's doctors) — and doctors are read by key; otherwise the
        // filters' indexes lead. CROSS JOIN keeps SQLite from walking every doctor in rank order.
        let textFilters = filtersDoctorByText(search, engine: engine, substringOnly: substringOnly)
        var candidates: [SQLQueryString] = textFilters ? [] : terms.map { term in
            let exact: SQLQueryString = "SELECT doctor_id FROM doctor_terms WHERE term = \(bind: term)"
            if substringOnly {
                // The matches a ranked walk has not given already: substrings that are not exact terms.
                return "SELECT doctor_id FROM (" + substringMatch(term, engine: engine) + " EXCEPT " + exact + ") t"
            }
            // A doctor's search text is their terms and training (`DoctorIndex.text`), so a word of 3+
            // characters is a substring of the text of every doctor it is a term of: the substring
            // matches alone are the word's doctors, without gathering and merging the exact ones too.
            let match = term.count >= 3 ? substringMatch(term, engine: engine) : exact
            // Wrapped, so that the words' candidate sets intersect as wholes.
            return "SELECT doctor_id FROM (" + match + ") t"
        }
        if search.condition != nil {
            let codes = search.conditionCodes
            candidates.append(codes.isEmpty ? "SELECT doctor_id FROM doctor_conditions WHERE 1 = 0"
                                            : "SELECT doctor_id FROM doctor_conditions WHERE icd10 IN (\(binds: codes))")
        }
        if candidates.isEmpty || engine == .postgres {
            query += " FROM doctors d"
        } else {
            query += " FROM (" + candidates.joined(separator: " INTERSECT ") + ") m CROSS JOIN doctors d"
        }
        query += " JOIN institutions i ON i.id = d.hospital_id"
        query += serviceJoin(search)
        var conditions = filters(search)
        if textFilters {
            conditions += terms.map { "d.search_text LIKE \(bind: likePattern($0))" }
        }
        if !candidates.isEmpty {
            switch engine {
            case .sqlite:
                conditions.append("d.id = m.doctor_id")
            case .postgres:
                // Joined as a table, PostgreSQL hashes a common word's thousands of candidates
                // against a scan of every doctor; as an array of ids they are read by key.
                conditions.append("d.id = ANY (ARRAY(" + candidates.joined(separator: " INTERSECT ") + "))")
            }
        }
        query += " WHERE " + conditions.joined(separator: " AND ")
        query += orderBy(search.sort, relevance: !terms.isEmpty && !substringOnly ? "relevance" : nil)
        query += window(search, engine: engine)
        return query
    }

    /// The rows a page reads: one more than asked tells whether there is a next page. Bound on
    /// PostgreSQL, so that every page size and depth of a shape is one prepared statement; written
    /// out on SQLite, whose planner only counts on a limit it can read.
    static func window(_ search: DoctorSearch, engine: Engine) -> SQLQueryString {
        switch engine {
        case .sqlite: " LIMIT \(literal: search.limit + 1) OFFSET \(literal: search.offset)"
        case .postgres: " LIMIT \(bind: search.limit + 1) OFFSET \(bind: search.offset)"
        }
    }

    /// The columns of a page's rows, as `page(_:search:)` reads them (`s` is the priced service line).
    static func summaryColumns() -> SQLQueryString {
        """
        SELECT d.id, d.name, d.title, d.department, d.hospital_id, i.name AS hospital_name, d.city_code,
               d.practice_since, d.patients_served, d.rating_total, d.rating_count, s.price_fen
        """
    }

    /// The page's doctors read whole, in the order `keys` gives them (a statement whose rows give
    /// each doctor's id as `idColumn`).
    static func doctors(of keys: SQLQueryString, idColumn: String, search: DoctorSearch) -> SQLQueryString {
        summaryColumns() + " FROM (" + keys + ") p CROSS JOIN doctors d JOIN institutions i ON i.id = d.hospital_id"
            + serviceJoin(search) + " WHERE d.id = p.\(ident: idColumn)"
    }

    /// The page's order; `relevance` names the column of exact matches when the sort is by relevance
    /// and the search has words.
    static func orderBy(_ sort: DoctorSort, relevance: String?) -> SQLQueryString {
        switch sort {
        case .relevance where relevance != nil: " ORDER BY \(unsafeRaw: relevance ?? "") DESC, d.rank_score DESC, d.id"
        case .relevance, .rating: " ORDER BY d.rank_score DESC, d.id"
        case .price: " ORDER BY s.price_fen ASC NULLS LAST, d.rank_score DESC, d.id"
        case .patientsServed: " ORDER BY d.patients_served DESC, d.id"
        }
    }

    /// Whether SQLite finds a search's doctors by their search keys (M0030) rather than by their
    /// ids: every word has 3+ characters (each a substring the trigram index finds) and there is no
    /// condition. Two words are one trigram query (`"w1" AND "w2"`), which FTS5 answers by merging
    /// the words' lists, rather than an intersection of the two sets of matches.
    static func findsBySearchKey(_ search: DoctorSearch, engine: Engine) -> Bool {
        engine == .sqlite && search.condition == nil && !search.terms.isEmpty && search.terms.allSatisfy { $0.count >= 3 }
    }

    /// The query of `findsBySearchKey`: the words' matches come from the trigram index as search
    /// keys, are filtered and sorted on `doctors_search_sorts` (which holds every column a filter or an
    /// order reads, so no doctor row is read for it; the service line only when sorting by price or
    /// filtering by a service), and only the page's doctors are then read whole. By relevance, a
    /// doctor ranks by how many of the words are their exact terms. With `substringOnly` (one word),
    /// the doctors the word is an exact term of are left out (they came first).
    static func searchKeyQuery(_ search: DoctorSearch, substringOnly: Bool) -> SQLQueryString {
        let terms = search.terms
        let relevance = search.sort == .relevance && !substringOnly
        var page: SQLQueryString = "SELECT d.id AS doctor_id"
        if relevance {
            let exact = terms.map { term -> SQLQueryString in
                "(CASE WHEN d.id IN (SELECT doctor_id FROM doctor_terms WHERE term = \(bind: term)) THEN 1 ELSE 0 END)"
            }
            page += ", " + exact.joined(separator: " + ") + " AS relevance"
        }
        let phrases = terms.map(ftsPhrase).joined(separator: " AND ")
        page += " FROM (SELECT rowid AS search_key FROM doctor_text WHERE doctor_text MATCH \(bind: phrases)) m CROSS JOIN doctors d"
        if search.service != nil || search.sort == .price { page += serviceJoin(search) }
        var conditions: [SQLQueryString] = ["d.search_key = m.search_key"] + filters(search)
        if substringOnly { conditions.append("d.id NOT IN (SELECT doctor_id FROM doctor_terms WHERE term = \(bind: terms[0]))") }
        page += " WHERE " + conditions.joined(separator: " AND ")
        page += orderBy(search.sort, relevance: relevance ? "relevance" : nil)
        page += window(search, engine: .sqlite)
        return doctors(of: page, idColumn: "doctor_id", search: search) + orderBy(search.sort, relevance: relevance ? "p.relevance" : nil)
    }
}
