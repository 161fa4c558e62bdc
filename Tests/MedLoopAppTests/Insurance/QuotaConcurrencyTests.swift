import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Insurance: quotas under concurrency")
struct QuotaConcurrencyTests {
    typealias I = DemoWorld.Institutions

    /// Quzhou insured employees with a prescribed visit at the tertiary hospital 30 days ago (asthma,
    /// COPD, chronic kidney disease): each follow-up with the respiratory doctor settles 1750 from
    /// the fund on the 5500 fee, drawn on the tertiary hospital's quota.
    static let quzhouEmployees = [
        (phone: "13800000004", insuredNumber: "33080000000004"),
        (phone: Insured.asthmaPatient, insuredNumber: "33080000000005"),
        (phone: "13800000007", insuredNumber: "33080000000007"),
    ]

    static func thisMonth(_ app: Harness) -> String {
        InsuranceQuota.month(of: CalendarDate.shanghai(app.clock.now()))
    }

    /// An unpaid text-package order with the respiratory doctor, following the patient's own prior visit.
    static func anUnpaidFollowUp(_ app: Harness, patient: String, phone: String) async throws -> String {
        let order = try await app.send(.post, "/api/v1/orders", token: patient, json: [
            "doctorId": Insured.respiratoryDoctor.text, "service": "textPackage", "encounterId": Insured.priorVisit(phone).text,
        ], headers: ConsultationRoutesTests.key())
        #expect(order.status == .created, "\(order.text)")
        return try #require(order.string("id"), "\(order.text)")
    }

    /// The quota row of `institution` in a list of quotas.
    static func quota(of institution: UUID, in reply: Reply) -> [String: Any]? {
        reply.items.first { ($0["institutionId"] as? String).flatMap(UUID.init(uuidString:)) == institution }
    }

    // MARK: Concurrency

    @Test("concurrent settlements never overrun a quota: exactly as many draw on it as fit, the rest pay themselves with the reason")
    func concurrentSettlementsNeverOverrunAQuota() async throws {
        try await withApp { app in
            var patients: [(phone: String, insuredNumber: String, token: String)] = []
            for employee in Self.quzhouEmployees {
                let token = try await app.anInsuredPatient(employee.phone, insurerPhone: Insured.quzhouInsurer,
                                                           insuredNumber: employee.insuredNumber)
                patients.append((employee.phone, employee.insuredNumber, token))
            }
            // Room for exactly two fund shares of 1750 this month.
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let budget = try await app.send(.put, "/api/v1/insurance/quotas/\(I.tertiaryHospital.text)/\(Self.thisMonth(app))",
                                         token: insurer, json: ["budgetFen": 3500])
            #expect(budget.status == .ok, "\(budget.text)")
            #expect(fen(budget.json, "remainingFen") == 3500)

            // Two orders per patient, and enough in each wallet to pay both in full.
            var bills: [(order: String, token: String)] = []
            for patient in patients {
                for _ in 0..<2 {
                    bills.append((try await Self.anUnpaidFollowUp(app, patient: patient.token, phone: patient.phone), patient.token))
                }
                let topUp = try await app.send(.post, "/api/v1/wallet/top-ups", token: patient.token, json: ["amountFen": 20_000],
                                               headers: ConsultationRoutesTests.key())
                #expect(topUp.status == .created, "\(topUp.text)")
            }
            #expect(bills.count == 6)

            let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for bill in bills {
                    group.addTask {
                        let paid = try await app.send(.post, "/api/v1/orders/\(bill.order)/pay", token: bill.token,
                                                      headers: ConsultationRoutesTests.key())
                        return (Int(paid.status.code), paid.text)
                    }
                }
                return try await group.reduce(into: [(Int, String)]()) { $0.append($1) }
            }
            #expect(statuses.count == 6)
            for (status, body) in statuses { #expect(status == 200, "\(body)") }

            var all: [[String: Any]] = []
            for patient in patients {
                let own = try await app.settlements(patient.token).filter { $0["kind"] as? String == "settlement" }
                #expect(own.count == 2, "\(patient.phone)")
                all += own
                // Each person's year to date holds exactly the fund shares of their own bills.
                let ownFund = own.compactMap { fen($0, "fundFen") }.reduce(0, +)
                #expect(try await app.yearToDate(patient.insuredNumber) == (0, ownFund), "\(patient.phone)")
                // The wallet paid the cash share of each bill, and nothing more.
                let ownCash = own.compactMap { fen($0, "cashFen") }.reduce(0, +)
                #expect(try await app.balance(LedgerAccount.wallet(Demo.accountId(patient.phone)).name) == 20_000 - ownCash,
                        "\(patient.phone)")
            }
            #expect(all.count == 6)
            let drawn = all.filter { fen($0, "fundFen") == 1750 }
            #expect(drawn.count == 2)
            #expect(drawn.allSatisfy { $0["coveredReason"] as? String == "covered" && fen($0, "cashFen") == 3000 })
            let refused = all.filter { fen($0, "fundFen") == 0 }
            #expect(refused.count == 4)
            #expect(refused.allSatisfy { $0["notCoveredReason"] as? String == "quotaExhausted" })
            #expect(refused.allSatisfy { fen($0, "fullOwnPayFen") == 5500 && fen($0, "cashFen") == 5500 })

            // The quota is used to the fen, by exactly the shares that drew on it.
            let fundTotal = all.compactMap { fen($0, "fundFen") }.reduce(0, +)
            #expect(try await app.quotaUsed(I.tertiaryHospital) == 3500)
            #expect(fundTotal == 3500)
            #expect(try await app.count("""
                SELECT CAST(COALESCE(SUM(fund_fen), 0) AS BIGINT) AS n FROM settlements
                WHERE kind = 'settlement' AND quota_institution_id = \(bind: I.tertiaryHospital.text)
                """) == 3500)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM settlements WHERE quota_institution_id IS NOT NULL") == 2)
            let payable = LedgerAccount.fundPayable(try RegionCode("330800"), to: I.internetHospital).name
            #expect(try await app.balance(payable) == -3500)
            let listed = try #require(Self.quota(of: I.tertiaryHospital, in: try await app.send(.get, "/api/v1/insurance/quotas",
                                                                                               token: insurer)))
            #expect(fen(listed, "usedFen") == 3500)
            #expect(fen(listed, "remainingFen") == 0)
        }
    }

    // MARK: Reading quotas

    @Test("GET /api/v1/insurance/quotas shows use against each quota live")
    func quotaListShowsUseLive() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let regulator = try await app.signIn(Demo.regulatorPhone)
            for token in [insurer, regulator] {
                let before = try #require(Self.quota(of: I.tertiaryHospital, in: try await app.send(.get, "/api/v1/insurance/quotas",
                                                                                                   token: token)))
                #expect(fen(before, "usedFen") == 0)
                #expect(fen(before, "remainingFen") == 5_000_000)
            }

            let patient = try await app.anInsuredPatient(Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                         insuredNumber: "33080000000005")
            let (_, paid) = try await app.aSettledFollowUp(patient, doctor: Insured.respiratoryDoctor, site: nil,
                                                           encounter: Insured.priorVisit(Insured.asthmaPatient))
            #expect(paid.status == .ok, "\(paid.text)")

            for (who, token) in [("insurer", insurer), ("regulator", regulator)] {
                let list = try await app.send(.get, "/api/v1/insurance/quotas", token: token)
                #expect(list.status == .ok, "\(who): \(list.text)")
                let hospital = try #require(Self.quota(of: I.tertiaryHospital, in: list), "\(who)")
                #expect(hospital["month"] as? String == Self.thisMonth(app), "\(who)")
                #expect(fen(hospital, "budgetFen") == 5_000_000, "\(who)")
                #expect(fen(hospital, "usedFen") == 1750, "\(who)")
                #expect(fen(hospital, "remainingFen") == 4_998_250, "\(who)")
                // The pharmacy's quota was not drawn by a consultation.
                let pharmacy = try #require(Self.quota(of: I.pharmacies[0], in: list), "\(who)")
                #expect(fen(pharmacy, "usedFen") == 0, "\(who)")
                #expect(fen(pharmacy, "remainingFen") == 2_000_000, "\(who)")
            }
            // Without a region filter the regulator sees another region's quota too, untouched.
            let everywhere = try await app.send(.get, "/api/v1/insurance/quotas", token: regulator)
            let guangzhou = try #require(Self.quota(of: I.guangzhouHospital, in: everywhere))
            #expect(fen(guangzhou, "usedFen") == 0)
            #expect(fen(guangzhou, "remainingFen") == 1_000_000)
        }
    }

    // MARK: Fixes

    @Test("a patient presenting a suspended person's voucher is refused with voucher_not_yours, never told the person is suspended")
    func suspendedPersonsVoucherIsNotYours() async throws {
        try await withApp { app in
            let voucher = try await app.aVoucher(for: Insured.suspendedPatient, insurerPhone: Insured.quzhouInsurer,
                                                 insuredNumber: "33080000000009")
            let stranger = try await app.signIn(Insured.asthmaPatient)
            let reply = try await app.send(.post, "/api/v1/me/insurance/coverage", token: stranger, json: ["voucher": voucher])
            #expect(reply.status == .unprocessableContent, "\(reply.text)")
            #expect(reply.errorCode == "voucher_not_yours")
            #expect(reply.isStandardError)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM insurance_coverages") == 0)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM used_vouchers") == 0)
        }
    }

    @Test("an insurer simulating under another region's stored version gets 404, while a regulator gets the settlement")
    func insurerSimulatesOwnRegionOnly() async throws {
        try await withApp { app in
            let body = InsuranceBadInputTests.simulation(version: ("440100", "2020-03"), scheme: "employee", level: "tertiary",
                                                         condition: "I10", lines: [["kind": "consultation", "amountFen": 2000]])
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let refused = try await app.send(.post, "/api/v1/insurance/simulations", token: insurer, json: body)
            #expect(refused.status == .notFound, "\(refused.text)")
            #expect(refused.isStandardError)
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let simulated = try await app.send(.post, "/api/v1/insurance/simulations", token: regulator, json: body)
            #expect(simulated.status == .ok, "\(simulated.text)")
            #expect(fen(simulated.json, "fundFen") == 700)
        }
    }

    @Test("an insurer may not set a quota for its own insurer institution, which bills nothing: 404")
    func noQuotaForTheInsurerItself() async throws {
        try await withApp { app in
            let insurer = try await app.signIn(Insured.quzhouInsurer)
            let reply = try await app.send(.put, "/api/v1/insurance/quotas/\(I.insurer.text)/\(Self.thisMonth(app))", token: insurer,
                                           json: ["budgetFen": 1_000_000])
            #expect(reply.status == .notFound, "\(reply.text)")
            #expect(reply.isStandardError)
            #expect(try await app.count("""
                SELECT COUNT(*) AS n FROM insurance_quotas WHERE institution_id = \(bind: I.insurer.text)
                """) == 0)
        }
    }
}
