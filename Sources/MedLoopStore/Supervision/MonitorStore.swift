import Foundation
import MedLoopDomain
import SQLKit

/// The live figures of the supervision dashboard (issue 20, part 2). Each figure is one COUNT,
/// MIN or SUM over the live rows only, walking an index (migration 26): a queue of consultations,
/// the review queue, a day's settlements, the orders out for delivery, the open alerts. A region
/// is the institution's: the site (or the doctor's hospital) of a consultation, the issuing
/// institution of a prescription, the pharmacy of a medicine order; a settlement and an alert
/// carry their own.
public struct MonitorStore: Sendable {
    let database: Database
    let audit: AuditStore

    public init(database: Database, audit: AuditStore) {
        self.database = database
        self.audit = audit
    }

    /// The figures at `now` of `region` and every region inside it (`nil`: the whole platform).
    public func figures(region: RegionCode?, now: Date) async throws -> DashboardFigures {
        let range = try region.map { try RegionCodeRange(prefix: $0.coveredPrefix) }
        let day = DashboardFigures.settlementDay(at: now)
        return try await database.read { sql in
            let consultations = try await consultationCounts(range, sql)
            let review = try await reviewQueue(range, sql)
            return DashboardFigures(
                region: region, at: now,
                consultationsWaiting: consultations[ConsultationState.waiting] ?? 0,
                consultationsOpen: consultations[ConsultationState.active] ?? 0,
                prescriptionsAwaitingReview: review.count,
                oldestReviewWaitSeconds: DashboardFigures.waitSeconds(since: review.oldest, now: now),
                settlementDay: day,
                settlements: FundFigures.combine(try await settlementGroups(on: day, range, sql)),
                deliveriesLate: try await lateDeliveries(now: now, range, sql),
                alertsOpen: try await openAlerts(region, sql))
        }
    }

    /// The region of the institution an event's subject belongs to, as `figures` counts it (the
    /// site or the doctor's hospital of a consultation and its order, the issuing institution of a
    /// prescription, the pharmacy of a medicine order, a doctor's hospital, an institution's own,
    /// a credential holder's); `nil` for a subject of no region. One read by key.
    public func region(ofSubject subjectType: String, id: UUID) async throws -> RegionCode? {
        let query: SQLQueryString
        switch subjectType {
        case "consultation":
            query = """
                SELECT i.region_code AS region FROM consultations c JOIN orders o ON o.id = c.order_id
                JOIN doctors d ON d.id = c.doctor_id JOIN institutions i ON i.id = COALESCE(o.site_id, d.hospital_id)
                WHERE c.id = \(bind: id.text)
                """
        case "order":
            query = """
                SELECT i.region_code AS region FROM orders o JOIN doctors d ON d.id = o.doctor_id
                JOIN institutions i ON i.id = COALESCE(o.site_id, d.hospital_id) WHERE o.id = \(bind: id.text)
                """
        case "prescription":
            query = "SELECT i.region_code AS region FROM prescriptions p JOIN institutions i ON i.id = p.institution_id WHERE p.id = \(bind: id.text)"
        case "medicine_order":
            query = "SELECT i.region_code AS region FROM medicine_orders m JOIN institutions i ON i.id = m.pharmacy_id WHERE m.id = \(bind: id.text)"
        case "doctor":
            query = "SELECT i.region_code AS region FROM doctors d JOIN institutions i ON i.id = d.hospital_id WHERE d.id = \(bind: id.text)"
        case "institution":
            query = "SELECT region_code AS region FROM institutions WHERE id = \(bind: id.text)"
        case "credential":
            query = "SELECT holder_region AS region FROM credentials WHERE id = \(bind: id.text)"
        default:
            return nil
        }
        guard let row = try await database.read({ sql in try await sql.raw(query).first() }) else { return nil }
        return try RegionCode(try row.text("region"))
    }

    /// Waiting and active consultations, walking `consultations_waiting` (state first).
    private func consultationCounts(_ range: RegionCodeRange?, _ sql: any SQLDatabase) async throws -> [ConsultationState: Int] {
        let states: SQLQueryString = "c.state IN (\(bind: ConsultationState.waiting.rawValue), \(bind: ConsultationState.active.rawValue))"
        let query: SQLQueryString
        if let range {
            query = """
                SELECT c.state, COUNT(*) AS n FROM consultations c
                JOIN orders o ON o.id = c.order_id
                JOIN doctors d ON d.id = c.doctor_id
                JOIN institutions i ON i.id = COALESCE(o.site_id, d.hospital_id)
                WHERE \(states) AND i.region_code BETWEEN \(bind: range.lowest) AND \(bind: range.highest)
                GROUP BY c.state
                """
        } else {
            query = "SELECT c.state, COUNT(*) AS n FROM consultations c WHERE \(states) GROUP BY c.state"
        }
        var counts: [ConsultationState: Int] = [:]
        for row in try await sql.raw(query).all() {
            counts[try row.value("state", as: ConsultationState.self)] = Int(try row.int64("n"))
        }
        return counts
    }

    /// Signed prescriptions not yet reviewed and the oldest signature among them, walking
    /// `prescriptions_awaiting_review` (or, in a region, each institution's review queue).
    private func reviewQueue(_ range: RegionCodeRange?, _ sql: any SQLDatabase) async throws -> (count: Int, oldest: Date?) {
        let signed = PrescriptionState.signed.rawValue
        let query: SQLQueryString
        if let range {
            query = """
                SELECT COUNT(*) AS n, MIN(p.signed_at) AS oldest FROM prescriptions p
                JOIN institutions i ON i.id = p.institution_id
                WHERE p.state = \(bind: signed) AND i.region_code BETWEEN \(bind: range.lowest) AND \(bind: range.highest)
                """
        } else {
            query = "SELECT COUNT(*) AS n, MIN(p.signed_at) AS oldest FROM prescriptions p WHERE p.state = \(bind: signed)"
        }
        guard let row = try await sql.raw(query).first() else { return (0, nil) }
        return (Int(try row.int64("n")), try row.optionalInstant("oldest"))
    }

    /// A day's settlements and reversals summed per scheme and kind, walking `settlements_by_day`.
    private func settlementGroups(on day: CalendarDate, _ range: RegionCodeRange?, _ sql: any SQLDatabase) async throws
        -> [FundFigures.Group] {
        let region: SQLQueryString = range.map { " AND region BETWEEN \(bind: $0.lowest) AND \(bind: $0.highest)" } ?? ""
        let rows = try await sql.raw("""
            SELECT scheme, kind, COUNT(*) AS n, CAST(SUM(fund_fen) AS BIGINT) AS fund,
                   CAST(SUM(personal_account_fen) AS BIGINT) AS personal
            FROM settlements WHERE clearing_day = \(bind: day.description)\(region)
            GROUP BY scheme, kind
            """).all()
        return try rows.map { row in
            FundFigures.Group(scheme: try row.value("scheme", as: InsuranceScheme.self), kind: try row.value("kind", as: SettlementKind.self),
                              count: Int(try row.int64("n")), fundFen: try row.optionalInt64("fund") ?? 0,
                              personalAccountFen: try row.optionalInt64("personal") ?? 0)
        }
    }

    /// Orders out for delivery past their promise (`DeliveryPromise`), walking
    /// `medicine_orders_in_delivery` once per mode that can be late.
    private func lateDeliveries(now: Date, _ range: RegionCodeRange?, _ sql: any SQLDatabase) async throws -> Int {
        let late: [SQLQueryString] = FulfilmentMode.allCases.compactMap { mode in
            DeliveryPromise.lateIfDispensedBefore(mode: mode, now: now).map { before in
                "(m.mode = \(bind: mode.rawValue) AND m.dispensed_at < \(bind: before.epochMillis))"
            }
        }
        let join: SQLQueryString = range == nil ? "" : " JOIN institutions i ON i.id = m.pharmacy_id"
        let region: SQLQueryString = range.map { " AND i.region_code BETWEEN \(bind: $0.lowest) AND \(bind: $0.highest)" } ?? ""
        guard let row = try await sql.raw("""
            SELECT COUNT(*) AS n FROM medicine_orders m\(join)
            WHERE m.state = \(bind: MedicineOrderState.dispensed.rawValue) AND (\(late.joined(separator: " OR ")))\(region)
            """).first() else { return 0 }
        return Int(try row.int64("n"))
    }

    /// Alerts open or under investigation, walking the alert queue's index of the region's level
    /// (an alert keeps its province's and city's digits beside its region, migration 22).
    private func openAlerts(_ region: RegionCode?, _ sql: any SQLDatabase) async throws -> Int {
        let level: SQLQueryString
        switch region?.coveredPrefix {
        case nil: level = ""
        case let prefix? where prefix.count == 2: level = "province = \(bind: prefix) AND "
        case let prefix? where prefix.count == 4: level = "city = \(bind: prefix) AND "
        case let prefix?: level = "region = \(bind: prefix) AND "
        }
        guard let row = try await sql.raw("""
            SELECT COUNT(*) AS n FROM alerts WHERE \(level)state IN (\(bind: AlertState.open.rawValue), \(bind: AlertState.investigating.rawValue))
            """).first() else { return 0 }
        return Int(try row.int64("n"))
    }
}
