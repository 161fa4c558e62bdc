import Foundation
import MedLoopDomain
@testable import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

/// The care loop's look-ups by prescription, by bill and by validity walk an index that starts
/// with what they ask by (M0031), on both engines: without one, each read every medicine order or
/// every settlement the platform had taken, on each draft, signature and payment. The newest
/// settlements of an institution's day come in the index's order (M0036), with nothing sorted. PostgreSQL is
/// asked with sequential scans turned off: on an empty test table a scan is rightly cheapest, and
/// turned off it is still taken when no index fits, so the plan shows the path a city's tables take.
@Suite("Care loop look-ups")
struct LoopLookupPlanTests {
    struct Lookup: Sendable, CustomStringConvertible {
        var description: String
        var statement: SQLQueryString
        var index: String
        /// Whether PostgreSQL must take that index too; where another index serves as well on an
        /// empty table, it need only take no sequential scan.
        var alsoOnPostgres = true
        /// Whether the index gives the rows in the statement's order, so that nothing is sorted.
        var inOrder = false
    }

    static let someone = UUID(uuidString: "0190a1b2-0000-7000-8000-000000000001")!

    static let lookups: [Lookup] = [
        Lookup(description: "a medication record's dispensing days",
               statement: PrescriptionStore.medicationRecordQuery(of: someone), index: "medicine_orders_by_prescription"),
        Lookup(description: "a patient's supplies for the clinical checks",
               statement: PrescriptionStore.supplyQuery(of: someone), index: "medicine_orders_by_prescription"),
        Lookup(description: "a trace's orders of a prescription",
               statement: TraceStore.ordersQuery(of: someone), index: "medicine_orders_by_prescription"),
        Lookup(description: "an order's cross-region settlement",
               statement: SettlementStore.crossRegionQuery(orderId: someone, medicineOrderId: nil), index: "settlements_by_order"),
        Lookup(description: "a medicine order's cross-region settlement",
               statement: SettlementStore.crossRegionQuery(orderId: nil, medicineOrderId: someone),
               index: "settlements_by_medicine_order"),
        Lookup(description: "the prescriptions past their validity",
               statement: PrescriptionStore.lapsedQuery(now: Date(timeIntervalSince1970: 1_788_000_000)),
               index: "prescriptions_by_validity"),
        // The kept volumes' primary key (M0039); on PostgreSQL it is their only index.
        Lookup(description: "a department's daily prescriptions per doctor",
               statement: DoctorVolumes.department("cardiology", .prescriptions, day: "2026-12-05"),
               index: "PRIMARY KEY", alsoOnPostgres: false),
        Lookup(description: "an institution's newest settlements of the day",
               statement: FraudFacts.newestSettlementsQuery(day: "2026-12-05", region: "330800", institution: someone,
                                                            until: Date(timeIntervalSince1970: 1_788_000_000), count: 3),
               index: "settlements_by_day", inOrder: true),
    ]

    @Test("each look-up of the care loop reads through the index that starts with what it asks by", arguments: lookups)
    func walksItsIndex(_ lookup: Lookup) async throws {
        try await withTestDatabase { database in
            let plan = try await database.plan(of: lookup.statement, hints: lookup.inOrder ? [.avoidSequentialScans, .avoidSorts]
                                                                                           : [.avoidSequentialScans])
            let shown = plan.joined(separator: " | ")
            switch database.engine {
            case .sqlite:
                #expect(plan.contains { $0.contains(lookup.index) }, "\(lookup): \(shown)")
                // A full pass names no index, or walks the primary key's.
                #expect(!plan.contains { $0.hasPrefix("SCAN ") && !$0.contains(" USING ") }, "\(lookup): \(shown)")
                if lookup.inOrder { #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(lookup): \(shown)") }
            case .postgres:
                if lookup.alsoOnPostgres { #expect(plan.contains { $0.contains(lookup.index) }, "\(lookup): \(shown)") }
                #expect(!plan.contains { $0.contains("Seq Scan") }, "\(lookup): \(shown)")
                if lookup.inOrder { #expect(!plan.contains { $0.contains("Sort") }, "\(lookup): \(shown)") }
            }
        }
    }
}
