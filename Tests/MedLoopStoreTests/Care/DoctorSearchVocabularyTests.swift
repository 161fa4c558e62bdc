import Foundation
import MedLoopDomain
@testable import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Doctor search through the vocabulary of terms")
struct DoctorSearchVocabularyTests {
    static let now = Date(timeIntervalSince1970: 1_788_000_000)

    /// Words a generated directory's terms hold (in one term or in dozens of hospitals' names, with
    /// exact matches or none), alone, two together and with a condition, in every filter, sort and
    /// depth the groups of terms answer.
    static let searches: [DoctorSearch] = {
        var searches: [DoctorSearch] = []
        let asked: [(text: String, condition: String?)] = [
            ("高血压", nil), ("hypertension", nil), ("diabet", nil), ("心血管", nil), ("人民医院", nil), ("阻塞性肺", nil), ("e11", nil),
            ("没有这种病", nil), ("高血压 心血管", nil), ("diabetes 人民医院", nil), ("儿科 哮喘", nil), ("hypertension 儿科", nil),
            ("heart failure", nil), ("高血压 diabetes", nil), ("essential hypertension", "I10"),
            ("hypertension", "I10"), ("diabet", "J45.9"), ("儿科", "J45.9"), ("", "高血压"), ("", "E11.9"),
        ]
        for (text, condition) in asked {
            for sort in DoctorSort.allCases {
                let base = DoctorSearch(text: text.isEmpty ? nil : text, condition: condition, sort: sort)
                var more: [DoctorSearch] = []
                for (limit, offset) in [(10, 0), (20, 20), (7, 300)] {
                    var search = base
                    (search.limit, search.offset) = (limit, offset)
                    more.append(search)
                }
                for (city, department, service) in [("310100", nil, nil), ("33", nil, nil), ("310100", "cardiology", nil),
                                                    (nil, "cardiology", nil), (nil, nil, ServiceKind.videoPerMinute)] as [(String?, String?, ServiceKind?)] {
                    var search = base
                    (search.city, search.department, search.service, search.limit) = (city, department, service, 15)
                    more.append(search)
                }
                searches += more.filter {
                    DoctorStore.walksVocabulary($0, substringOnly: DoctorStore.walksTermInOrder($0)) || DoctorStore.ranksFromTerms($0)
                }
            }
        }
        return searches
    }()

    /// That `doctors` answer `search` with the trigram index's page: the same doctors in the same
    /// order, and a next page exactly when the trigram index has more.
    static func expectTrigramsPage(of search: DoctorSearch, from doctors: DoctorStore, in database: Database) async throws {
        let page = try await doctors.search(search)
        let matched = try await ids(DoctorStore.searchQuery(search, engine: database.engine), in: database)
        #expect(page.items.map(\.id) == Array(matched.prefix(search.limit)), "\(search)")
        #expect((page.nextCursor != nil) == (matched.count > search.limit), "\(search)")
    }

    /// The groups of terms of `search` and the one that drives it, when `doctors` walk the service
    /// lines in price order for it.
    static func priceWalk(of search: DoctorSearch, by doctors: DoctorStore,
                          gatheredEntries: Int64) async throws -> (groups: [TermGroup], driving: Int)? {
        guard let groups = try await doctors.termGroups(of: search, substringOnly: DoctorStore.walksTermInOrder(search)),
              case .priceWalk(let driving)? = DoctorStore.termPlan(search, groups: groups, gatheredEntries: gatheredEntries) else { return nil }
        return (groups, driving)
    }

    /// The pieces a word is found in, as `termGroups` gives them.
    static func pieces(_ word: String, in doctors: DoctorStore) async throws -> [String]? {
        try await doctors.termGroups(of: DoctorSearch(text: word, sort: .rating), substringOnly: false)?.first?.terms
    }

    static func withDirectory(_ body: @Sendable @escaping (Stores, Database) async throws -> Void) async throws {
        try await withTestDatabase { database in
            _ = try await DirectoryGenerator.generate(doctors: 3000, into: database, now: Self.now)
            try await body(Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory,
                                  formulary: try aFormulary()), database)
        }
    }

    static func ids(_ query: SQLQueryString, in database: Database) async throws -> [UUID] {
        try await database.read { sql in try await sql.raw(query).all().map { try $0.uuid("id") } }
    }

    @Test("a search's groups of terms, walked and merged or gathered, give the page the trigram index gives, in its order, whatever the words, condition, filters, sort and depth")
    func walkAgreesWithTrigrams() async throws {
        try await Self.withDirectory { stores, database in
            var answered = 0
            var found = 0
            var orders: [DoctorStore.RelevanceOrder] = []
            for search in Self.searches {
                let groups = try await stores.doctors.termGroups(of: search, substringOnly: DoctorStore.walksTermInOrder(search))
                if groups != nil { answered += 1 }
                if DoctorStore.ranksFromTerms(search), let groups { orders.append(DoctorStore.relevanceOrder(of: search, groups: groups)) }
                let page = try await stores.doctors.search(search)
                // The whole trigram answer of the same search, read with the page's window.
                let matched = try await Self.ids(DoctorStore.searchQuery(search, engine: database.engine), in: database)
                #expect(page.items.map(\.id) == Array(matched.prefix(search.limit)), "\(search)")
                #expect((page.nextCursor != nil) == (matched.count > search.limit), "\(search)")
                found += page.items.count
            }
            #expect(Self.searches.count > 300)
            #expect(answered == Self.searches.count)
            #expect(found > 2000)
            // Several words by relevance: in rank order, exact matches of one word first, and left to the trigram index.
            #expect(orders.contains(.rank) && orders.contains(.byCount))
            #expect(orders.contains { if case .exactFirst = $0 { true } else { false } })
        }
    }

    @Test("by price, a word or condition with more entries than are gathered is walked through the service lines in price order to the page's last price, ties in rank order, or gathered when the walk does not settle it: the trigram index's page")
    func priceWalkAgreesWithTrigrams() async throws {
        try await Self.withDirectory { stores, database in
            // Nothing gathered: every search by price outside a province walks the service lines.
            let doctors = DoctorStore(database: database, audit: AuditStore(database: database), mostGatheredEntries: 0)
            var settled = 0
            var unsettled = 0
            for search in Self.searches where search.sort == .price {
                if let (groups, driving) = try await Self.priceWalk(of: search, by: doctors, gatheredEntries: 0) {
                    // A walk that does not settle the page's last price within its lines is gathered.
                    if try await doctors.priceEdge(search, groups: groups, driving: driving) != nil { settled += 1 } else { unsettled += 1 }
                }
                try await Self.expectTrigramsPage(of: search, from: doctors, in: database)
            }
            #expect(settled > 40)
            #expect(unsettled > 0)
        }
    }

    @Test("by price, a word or condition none of whose lines a short walk of the service lines finds has its entries in the search's department or city gathered when they are few; others are walked further: the trigram index's page")
    func placedEntriesGathered() async throws {
        try await Self.withDirectory { stores, database in
            // Few: at most ten entries in the place.
            let doctors = DoctorStore(database: database, audit: AuditStore(database: database), mostGatheredEntries: 10)
            var settledShort = 0
            var gathered = 0
            var walked = 0
            for search in Self.searches where search.sort == .price && (search.department != nil || search.city != nil) {
                if let (groups, driving) = try await Self.priceWalk(of: search, by: doctors, gatheredEntries: 10) {
                    let placed = DoctorStore.placedEntriesQuery(search, groups: groups, driving: driving, gatheredEntries: 10_000)
                    let entries = try await database.read { sql in try await sql.raw(placed).first()?.int64("n") ?? -1 }
                    let gathers = try await doctors.gathersPlacedEntries(search, groups: groups, driving: driving)
                    #expect(gathers == (entries <= 10), "\(search): \(entries) entries in the place")
                    let short = try await doctors.priceWalk(search, groups: groups, driving: driving,
                                                            linesPerRow: DoctorStore.shortPriceWalkLinesPerRow)
                    if short.edge != nil {
                        settledShort += 1
                    } else if short.passingOpenLines == 0 && gathers {
                        gathered += 1
                    } else {
                        walked += 1
                    }
                }
                try await Self.expectTrigramsPage(of: search, from: doctors, in: database)
            }
            #expect(settledShort > 5)
            #expect(gathered > 5)
            #expect(walked > 5)
        }
    }

    @Test("a hospital's doctors are found through its name, one of their terms, and not those of another hospital of the same name: the trigram index's page")
    func hospitalThroughItsName() async throws {
        try await Self.withDirectory { stores, database in
            let rows = try await database.read { sql in
                try await sql.raw("""
                    SELECT hospital_id, COUNT(*) AS n FROM doctors WHERE qualification = 'approved' GROUP BY hospital_id
                    ORDER BY n DESC, hospital_id LIMIT 2
                    """).all()
            }
            let hospitals = try rows.map { try #require(UUID(uuidString: try $0.text("hospital_id"))) }
            try #require(hospitals.count == 2)
            // The second hospital takes the first one's name: their doctors share that term.
            let name = try #require(try await database.read { sql in
                try await sql.raw("SELECT name FROM institutions WHERE id = \(bind: hospitals[0].text)").first()?.text("name")
            })
            _ = try await stores.institutions.update(hospitals[1], name: name, insuranceDesignated: nil, internetHospitalLicensed: nil,
                                                     context: anAuditContext(at: Self.now))
            var found = 0
            for hospital in hospitals + [UUID()] {
                for (text, condition) in [("高血压", nil), ("hypertension 儿科", nil), ("儿科", nil), ("diabet", "E11.9"), ("", "I10")] as [(String, String?)] {
                    for sort in DoctorSort.allCases {
                        let search = DoctorSearch(text: text.isEmpty ? nil : text, condition: condition, hospitalId: hospital, sort: sort, limit: 12)
                        let page = try await stores.doctors.search(search)
                        let matched = try await Self.ids(DoctorStore.searchQuery(search, engine: database.engine), in: database)
                        #expect(page.items.map(\.id) == Array(matched.prefix(search.limit)), "\(search)")
                        #expect(page.items.allSatisfy { $0.hospitalId == hospital })
                        found += page.items.count
                    }
                }
            }
            #expect(found > 50)
        }
    }

    @Test("by price a small group is gathered, a large one walked, and one too large to gather where no walk is tried left to the trigram index",
          arguments: [
            (Int64(2_000), "330800", 20, "gather"), (2_001, "330800", 20, "walk"), (2_001, "33", 20, "gather"),
            (20_000, "33", 20, "gather"), (20_001, "33", 20, "trigrams"), (20_001, "330800", 99, "walk"),
            (20_001, "330800", 100, "trigrams"), (1_000_000, "330800", 20, "walk"),
          ])
    func pricePlans(entries: Int64, city: String, depth: Int, expected: String) {
        let search = DoctorSearch(text: "高血压 心血管", city: city, sort: .price, limit: depth)
        let groups = [TermGroup(pieces: [.init(term: "高血压", entries: entries - 1), .init(term: "原发性高血压", entries: 1)]),
                      TermGroup(pieces: [.init(term: "心血管内科", entries: entries + 5)])]
        let plan = DoctorStore.termPlan(search, groups: groups, gatheredEntries: DoctorStore.mostGatheredEntries)
        switch plan {
        case .gather(let driving)?: #expect(expected == "gather" && driving == 0)
        case .priceWalk(let driving)?: #expect(expected == "walk" && driving == 0)
        case nil: #expect(expected == "trigrams")
        default: Issue.record("unexpected plan \(String(describing: plan))")
        }
    }

    @Test("one word with a condition, by relevance, is walked from whichever of the two has fewer entries, and either way gives the word's exact matches that have the condition, in rank order")
    func wordWithConditionWalksTheSmallerSide() async throws {
        try await Self.withDirectory { stores, database in
            var drivers: [String: Int] = [:]
            var found = 0
            for word in ["儿科", "hypertension", "高血压", "cardiology"] {
                for condition in ["J45.9", "I10", "E11.9", "D64.9"] {
                    for (city, department, service, limit, offset) in [(nil, nil, nil, 10, 0), ("310100", nil, nil, 10, 0), (nil, "cardiology", nil, 5, 5),
                                                                       (nil, nil, ServiceKind.videoPerMinute, 10, 0)] as [(String?, String?, ServiceKind?, Int, Int)] {
                        let search = DoctorSearch(text: word, department: department, condition: condition, city: city, service: service,
                                                  sort: .relevance, limit: limit, offset: offset)
                        #expect(DoctorStore.walksTermInOrder(search))
                        let counted = try await stores.doctors.entries(of: [word, condition.lowercased()])
                        let groups = [TermGroup(pieces: DoctorStore.pieces([word], entries: counted)),
                                      TermGroup(pieces: DoctorStore.pieces([condition.lowercased()], entries: counted), isCondition: true)]
                        if case .walk(let driving)? = DoctorStore.termPlan(search, groups: groups, gatheredEntries: DoctorStore.mostGatheredEntries) {
                            drivers[driving == 0 ? "word" : "condition", default: 0] += 1
                        }
                        let walked = try await stores.doctors.exactMatches(search).map { try $0.uuid("id") }
                        let ranked = try await Self.ids(DoctorStore.rankedTermQuery(search, engine: database.engine), in: database)
                        #expect(walked == ranked, "\(search)")
                        found += walked.count
                    }
                }
            }
            #expect((drivers["word"] ?? 0) > 0 && (drivers["condition"] ?? 0) > 0, "\(drivers)")
            #expect(found > 50)
        }
    }

    @Test("a word in the doctors' training has no term entries to walk: it is searched through the trigram index and still finds them")
    func trainingWord() async throws {
        try await Self.withDirectory { stores, database in
            #expect(try await Self.pieces("医学院", in: stores.doctors) == nil)
            for sort in [DoctorSort.rating, .relevance] {
                let search = DoctorSearch(text: "医学院", city: "310100", sort: sort)
                let page = try await stores.doctors.search(search)
                let matched = try await Self.ids(DoctorStore.searchQuery(search, engine: database.engine), in: database)
                #expect(!page.items.isEmpty)
                #expect(page.items.map(\.id) == Array(matched.prefix(search.limit)))
            }
        }
    }

    @Test("a hospital's new name is in the vocabulary at once: its doctors are found by a part of it, and by the old name no more")
    func renamedHospital() async throws {
        try await Self.withDirectory { stores, database in
            let row = try await database.read { sql in
                try await sql.raw("SELECT hospital_id, COUNT(*) AS n FROM doctors WHERE qualification = 'approved' GROUP BY hospital_id ORDER BY n DESC, hospital_id LIMIT 1").first()
            }
            let hospitalText = try #require(row).text("hospital_id")
            let hospital = try #require(UUID(uuidString: hospitalText))
            #expect(try await Self.pieces("青松湖", in: stores.doctors) == [])
            _ = try await stores.institutions.update(hospital, name: "青松湖康复医院", insuranceDesignated: nil, internetHospitalLicensed: nil,
                                                     context: anAuditContext(at: Self.now))
            #expect(try await Self.pieces("青松湖", in: stores.doctors) == ["青松湖康复医院"])
            let page = try await stores.doctors.search(DoctorSearch(text: "青松湖", sort: .patientsServed, limit: 50))
            #expect(!page.items.isEmpty)
            #expect(page.items.allSatisfy { $0.hospitalId == hospital })
            #expect(page.items.count == Int(try row?.int64("n") ?? 0) || page.items.count == 50)
            #expect(try await DoctorStore.termProblems(in: database).isEmpty)
        }
    }

    @Test("a word in more terms than a walk takes is searched through the trigram index")
    func tooManyPieces() async throws {
        try await Self.withDirectory { stores, database in
            // Pieces no doctor has (as after renames), more than a walk takes, all holding `zqx`;
            // one doctor's hospital becomes one more.
            try await database.unitOfWork { tx in
                for number in 0..<DoctorStore.mostWalkedPieces {
                    try await tx.sql.raw("INSERT INTO search_vocabulary (term) VALUES (\(bind: "zqx former name \(number)"))").run()
                }
            }
            let row = try await database.read { sql in
                try await sql.raw("SELECT hospital_id FROM doctors WHERE qualification = 'approved' ORDER BY id LIMIT 1").first()
            }
            let hospitalText = try #require(row).text("hospital_id")
            let hospital = try #require(UUID(uuidString: hospitalText))
            _ = try await stores.institutions.update(hospital, name: "Zqx Hospital", insuranceDesignated: nil,
                                                     internetHospitalLicensed: nil, context: anAuditContext(at: Self.now))
            #expect(try await Self.pieces("zqx", in: stores.doctors) == nil)
            let search = DoctorSearch(text: "zqx", sort: .rating)
            let page = try await stores.doctors.search(search)
            let matched = try await Self.ids(DoctorStore.searchQuery(search, engine: database.engine), in: database)
            #expect(!page.items.isEmpty)
            #expect(page.items.allSatisfy { $0.hospitalId == hospital })
            #expect(page.items.map(\.id) == Array(matched.prefix(search.limit)))
        }
    }

    @Test("a term missing from the vocabulary is a problem `medloop check` reports")
    func checkFindsAMissingPiece() async throws {
        try await Self.withDirectory { _, database in
            #expect(try await DoctorStore.termProblems(in: database).isEmpty)
            try await database.unitOfWork { tx in
                try await tx.sql.raw("DELETE FROM search_vocabulary WHERE term = 'hypertension'").run()
            }
            let problems = try await DoctorStore.termProblems(in: database)
            #expect(problems.contains { $0.contains("\"hypertension\"") })
        }
    }
}
