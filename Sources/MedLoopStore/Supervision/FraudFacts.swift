import Foundation
import MedLoopDomain
import SQLKit

/// Gathers, for one domain event, the facts each fraud and abuse rule needs and asks the rules
/// (issue 20, part 3). Reads only: the monitor stores what it returns.
///
/// | event                                   | rules |
/// |-----------------------------------------|-------|
/// | `insurance.settled`                     | settlement in two cities, settlements just under the threshold |
/// | `prescription.signed`                   | early refill, same drug from several doctors, split prescription, prescriptions above peers, overrides above peers |
/// | `consultation.completed`                | consultations above peers |
/// | `medicine_order.dispensed`              | dispensing above receipts |
/// | `supervision.traceability_code_reused`  | traceability code reused |
public struct FraudFacts: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The alerts `rules` raise on `event`, from what the database holds when it is evaluated.
    /// An event about something no longer there raises nothing.
    public func evaluate(_ event: DomainEvent, rules: FraudRuleSet) async throws -> [AlertDraft] {
        switch event.kind {
        case .insuranceSettled: return try await settled(event, rules: rules)
        case .prescriptionSigned: return try await signed(event, rules: rules)
        case .consultationCompleted: return try await completed(event, rules: rules)
        case .medicineOrderDispensed: return try await dispensed(event, rules: rules)
        case .traceabilityCodeReused: return try await codesReused(event, rules: rules)
        default: return []
        }
    }

    // MARK: Settlements

    private func settled(_ event: DomainEvent, rules: FraudRuleSet) async throws -> [AlertDraft] {
        let twoCities = rules.settlementInTwoCities
        let underThreshold = rules.settlementsJustUnderThreshold
        guard twoCities.enabled || underThreshold.enabled else { return [] }
        return try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT s.id, s.insured_person_id, s.patient_id, s.institution_id, s.region, s.clearing_day, s.created_at,
                       i.region_code
                FROM settlements s JOIN institutions i ON i.id = s.institution_id
                WHERE s.id = \(bind: event.subjectId.text) AND s.kind = 'settlement'
                """).first() else { return [] }
            let visit = try Self.visit(row)
            var drafts: [AlertDraft] = []
            if twoCities.enabled {
                // The window either side: events are evaluated in order, so a later settlement in
                // the other city raises the alert when it arrives.
                let from = visit.at.addingTimeInterval(-TimeInterval(twoCities.windowHours) * 3600)
                let earlier = try await sql.raw("""
                    SELECT s.id, s.insured_person_id, s.patient_id, s.institution_id, s.region, s.clearing_day, s.created_at,
                           i.region_code
                    FROM settlements s JOIN institutions i ON i.id = s.institution_id
                    WHERE s.insured_person_id = \(bind: visit.insuredPersonId.text) AND s.kind = 'settlement'
                      AND s.created_at >= \(bind: from.epochMillis) AND s.created_at <= \(bind: visit.at.epochMillis)
                      AND s.id <> \(bind: visit.settlementId.text)
                    """).all().map(Self.visit)
                if let draft = twoCities.evaluate(visit, earlier: earlier) { drafts.append(draft) }
            }
            if underThreshold.enabled {
                let institution = try row.uuid("institution_id")
                let day = try row.text("clearing_day")
                let newest = try await sql.raw(Self.newestSettlementsQuery(day: day, region: try row.text("region"), institution: institution,
                                                                           until: visit.at, count: underThreshold.runLength))
                    .all().map { SettledAmount(settlementId: try $0.uuid("id"), totalFen: try $0.int64("total_fen")) }
                let run = SettlementRun(institutionId: institution, day: day, newestFirst: newest)
                if let draft = underThreshold.evaluate(run, region: visit.institutionRegion, at: event.occurredAt) { drafts.append(draft) }
            }
            return drafts
        }
    }

    /// The newest `count` settlements of an institution's clearing day up to `until`, newest
    /// first: walked backwards in `settlements_by_day` (M0036), which orders each institution's
    /// day by time, and stopped after `count`, however many the day holds.
    static func newestSettlementsQuery(day: String, region: String, institution: UUID, until: Date, count: Int) -> SQLQueryString {
        """
        SELECT id, total_fen FROM settlements
        WHERE clearing_day = \(bind: day) AND region = \(bind: region) AND institution_id = \(bind: institution.text)
          AND kind = 'settlement' AND created_at <= \(bind: until.epochMillis)
        ORDER BY created_at DESC, id DESC LIMIT \(literal: count)
        """
    }

    private static func visit(_ row: any SQLRow) throws -> SettlementVisit {
        let code = try row.text("region_code")
        guard let region = try? RegionCode(code) else { throw StoredValueError(column: "region_code", value: code) }
        return SettlementVisit(settlementId: try row.uuid("id"), insuredPersonId: try row.uuid("insured_person_id"),
                               patientId: try row.uuid("patient_id"), institutionRegion: region, at: try row.instant("created_at"))
    }

    /// The region of an institution, as its registry entry gives it.
    static func region(of institution: UUID, in sql: any SQLDatabase) async throws -> RegionCode? {
        guard let code = try await sql.raw("SELECT region_code FROM institutions WHERE id = \(bind: institution.text)")
            .first()?.text("region_code") else { return nil }
        return try? RegionCode(code)
    }

    /// The first and last instant of the Asia/Shanghai day `instant` falls on.
    static func shanghaiDay(of instant: Date) -> (day: String, start: Date, end: Date) {
        // China keeps UTC+8 all year (DOMAIN.md): a day starts at 16:00 UTC the day before.
        let offset: TimeInterval = 8 * 3600
        let local = instant.timeIntervalSince1970 + offset
        let startLocal = (local / 86_400).rounded(.down) * 86_400
        let start = Date(timeIntervalSince1970: startLocal - offset)
        return (CalendarDate.shanghai(instant).description, start, start.addingTimeInterval(86_400))
    }
}
