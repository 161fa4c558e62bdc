import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Usage figures of a generated week (issue 20, part 7, "Done when": the analytics of a generated
/// week have the shapes of DOMAIN.md), answered as JSON, CSV and SVG, within the caller's region.
@Suite("Analytics: the figures of a generated week")
struct AnalyticsFigureTests {
    /// A generated directory of 300 doctors and a week of history on it, written by the code
    /// `medloop seed --doctors 300 --history-days 7` runs; returns the week as `from` and `to`.
    static func generatedWeek(_ app: Harness) async throws -> (from: String, to: String) {
        let now = app.clock.now()
        _ = try await DirectoryGenerator.generate(doctors: 300, into: app.database, now: now)
        let summary = try await HistoryGenerator.generate(days: 7, into: app.database, cipher: app.services.stores.cipher, now: now)
        #expect(summary.consultations > 1500)
        #expect(summary.prescriptions > 0)
        let today = ShanghaiDay.number(of: CalendarDate.shanghai(now))
        return (ShanghaiDay.date(ofNumber: today - 7).description, ShanghaiDay.date(ofNumber: today - 1).description)
    }

    static func counts(_ reply: Reply, key: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for item in reply.items {
            let name = (item[key] as? String) ?? (item[key] as? Int).map(String.init) ?? "?"
            counts[name] = item["count"] as? Int ?? 0
        }
        return counts
    }

    @Test("a generated week has the shapes of DOMAIN.md: text far ahead of voice ahead of appointments, surgery, internal medicine, paediatrics and obstetrics leading, lunch and evening peaks, chief physicians later")
    func shapes() async throws {
        try await withApp { app in
            let week = try await Self.generatedWeek(app)
            let token = try await app.signIn(Demo.operatorPhone)
            let period = "from=\(week.from)&to=\(week.to)"

            let kinds = Self.counts(try await app.send(.get, "/api/v1/analytics/consultations-by-kind?\(period)", token: token), key: "kind")
            let text = kinds["textPackage"] ?? 0, voice = kinds["voicePerMinute"] ?? 0, appointment = kinds["appointment"] ?? 0
            #expect(text > 2 * voice, "text/image far ahead: \(kinds)")
            #expect(voice > appointment && appointment > 0, "then voice, then appointments: \(kinds)")

            let departments = try await app.send(.get, "/api/v1/analytics/consultations-by-department?\(period)", token: token)
            let leading = Set(departments.items.prefix(4).compactMap { $0["department"] as? String })
            #expect(leading == ["generalSurgery", "internalMedicine", "pediatrics", "obstetrics"], "\(departments.items.prefix(6))")

            let hours = Self.counts(try await app.send(.get, "/api/v1/analytics/consultations-by-hour?\(period)", token: token), key: "hour")
            #expect(hours.count == 24)
            let lunch = (11...13).map { hours[String($0)] ?? 0 }.reduce(0, +) / 3
            let evening = (19...22).map { hours[String($0)] ?? 0 }.reduce(0, +) / 4
            let morning = (7...9).map { hours[String($0)] ?? 0 }.reduce(0, +) / 3
            let night = (1...5).map { hours[String($0)] ?? 0 }.reduce(0, +) / 5
            #expect(lunch > morning && evening > morning, "peaks at lunch and in the evening: \(hours)")
            #expect(morning > night)

            let titles = try await app.send(.get, "/api/v1/analytics/consultations-by-title?\(period)", token: token)
            let meanHour = { (title: String) in titles.items.first { $0["title"] as? String == title }?["meanHour"] as? Double ?? 0 }
            #expect(meanHour("chief") > meanHour("resident") + 1, "chief physicians consult later: \(titles.items)")

            let weekdays = Self.counts(try await app.send(.get, "/api/v1/analytics/consultations-by-weekday?\(period)", token: token), key: "weekday")
            #expect(weekdays.count == 7 && weekdays.values.reduce(0, +) == text + voice + appointment + (kinds["videoPerMinute"] ?? 0))

            let prices = try await app.send(.get, "/api/v1/analytics/prices?\(period)", token: token)
            let textPrices = try #require(prices.items.first { $0["kind"] as? String == "textPackage" })
            let figures = ["minFen", "q1Fen", "medianFen", "q3Fen", "maxFen"].map { textPrices[$0] as? Int ?? -1 }
            #expect(figures == figures.sorted() && figures[0] >= 0)
            let mean = textPrices["meanFen"] as? Int ?? 0
            #expect((5000...8000).contains(mean), "text packages near 65.10 yuan: \(textPrices)")

            let trend = try await app.send(.get, "/api/v1/analytics/price-trend?\(period)", token: token)
            #expect(Set(trend.items.compactMap { $0["day"] as? String }).count == 7)

            let conditions = try await app.send(.get, "/api/v1/analytics/top-conditions?\(period)", token: token)
            #expect(conditions.items.count == 10)
            #expect(conditions.items.allSatisfy { ($0["icd10"] as? String)?.isEmpty == false })

            let repeats = try await app.send(.get, "/api/v1/analytics/repeat-visits?\(period)", token: token)
            let rate = repeats.items.first?["rate"] as? Double ?? 0
            #expect(rate > 0.02 && rate < 0.6, "\(repeats.items)")

            let turnaround = try await app.send(.get, "/api/v1/analytics/review-turnaround?\(period)", token: token)
            let review = try #require(turnaround.items.first)
            #expect((review["reviewed"] as? Int ?? 0) > 0)
            #expect((review["medianMinutes"] as? Double ?? 0) <= (review["p90Minutes"] as? Double ?? 0))
            #expect((3...20).contains(review["medianMinutes"] as? Double ?? 0), "\(review)")

            let settlements = try await app.send(.get, "/api/v1/analytics/settlements?\(period)", token: token)
            #expect(!settlements.items.isEmpty)
            for row in settlements.items {
                #expect((row["fundFen"] as? Int ?? 0) + (row["cashFen"] as? Int ?? 0) == row["totalFen"] as? Int)
            }
            // Generating again adds a second run, and the books still balance (checked after every test).
            let again = try await HistoryGenerator.generate(days: 1, into: app.database, cipher: app.services.stores.cipher, now: app.clock.now())
            #expect(again.consultations > 0)
        }
    }

    @Test("the same seed on the same directory generates the same week")
    func reproducible() async throws {
        let answers = Answers()
        for _ in 0..<2 {
            try await withApp { app in
                let week = try await Self.generatedWeek(app)
                let token = try await app.signIn(Demo.operatorPhone)
                var text = ""
                for figure in ["consultations-by-hour", "consultations-by-department", "prices", "top-conditions", "settlements"] {
                    text += try await app.send(.get, "/api/v1/analytics/\(figure)?from=\(week.from)&to=\(week.to)&format=csv", token: token).text
                }
                await answers.add(text)
            }
        }
        let both = await answers.texts
        #expect(both.count == 2 && both[0] == both[1] && both[0].count > 500)
    }

    actor Answers {
        var texts: [String] = []
        func add(_ text: String) { texts.append(text) }
    }

    @Test("every figure answers as CSV with a header row and as a well-formed, accessible SVG chart in the request's language")
    func formats() async throws {
        try await withApp { app in
            let week = try await Self.generatedWeek(app)
            let token = try await app.signIn(Demo.operatorPhone)
            for figure in AnalyticsFigure.allCases {
                let base = "/api/v1/analytics/\(figure.rawValue)?from=\(week.from)&to=\(week.to)"
                let json = try await app.send(.get, base, token: token)
                #expect(json.status == .ok && json.string("figure") == figure.rawValue)

                let csv = try await app.send(.get, base + "&format=csv", token: token)
                #expect(csv.status == .ok)
                #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
                let lines = csv.text.split(separator: "\r\n").map(String.init)
                let header = lines.first?.split(separator: ",").map(String.init) ?? []
                #expect(!header.isEmpty && Set(header) == Set(json.items.first?.keys.map { $0 } ?? header), "\(figure): \(header)")
                #expect(lines.count == json.items.count + 1)

                for (language, title) in [("en", figure == .consultationsByKind ? "Consultations by service kind" : ""),
                                          ("zh-CN", figure == .consultationsByKind ? "按服务类型的问诊量" : "")] {
                    let svg = try await app.send(.get, base + "&format=svg", token: token, headers: [.acceptLanguage: language])
                    #expect(svg.status == .ok && svg.headers[.contentType]?.hasPrefix("image/svg+xml") == true)
                    let reading = try #require(ChartReading.read(svg.text), "\(figure) \(language) is well-formed XML")
                    #expect(reading.root["role"] == "img" && reading.elements.contains("title") && reading.elements.contains("desc"))
                    #expect(!reading.elements.contains("script") && !reading.hasStyle)
                    #expect(title.isEmpty || reading.text.contains(title))
                }
            }
        }
    }

    @Test("a county's regulator counts the consultations of the hospitals in its county, and a neighbouring county's none of them")
    func countyRegulator() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            _ = try await ConsultationRoutesTests.aPaidConsultation(app, patient: patient)
            let today = CalendarDate.shanghai(app.clock.now()).description
            let path = "/api/v1/analytics/consultations-by-kind?from=\(today)&to=\(today)"
            // The demo hospitals are in Kecheng district (330802) of Quzhou.
            let kecheng = try await app.aRegulator(of: "330802", institution: "柯城区卫生健康局", phone: "13500000007")
            let own = try await app.send(.get, path, token: kecheng)
            #expect(own.status == .ok && own.string("region") == "330802", "\(own.text)")
            #expect(Self.counts(own, key: "kind") == ["textPackage": 1])
            let qujiang = try await app.aRegulator(of: "330803", institution: "衢江区卫生健康局", phone: "13500000006")
            #expect(Self.counts(try await app.send(.get, path, token: qujiang), key: "kind").isEmpty)
        }
    }

    @Test("a regulator reads its own region's figures and is refused another region's (403, audited); bad input is a clear 4xx")
    func regionsAndBadInput() async throws {
        try await withApp { app in
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let own = try await app.send(.get, "/api/v1/analytics/consultations-by-kind", token: regulator)
            #expect(own.status == .ok && own.string("region") == "330800")
            let city = try await app.send(.get, "/api/v1/analytics/prices?region=330802", token: regulator)
            #expect(city.status == .ok)

            let denied = try await app.auditCount(action: "analytics.read", outcome: .denied)
            let other = try await app.send(.get, "/api/v1/analytics/consultations-by-kind?region=110100&format=csv", token: regulator)
            #expect(other.status == .forbidden && other.isStandardError)
            #expect(try await app.auditCount(action: "analytics.read", outcome: .denied) == denied + 1)

            let operatorToken = try await app.signIn(Demo.operatorPhone)
            let anywhere = try await app.send(.get, "/api/v1/analytics/consultations-by-kind?region=110100", token: operatorToken)
            #expect(anywhere.status == .ok && anywhere.string("region") == "110100")

            let patient = try await app.signIn(Demo.patientPhone)
            #expect(try await app.send(.get, "/api/v1/analytics/consultations-by-kind", token: patient).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/analytics/consultations-by-kind").status == .unauthorized)

            let unknown = try await app.send(.get, "/api/v1/analytics/consultations-by-mood", token: operatorToken)
            #expect(unknown.status == .notFound && unknown.isStandardError)
            let badDate = try await app.send(.get, "/api/v1/analytics/prices?from=2026-13-01", token: operatorToken)
            #expect(badDate.status == .badRequest && badDate.errorFields == ["from"])
            // A period stretched 30 days past the last date there is would have no dates: refused, not a crash.
            for (query, field) in [("from=9999-12-31", "from"), ("to=0001-01-01", "to")] {
                let far = try await app.send(.get, "/api/v1/analytics/prices?\(query)", token: operatorToken)
                #expect(far.status == .badRequest && far.errorFields == [field], "\(far.text)")
            }
            let backwards = try await app.send(.get, "/api/v1/analytics/prices?from=2026-11-07&to=2026-11-01", token: operatorToken)
            #expect(backwards.status == .badRequest && backwards.errorFields == ["from"] && backwards.isStandardError)
            let format = try await app.send(.get, "/api/v1/analytics/prices?format=pdf", token: operatorToken)
            #expect(format.status == .badRequest && format.errorFields == ["format"])
            let region = try await app.send(.get, "/api/v1/analytics/prices?region=abc", token: operatorToken)
            #expect(region.status == .badRequest)
        }
    }
}

/// What an XML parser saw of a chart.
private final class ChartReading: NSObject, XMLParserDelegate, @unchecked Sendable {
    var elements: [String] = []
    var root: [String: String] = [:]
    var text = ""
    var hasStyle = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if elements.isEmpty { root = attributes }
        elements.append(name)
        if attributes["style"] != nil { hasStyle = true }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    static func read(_ svg: String) -> ChartReading? {
        let reading = ChartReading()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = reading
        return parser.parse() ? reading : nil
    }
}
