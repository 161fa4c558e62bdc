import Foundation
import MedLoopDomain
import SQLKit

/// Usage figures for the operator and the regulator (issue 20, part 7): one GROUP BY query per
/// figure over one period, optionally within a region. A consultation belongs to the region of
/// its doctor's workplace, a settlement to its fund's region. Hours, weekdays and days are
/// Asia/Shanghai (UTC+8 all year, so plain integer arithmetic on epoch milliseconds gives them
/// on both engines).
public struct AnalyticsStore: Sendable {
    let database: Database
    let audit: AuditStore

    public init(database: Database, audit: AuditStore) {
        self.database = database
        self.audit = audit
    }

    /// Orders that were bought: paid, in service or completed (not cancelled or refunded).
    static let boughtStates = [OrderState.paid, .inService, .completed].map(\.rawValue)
    static let shanghaiOffset = ShanghaiDay.offsetMillis
    static let day = ShanghaiDay.millisPerDay

    /// The aggregates of `figure` over `period`, within the region whose codes start with
    /// `regionPrefix` (every region when `nil`).
    public func data(_ figure: AnalyticsFigure, period: AnalyticsPeriod, regionPrefix: String?) async throws -> AnalyticsData {
        let start = period.startMillis, end = period.endMillis
        // The workplace's own region code (a county's regulator included), not the doctor's city.
        let doctorRegion: SQLQueryString = regionPrefix.map {
            " AND d.hospital_id IN (SELECT id FROM institutions WHERE region_code LIKE \(bind: $0 + "%"))"
        } ?? ""
        let orders: SQLQueryString = """
            FROM orders o JOIN doctors d ON d.id = o.doctor_id
            WHERE o.paid_at >= \(bind: start) AND o.paid_at < \(bind: end) AND o.state IN (\(binds: Self.boughtStates))\(doctorRegion)
            """
        let hour: SQLQueryString = "((o.paid_at + \(unsafeRaw: String(Self.shanghaiOffset))) % \(unsafeRaw: String(Self.day))) / 3600000"
        let dayNumber: SQLQueryString = "((o.paid_at + \(unsafeRaw: String(Self.shanghaiOffset))) / \(unsafeRaw: String(Self.day)))"
        let price: SQLQueryString = "COALESCE(o.unit_price_fen, o.price_fen)"
        return try await database.read { sql -> AnalyticsData in
            func counts(_ key: SQLQueryString, from: SQLQueryString, limit: Int? = nil) async throws -> AnalyticsData {
                var query: SQLQueryString = "SELECT \(key) AS k, COUNT(*) AS n \(from) GROUP BY \(key) ORDER BY n DESC, k"
                if let limit { query += " LIMIT \(unsafeRaw: String(limit))" }
                return .counts(try await sql.raw(query).all().map { row in
                    (key: try Self.key(row), count: Int(try row.int64("n")))
                })
            }
            switch figure {
            case .consultationsByKind: return try await counts("o.service", from: orders)
            case .consultationsByDepartment: return try await counts("d.department", from: orders)
            case .consultationsByHour: return try await counts(hour, from: orders)
            case .consultationsByWeekday: return try await counts("(\(dayNumber) + 3) % 7 + 1", from: orders)
            case .consultationsByTitle:
                return .titles(try await sql.raw("""
                    SELECT d.title, COUNT(*) AS n, CAST(SUM(\(hour)) AS BIGINT) AS hours \(orders) GROUP BY d.title
                    """).all().map { (title: try $0.text("title"), count: Int(try $0.int64("n")), hourTotal: try $0.int64("hours")) })
            case .prices:
                var kinds: [String: [(value: Int64, count: Int)]] = [:]
                for row in try await sql.raw("""
                    SELECT o.service, \(price) AS price, COUNT(*) AS n \(orders) GROUP BY o.service, \(price)
                    """).all() {
                    kinds[try row.text("service"), default: []].append((value: try row.int64("price"), count: Int(try row.int64("n"))))
                }
                return .prices(kinds.sorted { $0.key < $1.key }.map { (kind: $0.key, histogram: $0.value) })
            case .priceTrend:
                return .trend(try await sql.raw("""
                    SELECT \(dayNumber) AS day, o.service, COUNT(*) AS n, CAST(SUM(\(price)) AS BIGINT) AS total
                    \(orders) GROUP BY \(dayNumber), o.service
                    """).all().map { row in
                    (day: ShanghaiDay.date(ofNumber: try row.int64("day")), kind: try row.text("service"), count: Int(try row.int64("n")),
                     totalFen: try row.int64("total"))
                })
            case .topConditions:
                return try await counts("c.diagnosis_icd10", from: """
                    FROM consultations c JOIN doctors d ON d.id = c.doctor_id
                    WHERE c.completed_at >= \(bind: start) AND c.completed_at < \(bind: end) AND c.diagnosis_icd10 IS NOT NULL\(doctorRegion)
                    """, limit: 10)
            case .settlements:
                let fundRegion: SQLQueryString = regionPrefix.map { " AND s.region LIKE \(bind: $0 + "%")" } ?? ""
                let signed = { (column: String) -> SQLQueryString in
                    "CAST(SUM(CASE WHEN s.kind = 'reversal' THEN -s.\(unsafeRaw: column) ELSE s.\(unsafeRaw: column) END) AS BIGINT)"
                }
                return .settlements(try await sql.raw("""
                    SELECT s.region, s.scheme, CAST(SUM(CASE WHEN s.kind = 'reversal' THEN -1 ELSE 1 END) AS BIGINT) AS n,
                           \(signed("total_fen")) AS total, \(signed("fund_fen")) AS fund, \(signed("cash_fen")) AS cash
                    FROM settlements s
                    WHERE s.service_day >= \(bind: period.from.description) AND s.service_day <= \(bind: period.to.description)\(fundRegion)
                    GROUP BY s.region, s.scheme
                    """).all().map { row in
                    (fund: try row.text("region"), scheme: try row.text("scheme"), count: Int(try row.int64("n")),
                     totalFen: try row.int64("total"), fundFen: try row.int64("fund"), cashFen: try row.int64("cash"))
                })
            case .repeatVisits:
                let row = try await sql.raw("""
                    SELECT COUNT(*) AS patients, CAST(COALESCE(SUM(CASE WHEN most > 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS repeats
                    FROM (SELECT pairs.patient_id, MAX(pairs.n) AS most
                          FROM (SELECT o.patient_id, o.doctor_id, COUNT(*) AS n \(orders) GROUP BY o.patient_id, o.doctor_id) pairs
                          GROUP BY pairs.patient_id) per_patient
                    """).first()
                return .repeatVisits(RepeatVisits(patients: Int(try row?.int64("patients") ?? 0), repeatPatients: Int(try row?.int64("repeats") ?? 0)))
            case .reviewTurnaround:
                let minutes: SQLQueryString = "((p.reviewed_at - p.signed_at) / 60000)"
                return .turnaround(try await sql.raw("""
                    SELECT \(minutes) AS minutes, COUNT(*) AS n
                    FROM prescriptions p JOIN consultations c ON c.id = p.consultation_id JOIN doctors d ON d.id = c.doctor_id
                    WHERE p.reviewed_at >= \(bind: start) AND p.reviewed_at < \(bind: end) AND p.signed_at IS NOT NULL\(doctorRegion)
                    GROUP BY \(minutes)
                    """).all().map { (value: try $0.int64("minutes"), count: Int(try $0.int64("n"))) })
            }
        }
    }

    /// A grouping key as text, whether the engine returns it as text or as a number.
    private static func key(_ row: any SQLRow) throws -> String {
        if let number = try? row.decode(column: "k", as: Int64.self) { return String(number) }
        return try row.decode(column: "k", as: String.self)
    }
}
