import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Insurance: daily clearing reconciled to the ledger, and the insurer's totals compared")
struct ClearingTests {
    typealias I = DemoWorld.Institutions

    /// A Guangzhou settlement, and a Quzhou one refunded the same day.
    static func aDayOfSettlements(_ app: Harness) async throws {
        let guangzhou = try await app.anInsuredPatient(Insured.guangzhouPatient, insurerPhone: Insured.guangzhouInsurer,
                                                       insuredNumber: "44010000000001")
        let (_, paid) = try await app.aSettledFollowUp(guangzhou, doctor: Insured.multiSiteDoctor, site: I.guangzhouInternetHospital,
                                                       encounter: Insured.priorVisit(Insured.guangzhouPatient))
        #expect(paid.status == .ok)
        let quzhou = try await app.anInsuredPatient(Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                    insuredNumber: "33080000000005")
        let (order, refundable) = try await app.aSettledFollowUp(quzhou, doctor: Insured.respiratoryDoctor, site: nil,
                                                                 encounter: Insured.priorVisit(Insured.asthmaPatient))
        #expect(refundable.status == .ok)
        #expect(try await app.send(.post, "/api/v1/orders/\(order)/cancel", token: quzhou, headers: ConsultationRoutesTests.key()).status == .ok)
    }

    @Test("a day's clearing file lists every settlement and reversal per institution and reconciles to the ledger to the fen")
    func reconciles() async throws {
        try await withApp { app in
            try await Self.aDayOfSettlements(app)
            let today = CalendarDate.shanghai(app.clock.now()).description
            let guangzhou = try await app.signIn(Insured.guangzhouInsurer)
            let report = try await app.send(.get, "/api/v1/insurance/clearings/\(today)", token: guangzhou)
            #expect(report.status == .ok)
            #expect(report.json["reconciled"] as? Bool == true)
            #expect(report.json["settlements"] as? Int == 1)
            let institutions = try #require(report.json["institutions"] as? [[String: Any]])
            #expect(institutions.count == 1)
            let hospital = try #require(institutions.first)
            #expect((hospital["institutionId"] as? String)?.lowercased() == I.guangzhouInternetHospital.text)
            #expect(fen(hospital, "netFundFen") == 700)
            #expect(fen(hospital, "ledgerFundFen") == 700)
            #expect(fen(hospital, "netCashFen") == 1300)
            #expect(fen(hospital, "ledgerCashFen") == 1300)

            // The refunded Quzhou bill: a settlement and its reversal, net zero, reconciled.
            let quzhou = try await app.signIn(Insured.quzhouInsurer)
            let quzhouDay = try await app.send(.get, "/api/v1/insurance/clearings/\(today)", token: quzhou)
            #expect(quzhouDay.json["settlements"] as? Int == 1)
            #expect(quzhouDay.json["reversals"] as? Int == 1)
            #expect(quzhouDay.json["reconciled"] as? Bool == true)
            let net = try #require((quzhouDay.json["institutions"] as? [[String: Any]])?.first)
            #expect(fen(net, "netFundFen") == 0 && fen(net, "netTotalFen") == 0)

            // The file itself: one row per entry, one summary per institution.
            let file = try await app.send(.get, "/api/v1/insurance/clearings/\(today)?format=csv", token: quzhou)
            #expect(file.headers[.contentType]?.hasPrefix("text/csv") == true)
            let rows = try CSV.records(file.text).map(\.fields)
            #expect(rows.filter { $0.first == "entry" }.count == 2)
            let summary = try #require(rows.first { $0.first == "summary" })
            #expect(summary[1] == I.internetHospital.text)
            #expect(summary.last == "yes")

            // Another region's insurer is refused another region; a regulator names the region.
            #expect(try await app.send(.get, "/api/v1/insurance/clearings/\(today)?region=440100", token: quzhou).status == .notFound)
            let regulator = try await app.signIn(Demo.regulatorPhone)
            #expect(try await app.send(.get, "/api/v1/insurance/clearings/\(today)?region=440100", token: regulator)
                        .json["reconciled"] as? Bool == true)
            #expect(try await app.send(.get, "/api/v1/insurance/clearings/2026-13-01", token: quzhou).status == .badRequest)
        }
    }

    @Test("the insurer's own totals are compared figure by figure, and every difference is listed")
    func insurerTotals() async throws {
        try await withApp { app in
            try await Self.aDayOfSettlements(app)
            let today = CalendarDate.shanghai(app.clock.now()).description
            let insurer = try await app.signIn(Insured.guangzhouInsurer)
            let same = try await app.send(.post, "/api/v1/insurance/clearings/\(today)/statements", token: insurer, json: [
                "totals": [["institutionId": I.guangzhouInternetHospital.text, "fundFen": 700, "personalAccountFen": 0]],
            ])
            #expect(same.status == .ok)
            #expect((same.json["differences"] as? [Any])?.isEmpty == true)
            let other = try await app.send(.post, "/api/v1/insurance/clearings/\(today)/statements", token: insurer, json: [
                "totals": [["institutionId": I.guangzhouInternetHospital.text, "fundFen": 600, "personalAccountFen": 0],
                           ["institutionId": I.guangzhouHospital.text, "fundFen": 50, "personalAccountFen": 0]],
            ])
            let differences = try #require(other.json["differences"] as? [[String: Any]])
            #expect(differences.count == 2)
            let fund = try #require(differences.first { ($0["institutionId"] as? String)?.lowercased() == I.guangzhouInternetHospital.text })
            #expect(fund["field"] as? String == "fundFen")
            #expect(fen(fund, "medloopFen") == 700 && fen(fund, "insurerFen") == 600 && fen(fund, "differenceFen") == -100)
            #expect(differences.contains { ($0["institutionId"] as? String)?.lowercased() == I.guangzhouHospital.text && fen($0, "insurerFen") == 50 })
            #expect(try await app.count("SELECT COUNT(*) AS n FROM clearing_statements") == 2)
            // Only an insurer uploads, for its own region.
            let regulator = try await app.signIn(Demo.regulatorPhone)
            #expect(try await app.send(.post, "/api/v1/insurance/clearings/\(today)/statements", token: regulator,
                                       json: ["totals": []]).status == .forbidden)
        }
    }

    @Test("a settlement whose figures disagree with the ledger is reported, never absorbed")
    func mismatchReported() async throws {
        try await withApp { app in
            try await Self.aDayOfSettlements(app)
            let today = CalendarDate.shanghai(app.clock.now())
            // Someone changes a written settlement's fund share behind the ledger's back.
            try await app.database.unitOfWork { tx in
                try await tx.sql.raw("UPDATE settlements SET fund_fen = 701, self_share_fen = 1299, cash_fen = 1299 WHERE region = '440100'").run()
            }
            let report = try await app.services.stores.clearings.report(region: try RegionCode("440100"), day: today)
            #expect(!report.isReconciled)
            #expect(report.problems.count == 1)
            #expect(report.problems.first?.contains("fund 701") == true)
            let insurer = try await app.signIn(Insured.guangzhouInsurer)
            #expect(try await app.send(.get, "/api/v1/insurance/clearings/\(today)", token: insurer).json["reconciled"] as? Bool == false)
            // medloop check sees it too; then the change is undone so the books are whole again.
            #expect(try await ConsistencyCheck(database: app.database).problems().contains { $0.contains("year to date") })
            try await app.database.unitOfWork { tx in
                try await tx.sql.raw("UPDATE settlements SET fund_fen = 700, self_share_fen = 1300, cash_fen = 1300 WHERE region = '440100'").run()
            }
            #expect(try await app.services.stores.clearings.report(region: try RegionCode("440100"), day: today).isReconciled)
        }
    }
}
