import Foundation
import HTTPTypes
import MedLoopDomain
@testable import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

@Suite("Insurance: a reversal is never reversed, and a settlement is reversed once")
struct ReversalTests {
    @Test("reversing a reversal, or a settlement a second time, is refused and changes nothing")
    func reverseOnce() async throws {
        try await withApp { app in
            let patient = try await app.anInsuredPatient(Insured.asthmaPatient, insurerPhone: Insured.quzhouInsurer,
                                                         insuredNumber: "33080000000005")
            let (order, _) = try await app.aSettledFollowUp(patient, doctor: Insured.respiratoryDoctor, site: nil,
                                                            encounter: Insured.priorVisit(Insured.asthmaPatient))
            #expect(try await app.send(.post, "/api/v1/orders/\(order)/cancel", token: patient, headers: ConsultationRoutesTests.key()).status == .ok)
            let listed = try await app.settlements(patient)
            let store = app.services.stores.settlements
            let ids = Dictionary(uniqueKeysWithValues: listed.compactMap { item -> (String, UUID)? in
                guard let kind = item["kind"] as? String, let id = (item["id"] as? String).flatMap(UUID.init(uuidString:)) else { return nil }
                return (kind, id)
            })
            let reversalId = try #require(ids["reversal"])
            let originalId = try #require(ids["settlement"])
            let reversal = try #require(try await store.settlement(reversalId))
            let original = try #require(try await store.settlement(originalId))
            let entries = try await app.count("SELECT COUNT(*) AS n FROM ledger_entries")
            let context = anAuditContext(at: app.clock.now())
            for (record, code) in [(reversal, "reversal_not_reversible"), (original, "settlement_reversed")] {
                do {
                    try await app.database.unitOfWork { tx in try await store.reverse(record, context: context, in: tx) }
                    Issue.record("reversing \(record.kind) \(record.id) was allowed")
                } catch let error as DomainError {
                    #expect(error == .conflict(code: code, message: error.message))
                }
            }
            #expect(try await app.count("SELECT COUNT(*) AS n FROM settlements") == 2)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM ledger_entries") == entries)
            #expect(try await app.yearToDate("33080000000005") == (0, 0))
            #expect(try await app.quotaUsed(DemoWorld.Institutions.tertiaryHospital) == 0)
        }
    }
}

extension DomainError {
    /// The message of a refusal, whatever its kind.
    var message: String {
        switch self {
        case .refused(_, let message), .conflict(_, let message), .forbidden(_, let message): return message
        case .invalid(let issues): return issues.first?.message ?? ""
        case .notFound(let resource): return resource
        }
    }
}
