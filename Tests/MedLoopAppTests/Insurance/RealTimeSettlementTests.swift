import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Insurance: real-time settlement at payment, reversal on refund")
struct RealTimeSettlementTests {
    typealias I = DemoWorld.Institutions

    @Test("an eligible Guangdong-like hypertension follow-up settles the 20-yuan fee to 7 yuan from the fund and 13 from the patient")
    func guangdongFee() async throws {
        try await withApp { app in
            let patient = try await app.anInsuredPatient(Insured.guangzhouPatient, insurerPhone: Insured.guangzhouInsurer,
                                                         insuredNumber: "44010000000001")
            let coverage = try await app.send(.get, "/api/v1/me/insurance/coverage", token: patient)
            #expect(coverage.string("region") == "440100")
            #expect(coverage.string("scheme") == "employee")
            #expect(coverage.string("status") == "active")

            // The quote shows every figure with its sentence, before anything is paid.
            let order = try await app.send(.post, "/api/v1/orders", token: patient, json: [
                "doctorId": Insured.multiSiteDoctor.text, "service": "textPackage", "siteId": I.guangzhouInternetHospital.text,
                "encounterId": Insured.priorVisit(Insured.guangzhouPatient).text,
            ], headers: ConsultationRoutesTests.key())
            let orderId = try #require(order.string("id"), "\(order.text)")
            let quote = try await app.send(.get, "/api/v1/orders/\(orderId)/insurance-quote", token: patient)
            #expect(quote.status == .ok)
            #expect(fen(quote.json, "totalFen") == 2000)
            #expect(fen(quote.json, "fundFen") == 700)
            #expect(fen(quote.json, "overLimitFen") == 1300)
            #expect(fen(quote.json, "selfShareFen") == 1300)
            #expect(fen(quote.json, "cashFen") == 1300)
            #expect(quote.string("coveredReason") == "covered")
            let sentences = try #require(quote.json["explanation"] as? [[String: Any]])
            #expect(sentences.contains { ($0["zh"] as? String) == "统筹基金支付：7.00 元" && ($0["en"] as? String) == "Paid by the pooled fund: 7.00 yuan" })
            #expect(sentences.allSatisfy { ($0["zh"] as? String)?.isEmpty == false && ($0["en"] as? String)?.isEmpty == false })
            #expect(try await app.count("SELECT COUNT(*) AS n FROM settlements") == 0)

            // Paying settles in the same unit of work: the wallet pays the cash share only.
            _ = try await app.send(.post, "/api/v1/wallet/top-ups", token: patient, json: ["amountFen": 5000], headers: ConsultationRoutesTests.key())
            let paid = try await app.send(.post, "/api/v1/orders/\(orderId)/pay", token: patient, headers: ConsultationRoutesTests.key())
            #expect(paid.status == .ok)
            let wallet = try await app.send(.get, "/api/v1/wallet", token: patient)
            #expect(fen(wallet.json, "balanceFen") == 3700)
            let settled = try #require(try await app.settlements(patient).first)
            #expect(fen(settled, "fundFen") == 700)
            #expect(fen(settled, "selfShareFen") == 1300)
            #expect(settled["kind"] as? String == "settlement")
            let settlementId = try #require(settled["id"] as? String)
            let payable = LedgerAccount.fundPayable(try RegionCode("440100"), to: I.guangzhouInternetHospital).name
            #expect(try await app.balance(payable) == -700)
            #expect(try await app.yearToDate("44010000000001") == (0, 700))
            // The internet hospital draws on its physical hospital's quota (the policy shares it).
            #expect(try await app.quotaUsed(I.guangzhouHospital) == 700)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM domain_events WHERE kind = 'insurance.settled'") == 1)

            // The national platform's names for the same figures.
            let national = try await app.send(.get, "/api/v1/settlements/\(settlementId)?format=national", token: patient)
            #expect(fen(national.json, "medfee_sumamt") == 2000)
            #expect(fen(national.json, "hifp_pay") == 700)
            #expect(fen(national.json, "overlmt_selfpay") == 1300)
            #expect(fen(national.json, "psn_cash_pay") == 1300)
            #expect(fen(national.json, "acct_pay") == 0)

            // Its insurer reads it; another region's insurer and another patient do not.
            let insurer = try await app.signIn(Insured.guangzhouInsurer)
            #expect(try await app.send(.get, "/api/v1/settlements/\(settlementId)", token: insurer).status == .ok)
            let otherInsurer = try await app.signIn(Insured.quzhouInsurer)
            #expect(try await app.send(.get, "/api/v1/settlements/\(settlementId)", token: otherInsurer).status == .notFound)
            let stranger = try await app.signIn(Demo.otherPatientPhone)
            #expect(try await app.send(.get, "/api/v1/settlements/\(settlementId)", token: stranger).status == .notFound)

            // Paying again is refused, and nothing is settled twice.
            let again = try await app.send(.post, "/api/v1/orders/\(orderId)/pay", token: patient, headers: ConsultationRoutesTests.key())
            #expect(again.status == .conflict)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM settlements") == 1)
        }
    }

    @Test("a first-time patient, with no visit at that hospital the policy counts, gets nothing from the fund")
    func firstTimePatient() async throws {
        try await withApp { app in
            let patient = try await app.anInsuredPatient(Insured.firstTimePatient, insurerPhone: Insured.guangzhouInsurer,
                                                         insuredNumber: "44010000000002")
            // The patient's own entry of a visit lets them book, but never counts for the policy.
            let patientId = Demo.patientId(Insured.firstTimePatient)
            let entered = try await app.send(.post, "/api/v1/patients/\(patientId.text)/encounters", token: patient, json: [
                "hospitalId": I.guangzhouHospital.text, "date": CalendarDate.shanghai(app.clock.now()).adding(days: -10).description,
                "icd10": "I10",
            ])
            let encounter = try #require(entered.string("id"), "\(entered.text)")
            let (_, paid) = try await app.aSettledFollowUp(patient, doctor: Insured.multiSiteDoctor, site: I.guangzhouInternetHospital,
                                                           encounter: try #require(UUID(uuidString: encounter)))
            #expect(paid.status == .ok, "\(paid.text)")
            let settled = try #require(try await app.settlements(patient).first)
            #expect(fen(settled, "fundFen") == 0)
            #expect(fen(settled, "fullOwnPayFen") == 2000)
            #expect(fen(settled, "cashFen") == 2000)
            #expect(settled["notCoveredReason"] as? String == "priorVisitMissing")
            let sentences = try #require(settled["explanation"] as? [[String: Any]])
            #expect(sentences.first?["zh"] as? String == "未找到符合政策的线下就诊记录，本单按自费结算")
            #expect(try await app.yearToDate("44010000000002") == (0, 0))
        }
    }

    @Test("a refund before the doctor accepts writes a reversal that gives back exactly the wallet, account, year to date and quota")
    func refundReverses() async throws {
        try await withApp { app in
            // The asthma patient's follow-up at the Quzhou internet hospital: 55 yuan, 25 in scope.
            let patient = try await app.anInsuredPatient(Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                         insuredNumber: "33080000000005")
            let account = LedgerAccount.personalAccount(UUID(uuidString: try await app.insuredPerson(
                "33080000000005", insurer: try await app.signIn(Insured.quzhouInsurer)))!).name
            let (order, paid) = try await app.aSettledFollowUp(patient, doctor: Insured.respiratoryDoctor, site: nil,
                                                               encounter: Insured.priorVisit(Insured.asthmaPatient))
            #expect(paid.status == .ok, "\(paid.text)")
            let settled = try #require(try await app.settlements(patient).first)
            // inScopeLimitFen 2500: 3000 over the limit; tertiary employee ratio 70 %: fund 1750, co-insurance 750,
            // which the personal account pays (inScope rule); cash 3000.
            #expect(fen(settled, "totalFen") == 5500)
            #expect(fen(settled, "overLimitFen") == 3000)
            #expect(fen(settled, "inScopeFen") == 2500)
            #expect(fen(settled, "fundFen") == 1750)
            #expect(fen(settled, "coInsuranceFen") == 750)
            #expect(fen(settled, "personalAccountFen") == 750)
            #expect(fen(settled, "cashFen") == 3000)
            #expect(try await app.balance(account) == 50_000 - 750)
            #expect(try await app.balance(LedgerAccount.wallet(Demo.accountId(Insured.asthmaPatient)).name) == 20_000 - 3000)
            #expect(try await app.yearToDate("33080000000005") == (0, 1750))
            #expect(try await app.quotaUsed(I.tertiaryHospital) == 1750)

            let cancelled = try await app.send(.post, "/api/v1/orders/\(order)/cancel", token: patient, headers: ConsultationRoutesTests.key())
            #expect(cancelled.status == .ok)
            #expect(cancelled.string("state") == "refunded")
            #expect(try await app.balance(account) == 50_000)
            #expect(try await app.balance(LedgerAccount.wallet(Demo.accountId(Insured.asthmaPatient)).name) == 20_000)
            let payable = LedgerAccount.fundPayable(try RegionCode("330800"), to: I.internetHospital).name
            #expect(try await app.balance(payable) == 0)
            #expect(try await app.yearToDate("33080000000005") == (0, 0))
            #expect(try await app.quotaUsed(I.tertiaryHospital) == 0)
            // The original stays as written; the reversal names it and carries the same figures.
            let both = try await app.settlements(patient)
            #expect(both.count == 2)
            let reversal = try #require(both.first { $0["kind"] as? String == "reversal" })
            #expect((reversal["reversesId"] as? String)?.lowercased() == (settled["id"] as? String)?.lowercased())
            #expect(fen(reversal, "fundFen") == 1750)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM settlements WHERE kind = 'settlement' AND fund_fen = 1750") == 1)
            // A second refund is refused by the order's state; nothing more is written.
            let twice = try await app.send(.post, "/api/v1/orders/\(order)/cancel", token: patient, headers: ConsultationRoutesTests.key())
            #expect(twice.status == .conflict)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM settlements") == 2)
        }
    }

    @Test("a patient without linked coverage pays in full, and a quote tells them to link it first")
    func withoutCoverage() async throws {
        try await withApp { app in
            let patient = try await app.signIn(Insured.asthmaPatient)
            let (order, paid) = try await app.aSettledFollowUp(patient, doctor: Insured.respiratoryDoctor, site: nil,
                                                               encounter: Insured.priorVisit(Insured.asthmaPatient))
            #expect(paid.status == .ok)
            #expect(try await app.balance(LedgerAccount.wallet(Demo.accountId(Insured.asthmaPatient)).name) == 20_000 - 5500)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM settlements") == 0)
            let quote = try await app.send(.get, "/api/v1/orders/\(order)/insurance-quote", token: patient)
            #expect(quote.status == .unprocessableContent)
            #expect(quote.errorCode == "coverage_required")
        }
    }
}
