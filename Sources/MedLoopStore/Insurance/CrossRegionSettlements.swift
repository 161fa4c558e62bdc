import Foundation
import MedLoopDomain
import SQLKit

/// One cross-region settlement's steps as recorded.
public struct CrossRegionRecord: Sendable, Equatable {
    public var settlementId: UUID
    public var homeRegion: RegionCode
    public var visitedRegion: RegionCode
    public var state: CrossRegionState
    public var fundFen: Int64

    init(row: any SQLRow) throws {
        settlementId = try row.uuid("id")
        homeRegion = try RegionCode(try row.text("home_region"))
        visitedRegion = try RegionCode(try row.text("visited_region"))
        state = try row.value("state", as: CrossRegionState.self)
        fundFen = try row.int64("fund_fen")
    }
}

/// Cross-region consultation with home settlement (the issue, item 7), as an idempotent two-step
/// process: step 1, in the payment's unit of work, reserves the home fund's share (year to date
/// and the reserve account); step 2, in a unit of work of its own, confirms it as owed to the
/// visited institution. Each step is a conditional move of the recorded state, so a step runs
/// once however often it is retried, and a crash between them is resumed by the job that confirms
/// what is left reserved.
extension SettlementStore {
    /// Step 1: records the reservation (inside the settlement's unit of work).
    func reserveAtHome(_ settlement: UUID, home: RegionCode, visited: RegionCode, institution: UUID, fundFen: Int64,
                       context: AuditContext, in tx: Transaction) async throws {
        try await tx.sql.raw("""
            INSERT INTO cross_region_settlements (id, home_region, visited_region, institution_id, fund_fen, state, reserved_at)
            VALUES (\(bind: settlement.text), \(bind: home.value), \(bind: visited.value), \(bind: institution.text), \(bind: fundFen),
                    \(bind: CrossRegionState.reserved.rawValue), \(bind: context.at.epochMillis))
            """).run()
        try await audit.append(AuditRecord(action: "settlement.cross_region.reserve", resourceType: "settlement",
                                           resourceId: settlement.text), context: context, in: tx)
    }

    /// Step 2: confirms a reserved share as the home fund's payable to the visited institution.
    /// Returns whether this call confirmed it (`false` when it was confirmed or released already).
    @discardableResult
    public func confirmCrossRegion(_ settlement: UUID, context: AuditContext) async throws -> Bool {
        try await database.unitOfWork { tx in
            let lock: SQLQueryString = tx.engine == .postgres ? " FOR UPDATE OF c" : ""
            guard let row = try await tx.sql.raw("""
                SELECT c.state, s.* FROM cross_region_settlements c JOIN settlements s ON s.id = c.id WHERE c.id = \(bind: settlement.text)\(lock)
                """).first() else { return false }
            let state = try row.value("state", as: CrossRegionState.self)
            guard state == .reserved else { return false }
            // The conditional move makes a racing second confirmation (another server's job) a no-op.
            guard (try? await tx.move("cross_region_settlements", id: settlement, from: state, by: .confirm)) != nil else { return false }
            try await tx.sql.raw("""
                UPDATE cross_region_settlements SET confirmed_at = \(bind: context.at.epochMillis) WHERE id = \(bind: settlement.text)
                """).run()
            let record = try SettlementRecord(row: row, lines: [])
            if let entry = try record.amounts.confirmation(
                reserved: .crossRegionReserved(record.region), payable: .fundPayable(record.region, to: record.institutionId),
                settlementId: settlement, orderId: record.orderId, medicineOrderId: record.medicineOrderId) {
                try await ledger.post(entry, at: context.at, in: tx)
            }
            try await audit.append(AuditRecord(action: "settlement.cross_region.confirm", resourceType: "settlement",
                                               resourceId: settlement.text, patientId: record.patientId), context: context, in: tx)
            return true
        }
    }

    /// Step 2 for the settlement of an order just paid, if it was settled across regions.
    public func confirmCrossRegion(orderId: UUID?, medicineOrderId: UUID?, context: AuditContext) async throws {
        guard let record = try await crossRegion(orderId: orderId, medicineOrderId: medicineOrderId), record.state == .reserved else { return }
        try await confirmCrossRegion(record.settlementId, context: context)
    }

    /// Confirms every cross-region settlement left reserved (a crash between the steps, or a
    /// confirmation that failed): what the job runs. Returns how many it confirmed.
    public func confirmPendingCrossRegion(context: AuditContext) async throws -> Int {
        let pending = try await database.read { sql in
            try await sql.raw("""
                SELECT id FROM cross_region_settlements WHERE state = \(bind: CrossRegionState.reserved.rawValue)
                ORDER BY reserved_at LIMIT 500
                """).all().map { try $0.uuid("id") }
        }
        var confirmed = 0
        for id in pending where try await confirmCrossRegion(id, context: context) { confirmed += 1 }
        return confirmed
    }

    /// The cross-region settlement of an order, if it was settled across regions.
    public func crossRegion(orderId: UUID?, medicineOrderId: UUID?) async throws -> CrossRegionRecord? {
        try await database.read { sql in
            try await sql.raw(Self.crossRegionQuery(orderId: orderId, medicineOrderId: medicineOrderId))
                .first().map(CrossRegionRecord.init(row:))
        }
    }

    /// The cross-region part of a bill's settlement, found through the bill's settlements
    /// (`settlements_by_order`, `settlements_by_medicine_order`).
    static func crossRegionQuery(orderId: UUID?, medicineOrderId: UUID?) -> SQLQueryString {
        """
        SELECT c.* FROM cross_region_settlements c JOIN settlements s ON s.id = c.id
        WHERE s.\(bill(orderId: orderId, medicineOrderId: medicineOrderId)) AND s.kind = 'settlement'
        """
    }

    /// Releases a share still reserved at home (a refund before the confirmation); returns whether
    /// it was still reserved. A confirmed one stays confirmed: the reversal takes it back from the payable.
    func releaseAtHome(_ settlement: UUID, context: AuditContext, in tx: Transaction) async throws -> Bool {
        // Locked while read, so that a confirmation racing this refund waits for it (or it for the confirmation).
        let lock: SQLQueryString = tx.engine == .postgres ? " FOR UPDATE" : ""
        guard let row = try await tx.sql.raw("SELECT state FROM cross_region_settlements WHERE id = \(bind: settlement.text)\(lock)").first(),
              try row.value("state", as: CrossRegionState.self) == .reserved else { return false }
        try await tx.move("cross_region_settlements", id: settlement, from: CrossRegionState.reserved, by: .release)
        try await tx.sql.raw("""
            UPDATE cross_region_settlements SET released_at = \(bind: context.at.epochMillis) WHERE id = \(bind: settlement.text)
            """).run()
        return true
    }
}
