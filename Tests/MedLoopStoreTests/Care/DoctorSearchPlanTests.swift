import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

/// Every shape of query the doctor search API takes is answered without the cache (issue 21,
/// part 3): the plan walks an index in the order of the page and stops there, rather than
/// gathering every approved doctor (or every doctor of a city or department) and sorting them.
///
/// What a plan may do, per engine:
/// - An ordered walk (`.walk`): SQLite reads an index that delivers the order (`SEARCH`/`SCAN ...
///   USING INDEX`) and builds no `TEMP B-TREE FOR ORDER BY`; PostgreSQL has no `Sort` node and no
///   sequential scan of `doctors` (a `Limit` over an `Index Scan` and nested loops). PostgreSQL is
///   asked with sorts and sequential scans turned off (`Database.PlannerHint`): on a test table
///   of a few thousand doctors it rightly sorts a city's twenty doctors, and a disabled sort is
///   still taken when no index gives the order, so the plan proves the index path exists and the
///   statement is written so the planner can take it, as it does on 150,000 doctors.
/// - Term candidates (`.termCandidates`): a search by text with an order the term index does not
///   keep (price, patients served, rating over substring matches) or by two words gathers the
///   doctors of its words from the term table and the trigram index (SQLite FTS5, PostgreSQL
///   `pg_trgm`) and sorts only those. The plan may sort, but it reads `doctors` by key only (SQLite
///   `SEARCH d ... (id=?)` or `(search_key=?`; PostgreSQL `doctors_pkey` or the trigram index), never through a
///   listing index nor whole: the expensive path, all approved doctors or all of a city, is not
///   gathered. An ordered walk that checks each doctor against the word is as good (PostgreSQL
///   takes one when the word is common). PostgreSQL is asked with sequential scans turned off only;
///   where it filters the doctor rows by one word's text (`DoctorStore.filtersDoctorByText`), the
///   plan with sorts turned off too must then be such a walk: on a test table it rightly sorts a
///   department's few hundred doctors, and the walk is what it takes on 150,000.
@Suite("Doctor search plans without the cache")
struct DoctorSearchPlanTests {
    static let now = Date(timeIntervalSince1970: 1_788_000_000)
    /// Enough doctors (about a hundred per city, several hundred per department) that both planners
    /// prefer an index to a scan where one fits.
    static let doctorCount = 4000

    /// What a shape's plan must show.
    enum Expectation: Sendable {
        case walk
        case termCandidates
        /// SQLite only (`DoctorStore.walksTextFirst`): a walk of the order's index checking each
        /// doctor's text, as `.walk`, before the word's trigram matches.
        case textWalk
        /// A lookup of a search's terms in the vocabulary (M0033), through its trigram index or its key.
        case pieces
        /// A walk of the service lines in price order (`TermPlan.priceWalk`): each line read through a
        /// price index, its doctor checked by term, doctors read by key only.
        case priceLines
        /// The walks (or, by price, the gathering) of a group of terms' entries: each reads a term index
        /// by its term, in the page's order (the walks' few rows are then merged), and doctors are read
        /// by key only.
        case pieceWalk
        /// A count of a group of terms' entries in the search's place (`DoctorStore.countsPlacedEntries`):
        /// a term index read by its term, and nothing else.
        case placedEntries
        /// An ordered walk (`.walk`) of an index that holds both the city and the department (M0038).
        case placeWalk
    }

    /// One query shape of `GET /api/v1/doctors`, named as the API takes it.
    struct Shape: Sendable, CustomStringConvertible {
        var name: String
        var search: DoctorSearch
        /// Per statement the search may run (see `DoctorStore.searchStatements`).
        var expectations: [Expectation]

        var description: String { name }
    }

    static let shapes: [Shape] = {
        var shapes: [Shape] = [
            // The term's doctors in rank order straight from `doctor_terms_by_rank`.
            Shape(name: "q=儿科", search: DoctorSearch(text: "儿科"), expectations: [.walk]),
            // Exact matches walk the term index; the substring-only ones that follow are gathered
            // from the trigram index (a word's own candidates).
            Shape(name: "q=高血压", search: DoctorSearch(text: "高血压"), expectations: [.walk, .pieces, .pieceWalk]),
            // A two-character word has exact matches only: the term index keeps them in rating order too.
            Shape(name: "q=儿科&sort=rating", search: DoctorSearch(text: "儿科", sort: .rating), expectations: [.walk]),
            Shape(name: "q=儿科&city=310100", search: DoctorSearch(text: "儿科", city: "310100"), expectations: [.walk]),
            Shape(name: "q=高血压 上海", search: DoctorSearch(text: "高血压 上海"), expectations: [.walk, .pieces, .pieceWalk]),
            Shape(name: "department=cardiology", search: DoctorSearch(department: "cardiology"), expectations: [.walk]),
            Shape(name: "service=videoPerMinute", search: DoctorSearch(service: .videoPerMinute), expectations: [.walk]),
            Shape(name: "condition=E11.9", search: DoctorSearch(condition: "E11.9"), expectations: [.walk]),
            Shape(name: "condition=E11.9&sort=rating", search: DoctorSearch(condition: "E11.9", sort: .rating), expectations: [.walk]),
            // Two words by relevance: the doctors who have `高血压` itself (the one word that tells them
            // apart), then those who have another of its pieces, each walked through the word with
            // fewer entries and checked for the other.
            Shape(name: "q=心血管内科 高血压", search: DoctorSearch(text: "心血管内科 高血压"),
                  expectations: [.pieces, .pieces, .pieceWalk, .pieceWalk]),
            // Two words that both tell the doctors apart: the intersection of both words' candidates.
            Shape(name: "q=高血压 hypertension", search: DoctorSearch(text: "高血压 hypertension"),
                  expectations: [.pieces, .pieces, .termCandidates]),
            // By price, a word or a condition with few doctors (all of them, among 4,000) gathers them
            // from its terms' entries; one with more is left to the trigram index.
            Shape(name: "q=E11&sort=price", search: DoctorSearch(text: "E11", sort: .price), expectations: [.pieces, .pieceWalk]),
            // Two words: the one with fewer entries is walked, each doctor checked for the other.
            Shape(name: "q=高血压 心血管&sort=rating", search: DoctorSearch(text: "高血压 心血管", sort: .rating),
                  expectations: [.pieces, .pieces, .pieceWalk]),
            // A word and a condition by relevance: the word's exact matches that have the condition,
            // then its other pieces' (or the condition's terms, whichever have fewer entries).
            Shape(name: "q=hypertension&condition=I10", search: DoctorSearch(text: "hypertension", condition: "I10"),
                  expectations: [.walk, .pieces, .pieces, .pieceWalk]),
            // A word with exact matches only, or a condition, walks the term's entries in patients-served
            // order; a city or a department is checked on the entries themselves (M0032).
            Shape(name: "q=儿科&sort=patientsServed", search: DoctorSearch(text: "儿科", sort: .patientsServed), expectations: [.walk]),
            Shape(name: "q=儿科&city=310100&sort=patientsServed", search: DoctorSearch(text: "儿科", city: "310100", sort: .patientsServed),
                  expectations: [.walk]),
            Shape(name: "condition=E11.9&sort=patientsServed", search: DoctorSearch(condition: "E11.9", sort: .patientsServed),
                  expectations: [.walk]),
            Shape(name: "condition=E11.9&department=endocrinology&city=310100",
                  search: DoctorSearch(department: "endocrinology", condition: "E11.9", city: "310100"), expectations: [.walk]),
            // `i10` is in no other term: after its exact matches there is nothing to walk.
            Shape(name: "q=I10&department=cardiology", search: DoctorSearch(text: "I10", department: "cardiology"),
                  expectations: [.walk, .pieces]),
            Shape(name: "q=高血压&sort=rating", search: DoctorSearch(text: "高血压", sort: .rating), expectations: [.pieces, .pieceWalk]),
            Shape(name: "q=高血压&sort=patientsServed&city=330800", search: DoctorSearch(text: "高血压", city: "330800", sort: .patientsServed),
                  expectations: [.pieces, .pieceWalk]),
            Shape(name: "q=hypertension&department=cardiology&sort=rating",
                  search: DoctorSearch(text: "hypertension", department: "cardiology", sort: .rating), expectations: [.pieces, .pieceWalk]),
            // A word in the doctors' training has no term entries: a text walk, then the trigram index.
            Shape(name: "q=医学院&sort=rating", search: DoctorSearch(text: "医学院", sort: .rating),
                  expectations: [.pieces, .textWalk, .termCandidates]),
            // PostgreSQL filters the doctor rows by the words' text (`filtersDoctorByText`).
            Shape(name: "q=医学院&department=cardiology&sort=patientsServed",
                  search: DoctorSearch(text: "医学院", department: "cardiology", sort: .patientsServed),
                  expectations: [.pieces, .textWalk, .termCandidates]),
            Shape(name: "condition=E11.9&sort=price", search: DoctorSearch(condition: "E11.9", sort: .price),
                  expectations: [.pieces, .pieceWalk]),
        ]
        // Each of the four sorts, alone, in a city, in a department and for a service; and paged deep.
        for sort in DoctorSort.allCases {
            shapes += [
                Shape(name: "sort=\(sort)", search: DoctorSearch(sort: sort), expectations: [.walk]),
                Shape(name: "city=310100&sort=\(sort)", search: DoctorSearch(city: "310100", sort: sort), expectations: [.walk]),
                Shape(name: "department=pediatrics&sort=\(sort)", search: DoctorSearch(department: "pediatrics", sort: sort),
                      expectations: [.walk]),
                Shape(name: "service=videoPerMinute&sort=\(sort)", search: DoctorSearch(service: .videoPerMinute, sort: sort),
                      expectations: [.walk]),
                Shape(name: "city=330800&sort=\(sort)&cursor=o:2000",
                      search: DoctorSearch(city: "330800", sort: sort, offset: DoctorSearch.maximumOffset), expectations: [.walk]),
            ]
        }
        // A department in a city: its own index, in rank or patients-served order (M0038).
        for sort in [DoctorSort.relevance, .rating, .patientsServed] {
            shapes.append(Shape(name: "city=310100&department=cardiology&sort=\(sort)",
                                search: DoctorSearch(department: "cardiology", city: "310100", sort: sort), expectations: [.placeWalk]))
        }
        // By price in a city and a department: the walk follows the city's (or the department's)
        // service lines in price order.
        shapes.append(Shape(name: "city=310100&department=cardiology&sort=price",
                            search: DoctorSearch(department: "cardiology", city: "310100", sort: .price), expectations: [.walk]))
        shapes.append(Shape(name: "q=儿科&city=330800&cursor=o:2000",
                            search: DoctorSearch(text: "儿科", city: "330800", offset: DoctorSearch.maximumOffset), expectations: [.walk]))
        return shapes
    }()

    /// Whether `plan` walks an index in the page's order: no sort, no whole scan of doctors.
    static func isOrderedWalk(_ plan: [String], engine: Engine) -> Bool {
        switch engine {
        case .sqlite:
            return !plan.contains { $0.contains("TEMP B-TREE FOR ORDER BY") || $0.contains("TEMP B-TREE FOR RIGHT PART OF ORDER BY") }
                && !plan.contains { $0 == "SCAN d" }
                && plan.contains { $0.contains("USING INDEX") || $0.contains("USING COVERING INDEX") }
        case .postgres:
            return !plan.contains { isSortNode($0) } && !plan.contains { $0.contains("Seq Scan on doctors") }
        }
    }

    /// Whether `plan` reads the doctors through an index whose condition names both the city and the
    /// department, rather than checking one of them on each row another index gives.
    static func seeksCityAndDepartment(_ plan: [String], engine: Engine) -> Bool {
        switch engine {
        case .sqlite:
            return plan.contains { $0.hasPrefix("SEARCH d ") && $0.contains("city_code=?") && $0.contains("department=?") }
        case .postgres:
            return plan.contains { $0.contains("Index Cond") && $0.contains("city_code") && $0.contains("department") }
        }
    }

    /// Whether `plan` reads doctors only by key or through the trigram index (a word's candidates).
    static func readsDoctorsByKey(_ plan: [String], engine: Engine) -> Bool {
        switch engine {
        case .sqlite:
            let doctorSteps = plan.filter { $0 == "SCAN d" || $0.hasPrefix("SCAN d ") || $0.hasPrefix("SEARCH d ") }
            // By id, by row id, or by the search key a trigram match gives (M0030).
            return doctorSteps.allSatisfy { $0.contains("(id=?)") || $0.contains("(rowid=?)") || $0.contains("(search_key=?") }
        case .postgres:
            // A doctor is read by key (an index condition on `id` under the primary key) or found
            // by the trigram index under a bitmap heap scan; any other scan of doctors is a walk.
            return plan.indices.allSatisfy { index in
                let line = plan[index]
                guard line.contains(" on doctors ") || line.hasSuffix(" on doctors") else { return true }
                let below = plan[(index + 1)..<min(plan.count, index + 3)]
                if line.contains("Bitmap Heap Scan") { return below.contains { $0.contains("doctors_search_text_trgm") } }
                return line.contains("doctors_pkey") && below.contains { $0.contains("Index Cond: (id =") }
            }
        }
    }

    /// Whether `plan` looks up a search's terms in the vocabulary by an index (its trigram index or
    /// its key), reading nothing else.
    static func readsVocabularyByIndex(_ plan: [String], engine: Engine) -> Bool {
        switch engine {
        case .sqlite:
            let reads = plan.filter { $0.hasPrefix("SCAN") || $0.hasPrefix("SEARCH") }
            return !reads.isEmpty && reads.allSatisfy { read in
                read.hasPrefix("SCAN f VIRTUAL TABLE INDEX") || read.hasPrefix("SEARCH v USING INTEGER PRIMARY KEY")
                    || read.hasPrefix("SEARCH search_vocabulary USING")
            }
        case .postgres:
            return plan.contains { $0.contains("search_vocabulary") } && !plan.contains { $0.contains("Seq Scan") }
        }
    }

    /// Whether every read of `doctor_terms` in `plan` searches a term index by its term (or, for the
    /// exact matches left out, the primary key or the index by doctor), and nothing is scanned whole.
    static func walksTermIndexes(_ plan: [String], engine: Engine) -> Bool {
        switch engine {
        case .sqlite:
            let termReads = plan.filter { $0.hasPrefix("SEARCH t ") || $0.hasPrefix("SCAN t") || $0.hasPrefix("SEARCH e ") || $0.hasPrefix("SCAN e") }
            return !termReads.isEmpty && termReads.allSatisfy { read in
                (read.contains("INDEX doctor_terms_by_rank (term=?") || read.contains("INDEX doctor_terms_by_patients (term=?")
                    || read.contains("PRIMARY KEY (term=?"))
            } && !plan.contains { $0 == "SCAN d" }
        case .postgres:
            // A bitmap heap scan reads the rows its bitmap index scan (a line of its own) found.
            let termReads = plan.filter { $0.contains("Scan") && $0.contains("doctor_terms") && !$0.contains("Bitmap Heap Scan") }
            return !termReads.isEmpty && !plan.contains { $0.contains("Seq Scan") } && termReads.allSatisfy { read in
                read.contains("doctor_terms_by_rank") || read.contains("doctor_terms_by_patients") || read.contains("doctor_terms_pkey")
                    || read.contains("doctor_terms_by_doctor")
            }
        }
    }

    /// Whether `plan` reads the term entries and no other table.
    static func readsTermsOnly(_ plan: [String], engine: Engine) -> Bool {
        switch engine {
        case .sqlite:
            return plan.filter { $0.hasPrefix("SEARCH ") || $0.hasPrefix("SCAN ") }.allSatisfy { $0.hasPrefix("SEARCH t ") || $0 == "SCAN c" }
        case .postgres:
            return plan.filter { $0.contains("Scan") }.allSatisfy { $0.contains("doctor_terms") || $0.contains("Subquery Scan on c") }
        }
    }

    /// Whether the service lines in `plan` are walked through a price index (in a city, in a
    /// department, or of a kind), any other read of a line is by its key, and nothing is scanned whole.
    static func readsPriceIndexes(_ plan: [String], engine: Engine) -> Bool {
        let priceIndexes = ["doctor_services_by_price", "doctor_services_by_city_price", "doctor_services_by_department_price",
                            "doctor_services_by_place_price"]
        switch engine {
        case .sqlite:
            let lineReads = plan.filter { $0.hasPrefix("SEARCH s ") || $0.hasPrefix("SCAN s") }
            // A line is also read by its key: the page's price, the named service's standing.
            return lineReads.contains { read in priceIndexes.contains { read.contains("INDEX \($0) (") } }
                && lineReads.allSatisfy { read in
                    priceIndexes.contains { read.contains("INDEX \($0) (") } || read.contains("(doctor_id=? AND kind=?)")
                }
                && !plan.contains { $0 == "SCAN d" || $0 == "SCAN t" }
        case .postgres:
            let lineReads = plan.filter { $0.contains("Scan") && $0.contains(" on doctor_services ") && !$0.contains("Bitmap Heap Scan") }
            return !plan.contains { $0.contains("Seq Scan") }
                && lineReads.allSatisfy { read in (priceIndexes + ["doctor_services_pkey"]).contains { read.contains($0 + " ") } }
        }
    }

    static func isSortNode(_ line: String) -> Bool {
        let node = line.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "->  ", with: "")
        return node.hasPrefix("Sort ") || node.hasPrefix("Incremental Sort ")
    }

    @Test("every search shape walks an index to its page on the engine under test; term searches sort only their words' doctors")
    func everyShapeWalksAnIndex() async throws {
        try await withTestDatabase { database in
            _ = try await DirectoryGenerator.generate(doctors: Self.doctorCount, into: database, now: Self.now)
            let doctors = Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory,
                                 formulary: try aFormulary()).doctors
            let hospital = try await database.read { sql in
                try await sql.raw("""
                    SELECT hospital_id FROM doctors GROUP BY hospital_id ORDER BY COUNT(*) DESC, hospital_id LIMIT 1
                    """).first()?.decode(column: "hospital_id", as: String.self)
            }
            var shapes = Self.shapes
            if let hospital, let id = UUID(uuidString: hospital) {
                for sort in [DoctorSort.rating, .patientsServed] {
                    shapes.append(Shape(name: "hospital=…&sort=\(sort)", search: DoctorSearch(hospitalId: id, sort: sort),
                                        expectations: [.walk]))
                }
            }
            let showPlans = ProcessInfo.processInfo.environment["MEDLOOP_SHOW_PLANS"] != nil
            // By price over more entries than are gathered (none here): the service lines in price order.
            let walkingPrices = DoctorStore(database: database, audit: AuditStore(database: database), mostGatheredEntries: 0)
            let priceShapes = [
                // The open lines' walk, their count, the paused lines (the text package), in a city or
                // department the count of the group's entries there, the page up to the edge, and the
                // gathering that answers when the walk does not settle the edge.
                Shape(name: "q=高血压&sort=price (walked)", search: DoctorSearch(text: "高血压", sort: .price),
                      expectations: [.pieces, .priceLines, .priceLines, .priceLines, .priceLines, .pieceWalk]),
                Shape(name: "q=hypertension&city=310100&sort=price (walked)", search: DoctorSearch(text: "hypertension", city: "310100", sort: .price),
                      expectations: [.pieces, .priceLines, .priceLines, .priceLines, .placedEntries, .priceLines, .pieceWalk]),
                Shape(name: "condition=E11.9&department=endocrinology&service=videoPerMinute&sort=price (walked)",
                      search: DoctorSearch(department: "endocrinology", condition: "E11.9", service: .videoPerMinute, sort: .price),
                      expectations: [.pieces, .priceLines, .priceLines, .placedEntries, .priceLines, .pieceWalk]),
            ]
            for (shape, doctors) in shapes.map({ ($0, doctors) }) + priceShapes.map({ ($0, walkingPrices) }) {
                let plans = try await doctors.plans(of: shape.search, hints: [.avoidSequentialScans])
                let orderedPlans = try await doctors.plans(of: shape.search, hints: [.avoidSequentialScans, .avoidSorts])
                let expectations = shape.expectations.filter { $0 != .textWalk || database.engine == .sqlite }
                #expect(plans.count == expectations.count, "\(shape)")
                for ((plan, orderedPlan), expectation) in zip(zip(plans, orderedPlans), expectations) {
                    let plan = [.termCandidates, .pieces, .pieceWalk, .priceLines, .placedEntries].contains(expectation) ? plan : orderedPlan
                    if showPlans { print("PLAN \(database.engine) \(shape) [\(expectation)]\n  " + plan.joined(separator: "\n  ")) }
                    switch expectation {
                    case .walk, .textWalk:
                        #expect(Self.isOrderedWalk(plan, engine: database.engine), "\(shape): \(plan.joined(separator: " | "))")
                    case .placeWalk:
                        #expect(Self.isOrderedWalk(plan, engine: database.engine) && Self.seeksCityAndDepartment(plan, engine: database.engine),
                                "\(shape): \(plan.joined(separator: " | "))")
                    case .pieces:
                        #expect(Self.readsVocabularyByIndex(plan, engine: database.engine), "\(shape): \(plan.joined(separator: " | "))")
                    case .priceLines:
                        #expect(Self.readsPriceIndexes(plan, engine: database.engine) && Self.readsDoctorsByKey(plan, engine: database.engine),
                                "\(shape): \(plan.joined(separator: " | "))")
                    case .pieceWalk:
                        #expect(Self.walksTermIndexes(plan, engine: database.engine) && Self.readsDoctorsByKey(plan, engine: database.engine),
                                "\(shape): \(plan.joined(separator: " | "))")
                    case .placedEntries:
                        #expect(Self.walksTermIndexes(plan, engine: database.engine) && Self.readsTermsOnly(plan, engine: database.engine),
                                "\(shape): \(plan.joined(separator: " | "))")
                    case .termCandidates:
                        let walksWithTextFilter = DoctorStore.filtersDoctorByText(shape.search, engine: database.engine, substringOnly: false)
                            && Self.isOrderedWalk(orderedPlan, engine: database.engine)
                        #expect(Self.readsDoctorsByKey(plan, engine: database.engine) || Self.isOrderedWalk(plan, engine: database.engine)
                                    || walksWithTextFilter, "\(shape): \(plan.joined(separator: " | "))")
                    }
                }
            }
        }
    }
}
