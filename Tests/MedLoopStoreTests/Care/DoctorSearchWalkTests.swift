import Foundation
import MedLoopDomain
@testable import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Doctor search by walking the order")
struct DoctorSearchWalkTests {
    static let now = Date(timeIntervalSince1970: 1_788_000_000)

    /// Words common in a generated directory and rare ones, in the sorts, filters and pages a
    /// text walk answers.
    static let searches: [DoctorSearch] = {
        var searches: [DoctorSearch] = []
        for word in ["高血压", "hypertension", "糖尿病", "diabetes", "心血管", "人民医院", "阻塞性肺", "e11", "没有这种病"] {
            for sort in [DoctorSort.rating, .patientsServed, .relevance] {
                searches += [DoctorSearch(text: word, sort: sort, limit: 10),
                             DoctorSearch(text: word, sort: sort, limit: 20, offset: 20),
                             DoctorSearch(text: word, city: "310100", sort: sort),
                             DoctorSearch(text: word, department: "cardiology", city: "310100", sort: sort, limit: 15),
                             DoctorSearch(text: word, department: "cardiology", sort: sort),
                             DoctorSearch(text: word, service: .videoPerMinute, sort: sort, limit: 12)]
            }
        }
        return searches
    }()

    @Test("a text walk that fills its page gives the trigram index's page, in its order; one that does not leaves the search to it",
          .enabled(if: TestEngine.current == .sqlite))
    func walkAgreesWithTrigrams() async throws {
        try await withTestDatabase { database in
            _ = try await DirectoryGenerator.generate(doctors: 4000, into: database, now: Self.now)
            let doctors = Stores(database: database, cipher: try aCipher(), dataDirectory: FileManager.default.temporaryDirectory,
                                 formulary: try aFormulary()).doctors
            var filled = 0
            var left = 0
            for search in Self.searches {
                for substringOnly in [false, true] where search.sort != .relevance || substringOnly {
                    #expect(DoctorStore.walksTextFirst(search, engine: database.engine))
                    let walked = try await Self.ids(DoctorStore.textWalkQuery(search, substringOnly: substringOnly), in: database)
                    let matched = try await Self.ids(DoctorStore.searchQuery(search, engine: database.engine, substringOnly: substringOnly),
                                                     in: database)
                    if walked.count > search.limit {
                        filled += 1
                        #expect(walked == matched, "\(search) substringOnly: \(substringOnly)")
                    } else {
                        left += 1
                        // What the walk found is the start of the page, in its order.
                        #expect(Array(matched.prefix(walked.count)) == walked, "\(search) substringOnly: \(substringOnly)")
                    }
                }
                // Through the API's path too: the page is the trigram index's page.
                if search.sort != .relevance {
                    let page = try await doctors.search(search).items.map(\.id)
                    let matched = try await Self.ids(DoctorStore.searchQuery(search, engine: database.engine), in: database)
                    #expect(page == Array(matched.prefix(search.limit)), "\(search)")
                }
            }
            #expect(filled > 20)
            #expect(left > 20)
        }
    }

    @Test("a page deeper than 80 rows, a sort by price, a province, two words, a short word and a condition are not walked")
    func notWalked() {
        #expect(DoctorStore.walksTextFirst(DoctorSearch(text: "高血压", sort: .rating, limit: 19, offset: 60), engine: .sqlite))
        #expect(!DoctorStore.walksTextFirst(DoctorSearch(text: "高血压", sort: .rating, limit: 20, offset: 60), engine: .sqlite))
        #expect(!DoctorStore.walksTextFirst(DoctorSearch(text: "高血压", sort: .price), engine: .sqlite))
        #expect(!DoctorStore.walksTextFirst(DoctorSearch(text: "高血压", city: "46", sort: .rating), engine: .sqlite))
        #expect(!DoctorStore.walksTextFirst(DoctorSearch(text: "高血压 糖尿病", sort: .rating), engine: .sqlite))
        #expect(!DoctorStore.walksTextFirst(DoctorSearch(text: "儿科", sort: .rating), engine: .sqlite))
        #expect(!DoctorStore.walksTextFirst(DoctorSearch(text: "高血压", condition: "I10", sort: .rating), engine: .sqlite))
        #expect(!DoctorStore.walksTextFirst(DoctorSearch(text: "高血压", sort: .rating), engine: .postgres))
    }

    @Test("a word's LIKE pattern matches its characters only, not as wildcards",
          .enabled(if: TestEngine.current == .sqlite))
    func wildcardsAreLiteral() async throws {
        try await withTestDatabase { database in
            _ = try await DirectoryGenerator.generate(doctors: 300, into: database, now: Self.now)
            for word in ["%%%", "___", "高_压", "\\%_"] {
                let search = DoctorSearch(text: word, sort: .rating)
                let walked = try await Self.ids(DoctorStore.textWalkQuery(search, substringOnly: false), in: database)
                #expect(walked.isEmpty, "\(word)")
            }
        }
    }

    static func ids(_ query: SQLQueryString, in database: Database) async throws -> [UUID] {
        try await database.read { sql in try await sql.raw(query).all().map { try $0.uuid("id") } }
    }
}
