import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Insurance: deferred reimbursement with an electronic invoice and a claim")
struct ClaimTests {
    typealias I = DemoWorld.Institutions
    /// COPD, insured in Quzhou (employee), seen at the Quzhou hospital 30 days ago.
    static let copdPatient = "13800000004"
    static let copdNumber = "33080000000004"

    /// The patient pays a follow-up in full (no coverage linked yet), then links coverage; returns
    /// the order, the invoice id and the patient's token.
    static func aBillPaidInFull(_ app: Harness, phone: String = copdPatient, number: String = copdNumber)
        async throws -> (order: String, invoice: String, patient: String) {
        let patient = try await app.signIn(phone)
        let (order, paid) = try await app.aSettledFollowUp(patient, doctor: Insured.respiratoryDoctor, site: nil,
                                                           encounter: Insured.priorVisit(phone))
        #expect(paid.status == .ok)
        let voucher = try await app.aVoucher(for: phone, insurerPhone: Insured.quzhouInsurer, insuredNumber: number)
        #expect(try await app.send(.post, "/api/v1/me/insurance/coverage", token: patient, json: ["voucher": voucher]).status == .ok)
        let invoices = try await app.send(.get, "/api/v1/me/invoices", token: patient)
        let invoice = try #require(invoices.items.first { ($0["orderId"] as? String)?.lowercased() == order.lowercased() })
        return (order, try #require(invoice["id"] as? String), patient)
    }

    @Test("a patient who paid in full gets a signed invoice, files a claim, and the approved amount reaches the wallet")
    func approve() async throws {
        try await withApp { app in
            let (_, invoiceId, patient) = try await Self.aBillPaidInFull(app)
            let invoice = try await app.send(.get, "/api/v1/invoices/\(invoiceId)", token: patient)
            #expect(invoice.json["verified"] as? Bool == true)
            #expect(fen(invoice.json, "totalFen") == 5500)
            let number = try #require(invoice.string("number"))
            let page = try await app.send(.get, "/api/v1/invoices/\(invoiceId)/print", token: patient)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains(number) && page.text.contains("55.00") && page.text.contains("有效 valid"))
            let stranger = try await app.signIn(Demo.otherPatientPhone)
            #expect(try await app.send(.get, "/api/v1/invoices/\(invoiceId)", token: stranger).status == .notFound)

            let filed = try await app.send(.post, "/api/v1/claims", token: patient, json: ["invoiceId": invoiceId, "mode": "mailIn"],
                                           headers: ConsultationRoutesTests.key())
            #expect(filed.status == .created)
            #expect(filed.string("state") == "filed")
            let claim = try #require(filed.string("id"))
            let again = try await app.send(.post, "/api/v1/claims", token: patient, json: ["invoiceId": invoiceId, "mode": "deferred"],
                                           headers: ConsultationRoutesTests.key())
            #expect(again.errorCode == "claim_exists")

            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let queue = try await app.send(.get, "/api/v1/insurance/claims", token: insurer)
            #expect(queue.items.contains { ($0["id"] as? String)?.lowercased() == claim.lowercased() })
            let otherInsurer = try await app.signIn(Insured.guangzhouInsurer)
            #expect(try await app.send(.post, "/api/v1/insurance/claims/\(claim)/review", token: otherInsurer, json: ["decision": "approve"],
                                       headers: ConsultationRoutesTests.key()).status == .notFound)
            let wallet = try await app.balance(LedgerAccount.wallet(Demo.accountId(Self.copdPatient)).name)
            let approved = try await app.send(.post, "/api/v1/insurance/claims/\(claim)/review", token: insurer,
                                              json: ["decision": "approve"], headers: ConsultationRoutesTests.key())
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(approved.string("state") == "approved")
            // The engine's figures: 25 yuan in scope at 70 %, and the personal account is not drawn after the fact.
            #expect(fen(approved.json, "approvedFen") == 1750)
            #expect(try await app.balance(LedgerAccount.wallet(Demo.accountId(Self.copdPatient)).name) == wallet + 1750)
            #expect(try await app.balance(LedgerAccount.claimsPaid(try RegionCode("330800")).name) == -1750)
            #expect(try await app.yearToDate(Self.copdNumber) == (0, 1750))
            let settlement = try #require(approved.string("settlementId"))
            let settled = try await app.send(.get, "/api/v1/settlements/\(settlement)", token: patient)
            #expect(fen(settled.json, "fundFen") == 1750 && fen(settled.json, "personalAccountFen") == 0)
            // The patient sees the claim's state and times; deciding it again is refused.
            let seen = try await app.send(.get, "/api/v1/claims/\(claim)", token: patient)
            #expect(seen.string("state") == "approved" && seen.string("decidedAt") != nil && seen.string("filedAt") != nil)
            #expect(try await app.send(.post, "/api/v1/insurance/claims/\(claim)/review", token: insurer, json: ["decision": "reject", "reason": "x"],
                                       headers: ConsultationRoutesTests.key()).status == .conflict)
            // The day's clearing counts the claim and still reconciles to the ledger.
            let today = CalendarDate.shanghai(app.clock.now())
            let report = try await app.services.stores.clearings.report(region: try RegionCode("330800"), day: today)
            #expect(report.isReconciled, "\(report.problems)")
            #expect(report.entries.contains { $0.isClaim && $0.fundFen == 1750 })
        }
    }

    @Test("a claim for an order already settled directly at payment is refused, and nothing changes")
    func settledDirectly() async throws {
        try await withApp { app in
            let patient = try await app.anInsuredPatient(Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                         insuredNumber: "33080000000005")
            let (order, _) = try await app.aSettledFollowUp(patient, doctor: Insured.respiratoryDoctor, site: nil,
                                                            encounter: Insured.priorVisit(Insured.asthmaPatient))
            let invoice = try #require(try await app.send(.get, "/api/v1/me/invoices", token: patient).items
                .first { ($0["orderId"] as? String)?.lowercased() == order.lowercased() }?["id"] as? String)
            let refused = try await app.send(.post, "/api/v1/claims", token: patient, json: ["invoiceId": invoice, "mode": "deferred"],
                                             headers: ConsultationRoutesTests.key())
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "settled_directly")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM claims") == 0)
        }
    }

    @Test("an insurer adjusts a claim with a reason and pays less, or rejects it with a reason and pays nothing")
    func adjustAndReject() async throws {
        try await withApp { app in
            let (_, invoice, patient) = try await Self.aBillPaidInFull(app)
            let claim = try #require(try await app.send(.post, "/api/v1/claims", token: patient, json: ["invoiceId": invoice, "mode": "appointment"],
                                                        headers: ConsultationRoutesTests.key()).string("id"))
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            func review(_ body: [String: Any]) async throws -> Reply {
                try await app.send(.post, "/api/v1/insurance/claims/\(claim)/review", token: insurer, json: body,
                                   headers: ConsultationRoutesTests.key())
            }
            #expect(try await review(["decision": "adjust", "approvedFen": 1000]).errorFields == ["reason"])
            #expect(try await review(["decision": "adjust", "approvedFen": 1750, "reason": "只报一部分"]).errorFields == ["approvedFen"])
            #expect(try await review(["decision": "adjust", "reason": "只报一部分"]).errorFields == ["approvedFen"])
            #expect(try await review(["decision": "refund"]).status == .badRequest)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM settlements") == 0)
            let adjusted = try await review(["decision": "adjust", "approvedFen": 1000, "reason": "超出复诊频次，核减部分费用"])
            #expect(adjusted.string("state") == "adjusted")
            #expect(fen(adjusted.json, "approvedFen") == 1000)
            #expect(adjusted.string("reason") == "超出复诊频次，核减部分费用")
            #expect(try await app.yearToDate(Self.copdNumber) == (0, 1000))

            // A second bill, rejected.
            let second = try await app.signIn("13800000007")
            let (_, paid) = try await app.aSettledFollowUp(second, doctor: Insured.respiratoryDoctor, site: nil,
                                                           encounter: Insured.priorVisit("13800000007"))
            #expect(paid.status == .ok)
            let voucher = try await app.aVoucher(for: "13800000007", insurerPhone: Insured.quzhouInsurer, insuredNumber: "33080000000007")
            _ = try await app.send(.post, "/api/v1/me/insurance/coverage", token: second, json: ["voucher": voucher])
            let secondInvoice = try #require(try await app.send(.get, "/api/v1/me/invoices", token: second).items.first?["id"] as? String)
            let secondClaim = try #require(try await app.send(.post, "/api/v1/claims", token: second,
                                                              json: ["invoiceId": secondInvoice, "mode": "mailIn"],
                                                              headers: ConsultationRoutesTests.key()).string("id"))
            #expect(try await app.send(.post, "/api/v1/insurance/claims/\(secondClaim)/review", token: insurer, json: ["decision": "reject"],
                                       headers: ConsultationRoutesTests.key()).errorFields == ["reason"])
            let wallet = try await app.balance(LedgerAccount.wallet(Demo.accountId("13800000007")).name)
            let rejected = try await app.send(.post, "/api/v1/insurance/claims/\(secondClaim)/review", token: insurer,
                                              json: ["decision": "reject", "reason": "发票与就诊记录不符"], headers: ConsultationRoutesTests.key())
            #expect(rejected.string("state") == "rejected")
            #expect(rejected.json["approvedFen"] == nil || rejected.json["approvedFen"] is NSNull)
            #expect(try await app.balance(LedgerAccount.wallet(Demo.accountId("13800000007")).name) == wallet)
            #expect(try await app.yearToDate("33080000000007") == (0, 0))
        }
    }

    @Test("a refund after a paid claim returns the bill to the wallet and the reimbursement to the fund, exactly")
    func refundAfterClaim() async throws {
        try await withApp { app in
            let (order, invoice, patient) = try await Self.aBillPaidInFull(app)
            let claim = try #require(try await app.send(.post, "/api/v1/claims", token: patient, json: ["invoiceId": invoice, "mode": "deferred"],
                                                        headers: ConsultationRoutesTests.key()).string("id"))
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            #expect(try await app.send(.post, "/api/v1/insurance/claims/\(claim)/review", token: insurer, json: ["decision": "approve"],
                                       headers: ConsultationRoutesTests.key()).status == .ok)
            let cancelled = try await app.send(.post, "/api/v1/orders/\(order)/cancel", token: patient, headers: ConsultationRoutesTests.key())
            #expect(cancelled.string("state") == "refunded")
            // 200 yuan topped up, 55 paid, 17.50 reimbursed, 55 refunded, 17.50 given back.
            #expect(try await app.balance(LedgerAccount.wallet(Demo.accountId(Self.copdPatient)).name) == 20_000)
            #expect(try await app.balance(LedgerAccount.claimsPaid(try RegionCode("330800")).name) == 0)
            #expect(try await app.yearToDate(Self.copdNumber) == (0, 0))
            let report = try await app.services.stores.clearings.report(region: try RegionCode("330800"),
                                                                        day: CalendarDate.shanghai(app.clock.now()))
            #expect(report.isReconciled, "\(report.problems)")
        }
    }

    @Test("a bill the fund paid nothing for at payment (the quota used up) may still be claimed, and a refund then undoes both exactly")
    func claimAfterQuotaExhausted() async throws {
        try await withApp { app in
            let patient = try await app.anInsuredPatient(Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                         insuredNumber: "33080000000005")
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let month = InsuranceQuota.month(of: CalendarDate.shanghai(app.clock.now()))
            #expect(try await app.send(.put, "/api/v1/insurance/quotas/\(I.tertiaryHospital.text)/\(month)", token: insurer,
                                       json: ["budgetFen": 0]).status == .ok)
            let (order, paid) = try await app.aSettledFollowUp(patient, doctor: Insured.respiratoryDoctor, site: nil,
                                                               encounter: Insured.priorVisit(Insured.asthmaPatient))
            #expect(paid.status == .ok)
            let direct = try #require(try await app.settlements(patient).first)
            #expect(direct["notCoveredReason"] as? String == "quotaExhausted")
            #expect(fen(direct, "cashFen") == 5500)
            let invoice = try #require(try await app.send(.get, "/api/v1/me/invoices", token: patient).items.first?["id"] as? String)
            let filed = try await app.send(.post, "/api/v1/claims", token: patient, json: ["invoiceId": invoice, "mode": "deferred"],
                                           headers: ConsultationRoutesTests.key())
            #expect(filed.status == .created, "\(filed.text)")
            let claim = try #require(filed.string("id"))
            let approved = try await app.send(.post, "/api/v1/insurance/claims/\(claim)/review", token: insurer,
                                              json: ["decision": "approve"], headers: ConsultationRoutesTests.key())
            #expect(fen(approved.json, "approvedFen") == 1750)
            let wallet = LedgerAccount.wallet(Demo.accountId(Insured.asthmaPatient)).name
            #expect(try await app.balance(wallet) == 20_000 - 5500 + 1750)
            #expect(try await app.send(.post, "/api/v1/orders/\(order)/cancel", token: patient, headers: ConsultationRoutesTests.key()).status == .ok)
            #expect(try await app.balance(wallet) == 20_000)
            #expect(try await app.yearToDate("33080000000005") == (0, 0))
            #expect(try await app.count("SELECT COUNT(*) AS n FROM settlements WHERE kind = 'reversal'") == 2)
            let report = try await app.services.stores.clearings.report(region: try RegionCode("330800"),
                                                                        day: CalendarDate.shanghai(app.clock.now()))
            #expect(report.isReconciled, "\(report.problems)")
        }
    }
}
