import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Insurance: a medicine order settles its drug lines by class at the pharmacy")
struct DrugSettlementTests {
    typealias I = DemoWorld.Institutions
    static let salbutamol = Drug.id(productCode: "8100171")           // class A aerosol, 200 puffs
    static let budesonideFormoterol = Drug.id(productCode: "8100181")  // class B powder, 60 doses
    static let montelukast = Drug.id(productCode: "8100194")           // class B tablets 10 mg × 5

    /// The doctor accepts the paid consultation, prescribes the three asthma drugs, signs; the
    /// pharmacist approves; the patient reserves them at 荷花店. Returns the prescription and the medicine order.
    static func prescribeAndReserve(_ app: Harness, consultation: String, patient: String) async throws -> (prescription: String, order: String) {
        let doctor = try await app.signIn(Insured.respiratoryDoctorPhone)
        #expect(try await app.send(.post, "/api/v1/consultations/\(consultation)/accept", token: doctor).status == .ok)
        let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
            "diagnosis": "J45.9", "items": [
                anItem(Self.salbutamol, dose: 2, unit: "puff", timesPerDay: 2, days: 7),
                anItem(Self.budesonideFormoterol, dose: 1, unit: "puff", timesPerDay: 2, days: 7),
                anItem(Self.montelukast, dose: 10, timesPerDay: 1, days: 7),
            ],
        ])
        let prescription = try #require(draft.string("id"), "\(draft.text)")
        #expect(try await app.send(.post, "/api/v1/prescriptions/\(prescription)/sign", token: doctor).status == .ok)
        let pharmacist = try await app.signIn(PrescriptionFlowTests.reviewer)
        #expect(try await app.send(.post, "/api/v1/prescriptions/\(prescription)/review", token: pharmacist,
                                   json: ["decision": "approve"]).status == .ok)
        let reserved = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
            "pharmacyId": I.pharmacies[0].text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
        ], headers: ConsultationRoutesTests.key())
        return (prescription, try #require(reserved.string("id"), "\(reserved.text)"))
    }

    @Test("a Quzhou-like asthma refill splits its drug lines by class exactly as INSURANCE.md computes")
    func asthmaLines() async throws {
        try await withApp { app in
            let patient = try await app.anInsuredPatient(Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                         insuredNumber: "33080000000005")
            let personalAccount = LedgerAccount.personalAccount(UUID(uuidString: try await app.insuredPerson(
                "33080000000005", insurer: try await app.signIn(Insured.quzhouInsurer)))!).name
            let wallet = LedgerAccount.wallet(Demo.accountId(Insured.asthmaPatient)).name
            // The first follow-up and its prescription, filled and settled.
            let (_, paid) = try await app.aSettledFollowUp(patient, doctor: Insured.respiratoryDoctor, site: nil,
                                                           encounter: Insured.priorVisit(Insured.asthmaPatient), topUpFen: 100_000)
            let first = try await Self.prescribeAndReserve(app, consultation: try #require(paid.string("consultationId")), patient: patient)
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(first.order)/pay", token: patient,
                                       headers: ConsultationRoutesTests.key()).status == .ok)
            // Found by the bill it settles: identifiers made within one millisecond need not sort by time.
            let firstSettlement = try #require(try await app.settlements(patient)
                .first { ($0["medicineOrderId"] as? String)?.lowercased() == first.order.lowercased() })
            let firstFund = try #require(fen(firstSettlement, "fundFen"))

            // The refill: a follow-up with the same doctor naming the prescription it renews, settled, then its drugs.
            let refill = try await app.send(.post, "/api/v1/prescriptions/\(first.prescription)/refill", token: patient,
                                            headers: ConsultationRoutesTests.key())
            #expect(refill.status == .created, "\(refill.text)")
            let refillOrder = try #require(refill.string("id"))
            let refillQuote = try await app.send(.get, "/api/v1/orders/\(refillOrder)/insurance-quote", token: patient)
            #expect(fen(refillQuote.json, "fundFen") == 1750)
            let refillPaid = try await app.send(.post, "/api/v1/orders/\(refillOrder)/pay", token: patient, headers: ConsultationRoutesTests.key())
            #expect(refillPaid.status == .ok)
            let (_, medicineOrder) = try await Self.prescribeAndReserve(app, consultation: try #require(refillPaid.string("consultationId")),
                                                                         patient: patient)
            let accountBefore = try await app.balance(personalAccount)
            let quote = try await app.send(.get, "/api/v1/medicine-orders/\(medicineOrder)/insurance-quote", token: patient)
            #expect(quote.status == .ok, "\(quote.text)")
            let walletBefore = try await app.balance(wallet)
            #expect(try await app.send(.post, "/api/v1/medicine-orders/\(medicineOrder)/pay", token: patient,
                                       headers: ConsultationRoutesTests.key()).status == .ok)
            let settled = try #require(try await app.settlements(patient)
                .first { ($0["medicineOrderId"] as? String)?.lowercased() == medicineOrder.lowercased() })
            for key in ["totalFen", "fundFen", "preSelfPayFen", "inScopeFen", "overLimitFen", "cashFen", "personalAccountFen"] {
                #expect(fen(settled, key) == fen(quote.json, key), "the quote and the settlement differ on \(key)")
            }

            // Each line by the line table: class A wholly in scope up to its reference price; class B
            // first pays 10 % (half up) of what is within it. The amounts and references as stored.
            let bill = try await app.database.read { sql in
                try await sql.raw("""
                    SELECT l.insurance_class, l.amount_fen, d.reference_price_fen * l.quantity AS reference_fen
                    FROM medicine_order_lines l JOIN drugs d ON d.id = l.drug_id
                    WHERE l.order_id = \(bind: medicineOrder.lowercased()) ORDER BY l.position
                    """).all().map { row in
                        (try row.decode(column: "insurance_class", as: String.self), try row.decode(column: "amount_fen", as: Int64.self),
                         try row.decode(column: "reference_fen", as: Int64.self))
                    }
            }
            let lines = try #require(settled["lines"] as? [[String: Any]])
            #expect(lines.count == 3)
            #expect(bill.map(\.0) == ["a", "b", "b"])
            var inScope: Int64 = 0
            var preSelfPay: Int64 = 0
            for (line, (drugClass, amount, reference)) in zip(lines, bill) {
                let over = max(0, amount - reference)
                let first = drugClass == "b" ? ((amount - over) * 1000 + 5000) / 10_000 : 0
                #expect(line["drugClass"] as? String == drugClass.uppercased())
                #expect(fen(line, "amountFen") == amount)
                #expect(fen(line, "overLimitFen") == over)
                #expect(fen(line, "preSelfPayFen") == first)
                #expect(fen(line, "inScopeFen") == amount - over - first)
                #expect(fen(line, "fullOwnPayFen") == 0)
                inScope += amount - over - first
                preSelfPay += first
            }
            #expect(preSelfPay > 0)
            // Tertiary level (the prescribing internet hospital's hospital), employee scheme: 70 %, no deductible.
            let fund = (inScope * 7000 + 5000) / 10_000
            let coInsurance = inScope - fund
            let total = bill.reduce(0) { $0 + $1.1 }
            #expect(fen(settled, "totalFen") == total)
            #expect(fen(settled, "inScopeFen") == inScope)
            #expect(fen(settled, "preSelfPayFen") == preSelfPay)
            #expect(fen(settled, "fundFen") == fund)
            #expect(fen(settled, "coInsuranceFen") == coInsurance)
            #expect(settled["level"] as? String == "tertiary")
            // The personal account pays the in-scope part of the self share; the rest is cash.
            let fromAccount = min(preSelfPay + coInsurance, accountBefore)
            #expect(fen(settled, "personalAccountFen") == fromAccount)
            #expect(fen(settled, "cashFen") == total - fund - fromAccount)
            #expect(try await app.balance(wallet) == walletBefore - (total - fund - fromAccount))
            #expect(try await app.balance(personalAccount) == accountBefore - fromAccount)
            let payable = LedgerAccount.fundPayable(try RegionCode("330800"), to: I.pharmacies[0]).name
            #expect(try await app.balance(payable) == -(firstFund + fund))
            #expect(try await app.yearToDate("33080000000005") == (0, 1750 + firstFund + 1750 + fund))
            #expect(try await app.quotaUsed(I.pharmacies[0]) == firstFund + fund)
        }
    }
}
