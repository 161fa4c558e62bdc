import Foundation
import HTTPTypes
import HummingbirdTesting
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import NIOCore
import SQLKit
import Testing

@Suite("Insurance: bad input is refused with nothing changed")
struct InsuranceBadInputTests {
    typealias I = DemoWorld.Institutions

    // MARK: Builders

    /// The shipped Quzhou policy (version 2020-03, open-ended) as the API shows it.
    static func shippedQuzhouPolicy(_ app: Harness, token: String) async throws -> [String: Any] {
        let reply = try await app.send(.get, "/api/v1/insurance/policies/330800/2020-03", token: token)
        #expect(reply.status == .ok, "\(reply.text)")
        #expect(reply.string("version") == "2020-03")
        return reply.json
    }

    /// The shipped Quzhou terms as a new version starting on `start`: named after its start day, open-ended.
    static func aNextVersion(of shipped: [String: Any], startingOn start: CalendarDate) -> [String: Any] {
        changing(changing(shipped, "version", to: start.description), "effectiveFrom", to: start.description)
    }

    /// `document` with the value at the dotted `path` replaced (`nil` removes the key); maps on the
    /// way are made when missing.
    static func changing(_ document: [String: Any], _ path: String, to value: Any?) -> [String: Any] {
        replacing(document, keys: path.split(separator: ".").map(String.init)[...], with: value)
    }

    private static func replacing(_ map: [String: Any], keys: ArraySlice<String>, with value: Any?) -> [String: Any] {
        guard let key = keys.first else { return map }
        var map = map
        if keys.count == 1 {
            map[key] = value
        } else {
            map[key] = replacing(map[key] as? [String: Any] ?? [:], keys: keys.dropFirst(), with: value)
        }
        return map
    }

    /// A JSON object as text with sorted keys, for comparing two documents whole.
    static func canonical(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Posts `body` as is, with its own content type (a YAML policy document, a CSV registry file).
    static func post(_ app: Harness, _ uri: String, token: String, body: String, contentType: String) async throws -> Reply {
        let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: contentType]
        let response = try await app.client.executeRequest(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
        return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    static func policyCount(_ app: Harness) async throws -> Int {
        try await app.count("SELECT COUNT(*) AS n FROM insurance_policies")
    }

    static func today(_ app: Harness) -> CalendarDate { CalendarDate.shanghai(app.clock.now()) }

    // MARK: Policies

    /// Each bad document: what is changed in the next version's document, and the one path the report names.
    static let badDocuments: [(name: String, change: @Sendable ([String: Any]) -> [String: Any], fields: [String], codes: [String])] = [
        ("an unknown key nested in a scheme", { Self.changing($0, "schemes.employee.ratioBpp", to: ["tertiary": 7000]) },
         ["schemes.employee.ratioBpp"], ["unknown_key"]),
        ("an unknown key at the top", { Self.changing($0, "copayment", to: 10) }, ["copayment"], ["unknown_key"]),
        ("a negative deductible", { Self.changing($0, "schemes.resident.deductibleFen", to: -1) },
         ["schemes.resident.deductibleFen"], ["negative"]),
        ("a negative fixed fund payment", { Self.changing($0, "consultationFee", to: ["fundPaysFixedFen": -700]) },
         ["consultationFee.fundPaysFixedFen"], ["negative"]),
        ("a ratio above 10000 basis points", { Self.changing($0, "schemes.employee.ratioBp.tertiary", to: 10_001) },
         ["schemes.employee.ratioBp.tertiary"], ["range"]),
        ("a negative ratio", { Self.changing($0, "drugs.classBSelfPayFirstBp", to: -1) }, ["drugs.classBSelfPayFirstBp"], ["range"]),
        ("a ratio as a fraction", { Self.changing($0, "schemes.resident.ratioBp.primary", to: 0.7) },
         ["schemes.resident.ratioBp.primary"], ["type"]),
        ("an ICD-10 prefix that is not a code prefix", { Self.changing($0, "coveredConditions", to: ["G20", "G3X0", "J45"]) },
         ["coveredConditions[1]"], ["icd10_prefix"]),
        ("both consultation-fee rules", { Self.changing($0, "consultationFee", to: ["fundPaysFixedFen": 700, "inScopeLimitFen": 2500]) },
         ["consultationFee"], ["both"]),
        ("neither consultation-fee rule", { Self.changing($0, "consultationFee", to: [String: Any]()) }, ["consultationFee"], ["neither"]),
        ("a level that does not exist", { Self.changing($0, "schemes.employee.ratioBp.quaternary", to: 9500) },
         ["schemes.employee.ratioBp.quaternary"], ["unknown_key"]),
        ("a missing scheme figure", { Self.changing($0, "schemes.employee.capFen", to: nil) }, ["schemes.employee.capFen"], ["required"]),
        ("two bad keys at once", { Self.changing(Self.changing($0, "schemes.employee.ratioBp.tertiary", to: 10_001), "deliveryCovered", to: "no") },
         ["deliveryCovered", "schemes.employee.ratioBp.tertiary"], ["type", "range"]),
    ]

    @Test("a policy document with an unknown key, a negative amount, a ratio over 10000, a bad ICD-10 prefix, or both or neither fee rules is refused with 400 naming exactly the bad keys by path, and no version is stored")
    func badPolicyDocuments() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let shipped = try await Self.shippedQuzhouPolicy(app, token: insurer)
            let next = Self.aNextVersion(of: shipped, startingOn: Self.today(app).adding(days: 10))
            let stored = try await Self.policyCount(app)
            #expect(stored == 3)
            for bad in Self.badDocuments {
                let reply = try await app.send(.post, "/api/v1/insurance/policies", token: insurer, json: bad.change(next))
                #expect(reply.status == .badRequest, "\(bad.name): \(reply.text)")
                #expect(reply.errorCode == "invalid_request", "\(bad.name)")
                #expect(reply.isStandardError, "\(bad.name)")
                #expect(reply.errorFields.sorted() == bad.fields.sorted(), "\(bad.name): \(reply.text)")
                #expect(Set(reply.errorDetailCodes) == Set(bad.codes), "\(bad.name): \(reply.text)")
                #expect(try await Self.policyCount(app) == stored, "\(bad.name)")
            }
            // The same document unchanged is a good one: it takes over from the shipped version.
            let good = try await app.send(.post, "/api/v1/insurance/policies/330800/2020-03/supersede", token: insurer, json: next)
            #expect(good.status == .created, "\(good.text)")
            #expect(try await Self.policyCount(app) == stored + 1)
        }
    }

    @Test("a version whose days overlap the open-ended shipped version, or that does not start after today, is refused and the shipped version keeps running")
    func overlapAndPast() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let shipped = try await Self.shippedQuzhouPolicy(app, token: insurer)
            let today = Self.today(app)

            // Starting in 10 days without superseding: the shipped version runs on, so the days overlap.
            let overlapping = try await app.send(.post, "/api/v1/insurance/policies", token: insurer,
                                                 json: Self.aNextVersion(of: shipped, startingOn: today.adding(days: 10)))
            #expect(overlapping.status == .badRequest, "\(overlapping.text)")
            #expect(overlapping.errorFields == ["effectiveFrom"])
            #expect(overlapping.errorDetailCodes == ["overlap"])

            // A closed range before the shipped version overlaps nothing, but lies in the past.
            let past = Self.changing(Self.aNextVersion(of: shipped, startingOn: CalendarDate(year: 2019, month: 1, day: 1)!),
                                     "effectiveTo", to: "2019-12-31")
            let backdated = try await app.send(.post, "/api/v1/insurance/policies", token: insurer, json: past)
            #expect(backdated.status == .badRequest, "\(backdated.text)")
            #expect(backdated.errorFields == ["effectiveFrom"])
            #expect(backdated.errorDetailCodes == ["not_in_future"])

            // Superseding from today is refused too, and the shipped version is not cut short by the attempt.
            let fromToday = try await app.send(.post, "/api/v1/insurance/policies/330800/2020-03/supersede", token: insurer,
                                               json: Self.aNextVersion(of: shipped, startingOn: today))
            #expect(fromToday.status == .badRequest, "\(fromToday.text)")
            #expect(fromToday.errorDetailCodes == ["not_in_future"])

            // A version name the region has already is taken.
            let sameName = try await app.send(.post, "/api/v1/insurance/policies/330800/2020-03/supersede", token: insurer,
                                              json: Self.changing(Self.aNextVersion(of: shipped, startingOn: today.adding(days: 10)),
                                                                  "version", to: "2020-03"))
            #expect(sameName.status == .badRequest, "\(sameName.text)")
            #expect(sameName.errorDetailCodes.contains("taken"), "\(sameName.text)")

            // Superseding a version that does not exist, or one of another region, names nothing the insurer has.
            let unknown = try await app.send(.post, "/api/v1/insurance/policies/330800/1999-01/supersede", token: insurer,
                                             json: Self.aNextVersion(of: shipped, startingOn: today.adding(days: 10)))
            #expect(unknown.status == .notFound, "\(unknown.text)")
            let elsewhere = try await app.send(.post, "/api/v1/insurance/policies/440100/2020-03/supersede", token: insurer,
                                               json: Self.aNextVersion(of: shipped, startingOn: today.adding(days: 10)))
            #expect(elsewhere.status == .notFound, "\(elsewhere.text)")

            #expect(try await Self.policyCount(app) == 3)
            let after = try await app.send(.get, "/api/v1/insurance/policies/330800/2020-03", token: insurer)
            #expect(after.json["effectiveTo"] is NSNull, "\(after.text)")
            #expect(try Self.canonical(after.json) == (try Self.canonical(shipped)))
        }
    }

    @Test("an insurer may add versions of its own region only: another region's document is refused with region not_your_region")
    func otherRegion() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let shipped = try await Self.shippedQuzhouPolicy(app, token: insurer)
            let next = Self.aNextVersion(of: shipped, startingOn: Self.today(app).adding(days: 10))
            for region in ["440100", "330900"] {
                let reply = try await app.send(.post, "/api/v1/insurance/policies", token: insurer,
                                               json: Self.changing(next, "region", to: region))
                #expect(reply.status == .badRequest, "\(region): \(reply.text)")
                #expect(reply.errorFields == ["region"], "\(region)")
                #expect(reply.errorDetailCodes == ["not_your_region"], "\(region)")
            }
            // Nor may it read another region's versions.
            let read = try await app.send(.get, "/api/v1/insurance/policies?region=440100", token: insurer)
            #expect(read.status == .notFound)
            #expect(try await Self.policyCount(app) == 3)
            let guangzhou = try await app.signIn(Insured.guangzhouInsurer)
            #expect(try await app.send(.get, "/api/v1/insurance/policies?region=440100", token: guangzhou).items.count == 1)
        }
    }

    @Test("superseding the shipped version with one that starts in 10 days ends the shipped one the day before and keeps its figures")
    func supersede() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let shipped = try await Self.shippedQuzhouPolicy(app, token: insurer)
            let start = Self.today(app).adding(days: 10)
            var next = Self.aNextVersion(of: shipped, startingOn: start)
            next = Self.changing(next, "consultationFee", to: ["inScopeLimitFen": 3000])

            let added = try await app.send(.post, "/api/v1/insurance/policies/330800/2020-03/supersede", token: insurer, json: next)
            #expect(added.status == .created, "\(added.text)")
            #expect(added.string("version") == start.description)
            #expect(added.string("effectiveFrom") == start.description)
            #expect(added.json["effectiveTo"] is NSNull)
            #expect(try await Self.policyCount(app) == 4)

            let old = try await app.send(.get, "/api/v1/insurance/policies/330800/2020-03", token: insurer)
            #expect(old.status == .ok)
            #expect(old.string("effectiveTo") == start.adding(days: -1).description)
            #expect(old.string("effectiveFrom") == "2020-03-01")
            #expect((old.json["consultationFee"] as? [String: Any])?["inScopeLimitFen"] as? Int == 2500)
            var oldFigures = old.json
            var shippedFigures = shipped
            oldFigures["effectiveTo"] = nil
            shippedFigures["effectiveTo"] = nil
            #expect(try Self.canonical(oldFigures) == (try Self.canonical(shippedFigures)))

            let new = try await app.send(.get, "/api/v1/insurance/policies/330800/\(start.description)", token: insurer)
            #expect((new.json["consultationFee"] as? [String: Any])?["inScopeLimitFen"] as? Int == 3000)
            let list = try await app.send(.get, "/api/v1/insurance/policies", token: insurer)
            #expect(list.items.compactMap { $0["version"] as? String } == [start.description, "2020-03"])
        }
    }

    @Test("a policy document is accepted as YAML too, and a bad YAML one is refused by path like a JSON one")
    func yamlDocument() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let start = Self.today(app).adding(days: 20)
            func yaml(ratio: Int) -> String {
                """
                region: "330800"
                version: "\(start.description)-yaml"
                effectiveFrom: \(start.description)
                effectiveTo: null
                name: {zh: 衢州市“互联网+”医保（新版）, en: Quzhou Internet+ insurance (new)}
                coveredConditions: [G20, G30, J45, J44, N18, I10]
                institutions:
                  kinds: [internetHospital, pharmacy]
                  only: []
                platformLevel: null
                priorVisit:
                  windowDays: 90
                  sameHospital: true
                  prescribedForCondition: true
                  sources: [imported, medloopAppointment]
                consultationFee:
                  inScopeLimitFen: 2500
                drugs:
                  classBSelfPayFirstBp: 1000
                deliveryCovered: false
                schemes:
                  employee:
                    deductibleFen: 0
                    capFen: 600000
                    ratioBp: {tertiary: \(ratio), secondary: 8000, primary: 9000}
                    personalAccount: inScope
                  resident:
                    deductibleFen: 30000
                    capFen: 200000
                    ratioBp: {tertiary: 5000, secondary: 6000, primary: 7000}
                    personalAccount: none
                quota:
                  shareWithPhysicalHospital: true
                crossRegion:
                  homeSettles: true
                """
            }
            let uri = "/api/v1/insurance/policies/330800/2020-03/supersede"
            let bad = try await Self.post(app, uri, token: insurer, body: yaml(ratio: 12_000), contentType: "application/yaml")
            #expect(bad.status == .badRequest, "\(bad.text)")
            #expect(bad.errorFields == ["schemes.employee.ratioBp.tertiary"])
            #expect(try await Self.policyCount(app) == 3)

            let good = try await Self.post(app, uri, token: insurer, body: yaml(ratio: 7500), contentType: "application/yaml")
            #expect(good.status == .created, "\(good.text)")
            #expect(good.string("effectiveFrom") == start.description)
            #expect(good.json["coveredConditions"] as? [String] == ["G20", "G30", "J45", "J44", "N18", "I10"])
            let ratios = ((good.json["schemes"] as? [String: Any])?["employee"] as? [String: Any])?["ratioBp"] as? [String: Any]
            #expect(ratios?["tertiary"] as? Int == 7500)
            #expect(try await Self.policyCount(app) == 4)
            let old = try await app.send(.get, "/api/v1/insurance/policies/330800/2020-03", token: insurer)
            #expect(old.string("effectiveTo") == start.adding(days: -1).description)
        }
    }

    @Test("a regulator may read a region's policies but not add one, and a patient may do neither")
    func policyRoles() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let shipped = try await Self.shippedQuzhouPolicy(app, token: insurer)
            let next = Self.aNextVersion(of: shipped, startingOn: Self.today(app).adding(days: 10))

            let regulator = try await app.signIn(Demo.regulatorPhone)
            let listed = try await app.send(.get, "/api/v1/insurance/policies?region=330800", token: regulator)
            #expect(listed.status == .ok)
            #expect(listed.items.compactMap { $0["version"] as? String } == ["2020-03"])
            #expect(try await app.send(.get, "/api/v1/insurance/policies", token: regulator).status == .badRequest)
            let regulatorAdds = try await app.send(.post, "/api/v1/insurance/policies", token: regulator, json: next)
            #expect(regulatorAdds.status == .forbidden, "\(regulatorAdds.text)")
            #expect(regulatorAdds.isStandardError)
            let regulatorSupersedes = try await app.send(.post, "/api/v1/insurance/policies/330800/2020-03/supersede",
                                                         token: regulator, json: next)
            #expect(regulatorSupersedes.status == .forbidden)

            let patient = try await app.signIn(Demo.patientPhone)
            #expect(try await app.send(.get, "/api/v1/insurance/policies?region=330800", token: patient).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/insurance/policies/330800/2020-03", token: patient).status == .forbidden)
            #expect(try await app.send(.post, "/api/v1/insurance/policies", token: patient, json: next).status == .forbidden)
            #expect(try await app.send(.post, "/api/v1/insurance/policies/330800/2020-03/supersede", token: patient,
                                       json: next).status == .forbidden)
            #expect(try await app.send(.post, "/api/v1/insurance/policies", json: next).status == .unauthorized)
            #expect(try await Self.policyCount(app) == 3)
        }
    }

    // MARK: Simulation

    /// A simulation body of INSURANCE.md, "Simulation".
    static func simulation(policy: [String: Any]? = nil, version: (String, String)? = nil, scheme: String,
                           level: String, condition: String?, yearToDate: (Int, Int) = (0, 0),
                           lines: [[String: Any]]) -> [String: Any] {
        var body: [String: Any] = [
            "scheme": scheme, "institution": ["kind": "internetHospital", "level": level],
            "yearToDate": ["deductibleUsedFen": yearToDate.0, "fundPaidFen": yearToDate.1],
            "personalAccountBalanceFen": 0, "lines": lines,
        ]
        if let policy { body["policy"] = policy }
        if let version { body["policyVersion"] = ["region": version.0, "version": version.1] }
        if let condition { body["conditionIcd10"] = condition }
        return body
    }

    @Test("the simulator reproduces the worked resident class-B example to the fen and writes nothing")
    func simulatesResidentExample() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            // The shipped Quzhou terms: resident deductible 30000, secondary ratio 6000, class B paid first 1000.
            let policy = try await Self.shippedQuzhouPolicy(app, token: insurer)
            let body = Self.simulation(policy: policy, scheme: "resident", level: "secondary", condition: "J45.9",
                                       yearToDate: (29_000, 0),
                                       lines: [["kind": "drug", "drugClass": "B", "amountFen": 5005, "referenceFen": 5005]])
            let reply = try await app.send(.post, "/api/v1/insurance/simulations", token: insurer, json: body)
            #expect(reply.status == .ok, "\(reply.text)")
            let s = reply.json
            #expect(fen(s, "totalFen") == 5005)
            #expect(fen(s, "fullOwnPayFen") == 0)
            #expect(fen(s, "overLimitFen") == 0)
            #expect(fen(s, "preSelfPayFen") == 501)
            #expect(fen(s, "inScopeFen") == 4504)
            #expect(fen(s, "deductibleFen") == 1000)
            #expect(fen(s, "fundFen") == 2102)
            #expect(fen(s, "coInsuranceFen") == 1402)
            #expect(fen(s, "overCapFen") == 0)
            #expect(fen(s, "selfShareFen") == 2903)
            #expect(fen(s, "personalAccountFen") == 0)
            #expect(fen(s, "cashFen") == 2903)
            #expect(fen(s, "ratioBp") == 6000)
            #expect(s["coveredReason"] as? String == "covered")
            let line = try #require((s["lines"] as? [[String: Any]])?.first)
            #expect(fen(line, "preSelfPayFen") == 501)
            #expect(fen(line, "inScopeFen") == 4504)
            #expect(fen(line, "overLimitFen") == 0)
            #expect(fen(line, "fullOwnPayFen") == 0)
            #expect((s["explanation"] as? [[String: Any]])?.isEmpty == false)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM settlements") == 0)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM insurance_year_to_date") == 0)
        }
    }

    @Test("the simulator settles the Guangdong-like 20-yuan hypertension follow-up under the stored version to 7 yuan from the fund and 13 from the patient")
    func simulatesGuangdongExample() async throws {
        try await withApp { app in
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let body = Self.simulation(version: ("440100", "2020-03"), scheme: "employee", level: "tertiary", condition: "I10",
                                       lines: [["kind": "consultation", "amountFen": 2000]])
            let reply = try await app.send(.post, "/api/v1/insurance/simulations", token: regulator, json: body)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(fen(reply.json, "fundFen") == 700)
            #expect(fen(reply.json, "overLimitFen") == 1300)
            #expect(fen(reply.json, "selfShareFen") == 1300)
            #expect((reply.json["policy"] as? [String: Any])?["version"] as? String == "2020-03")
            #expect((reply.json["policy"] as? [String: Any])?["region"] as? String == "440100")
            // A version the region does not have is not found.
            let missing = try await app.send(.post, "/api/v1/insurance/simulations", token: regulator,
                                             json: Self.simulation(version: ("440100", "1999-01"), scheme: "employee", level: "tertiary",
                                                                   condition: "I10", lines: [["kind": "consultation", "amountFen": 2000]]))
            #expect(missing.status == .notFound)
        }
    }

    @Test("a simulated bill for a condition the policy does not cover gets nothing from the fund and names the reason")
    func simulatesConditionNotCovered() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let policy = try await Self.shippedQuzhouPolicy(app, token: insurer)
            let body = Self.simulation(policy: policy, scheme: "employee", level: "tertiary", condition: "I10", lines: [
                ["kind": "consultation", "amountFen": 2000],
                ["kind": "drug", "drugClass": "A", "amountFen": 3200, "referenceFen": 3200],
            ])
            let reply = try await app.send(.post, "/api/v1/insurance/simulations", token: insurer, json: body)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.string("notCoveredReason") == "conditionNotCovered")
            #expect(reply.json["coveredReason"] == nil || reply.json["coveredReason"] is NSNull)
            #expect(fen(reply.json, "fundFen") == 0)
            #expect(fen(reply.json, "fullOwnPayFen") == 5200)
            #expect(fen(reply.json, "selfShareFen") == 5200)
            // The same bill for asthma is covered: the condition alone made the difference.
            let covered = try await app.send(.post, "/api/v1/insurance/simulations", token: insurer,
                                             json: Self.changing(body, "conditionIcd10", to: "J45"))
            #expect(covered.string("coveredReason") == "covered")
            #expect(fen(covered.json, "fundFen") ?? 0 > 0)
        }
    }

    @Test("a simulation with a bad document, a drug line without its reference price, an unknown drug class or line kind, or both policy and version is refused with 400 by path")
    func badSimulations() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let policy = try await Self.shippedQuzhouPolicy(app, token: insurer)
            let drug: [String: Any] = ["kind": "drug", "drugClass": "B", "amountFen": 5005, "referenceFen": 5005]
            func body(policy: [String: Any] = policy, lines: [[String: Any]] = [drug]) -> [String: Any] {
                Self.simulation(policy: policy, scheme: "resident", level: "secondary", condition: "J45.9", lines: lines)
            }
            var withoutReference = drug
            withoutReference["referenceFen"] = nil
            var unknownClass = drug
            unknownClass["drugClass"] = "C"
            let cases: [(String, [String: Any], [String])] = [
                ("a document with a ratio over 10000",
                 body(policy: Self.changing(policy, "schemes.resident.ratioBp.secondary", to: 10_001)),
                 ["schemes.resident.ratioBp.secondary"]),
                ("a document with an unknown key", body(policy: Self.changing(policy, "schemes.resident.ratioBpp", to: 1)),
                 ["schemes.resident.ratioBpp"]),
                ("a drug line without referenceFen", body(lines: [["kind": "consultation", "amountFen": 2000], withoutReference]),
                 ["lines[1].referenceFen"]),
                ("an unknown drug class", body(lines: [unknownClass]), ["lines[0].drugClass"]),
                ("an unknown line kind", body(lines: [["kind": "nursing", "amountFen": 100]]), ["lines[0].kind"]),
                ("a negative amount", body(lines: [["kind": "consultation", "amountFen": -1]]), ["lines[0].amountFen"]),
                ("both a document and a version", Self.changing(body(), "policyVersion", to: ["region": "330800", "version": "2020-03"]),
                 ["policy"]),
                ("neither a document nor a version", Self.changing(body(), "policy", to: nil), ["policy"]),
                ("no level for an internet hospital", Self.changing(body(), "institution.level", to: nil), ["institution.level"]),
            ]
            for (name, json, fields) in cases {
                let reply = try await app.send(.post, "/api/v1/insurance/simulations", token: insurer, json: json)
                #expect(reply.status == .badRequest, "\(name): \(reply.text)")
                #expect(reply.errorCode == "invalid_request", "\(name)")
                #expect(reply.errorFields == fields, "\(name): \(reply.text)")
            }
            // An unknown scheme is refused by the decoder, in the standard shape.
            let scheme = try await app.send(.post, "/api/v1/insurance/simulations", token: insurer,
                                            json: Self.changing(body(), "scheme", to: "student"))
            #expect(scheme.status == .badRequest)
            #expect(scheme.isStandardError)
            // The body that all of them spoil is a good one.
            #expect(try await app.send(.post, "/api/v1/insurance/simulations", token: insurer, json: body()).status == .ok)
        }
    }

    @Test("a patient may not run the simulator, while an operator may")
    func patientMayNotSimulate() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Demo.patientPhone)
            let body = Self.simulation(version: ("440100", "2020-03"), scheme: "employee", level: "tertiary", condition: "I10",
                                       lines: [["kind": "consultation", "amountFen": 2000]])
            let reply = try await app.send(.post, "/api/v1/insurance/simulations", token: patient, json: body)
            #expect(reply.status == .forbidden)
            #expect(reply.isStandardError)
            let operatorToken = try await app.signIn(Demo.operatorPhone)
            #expect(try await app.send(.post, "/api/v1/insurance/simulations", token: operatorToken, json: body).status == .ok)
        }
    }

    // MARK: Registry

    static func personCount(_ app: Harness) async throws -> Int {
        try await app.count("SELECT COUNT(*) AS n FROM insured_persons")
    }

    /// `id` with its check character replaced by another: a number whose checksum fails.
    static func withWrongCheck(_ id: String) -> String {
        String(id.dropLast()) + (id.last == "0" ? "1" : "0")
    }

    @Test("an insurer's registry entry with a bad national ID, an account under the resident scheme or another person's number is refused and nothing is saved")
    func badPersons() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let persons = try await Self.personCount(app)
            let good: [String: Any] = ["nationalId": aNationalIDText(sequence: 401), "scheme": "employee",
                                       "insuredNumber": "33080000000401", "personalAccountFen": 10_000]
            let cases: [(String, [String: Any], Int, String?, String?)] = [
                ("a national ID whose check character is wrong",
                 Self.changing(good, "nationalId", to: Self.withWrongCheck(aNationalIDText(sequence: 401))), 400, "nationalId", "checksum"),
                ("a national ID that is too short", Self.changing(good, "nationalId", to: "33080219850601"), 400, "nationalId", "length"),
                ("a resident with a personal account", Self.changing(good, "scheme", to: "resident"), 400,
                 "personalAccountFen", "resident_has_no_account"),
                ("a negative personal account", Self.changing(good, "personalAccountFen", to: -1), 400, "personalAccountFen", "range"),
                ("an insured number of another person", Self.changing(good, "insuredNumber", to: "33080000000005"), 409, nil, nil),
                ("an unknown scheme", Self.changing(good, "scheme", to: "student"), 400, nil, nil),
            ]
            for (name, json, status, field, code) in cases {
                let reply = try await app.send(.post, "/api/v1/insurance/insured-persons", token: insurer, json: json)
                #expect(Int(reply.status.code) == status, "\(name): \(reply.text)")
                #expect(reply.isStandardError, "\(name)")
                if let field { #expect(reply.errorFields == [field], "\(name): \(reply.text)") }
                if let code { #expect(reply.errorDetailCodes == [code], "\(name): \(reply.text)") }
                if status == 409 { #expect(reply.errorCode == "insured_number_taken", "\(name)") }
                #expect(try await Self.personCount(app) == persons, "\(name)")
            }
            // The asthma patient still holds their number, with the same account.
            let list = try await app.send(.get, "/api/v1/insurance/insured-persons?limit=100", token: insurer)
            let asthma = try #require(list.items.first { $0["insuredNumber"] as? String == "33080000000005" })
            #expect(fen(asthma, "personalAccountFen") == 50_000)
            #expect(try await app.balance(LedgerAccount.personalAccount(UUID(uuidString: try #require(asthma["id"] as? String))!).name)
                    == 50_000)
            // The entry all of them spoil is a good one.
            let saved = try await app.send(.post, "/api/v1/insurance/insured-persons", token: insurer, json: good)
            #expect(saved.status == .created, "\(saved.text)")
            #expect(try await Self.personCount(app) == persons + 1)
        }
    }

    @Test("a registry file applies its good rows and reports each bad row by line and code; other regions never see the rows")
    func registryImport() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let persons = try await Self.personCount(app)
            let csv = """
                nationalId,scheme,insuredNumber,status,personalAccountFen
                \(aNationalIDText(sequence: 501)),employee,33080000000501,active,10000
                \(aNationalIDText(sequence: 502)),resident,33080000000502,suspended,0
                \(Self.withWrongCheck(aNationalIDText(sequence: 503))),employee,33080000000503,active,0
                \(aNationalIDText(sequence: 504)),student,33080000000504,active,0
                \(aNationalIDText(sequence: 501)),employee,33080000000505,active,0
                \(aNationalIDText(sequence: 506)),resident,33080000000005,active,0
                \(aNationalIDText(sequence: 507)),resident,33080000000507,active,500
                \(aNationalIDText(sequence: 508)),employee,33080000000508,retired,0

                """
            let reply = try await Self.post(app, "/api/v1/insurance/insured-persons/import", token: insurer, body: csv,
                                            contentType: "text/csv; charset=utf-8")
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(fen(reply.json, "applied") == 2)
            let refused = (reply.json["refused"] as? [[String: Any]] ?? []).map { ($0["line"] as? Int ?? 0, $0["code"] as? String ?? "") }
            #expect(refused.map { $0.0 } == [4, 5, 6, 7, 8, 9], "\(reply.text)")
            #expect(refused.map { $0.1 } == ["national_id", "scheme", "repeated", "insured_number_taken", "resident_has_no_account", "status"],
                    "\(reply.text)")
            #expect(try await Self.personCount(app) == persons + 2)

            let list = try await app.send(.get, "/api/v1/insurance/insured-persons?limit=100", token: insurer)
            let first = try #require(list.items.first { $0["insuredNumber"] as? String == "33080000000501" })
            #expect(first["scheme"] as? String == "employee")
            #expect(fen(first, "personalAccountFen") == 10_000)
            #expect((first["nationalId"] as? String)?.contains(aNationalIDText(sequence: 501)) == false)
            let second = try #require(list.items.first { $0["insuredNumber"] as? String == "33080000000502" })
            #expect(second["status"] as? String == "suspended")
            #expect(!list.items.contains { ["33080000000503", "33080000000504", "33080000000505", "33080000000507", "33080000000508"]
                .contains($0["insuredNumber"] as? String ?? "") })
            // The number that belongs to the asthma patient still does.
            #expect(list.items.filter { $0["insuredNumber"] as? String == "33080000000005" }.count == 1)

            let guangzhou = try await app.signIn(Insured.guangzhouInsurer)
            let theirs = try await app.send(.get, "/api/v1/insurance/insured-persons?limit=100", token: guangzhou)
            #expect(theirs.status == .ok)
            #expect(!theirs.items.contains { ($0["insuredNumber"] as? String)?.hasPrefix("3308") == true })
            let id = try #require(first["id"] as? String)
            #expect(try await app.send(.get, "/api/v1/insurance/insured-persons/\(id)", token: guangzhou).status == .notFound)
            #expect(try await app.send(.post, "/api/v1/insurance/insured-persons/\(id)/vouchers", token: guangzhou).status == .notFound)
            #expect(try await app.send(.get, "/api/v1/insurance/insured-persons/\(id)", token: insurer).status == .ok)
        }
    }

    @Test("a registry file without the required columns is refused whole")
    func registryFileWithoutColumns() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let persons = try await Self.personCount(app)
            let csv = "nationalId,scheme,insuredNumber\n\(aNationalIDText(sequence: 601)),employee,33080000000601\n"
            let reply = try await Self.post(app, "/api/v1/insurance/insured-persons/import", token: insurer, body: csv,
                                            contentType: "text/csv")
            #expect(reply.status == .badRequest, "\(reply.text)")
            #expect(reply.errorFields == ["file"])
            #expect(try await Self.personCount(app) == persons)
            let patient = try await app.signIn(Demo.patientPhone)
            let byPatient = try await Self.post(app, "/api/v1/insurance/insured-persons/import", token: patient,
                                                body: csv, contentType: "text/csv")
            #expect(byPatient.status == .forbidden)
        }
    }

    // MARK: E-vouchers

    static func coverageRows(_ app: Harness, _ phone: String) async throws -> Int {
        try await app.count("SELECT COUNT(*) AS n FROM insurance_coverages WHERE patient_id = \(bind: Demo.patientId(phone).text)")
    }

    static func link(_ app: Harness, _ voucher: String, token: String) async throws -> Reply {
        try await app.send(.post, "/api/v1/me/insurance/coverage", token: token, json: ["voucher": voucher])
    }

    @Test("a voucher presented after its 5 minutes is refused as expired and links nothing")
    func expiredVoucher() async throws {
        try await withApp { app in
            let voucher = try await app.aVoucher(for: Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                 insuredNumber: "33080000000005")
            let patient = try await app.signIn(Insured.asthmaPatient)
            app.clock.advance(by: 301)
            let reply = try await Self.link(app, voucher, token: patient)
            #expect(reply.status == .unprocessableContent, "\(reply.text)")
            #expect(reply.errorCode == "voucher_expired")
            #expect(reply.isStandardError)
            #expect(try await Self.coverageRows(app, Insured.asthmaPatient) == 0)
            #expect(try await app.send(.get, "/api/v1/me/insurance/coverage", token: patient).status == .notFound)
            // A fresh one, presented in time, links.
            let fresh = try await app.aVoucher(for: Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                               insuredNumber: "33080000000005")
            app.clock.advance(by: 299)
            #expect(try await Self.link(app, fresh, token: patient).status == .ok)
            #expect(try await Self.coverageRows(app, Insured.asthmaPatient) == 1)
        }
    }

    @Test("a voucher is used once: presenting it again is refused and the coverage stays as first linked")
    func reusedVoucher() async throws {
        try await withApp { app in
            let voucher = try await app.aVoucher(for: Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                 insuredNumber: "33080000000005")
            let patient = try await app.signIn(Insured.asthmaPatient)
            let first = try await Self.link(app, voucher, token: patient)
            #expect(first.status == .ok, "\(first.text)")
            let verifiedAt = first.string("verifiedAt")
            app.clock.advance(by: 60)

            let again = try await Self.link(app, voucher, token: patient)
            #expect(again.status == .conflict, "\(again.text)")
            #expect(again.errorCode == "voucher_used")
            #expect(again.isStandardError)
            #expect(try await Self.coverageRows(app, Insured.asthmaPatient) == 1)
            #expect(try await app.send(.get, "/api/v1/me/insurance/coverage", token: patient).string("verifiedAt") == verifiedAt)

            // Another patient presenting it gets nothing either (it is not theirs, used or not).
            let other = try await app.signIn("13800000004")
            let stranger = try await Self.link(app, voucher, token: other)
            #expect(stranger.status == .unprocessableContent, "\(stranger.text)")
            #expect(stranger.errorCode == "voucher_not_yours")
            #expect(try await Self.coverageRows(app, "13800000004") == 0)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM used_vouchers") == 1)
        }
    }

    @Test("a voucher whose signature, expiry, person or region was changed is refused as forged and links nothing")
    func forgedVoucher() async throws {
        try await withApp { app in
            let voucher = try await app.aVoucher(for: Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                 insuredNumber: "33080000000005")
            let patient = try await app.signIn(Insured.asthmaPatient)
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let otherPerson = try await app.insuredPerson("33080000000004", insurer: insurer)
            let parts = voucher.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            #expect(parts.count == 6)
            func with(_ index: Int, _ value: String) -> String {
                var changed = parts
                changed[index] = value
                return changed.joined(separator: ".")
            }
            // The first character of the signature carries whole bits of r (the last may carry only padding).
            let signature = parts[5]
            let expiresMillis = try #require(Int64(parts[4]))
            let flipped = String(signature.first == "A" ? "B" : "A") + String(signature.dropFirst())
            let forgeries = [
                ("one character of the signature", with(5, flipped)),
                ("an expiry an hour later", with(4, String(expiresMillis + 3_600_000))),
                ("another person of the region", with(2, otherPerson.lowercased())),
                ("a region whose insurer has issued no voucher", with(1, "420100")),
            ]
            for (name, forged) in forgeries {
                #expect(forged != voucher, "\(name)")
                let reply = try await Self.link(app, forged, token: patient)
                #expect(reply.status == .unprocessableContent, "\(name): \(reply.text)")
                #expect(reply.errorCode == "voucher_forged", "\(name)")
                #expect(try await Self.coverageRows(app, Insured.asthmaPatient) == 0, "\(name)")
            }
            // The genuine one, untouched by those attempts, still links.
            #expect(try await Self.link(app, voucher, token: patient).status == .ok)
        }
    }

    @Test("text that is not a voucher code is refused with 400 on voucher")
    func garbageVoucher() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Insured.asthmaPatient)
            for text in ["hello", "", "MLV1.330800.not-a-uuid.x.1.AAAA", "MLV2.330800.\(UUID().uuidString).\(UUID().uuidString).1.AAAA",
                         "MLV1.330800.\(UUID().uuidString).\(UUID().uuidString).soon.AAAA",
                         "MLV1.330800.\(UUID().uuidString).\(UUID().uuidString).1.AA+A"] {
                let reply = try await Self.link(app, text, token: patient)
                #expect(reply.status == .badRequest, "\(text): \(reply.text)")
                #expect(reply.errorFields == ["voucher"], "\(text): \(reply.text)")
                #expect(reply.isStandardError)
            }
            let missing = try await app.send(.post, "/api/v1/me/insurance/coverage", token: patient, json: ["code": "x"])
            #expect(missing.status == .badRequest)
            #expect(try await Self.coverageRows(app, Insured.asthmaPatient) == 0)
        }
    }

    @Test("a suspended person's voucher is refused with coverage_suspended and links nothing")
    func suspendedVoucher() async throws {
        try await withApp { app in
            let voucher = try await app.aVoucher(for: Insured.suspendedPatient, insurerPhone: Insured.quzhouInsurer,
                                                 insuredNumber: "33080000000009")
            let patient = try await app.signIn(Insured.suspendedPatient)
            let reply = try await Self.link(app, voucher, token: patient)
            #expect(reply.status == .unprocessableContent, "\(reply.text)")
            #expect(reply.errorCode == "coverage_suspended")
            #expect(try await Self.coverageRows(app, Insured.suspendedPatient) == 0)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM used_vouchers") == 0)
        }
    }

    @Test("a patient presenting another person's voucher is refused with voucher_not_yours, and the voucher stays usable by its person")
    func someoneElsesVoucher() async throws {
        try await withApp { app in
            let voucher = try await app.aVoucher(for: Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                 insuredNumber: "33080000000005")
            // Insured in Quzhou too, under another number; and a patient insured nowhere.
            for phone in ["13800000004", Demo.otherPatientPhone] {
                let other = try await app.signIn(phone)
                let reply = try await Self.link(app, voucher, token: other)
                #expect(reply.status == .unprocessableContent, "\(phone): \(reply.text)")
                #expect(reply.errorCode == "voucher_not_yours", "\(phone)")
                #expect(try await Self.coverageRows(app, phone) == 0, "\(phone)")
            }
            #expect(try await app.count("SELECT COUNT(*) AS n FROM insurance_coverages") == 0)
            let owner = try await app.signIn(Insured.asthmaPatient)
            let linked = try await Self.link(app, voucher, token: owner)
            #expect(linked.status == .ok, "\(linked.text)")
            #expect(linked.string("insuredNumber") == "33080000000005")
        }
    }

    // MARK: Quotas

    static func budget(_ app: Harness, _ institution: UUID) async throws -> Int64? {
        try await app.database.read { sql in
            try await sql.raw("SELECT budget_fen FROM insurance_quotas WHERE institution_id = \(bind: institution.text)").first()?
                .decode(column: "budget_fen", as: Int64.self)
        }
    }

    @Test("an insurer may not set the quota of another region's institution, of a malformed month, or below what settlements have drawn")
    func badQuotas() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let month = InsuranceQuota.month(of: CalendarDate.shanghai(app.clock.now()))

            let elsewhere = try await app.send(.put, "/api/v1/insurance/quotas/\(I.guangzhouHospital.text)/\(month)", token: insurer,
                                               json: ["budgetFen": 1])
            #expect(elsewhere.status == .notFound, "\(elsewhere.text)")
            #expect(try await Self.budget(app, I.guangzhouHospital) == 1_000_000)
            let nowhere = try await app.send(.put, "/api/v1/insurance/quotas/\(UUID().uuidString)/\(month)", token: insurer,
                                             json: ["budgetFen": 1])
            #expect(nowhere.status == .notFound)
            for bad in ["2026-13", "2026-8", "202608", "next"] {
                let reply = try await app.send(.put, "/api/v1/insurance/quotas/\(I.tertiaryHospital.text)/\(bad)", token: insurer,
                                               json: ["budgetFen": 1])
                #expect(reply.status == .badRequest, "\(bad): \(reply.text)")
                #expect(reply.errorFields == ["month"], "\(bad)")
            }
            let negative = try await app.send(.put, "/api/v1/insurance/quotas/\(I.tertiaryHospital.text)/\(month)", token: insurer,
                                              json: ["budgetFen": -1])
            #expect(negative.status == .badRequest)
            #expect(negative.errorFields == ["budgetFen"])
            #expect(try await Self.budget(app, I.tertiaryHospital) == 5_000_000)

            // The asthma patient's follow-up draws 1750 on the Quzhou hospital's quota.
            let patient = try await app.anInsuredPatient(Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                         insuredNumber: "33080000000005")
            let (_, paid) = try await app.aSettledFollowUp(patient, doctor: Insured.respiratoryDoctor, site: nil,
                                                           encounter: Insured.priorVisit(Insured.asthmaPatient))
            #expect(paid.status == .ok, "\(paid.text)")
            #expect(try await app.quotaUsed(I.tertiaryHospital) == 1750)

            let below = try await app.send(.put, "/api/v1/insurance/quotas/\(I.tertiaryHospital.text)/\(month)", token: insurer,
                                           json: ["budgetFen": 1749])
            #expect(below.status == .conflict, "\(below.text)")
            #expect(below.errorCode == "quota_below_use")
            #expect(try await Self.budget(app, I.tertiaryHospital) == 5_000_000)
            #expect(try await app.quotaUsed(I.tertiaryHospital) == 1750)

            let exactly = try await app.send(.put, "/api/v1/insurance/quotas/\(I.tertiaryHospital.text)/\(month)", token: insurer,
                                             json: ["budgetFen": 1750])
            #expect(exactly.status == .ok, "\(exactly.text)")
            #expect(fen(exactly.json, "budgetFen") == 1750)
            #expect(fen(exactly.json, "usedFen") == 1750)
            #expect(fen(exactly.json, "remainingFen") == 0)

            // Only an insurer sets quotas.
            let regulator = try await app.signIn(Demo.regulatorPhone)
            #expect(try await app.send(.put, "/api/v1/insurance/quotas/\(I.tertiaryHospital.text)/\(month)", token: regulator,
                                       json: ["budgetFen": 9_000_000]).status == .forbidden)
            #expect(try await Self.budget(app, I.tertiaryHospital) == 1750)
        }
    }

    @Test("an insurer's quota list shows its own region's institutions with what settlements have drawn")
    func quotaList() async throws {
        try await withApp { app in
            let patient = try await app.anInsuredPatient(Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                         insuredNumber: "33080000000005")
            let (_, paid) = try await app.aSettledFollowUp(patient, doctor: Insured.respiratoryDoctor, site: nil,
                                                           encounter: Insured.priorVisit(Insured.asthmaPatient))
            #expect(paid.status == .ok, "\(paid.text)")
            func ids(_ reply: Reply) -> Set<UUID> {
                Set(reply.items.compactMap { ($0["institutionId"] as? String).flatMap(UUID.init(uuidString:)) })
            }

            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let quzhou = try await app.send(.get, "/api/v1/insurance/quotas", token: insurer)
            #expect(quzhou.status == .ok, "\(quzhou.text)")
            #expect(ids(quzhou) == [I.tertiaryHospital, I.pharmacies[0]])
            let hospital = try #require(quzhou.items.first { ($0["institutionId"] as? String).flatMap(UUID.init(uuidString:)) == I.tertiaryHospital })
            #expect(fen(hospital, "usedFen") == 1750)
            #expect(fen(hospital, "budgetFen") == 5_000_000)
            #expect(fen(hospital, "remainingFen") == 4_998_250)

            let guangzhou = try await app.signIn(Insured.guangzhouInsurer)
            #expect(ids(try await app.send(.get, "/api/v1/insurance/quotas", token: guangzhou)) == [I.guangzhouHospital])
            let regulator = try await app.signIn(Demo.regulatorPhone)
            #expect(ids(try await app.send(.get, "/api/v1/insurance/quotas", token: regulator))
                    == [I.tertiaryHospital, I.pharmacies[0], I.guangzhouHospital])
            // Another month has no quotas yet; a malformed one is refused.
            #expect(try await app.send(.get, "/api/v1/insurance/quotas?month=2020-01", token: insurer).items.isEmpty)
            #expect(try await app.send(.get, "/api/v1/insurance/quotas?month=2020-1", token: insurer).status == .badRequest)
            let other = try await app.signIn(Demo.patientPhone)
            #expect(try await app.send(.get, "/api/v1/insurance/quotas", token: other).status == .forbidden)
        }
    }
}
