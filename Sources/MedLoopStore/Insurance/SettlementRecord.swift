import Foundation
import MedLoopDomain
import SQLKit

/// The figures of a written settlement, under the names of INSURANCE.md.
public struct SettlementFigures: Sendable, Hashable, Codable {
    public var totalFen: Int64
    public var fullOwnPayFen: Int64
    public var overLimitFen: Int64
    public var preSelfPayFen: Int64
    public var inScopeFen: Int64
    public var deductibleFen: Int64
    public var fixedFundFen: Int64
    public var fundFen: Int64
    public var coInsuranceFen: Int64
    public var overCapFen: Int64
    public var selfShareFen: Int64
    public var personalAccountFen: Int64
    public var cashFen: Int64

    public init(_ settlement: Settlement) {
        totalFen = settlement.totalFen
        fullOwnPayFen = settlement.fullOwnPayFen
        overLimitFen = settlement.overLimitFen
        preSelfPayFen = settlement.preSelfPayFen
        inScopeFen = settlement.inScopeFen
        deductibleFen = settlement.deductibleFen
        fixedFundFen = settlement.fixedFundFen
        fundFen = settlement.fundFen
        coInsuranceFen = settlement.coInsuranceFen
        overCapFen = settlement.overCapFen
        selfShareFen = settlement.selfShareFen
        personalAccountFen = settlement.personalAccountFen
        cashFen = settlement.cashFen
    }

    init(row: any SQLRow) throws {
        totalFen = try row.int64("total_fen")
        fullOwnPayFen = try row.int64("full_own_pay_fen")
        overLimitFen = try row.int64("over_limit_fen")
        preSelfPayFen = try row.int64("pre_self_pay_fen")
        inScopeFen = try row.int64("in_scope_fen")
        deductibleFen = try row.int64("deductible_fen")
        fixedFundFen = try row.int64("fixed_fund_fen")
        fundFen = try row.int64("fund_fen")
        coInsuranceFen = try row.int64("co_insurance_fen")
        overCapFen = try row.int64("over_cap_fen")
        selfShareFen = try row.int64("self_share_fen")
        personalAccountFen = try row.int64("personal_account_fen")
        cashFen = try row.int64("cash_fen")
    }
}

/// A settlement or reversal as written: never changed afterwards.
public struct SettlementRecord: Sendable {
    public var id: UUID
    public var kind: SettlementKind
    public var reversesId: UUID?
    public var orderId: UUID?
    public var medicineOrderId: UUID?
    public var patientId: UUID
    public var accountId: UUID
    public var insuredPersonId: UUID
    public var region: RegionCode
    public var policyVersion: String
    public var scheme: InsuranceScheme
    public var level: HospitalLevel
    public var institutionId: UUID
    public var quotaInstitutionId: UUID?
    public var year: Int
    public var serviceDay: CalendarDate
    public var clearingDay: CalendarDate
    public var isCovered: Bool
    public var notCoveredReason: NotCoveredReason?
    public var ratioBp: Int
    public var figures: SettlementFigures
    public var explanation: [ExplanationSentence]
    public var lines: [SettledLine]
    public var createdAt: Date
    /// The claim this settlement reimburses, for a bill paid in full and claimed afterwards.
    public var claimId: UUID?
    /// The two steps of a bill settled across regions (a reversal shows those of the bill it reverses).
    public var crossRegion: CrossRegionRecord?

    var amounts: SettledAmounts {
        SettledAmounts(totalFen: figures.totalFen, cashFen: figures.cashFen, personalAccountFen: figures.personalAccountFen,
                       fundFen: figures.fundFen, deductibleFen: figures.deductibleFen)
    }

    init(row: any SQLRow, lines: [SettledLine]) throws {
        id = try row.uuid("id")
        kind = try row.value("kind", as: SettlementKind.self)
        reversesId = try row.optionalUUID("reverses_id")
        orderId = try row.optionalUUID("order_id")
        medicineOrderId = try row.optionalUUID("medicine_order_id")
        patientId = try row.uuid("patient_id")
        accountId = try row.uuid("account_id")
        insuredPersonId = try row.uuid("insured_person_id")
        region = try RegionCode(try row.text("region"))
        policyVersion = try row.text("policy_version")
        scheme = try row.value("scheme", as: InsuranceScheme.self)
        level = try row.value("level", as: HospitalLevel.self)
        institutionId = try row.uuid("institution_id")
        quotaInstitutionId = try row.optionalUUID("quota_institution_id")
        year = Int(try row.int64("year"))
        guard let service = CalendarDate(iso: try row.text("service_day")), let clearing = CalendarDate(iso: try row.text("clearing_day")) else {
            throw StoredValueError(column: "service_day", value: "not a day")
        }
        serviceDay = service
        clearingDay = clearing
        isCovered = try row.bool("covered")
        notCoveredReason = try row.optionalValue("reason", as: NotCoveredReason.self)
        ratioBp = Int(try row.int64("ratio_bp"))
        figures = try SettlementFigures(row: row)
        explanation = try StoredJSON.value([ExplanationSentence].self, from: try row.text("explanation"))
        self.lines = lines
        createdAt = try row.instant("created_at")
        claimId = try row.optionalUUID("claim_id")
    }

    static func json(_ explanation: [ExplanationSentence]) throws -> String {
        try StoredJSON.text(explanation)
    }
}

extension SettlementStore {
    /// A settlement or reversal with its lines (a reversal shows the lines of the bill it reverses).
    public func settlement(_ id: UUID) async throws -> SettlementRecord? {
        try await database.read { sql in
            guard let row = try await sql.raw("SELECT * FROM settlements WHERE id = \(bind: id.text)").first() else { return nil }
            let billId = try row.optionalUUID("reverses_id") ?? id
            let crossRegion = try await sql.raw("""
                SELECT * FROM cross_region_settlements WHERE id = \(bind: billId.text)
                """).first().map(CrossRegionRecord.init(row:))
            let lines = try await sql.raw("""
                SELECT * FROM settlement_lines WHERE settlement_id = \(bind: billId.text) ORDER BY line
                """).all().map { line in
                    SettledLine(kind: try line.text("kind"), drugClass: try line.optionalValue("drug_class", as: InsuranceClass.self),
                                drugId: try line.optionalUUID("drug_id"), amountFen: try line.int64("amount_fen"),
                                fullOwnPayFen: try line.int64("full_own_pay_fen"), overLimitFen: try line.int64("over_limit_fen"),
                                preSelfPayFen: try line.int64("pre_self_pay_fen"), inScopeFen: try line.int64("in_scope_fen"),
                                fixedFundFen: try line.int64("fixed_fund_fen"))
                }
            var record = try SettlementRecord(row: row, lines: lines)
            record.crossRegion = crossRegion
            return record
        }
    }

    /// The settlements and reversals of an order or medicine order, oldest first.
    public func settlements(orderId: UUID?, medicineOrderId: UUID?) async throws -> [UUID] {
        try await database.read { sql in
            try await sql.raw("SELECT id FROM settlements WHERE \(Self.bill(orderId: orderId, medicineOrderId: medicineOrderId)) ORDER BY id")
                .all().map { try $0.uuid("id") }
        }
    }

    /// The patient's year to date under the coverage they linked.
    public func yearToDate(of person: UUID, year: Int) async throws -> YearToDate {
        try await database.read { sql in
            try await sql.raw("""
                SELECT deductible_used_fen, fund_paid_fen FROM insurance_year_to_date
                WHERE insured_person_id = \(bind: person.text) AND year = \(bind: year)
                """).first().map { YearToDate(deductibleUsedFen: try $0.int64("deductible_used_fen"), fundPaidFen: try $0.int64("fund_paid_fen")) }
                ?? .zero
        }
    }
}

extension SettlementStore {
    /// The settlements and reversals of the orders `account` paid, newest first.
    public func settlements(ofAccount account: UUID, limit: Int, cursor: String?) async throws -> Page<SettlementRecord> {
        var condition: SQLQueryString = "account_id = \(bind: account.text)"
        if let cursor { condition += " AND id < \(bind: try Cursor.decode(cursor))" }
        let whereClause = condition
        let ids = try await database.read { sql in
            try await sql.raw("SELECT id FROM settlements WHERE \(whereClause) ORDER BY id DESC LIMIT \(literal: limit + 1)")
                .all().map { try $0.uuid("id") }
        }
        var records: [SettlementRecord] = []
        for id in ids.prefix(limit) {
            if let record = try await settlement(id) { records.append(record) }
        }
        return Page(items: records, nextCursor: ids.count > limit ? Cursor.encode(ids[limit - 1].text) : nil)
    }
}
