import Foundation
import HTTPTypes
import Logging
@testable import MedLoopApp
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Synchronization
import Testing

extension Harness {
    /// The fraud monitor on this server's stores, with `evaluate` standing in for the rules, so
    /// its mechanics are tested whatever the rules are.
    func aFraudMonitor(batchSize: Int = 200, database other: Database? = nil,
                       evaluate: @escaping @Sendable (DomainEvent) async throws -> [AlertDraft]) -> FraudMonitor {
        let database = other ?? self.database
        return FraudMonitor(events: EventStore(database: database), alerts: AlertStore(database: database, audit: AuditStore(database: database)),
                            batchSize: batchSize, evaluate: evaluate)
    }

    /// Appends an event to the outbox as a change of the platform would; returns its sequence.
    @discardableResult
    func anEvent(_ kind: EventKind = .traceabilityCodeReused, subject: UUID = UUID(), payload: String = "{}") async throws -> Int64 {
        try await database.unitOfWork { tx in
            try await EventStore.append(DomainEvent(id: .v7(at: clock.now()), kind: kind, subjectType: "medicine_order",
                                                    subjectId: subject, payload: payload, occurredAt: clock.now()), in: tx)
        }
        return try await EventStore(database: database).lastSequence()
    }

    /// Stores `drafts` as the monitor would on the events up to the outbox's end; returns the alerts raised.
    func raise(_ drafts: [AlertDraft]) async throws -> [Alert] {
        let alerts = services.stores.alerts
        let from = try await alerts.monitorPosition()
        let to = max(from, try await services.stores.events.lastSequence())
        let context = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "test", at: clock.now())
        return try #require(try await alerts.record(drafts.map { EvaluatedDraft(draft: $0, eventSequence: to) },
                                                    evaluatedFrom: from, to: to, context: context))
    }

    /// The rows of the alert tables and the outbox's alert events, to show that a refused request changed nothing.
    func alertSnapshot() async throws -> [String] {
        try await database.read { sql in
            let alerts = try await sql.raw("SELECT id, state, updated_at FROM alerts ORDER BY id").all().map {
                "\(try $0.decode(column: "id", as: String.self)) \(try $0.decode(column: "state", as: String.self)) \(try $0.decode(column: "updated_at", as: Int64.self))"
            }
            let history = try await sql.raw("SELECT COUNT(*) AS n FROM alert_history").first()?.decode(column: "n", as: Int.self) ?? -1
            let events = try await sql.raw("SELECT COUNT(*) AS n FROM domain_events WHERE kind LIKE 'supervision.alert.%'").first()?
                .decode(column: "n", as: Int.self) ?? -1
            return alerts + ["history \(history)", "events \(events)"]
        }
    }
}

/// A draft of the test rule about `subject`, in `region`.
func aDraft(rule: String = "traceabilityCodeReused", region: String = "330802", caseKey: String? = nil, subject: UUID = UUID(),
            severity: AlertSeverity = .high, at: Date = Date(epochMillis: 1_790_000_000_000)) -> AlertDraft {
    AlertDraft(rule: rule, severity: severity, entities: [AlertEntity(type: "medicine_order", id: subject)],
               evidence: ["codes": "81000020000000000077", "dispensedBefore": "1"], caseKey: caseKey ?? "\(rule):\(subject.text)",
               region: try! RegionCode(region), occurredAt: at)
}

@Suite("Supervision: the fraud monitor and the alert queue")
struct AlertQueueTests {
    static let quzhouCounty = "330802"
    static let guangzhouDistrict = "440104"

    /// The test rule: one high alert per reused traceability code, the case being the medicine order.
    static let codeReuse: @Sendable (DomainEvent) async throws -> [AlertDraft] = { event in
        guard event.kind == .traceabilityCodeReused else { return [] }
        return [aDraft(caseKey: "traceabilityCodeReused:\(event.subjectId.text)", subject: event.subjectId, at: event.occurredAt)]
    }

    @Test("the monitor raises an alert on an event into its region's queue, with a raised event, and the regulator works it to a decision")
    func raiseAndWork() async throws {
        try await withApp { app in
            try await app.holdJobLease("fraud-monitor")
            let order = UUID()
            let sequence = try await app.anEvent(subject: order)
            let raised = try await app.aFraudMonitor(evaluate: Self.codeReuse).catchUp(now: app.clock.now())
            #expect(raised == 1)
            #expect(try await app.services.stores.alerts.monitorPosition() >= sequence)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM domain_events WHERE kind = 'supervision.alert.raised'") == 1)

            let regulator = try await app.signIn(Demo.regulatorPhone)
            let queue = try await app.send(.get, "/api/v1/supervision/alerts", token: regulator)
            #expect(queue.status == .ok)
            #expect(queue.items.count == 1)
            let id = try #require(queue.items.first?["id"] as? String)
            #expect(queue.items.first?["rule"] as? String == "traceabilityCodeReused")
            #expect(queue.items.first?["severity"] as? String == "high")
            #expect(queue.items.first?["region"] as? String == Self.quzhouCounty)
            #expect(((queue.items.first?["entities"] as? [[String: Any]])?.first?["id"] as? String)?.lowercased() == order.text)
            #expect((queue.items.first?["evidence"] as? [String: String])?["dispensedBefore"] == "1")

            let investigating = try await app.send(.post, "/api/v1/supervision/alerts/\(id)/transitions", token: regulator,
                                                   json: ["to": "investigating"])
            #expect(investigating.status == .ok, "\(investigating.text)")
            #expect(investigating.string("state") == "investigating")
            #expect(investigating.json["nextStates"] as? [String] == ["confirmed", "dismissed"])
            let noted = try await app.send(.post, "/api/v1/supervision/alerts/\(id)/notes", token: regulator,
                                           json: ["note": "  asked the pharmacy for its purchase records "])
            #expect(noted.status == .created)
            #expect(noted.string("note") == "asked the pharmacy for its purchase records")
            let confirmed = try await app.send(.post, "/api/v1/supervision/alerts/\(id)/transitions", token: regulator,
                                               json: ["to": "confirmed", "note": "the package was resold"])
            #expect(confirmed.status == .ok)
            #expect(confirmed.json["nextStates"] as? [String] == [])

            let shown = try await app.send(.get, "/api/v1/supervision/alerts/\(id)", token: regulator)
            #expect(shown.string("state") == "confirmed")
            let history = shown.json["history"] as? [[String: Any]] ?? []
            #expect(history.map { "\($0["from"] as? String ?? "-")→\($0["to"] as? String ?? "-")" }
                    == ["-→open", "open→investigating", "-→-", "investigating→confirmed"])
            #expect(history.map { $0["note"] as? String ?? "" }
                    == ["", "", "asked the pharmacy for its purchase records", "the package was resold"])
            #expect(history.dropFirst().allSatisfy { ($0["actorAccountId"] as? String)?.lowercased() == Demo.accountId(Demo.regulatorPhone).text })
            #expect(history.first?["actorAccountId"] == nil)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM domain_events WHERE kind = 'supervision.alert.moved'") == 2)
            #expect(try await app.auditCount(action: "alert.raise") == 1)
            #expect(try await app.auditCount(action: "alert.move") == 2)
            #expect(try await app.auditCount(action: "alert.note") == 1)
            #expect(try await app.auditCount(action: "alert.read") == 1)

            // Decided, it leaves the open queue for the confirmed one.
            #expect(try await app.send(.get, "/api/v1/supervision/alerts", token: regulator).items.isEmpty)
            #expect(try await app.send(.get, "/api/v1/supervision/alerts?state=confirmed", token: regulator).items.count == 1)
        }
    }

    @Test("the monitor evaluates each event once: run again, or by two servers at once, it raises one alert and keeps its place")
    func once() async throws {
        try await withApp { app in
            try await app.holdJobLease("fraud-monitor")
            let evaluations = AlertTestCounter()
            // Each evaluation is a case of its own, so only the monitor's place keeps a second
            // evaluation of the same event from raising a second alert.
            let rule: @Sendable (DomainEvent) async throws -> [AlertDraft] = { event in
                guard event.kind == .traceabilityCodeReused else { return [] }
                evaluations.add()
                return [aDraft(caseKey: "evaluation:\(UUID().text)", subject: event.subjectId, at: event.occurredAt)]
            }
            let reused = try await app.anEvent()
            let second = try await Database.open(app.database.location, maxConnections: 4)
            do {
                let one = app.aFraudMonitor(evaluate: rule)
                let other = app.aFraudMonitor(database: second, evaluate: rule)
                async let first = one.catchUp(now: app.clock.now())
                async let racing = other.catchUp(now: app.clock.now())
                let total = try await first + racing
                #expect(total == 1)
                let position = try await app.services.stores.alerts.monitorPosition()
                #expect(position >= reused)
                // A run that read the place before another moved it stores nothing.
                let late = AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: "late", at: app.clock.now())
                #expect(try await app.services.stores.alerts.record([EvaluatedDraft(draft: aDraft(caseKey: "late"), eventSequence: reused)],
                                                                    evaluatedFrom: reused - 1, to: reused, context: late) == nil)
                #expect(try await app.services.stores.alerts.monitorPosition() == position)
                // Run again, on either server: nothing new to evaluate but its own raised event.
                #expect(try await one.catchUp(now: app.clock.now()) == 0)
                #expect(try await other.catchUp(now: app.clock.now()) == 0)
                #expect(try await app.count("SELECT COUNT(*) AS n FROM alerts") == 1)
                await second.close()
            } catch {
                await second.close()
                throw error
            }
            // A later event is evaluated from the kept place, not from the beginning.
            let before = evaluations.value
            try await app.anEvent()
            #expect(try await app.aFraudMonitor(evaluate: rule).catchUp(now: app.clock.now()) == 1)
            #expect(evaluations.value == before + 1)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM alerts") == 2)
        }
    }

    @Test("a traceability code dispensed twice raises one traceabilityCodeReused alert through the monitor job, however often it runs")
    func reusedCodeEndToEnd() async throws {
        try await withApp { app in
            try await app.holdJobLease("fraud-monitor")
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            let reserved = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": MedicineOrderTests.hehua.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            let order = try #require(reserved.string("id"))
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(order)/pay", token: patient,
                                       headers: ConsultationRoutesTests.key()).status == .ok)
            let used = aTraceabilityCode("8100002", package: 91)
            try await app.database.unitOfWork { tx in
                try await tx.sql.raw("""
                    INSERT INTO dispensed_codes (code, order_id, drug_id, dispensed_at)
                    VALUES (\(bind: used), \(bind: order.lowercased()), \(bind: Shelf.amlodipine.text), 0)
                    """).run()
            }
            let staff = try await app.signIn(MedicineOrderTests.staffOfHehua)
            let reused = try await app.send(.post, "/api/v1/medicine-orders/\(order)/dispense", token: staff, json: ["codes": [used]])
            #expect(reused.errorCode == "code_already_dispensed")

            var logger = Logger(label: "medloop.test")
            logger.logLevel = .critical
            let job = Job.fraudMonitor(app.services, logger: logger)
            try await job.work(app.clock.now())
            try await job.work(app.clock.now())
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let queue = try await app.send(.get, "/api/v1/supervision/alerts?rule=traceabilityCodeReused", token: regulator)
            #expect(queue.items.count == 1)
            #expect((queue.items.first?["evidence"] as? [String: String])?["code"] == used)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM alerts") == 1)
            #expect(try await app.services.stores.alerts.monitorPosition()
                    > (try await app.count("SELECT MAX(sequence) AS n FROM domain_events WHERE kind = 'supervision.traceability_code_reused'")))
        }
    }

    @Test("an event the rules fail on stops the monitor after the events before it, and the next run evaluates it")
    func failureKeepsPlace() async throws {
        try await withApp { app in
            try await app.holdJobLease("fraud-monitor")
            let first = try await app.anEvent()
            let failing = try await app.anEvent()
            try await app.anEvent()
            let failNow = AlertTestCounter()
            let rule: @Sendable (DomainEvent) async throws -> [AlertDraft] = { event in
                if event.kind == .traceabilityCodeReused, failNow.value == 0, try await app.sequence(of: event.id) == failing {
                    failNow.add()
                    throw AlertTestFailure.rulesDown
                }
                return try await Self.codeReuse(event)
            }
            let monitor = app.aFraudMonitor(batchSize: 2, evaluate: rule)
            await #expect(throws: AlertTestFailure.rulesDown) { try await monitor.catchUp(now: app.clock.now()) }
            #expect(try await app.services.stores.alerts.monitorPosition() == first)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM alerts") == 1)
            #expect(try await monitor.catchUp(now: app.clock.now()) == 2)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM alerts") == 3)
        }
    }

    @Test("a case already open or investigating is not raised again; once decided, a new firing opens a new alert")
    func oneOpenCase() async throws {
        try await withApp { app in
            try await app.holdJobLease("fraud-monitor")
            let subject = UUID()
            // Twice in one batch, and a third time in the next.
            #expect(try await app.raise([aDraft(caseKey: "case-1", subject: subject), aDraft(caseKey: "case-1", subject: subject)]).count == 1)
            #expect(try await app.raise([aDraft(caseKey: "case-1", subject: subject)]).isEmpty)
            // Another rule's case of the same key is another case.
            #expect(try await app.raise([aDraft(rule: "earlyRefill", caseKey: "case-1", subject: subject)]).count == 1)
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let id = try #require(try await app.send(.get, "/api/v1/supervision/alerts?rule=traceabilityCodeReused", token: regulator).items.first?["id"] as? String)
            _ = try await app.send(.post, "/api/v1/supervision/alerts/\(id)/transitions", token: regulator, json: ["to": "investigating"])
            #expect(try await app.raise([aDraft(caseKey: "case-1", subject: subject)]).isEmpty)
            let dismissed = try await app.send(.post, "/api/v1/supervision/alerts/\(id)/transitions", token: regulator,
                                               json: ["to": "dismissed", "note": "a returned package, scanned again by mistake"])
            #expect(dismissed.status == .ok)
            #expect(try await app.raise([aDraft(caseKey: "case-1", subject: subject)]).count == 1)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM alerts WHERE case_key = 'case-1'") == 3)
        }
    }

    @Test("the queue lists the regulator's region only, by state and rule, newest first, page by page")
    func queue() async throws {
        try await withApp { app in
            try await app.holdJobLease("fraud-monitor")
            var ids: [String] = []
            for index in 0..<5 {
                app.clock.advance(by: 60)
                let rule = index.isMultiple(of: 2) ? "traceabilityCodeReused" : "earlyRefill"
                ids += try await app.raise([aDraft(rule: rule, region: index == 4 ? "330803" : Self.quzhouCounty)]).map(\.id.text)
            }
            // Guangzhou's alert is not Quzhou's regulator's to see.
            let guangzhou = try await app.raise([aDraft(region: Self.guangzhouDistrict)]).map(\.id.text)
            let regulator = try await app.signIn(Demo.regulatorPhone)
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await app.send(.get, "/api/v1/supervision/alerts?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""),
                                              token: regulator)
                #expect(page.status == .ok)
                #expect(page.items.count <= 2)
                seen += page.items.compactMap { ($0["id"] as? String)?.lowercased() }
                cursor = page.json["nextCursor"] as? String
            } while cursor != nil
            #expect(seen == ids.reversed())
            #expect(!seen.contains(guangzhou[0]))
            let byRule = try await app.send(.get, "/api/v1/supervision/alerts?rule=earlyRefill", token: regulator)
            #expect(byRule.items.compactMap { ($0["id"] as? String)?.lowercased() } == [ids[3], ids[1]])
            let county = try await app.send(.get, "/api/v1/supervision/alerts?region=330803", token: regulator)
            #expect(county.items.compactMap { ($0["id"] as? String)?.lowercased() } == [ids[4]])
            #expect(try await app.send(.get, "/api/v1/supervision/alerts?state=investigating", token: regulator).items.isEmpty)

            // Another region named in the filter: 403, audited.
            let other = try await app.send(.get, "/api/v1/supervision/alerts?region=440100", token: regulator)
            #expect(other.status == .forbidden)
            #expect(other.isStandardError)
            #expect(try await app.auditCount(action: "alert.list", outcome: .denied) == 1)
            // Bad filters are 400s.
            for query in ["state=closed", "rule=no%20such%20rule", "limit=0", "cursor=@@", "region=33"] {
                let bad = try await app.send(.get, "/api/v1/supervision/alerts?\(query)", token: regulator)
                #expect(bad.status == .badRequest, "\(query): \(bad.text)")
                #expect(bad.isStandardError)
            }
            // Only a regulator works the queue.
            for phone in [Demo.patientPhone, Demo.doctorPhone, Demo.pharmacistPhone, Demo.insurerPhone] {
                let token = try await app.signIn(phone)
                #expect(try await app.send(.get, "/api/v1/supervision/alerts", token: token).status == .forbidden)
            }
            #expect(try await app.send(.get, "/api/v1/supervision/alerts").status == .unauthorized)
        }
    }

    @Test("skipping a state, an unknown state, a decision without a note, a blank note, another region's alert: each a clear 4xx that changes nothing")
    func badInput() async throws {
        try await withApp { app in
            try await app.holdJobLease("fraud-monitor")
            let alert = try #require(try await app.raise([aDraft()]).first).id.text
            let foreign = try #require(try await app.raise([aDraft(region: Self.guangzhouDistrict)]).first).id.text
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let path = "/api/v1/supervision/alerts/\(alert)"
            let cases: [(String, [String: Any], HTTPResponse.Status, String)] = [
                ("\(path)/transitions", ["to": "confirmed", "note": "obvious"], .conflict, "alert_state"),
                ("\(path)/transitions", ["to": "dismissed", "note": "nothing in it"], .conflict, "alert_state"),
                ("\(path)/transitions", ["to": "open"], .conflict, "alert_state"),
                ("\(path)/transitions", ["to": "closed", "note": "done"], .badRequest, "invalid_request"),
                ("\(path)/transitions", ["note": "no target"], .badRequest, "invalid_request"),
                ("\(path)/transitions", ["to": 3], .badRequest, "invalid_request"),
                ("\(path)/notes", ["note": "   "], .badRequest, "invalid_request"),
                ("\(path)/notes", [:], .badRequest, "invalid_request"),
                ("\(path)/notes", ["note": String(repeating: "x", count: 2001)], .badRequest, "invalid_request"),
                ("/api/v1/supervision/alerts/\(foreign)/transitions", ["to": "investigating"], .forbidden, "forbidden"),
                ("/api/v1/supervision/alerts/\(foreign)/notes", ["note": "looking"], .forbidden, "forbidden"),
                ("/api/v1/supervision/alerts/\(UUID().text)/transitions", ["to": "investigating"], .notFound, "not_found"),
            ]
            let before = try await app.alertSnapshot()
            for (uri, body, status, code) in cases {
                let reply = try await app.send(.post, uri, token: regulator, json: body)
                #expect(reply.status == status, "\(uri) \(body): \(reply.text)")
                #expect(reply.errorCode == code, "\(uri) \(body): \(reply.text)")
                #expect(reply.isStandardError)
                #expect(try await app.alertSnapshot() == before, "\(uri) \(body) changed the queue")
            }
            let read = try await app.send(.get, "/api/v1/supervision/alerts/\(foreign)", token: regulator)
            #expect(read.status == .forbidden)
            #expect(try await app.auditCount(action: "alert.read", outcome: .denied) == 1)
            #expect(try await app.auditCount(action: "alert.move", outcome: .denied) == 1)
            #expect(try await app.auditCount(action: "alert.note", outcome: .denied) == 1)

            // A decision needs a note; investigating first, then a note-less decision is still a 400.
            #expect(try await app.send(.post, "\(path)/transitions", token: regulator, json: ["to": "investigating"]).status == .ok)
            let investigating = try await app.alertSnapshot()
            let silent = try await app.send(.post, "\(path)/transitions", token: regulator, json: ["to": "confirmed", "note": " "])
            #expect(silent.status == .badRequest)
            #expect(silent.errorFields == ["note"])
            #expect(silent.errorDetailCodes == ["required"])
            #expect(try await app.alertSnapshot() == investigating)
            // Decided, it is final.
            #expect(try await app.send(.post, "\(path)/transitions", token: regulator, json: ["to": "dismissed", "note": "explained"]).status == .ok)
            let decided = try await app.alertSnapshot()
            for target in ["investigating", "confirmed", "open"] {
                let again = try await app.send(.post, "\(path)/transitions", token: regulator, json: ["to": target, "note": "again"])
                #expect(again.status == .conflict)
                #expect(again.errorCode == "alert_state")
            }
            #expect(try await app.alertSnapshot() == decided)
        }
    }

    @Test("two investigators moving one alert at once: one wins, the other gets 409, and one move is recorded")
    func racingMoves() async throws {
        try await withApp { app in
            try await app.holdJobLease("fraud-monitor")
            let alert = try #require(try await app.raise([aDraft()]).first).id
            let store = app.services.stores.alerts
            let context = AuditContext(actorAccountId: Demo.accountId(Demo.regulatorPhone), actorRole: .regulator, clientAddress: nil,
                                       requestId: "race", at: app.clock.now())
            _ = try await store.move(alert, to: .investigating, note: nil, context: context)
            let second = try await Database.open(app.database.location, maxConnections: 4)
            let other = AlertStore(database: second, audit: AuditStore(database: second))
            async let confirm = outcome { try await store.move(alert, to: .confirmed, note: "resold", context: context) }
            async let dismiss = outcome { try await other.move(alert, to: .dismissed, note: "a mistake", context: context) }
            let outcomes = await [confirm, dismiss]
            await second.close()
            let won = outcomes.compactMap { try? $0.get() }
            #expect(won.count == 1)
            for case .failure(let error) in outcomes {
                if case .conflict(let code, _)? = error as? DomainError {
                    #expect(code == "alert_state")
                } else {
                    Issue.record("the losing move failed otherwise: \(error)")
                }
            }
            let state = try await store.alert(alert)?.state
            #expect(state == won.first?.state)
            #expect(try await store.history(of: alert).count == 3)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM domain_events WHERE kind = 'supervision.alert.moved'") == 2)
        }
    }
}

/// A count shared by a test and the closures it hands out.
final class AlertTestCounter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add() { count.withLock { $0 += 1 } }
}

enum AlertTestFailure: Error, Equatable {
    case rulesDown
}

extension Harness {
    /// The outbox sequence of an event.
    func sequence(of event: UUID) async throws -> Int64 {
        try await database.read { sql in
            try await sql.raw("SELECT sequence FROM domain_events WHERE id = \(bind: event.text)").first()?
                .decode(column: "sequence", as: Int64.self) ?? -1
        }
    }
}

/// What an async call gave: its value or its error.
func outcome<T: Sendable>(of body: @Sendable () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
