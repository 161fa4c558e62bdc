import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Insurance: cross-region consultation settled by the home region, in two steps")
struct CrossRegionTests {
    typealias I = DemoWorld.Institutions
    /// Insured in Wuhan (employee, 800 yuan in the personal account); hypertension seen in Quzhou.
    static let wuhanPatient = "13800000003"
    static let wuhanNumber = "42010000000010"
    static let cardiologist = UUID.named("doctor:1")   // Quzhou internet hospital, 45-yuan text package
    static let home = try! RegionCode("420100")

    /// Books the follow-up; returns the order id and the patient's token.
    static func aFollowUp(_ app: Harness) async throws -> (order: String, patient: String) {
        let patient = try await app.anInsuredPatient(wuhanPatient, insurerPhone: Insured.wuhanInsurer, insuredNumber: wuhanNumber)
        let order = try await app.send(.post, "/api/v1/orders", token: patient, json: [
            "doctorId": cardiologist.text, "service": "textPackage", "encounterId": Insured.priorVisit(wuhanPatient).text,
        ], headers: ConsultationRoutesTests.key())
        _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: patient, json: ["amountFen": 10_000], headers: ConsultationRoutesTests.key())
        return (try #require(order.string("id"), "\(order.text)"), patient)
    }

    static func state(_ app: Harness, order: String) async throws -> CrossRegionState? {
        try await app.services.stores.settlements.crossRegion(orderId: UUID(uuidString: order), medicineOrderId: nil)?.state
    }

    @Test("a patient insured in Wuhan consulting a Quzhou internet hospital is settled by the Wuhan policy and the Wuhan fund")
    func homeSettles() async throws {
        try await withApp { app in
            let (order, patient) = try await Self.aFollowUp(app)
            let paid = try await app.send(.post, "/api/v1/orders/\(order)/pay", token: patient, headers: ConsultationRoutesTests.key())
            #expect(paid.status == .ok, "\(paid.text)")
            let settled = try #require(try await app.settlements(patient).first)
            let policy = try #require(settled["policy"] as? [String: Any])
            #expect(policy["region"] as? String == "420100")
            #expect(policy["version"] as? String == "2020-02")
            // inScopeLimitFen 2000 of the 45-yuan fee; tertiary employee 70 %: fund 1400; the account pays all the rest.
            #expect(fen(settled, "totalFen") == 4500)
            #expect(fen(settled, "overLimitFen") == 2500)
            #expect(fen(settled, "fundFen") == 1400)
            #expect(fen(settled, "personalAccountFen") == 3100)
            #expect(fen(settled, "cashFen") == 0)
            #expect(try await Self.state(app, order: order) == .confirmed)
            let steps = try #require(settled["crossRegion"] as? [String: Any])
            #expect(steps["homeRegion"] as? String == "420100" && steps["visitedRegion"] as? String == "330802")
            #expect(steps["state"] as? String == "confirmed")
            #expect(try await app.balance(LedgerAccount.fundPayable(Self.home, to: I.internetHospital).name) == -1400)
            #expect(try await app.balance(LedgerAccount.crossRegionReserved(Self.home).name) == 0)
            #expect(try await app.balance(LedgerAccount.wallet(Demo.accountId(Self.wuhanPatient)).name) == 10_000)
            #expect(try await app.yearToDate(Self.wuhanNumber) == (0, 1400))
            // The visited region's quota is its own budget: not drawn by another region's fund.
            #expect(try await app.quotaUsed(I.tertiaryHospital) == 0)
            // Only the home insurer reads it.
            let settlement = try #require(settled["id"] as? String)
            #expect(try await app.send(.get, "/api/v1/settlements/\(settlement)", token: try await app.signIn(Insured.wuhanInsurer)).status == .ok)
            #expect(try await app.send(.get, "/api/v1/settlements/\(settlement)", token: try await app.signIn(Insured.quzhouInsurer)).status == .notFound)
        }
    }

    @Test("a server that stops between reserving at home and confirming is resumed by the job: confirmed exactly once")
    func crashBetweenSteps() async throws {
        try await withApp { app in
            let (order, _) = try await Self.aFollowUp(app)
            // Step 1 only: the payment commits with the home fund's share reserved, then the server stops.
            let context = anAuditContext(at: app.clock.now(), caller: Caller(accountId: Demo.accountId(Self.wuhanPatient), role: .patient))
            _ = try await app.services.stores.orders.pay(try #require(UUID(uuidString: order)), by: Demo.accountId(Self.wuhanPatient),
                                                         context: context)
            #expect(try await Self.state(app, order: order) == .reserved)
            #expect(try await app.balance(LedgerAccount.crossRegionReserved(Self.home).name) == -1400)
            // The books agree while the share is reserved: the home reserve holds exactly what is reserved.
            #expect(try await ConsistencyCheck(database: app.database).problems().isEmpty)
            #expect(try await app.balance(LedgerAccount.fundPayable(Self.home, to: I.internetHospital).name) == 0)
            #expect(try await app.yearToDate(Self.wuhanNumber) == (0, 1400))

            // After the restart the job confirms it once; running again, or retrying step 2, changes nothing.
            let settlements = app.services.stores.settlements
            #expect(try await settlements.confirmPendingCrossRegion(context: context) == 1)
            #expect(try await settlements.confirmPendingCrossRegion(context: context) == 0)
            try await settlements.confirmCrossRegion(orderId: UUID(uuidString: order), medicineOrderId: nil, context: context)
            #expect(try await Self.state(app, order: order) == .confirmed)
            #expect(try await app.balance(LedgerAccount.crossRegionReserved(Self.home).name) == 0)
            #expect(try await app.balance(LedgerAccount.fundPayable(Self.home, to: I.internetHospital).name) == -1400)
            #expect(try await app.yearToDate(Self.wuhanNumber) == (0, 1400))
            #expect(try await app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'settlement.cross_region.confirm'") == 1)
        }
    }

    @Test("a refund before the confirmation releases the reservation at home, and the job then has nothing to confirm")
    func refundBeforeConfirmation() async throws {
        try await withApp { app in
            let (order, patient) = try await Self.aFollowUp(app)
            let context = anAuditContext(at: app.clock.now(), caller: Caller(accountId: Demo.accountId(Self.wuhanPatient), role: .patient))
            _ = try await app.services.stores.orders.pay(try #require(UUID(uuidString: order)), by: Demo.accountId(Self.wuhanPatient),
                                                         context: context)
            let cancelled = try await app.send(.post, "/api/v1/orders/\(order)/cancel", token: patient, headers: ConsultationRoutesTests.key())
            #expect(cancelled.status == .ok)
            #expect(try await Self.state(app, order: order) == .released)
            #expect(try await app.services.stores.settlements.confirmPendingCrossRegion(context: context) == 0)
            #expect(try await app.balance(LedgerAccount.crossRegionReserved(Self.home).name) == 0)
            #expect(try await app.balance(LedgerAccount.fundPayable(Self.home, to: I.internetHospital).name) == 0)
            #expect(try await app.yearToDate(Self.wuhanNumber) == (0, 0))
            #expect(try await app.balance(LedgerAccount.wallet(Demo.accountId(Self.wuhanPatient)).name) == 10_000)
        }
    }

    @Test("a refund after the confirmation takes the share back from the home fund's payable")
    func refundAfterConfirmation() async throws {
        try await withApp { app in
            let (order, patient) = try await Self.aFollowUp(app)
            #expect(try await app.send(.post, "/api/v1/orders/\(order)/pay", token: patient, headers: ConsultationRoutesTests.key()).status == .ok)
            #expect(try await app.send(.post, "/api/v1/orders/\(order)/cancel", token: patient, headers: ConsultationRoutesTests.key()).status == .ok)
            #expect(try await Self.state(app, order: order) == .confirmed)
            #expect(try await app.balance(LedgerAccount.fundPayable(Self.home, to: I.internetHospital).name) == 0)
            #expect(try await app.yearToDate(Self.wuhanNumber) == (0, 0))
            let account = try await app.insuredPerson(Self.wuhanNumber, insurer: try await app.signIn(Insured.wuhanInsurer))
            #expect(try await app.balance(LedgerAccount.personalAccount(try #require(UUID(uuidString: account))).name) == 80_000)
        }
    }
}
