import Foundation
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Doctor directory search")
struct DoctorSearchTests {
    static let now = Date(timeIntervalSince1970: 1_788_000_000)

    /// Runs `body` on a database holding the demo world.
    static func withDirectory(_ body: @Sendable @escaping (DoctorStore, Database) async throws -> Void) async throws {
        try await withTestDatabase { database in
            _ = try await DemoWorld.seed(database: database, cipher: try aCipher(), passwordHash: "h", now: now)
            try await body(Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory, formulary: try aFormulary()).doctors, database)
        }
    }

    static func departments(of page: Page<DoctorSummary>) -> Set<String> { Set(page.items.map(\.department)) }

    @Test("a two-character Chinese term finds the department's doctors", arguments: ["儿科", "哮喘"])
    func twoCharacterTerm(term: String) async throws {
        try await Self.withDirectory { doctors, _ in
            let page = try await doctors.search(DoctorSearch(text: term))
            #expect(!page.items.isEmpty)
            let expected = term == "儿科" ? "pediatrics" : "respiratory"
            #expect(Self.departments(of: page) == [expected])
        }
    }

    @Test("a longer Chinese term, its English name and its ICD-10 code find the same doctors",
          arguments: ["高血压", "原发性高血压", "hypertension", "I10", "i10"])
    func sameDoctors(query: String) async throws {
        try await Self.withDirectory { doctors, _ in
            let byChinese = try await doctors.search(DoctorSearch(text: "高血压", sort: .rating)).items.map(\.id)
            let page = try await doctors.search(DoctorSearch(text: query, sort: .rating))
            #expect(!byChinese.isEmpty)
            #expect(page.items.map(\.id) == byChinese)
            #expect(Self.departments(of: page) == ["cardiology"])
        }
    }

    @Test("a substring of three or more characters matches inside names and codes")
    func substring() async throws {
        try await Self.withDirectory { doctors, _ in
            let code = try await doctors.search(DoctorSearch(text: "e11"))
            let name = try await doctors.search(DoctorSearch(text: "阻塞性肺"))
            let nothing = try await doctors.search(DoctorSearch(text: "没有这种病"))
            #expect(Self.departments(of: code) == ["endocrinology"])
            #expect(Self.departments(of: name) == ["respiratory"])
            #expect(nothing.items.isEmpty)
        }
    }

    @Test("a city's name finds the doctors working there, in Chinese with or without 市 and in pinyin",
          arguments: ["衢州", "衢州市", "quzhou", "Quzhou"])
    func cityByName(name: String) async throws {
        try await Self.withDirectory { doctors, _ in
            let byCode = try await doctors.search(DoctorSearch(city: "330800", sort: .rating, limit: 100)).items.map(\.id)
            let byText = try await doctors.search(DoctorSearch(text: name, sort: .rating, limit: 100)).items.map(\.id)
            let byFilter = try await doctors.search(DoctorSearch(city: name, sort: .rating, limit: 100)).items.map(\.id)
            #expect(!byCode.isEmpty)
            #expect(byText == byCode)
            #expect(byFilter == byCode)
        }
    }

    @Test("a condition and a city together: only that city's doctors for that condition")
    func conditionInCity() async throws {
        try await Self.withDirectory { doctors, _ in
            let page = try await doctors.search(DoctorSearch(text: "高血压 衢州", limit: 100))
            #expect(!page.items.isEmpty)
            #expect(Set(page.items.map(\.cityCode)) == ["330800"])
            #expect(Self.departments(of: page) == ["cardiology"])
            #expect(try await doctors.search(DoctorSearch(text: "高血压 拉萨")).items.isEmpty)
        }
    }

    @Test("an unknown city name is refused naming the city field; a known one is a filter")
    func unknownCity() async throws {
        do {
            try DoctorSearch(city: "火星").validate()
            Issue.record("an unknown city was accepted")
        } catch {
            guard case .invalid(let issues) = error else { Issue.record("not a field error: \(error)"); return }
            #expect(issues.map(\.field) == ["city"])
        }
        #expect(throws: Never.self) { try DoctorSearch(city: "杭州").validate() }
    }

    @Test("a city in the text and a city filter that exclude each other find nobody; nested ones narrow")
    func citiesTogether() async throws {
        try await Self.withDirectory { doctors, _ in
            #expect(try await doctors.search(DoctorSearch(text: "高血压 衢州", city: "310100")).items.isEmpty)
            let narrowed = try await doctors.search(DoctorSearch(text: "衢州", city: "33", limit: 100))
            #expect(!narrowed.items.isEmpty)
            #expect(Set(narrowed.items.map(\.cityCode)) == ["330800"])
        }
    }

    @Test("moving the term table to one clustered b-tree (M0013) keeps every term, and search finds the same doctors")
    func clusteredTermsMigration() async throws {
        try await withTestDatabase(migrate: false) { database in
            // The seed of today's code writes the services' place (M0029), the doctors' search keys
            // (M0030), the terms' places (M0032), the search vocabulary (M0033) and the count of a
            // department's approved doctors (M0037), and on PostgreSQL seals its audit lines in the
            // database (M0035), which apply as well on the older schema. On
            // SQLite M0013 rebuilds the term table: there the places are added by hand before it,
            // and by M0032 again after it.
            let early = Migrations.all.filter { migration in
                migration.version < 13 || (29...30).contains(migration.version) || [33, 37].contains(migration.version)
                    || ([32, 35].contains(migration.version) && database.engine == .postgres)
            }
            try await Migrator(database: database, migrations: early).migrate()
            if database.engine == .sqlite {
                try await database.unitOfWork { tx in
                    for statement in Migrations.termPlaceColumns { try await tx.sql.raw(SQLQueryString(statement)).run() }
                }
            }
            _ = try await DemoWorld.seed(database: database, cipher: try aCipher(), passwordHash: "h", now: Self.now)
            let count = { @Sendable in
                try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM doctor_terms").first()?.decode(column: "n", as: Int.self) }
            }
            let termsBefore = try await count()
            let before = try await Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory, formulary: try aFormulary()).doctors.search(DoctorSearch(text: "儿科")).items.map(\.id)
            try await Migrator(database: database).migrate()
            #expect(try await count() == termsBefore)
            #expect(try await Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory, formulary: try aFormulary()).doctors.search(DoctorSearch(text: "儿科")).items.map(\.id) == before)
            #expect(!before.isEmpty)
            if database.engine == .sqlite {
                // A WITHOUT ROWID table has no rowid to select.
                await #expect(throws: (any Error).self) {
                    try await database.read { try await $0.raw("SELECT rowid FROM doctor_terms LIMIT 1").run() }
                }
            }
        }
    }

    @Test("a word's substring matches, by search key on SQLite, are its doctors in every order, and stay so when M0030 gives the keys afresh")
    func searchKeys() async throws {
        try await Self.withDirectory { doctors, database in
            let searches = DoctorSort.allCases.flatMap { sort in
                [DoctorSearch(text: "高血压", sort: sort, limit: 50), DoctorSearch(text: "hypertension", city: "330800", sort: sort),
                 DoctorSearch(text: "人民医院", department: "cardiology", sort: sort, limit: 5, offset: 2),
                 DoctorSearch(text: "人民医院", service: .videoPerMinute, sort: sort)]
            }
            var before: [[UUID]] = []
            for search in searches { before.append(try await doctors.search(search).items.map(\.id)) }
            let byRating = try await DirectoryGeneratorTests.texts("""
                SELECT id FROM doctors WHERE qualification = 'approved' AND search_text LIKE '%高血压%' ORDER BY rank_score DESC, id LIMIT 50
                """, column: "id", in: database)
            #expect(!byRating.isEmpty)
            #expect(try await doctors.search(DoctorSearch(text: "高血压", sort: .rating, limit: 50)).items.map(\.id.text) == byRating)
            guard database.engine == .sqlite else { return }
            let count = { @Sendable (query: SQLQueryString) in try await DirectoryGeneratorTests.number(query, in: database) }
            #expect(try await count("SELECT COUNT(*) AS n FROM doctors WHERE search_key IS NULL") == 0)
            #expect(try await count("SELECT COUNT(*) AS n FROM doctor_text t JOIN doctors d ON d.search_key = t.rowid AND d.id = t.doctor_id")
                    == (try await count("SELECT COUNT(*) AS n FROM doctors")))
            // As a database before M0030 was: no keys, and the trigram rows in another order.
            try await database.unitOfWork { tx in
                try await tx.sql.raw("UPDATE doctors SET search_key = NULL").run()
                try await tx.sql.raw("DELETE FROM doctor_text").run()
                try await tx.sql.raw("INSERT INTO doctor_text (doctor_id, search_text) SELECT id, search_text FROM doctors ORDER BY id DESC").run()
                for statement in Migrations.alignSearchKeys { try await tx.sql.raw(SQLQueryString(statement)).run() }
            }
            for (search, ids) in zip(searches, before) {
                #expect(try await doctors.search(search).items.map(\.id) == ids, "\(search)")
            }
        }
    }

    @Test("two words of 3+ characters find the doctors whose text holds both, in rating order and in every other as a set",
          arguments: ["心血管内科 高血压", "人民医院 hypertension", "高血压 人民医院", "hypertension 没有这种病"])
    func twoWordsBothHeld(text: String) async throws {
        try await Self.withDirectory { doctors, database in
            let words = text.split(separator: " ").map(String.init)
            let held = try await DirectoryGeneratorTests.texts("""
                SELECT id FROM doctors WHERE qualification = 'approved' AND search_text LIKE \(bind: "%" + words[0] + "%")
                AND search_text LIKE \(bind: "%" + words[1] + "%") ORDER BY rank_score DESC, id
                """, column: "id", in: database)
            #expect(try await doctors.search(DoctorSearch(text: text, sort: .rating, limit: 100)).items.map(\.id.text) == held)
            for sort in DoctorSort.allCases {
                let found = try await doctors.search(DoctorSearch(text: text, sort: sort, limit: 100)).items.map(\.id.text)
                #expect(Set(found) == Set(held) && found.count == held.count, "\(sort)")
            }
            if !text.contains("没有") { #expect(!held.isEmpty) }
        }
    }

    @Test("every word must match: a condition and a department together narrow the list")
    func allWords() async throws {
        try await Self.withDirectory { doctors, _ in
            let both = try await doctors.search(DoctorSearch(text: "心血管内科 高血压"))
            #expect(!both.items.isEmpty)
            #expect(try await doctors.search(DoctorSearch(text: "儿科 高血压")).items.isEmpty)
        }
    }

    @Test("a doctor pending qualification is not listed")
    func pendingHidden() async throws {
        try await Self.withDirectory { doctors, _ in
            let all = try await doctors.search(DoctorSearch(limit: 100))
            #expect(all.items.count == 29)
            #expect(!all.items.contains { $0.id == UUID.named("doctor:29") })
        }
    }

    @Test("filters by department, condition, city, hospital and service")
    func filters() async throws {
        try await Self.withDirectory { doctors, _ in
            let pediatrics = try await doctors.search(DoctorSearch(department: "pediatrics", limit: 100))
            #expect(pediatrics.items.count == 2)
            let asthma = try await doctors.search(DoctorSearch(condition: "哮喘", limit: 100))
            #expect(Self.departments(of: asthma) == ["respiratory"])
            let byCode = try await doctors.search(DoctorSearch(condition: "J45.9", limit: 100))
            #expect(byCode.items.map(\.id) == asthma.items.map(\.id))
            #expect(try await doctors.search(DoctorSearch(city: "330800", limit: 100)).items.count == 29)
            #expect(try await doctors.search(DoctorSearch(city: "110100", limit: 100)).items.isEmpty)
            let platform = try await doctors.search(DoctorSearch(hospitalId: DemoWorld.Institutions.platform, limit: 100))
            #expect(platform.items.allSatisfy { $0.hospitalId == DemoWorld.Institutions.platform })
            #expect(platform.items.count == 5)
            let video = try await doctors.search(DoctorSearch(service: .videoPerMinute, limit: 100))
            // Every fifth demo doctor has paused video.
            #expect(video.items.count == 29 - 6)
            #expect(try await doctors.search(DoctorSearch(condition: "no such illness")).items.isEmpty)
        }
    }

    @Test("sorting by price puts the free text package first and pages with a cursor")
    func priceAndPaging() async throws {
        try await Self.withDirectory { doctors, _ in
            let first = try await doctors.search(DoctorSearch(sort: .price, limit: 10))
            #expect(first.items.first?.priceFen == 0)
            let prices = first.items.compactMap(\.priceFen)
            #expect(prices == prices.sorted())
            var seen = first.items.map(\.id)
            var cursor = first.nextCursor
            while let next = cursor {
                let page = try await doctors.search(DoctorSearch(sort: .price, limit: 10, offset: try DoctorStore.offset(fromCursor: next)))
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            }
            #expect(seen.count == 29)
            #expect(Set(seen).count == 29)
        }
    }

    @Test("a text search with filters reads indexes, not every doctor")
    func queryPlan() async throws {
        try await Self.withDirectory { _, database in
            for search in [DoctorSearch(text: "高血压"), DoctorSearch(text: "儿科", city: "330800"),
                           DoctorSearch(department: "cardiology"), DoctorSearch(text: "hypertension", sort: .rating)] {
                let plan = try await explain(DoctorStore.searchQuery(search, engine: database.engine), in: database)
                #expect(!plan.isEmpty)
                switch database.engine {
                case .sqlite:
                    // Doctors are read by key or through a filter's index, never walked whole.
                    #expect(!plan.contains { $0.hasPrefix("SCAN d ") || $0 == "SCAN d" }, "\(plan)")
                    #expect(plan.contains { $0.hasPrefix("SEARCH d ") && ["(id=?)", "department=?", "city_code=?"].contains(where: $0.contains) },
                            "\(plan)")
                case .postgres:
                    #expect(!plan.contains { $0.contains("Seq Scan on doctors") }, "\(plan)")
                }
            }
        }
    }

    @Test("a one-word search walks its term's doctors best first and needs no sort")
    func rankedWalkPlan() async throws {
        try await Self.withDirectory { doctors, database in
            let query = DoctorStore.rankedTermQuery(DoctorSearch(text: "儿科", city: "330800"), engine: database.engine)
            let plan = try await explain(query, in: database)
            switch database.engine {
            case .sqlite:
                #expect(plan.contains { $0.contains("doctor_terms_by_rank") }, "\(plan)")
                #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
            case .postgres:
                #expect(!plan.contains { $0.contains("Seq Scan on doctors") }, "\(plan)")
            }
            // Best first: the rated doctor leads once ratings differ.
            let page = try await doctors.search(DoctorSearch(text: "儿科"))
            #expect(page.items.count == 2)
        }
    }

    @Test("listing by price walks the service price index among doctors offering the service, a department's own lines for a department",
          arguments: [(nil, "doctor_services_by_price"), ("pediatrics", "doctor_services_by_department_price")])
    func priceWalkPlan(department: String?, index: String) async throws {
        try await Self.withDirectory { _, database in
            let plan = try await explain(DoctorStore.priceWalkQuery(DoctorSearch(department: department, sort: .price), engine: database.engine), in: database)
            if database.engine == .sqlite {
                #expect(plan.contains { $0.contains(index) }, "\(plan)")
                #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
            } else {
                #expect(!plan.contains { $0.contains("Seq Scan on doctors") }, "\(plan)")
            }
        }
    }

    @Test("paging a one-word search runs from exact matches into substring matches without gaps or repeats")
    func rankedPaging() async throws {
        try await Self.withDirectory { doctors, _ in
            let all = try await doctors.search(DoctorSearch(text: "心血管", limit: 100))
            var seen: [UUID] = []
            var offset = 0
            while true {
                let page = try await doctors.search(DoctorSearch(text: "心血管", limit: 1, offset: offset))
                seen += page.items.map(\.id)
                guard page.nextCursor != nil else { break }
                offset += 1
            }
            #expect(seen == all.items.map(\.id))
            #expect(!seen.isEmpty)
        }
    }

    /// The plan of `query`, one line per step. PostgreSQL is told to avoid sequential scans where
    /// it can, so a tiny test table shows the indexes a large one would use.
    func explain(_ query: SQLQueryString, in database: Database) async throws -> [String] {
        switch database.engine {
        case .sqlite:
            return try await database.read { sql in
                try await sql.raw("EXPLAIN QUERY PLAN " + query).all().map { try $0.decode(column: "detail", as: String.self) }
            }
        case .postgres:
            return try await database.unitOfWork { tx in
                try await tx.sql.raw("SET LOCAL enable_seqscan = off").run()
                return try await tx.sql.raw("EXPLAIN " + query).all().map { try $0.decode(column: "QUERY PLAN", as: String.self) }
            }
        }
    }
}
