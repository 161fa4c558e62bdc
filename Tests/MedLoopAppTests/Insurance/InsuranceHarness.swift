import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

/// The demo world's insurance, as the tests use it.
enum Insured {
    static let guangzhouInsurer = "13600000002"
    static let quzhouInsurer = "13600000001"
    static let wuhanInsurer = "13600000003"
    /// Hypertension, insured in Guangzhou (employee), seen at the Guangzhou hospital 30 days ago.
    static let guangzhouPatient = "13800000001"
    /// Insured in Guangzhou (resident), never seen there.
    static let firstTimePatient = "13800000008"
    /// Asthma, insured in Quzhou (employee, 500 yuan in the personal account), seen 30 days ago.
    static let asthmaPatient = "13800000005"
    /// Suspended by the Quzhou insurer.
    static let suspendedPatient = "13800000010"
    /// Cardiologist practising at the Quzhou and the Guangzhou internet hospitals; 20-yuan text package.
    static let multiSiteDoctor = UUID.named("doctor:16")
    static let multiSiteDoctorPhone = "13900000016"
    /// Respiratory doctor at the Quzhou internet hospital; 55-yuan text package.
    static let respiratoryDoctor = UUID.named("doctor:3")
    static let respiratoryDoctorPhone = "13900000003"

    static func priorVisit(_ phone: String) -> UUID { UUID.named("encounter:\(phone)") }
}

extension Harness {
    /// The registry id of the insured person with `insuredNumber`, as the insurer lists them.
    func insuredPerson(_ insuredNumber: String, insurer: String) async throws -> String {
        let list = try await send(.get, "/api/v1/insurance/insured-persons?limit=100", token: insurer)
        return try #require(list.items.first { $0["insuredNumber"] as? String == insuredNumber }?["id"] as? String)
    }

    /// A fresh e-voucher for the demo patient `phone`, issued by their region's insurer.
    func aVoucher(for phone: String, insurerPhone: String, insuredNumber: String) async throws -> String {
        let insurer = try await signIn(insurerPhone)
        let person = try await insuredPerson(insuredNumber, insurer: insurer)
        let issued = try await send(.post, "/api/v1/insurance/insured-persons/\(person)/vouchers", token: insurer)
        #expect(issued.status == .created)
        return try #require(issued.string("voucher"))
    }

    /// Signs the patient in and links their coverage; returns their token.
    func anInsuredPatient(_ phone: String, insurerPhone: String, insuredNumber: String) async throws -> String {
        let voucher = try await aVoucher(for: phone, insurerPhone: insurerPhone, insuredNumber: insuredNumber)
        let patient = try await signIn(phone)
        let linked = try await send(.post, "/api/v1/me/insurance/coverage", token: patient, json: ["voucher": voucher])
        #expect(linked.status == .ok, "\(linked.text)")
        return patient
    }

    /// Books and pays a text follow-up of the patient's prior visit; returns the order id and the pay reply.
    func aSettledFollowUp(_ patient: String, doctor: UUID, site: UUID?, encounter: UUID, topUpFen: Int = 20_000)
        async throws -> (order: String, paid: Reply) {
        var body: [String: Any] = ["doctorId": doctor.text, "service": "textPackage", "encounterId": encounter.text]
        if let site { body["siteId"] = site.text }
        let order = try await send(.post, "/api/v1/orders", token: patient, json: body, headers: ConsultationRoutesTests.key())
        let id = try #require(order.string("id"), "\(order.text)")
        _ = try await send(.post, "/api/v1/wallet/top-ups", token: patient, json: ["amountFen": topUpFen], headers: ConsultationRoutesTests.key())
        let paid = try await send(.post, "/api/v1/orders/\(id)/pay", token: patient, headers: ConsultationRoutesTests.key())
        return (id, paid)
    }

    /// The patient's settlements, newest first.
    func settlements(_ patient: String) async throws -> [[String: Any]] {
        try await send(.get, "/api/v1/me/settlements", token: patient).items
    }

    func balance(_ account: String) async throws -> Int64 {
        try await database.read { sql in
            try await sql.raw("SELECT balance_fen FROM ledger_balances WHERE account = \(bind: account)").first()?
                .decode(column: "balance_fen", as: Int64.self) ?? 0
        }
    }

    /// The year to date of the person with `insuredNumber` this year: deductible used and fund paid.
    func yearToDate(_ insuredNumber: String) async throws -> (deductible: Int64, fund: Int64) {
        try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT y.deductible_used_fen, y.fund_paid_fen FROM insurance_year_to_date y
                JOIN insured_persons p ON p.id = y.insured_person_id WHERE p.insured_number = \(bind: insuredNumber)
                """).first() else { return (0, 0) }
            return (try row.decode(column: "deductible_used_fen", as: Int64.self), try row.decode(column: "fund_paid_fen", as: Int64.self))
        }
    }

    func quotaUsed(_ institution: UUID) async throws -> Int64 {
        try await database.read { sql in
            try await sql.raw("SELECT used_fen FROM insurance_quotas WHERE institution_id = \(bind: institution.text)").first()?
                .decode(column: "used_fen", as: Int64.self) ?? 0
        }
    }
}

/// An integer field of a JSON object.
func fen(_ object: [String: Any], _ key: String) -> Int64? { (object[key] as? Int).map(Int64.init) }
