import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import Testing

@Suite("Prescribing: bad input is refused in the standard shape and writes nothing")
struct PrescriptionBadInputTests {
    /// The body of a draft with `items`, for the I10 follow-up of `anAcceptedConsultation`.
    static func draft(_ items: [[String: Any]], extra: [String: Any] = [:]) -> [String: Any] {
        ["diagnosis": "I10", "items": items].merging(extra) { _, new in new }
    }

    static var refusals: [(String, [String: Any], Int, String, String?)] { [
        ("a drug not in the catalogue", draft([anItem(UUID(), dose: 5)]), 400, "invalid_request", "items[0].drugId"),
        ("a dose of zero", draft([anItem(Shelf.amlodipine, dose: 0)]), 400, "invalid_request", "items[0].dose"),
        ("a negative dose", draft([anItem(Shelf.amlodipine, dose: -5)]), 400, "invalid_request", "items[0].dose"),
        ("a dose 100 times the maximum", draft([anItem(Shelf.amlodipine, dose: 1000)]), 400, "invalid_request", "items[0].dose"),
        ("a dose in another unit", draft([anItem(Shelf.amlodipine, dose: 1, unit: "tablet")]), 400, "invalid_request", "items[0].doseUnit"),
        ("days beyond 12 weeks", draft([anItem(Shelf.amlodipine, dose: 5, days: 85)]), 400, "invalid_request", "items[0].days"),
        ("more than 5 items", draft(Array(repeating: anItem(Shelf.amlodipine, dose: 5), count: 6)), 400, "invalid_request", "items"),
        ("a quantity that does not match the packages", draft([anItem(Shelf.amlodipine, dose: 5, quantity: 3)]), 400,
         "invalid_request", "items[0].quantity"),
        ("8 days without a long prescription", draft([anItem(Shelf.amlodipine, dose: 5, days: 8)]), 422,
         "long_prescription_required", nil),
        ("a long prescription for an antimicrobial",
         draft([anItem(Shelf.clarithromycin, dose: 250, timesPerDay: 2, days: 14)], extra: ["longPrescription": ["reason": "慢性支气管炎"]]),
         422, "long_prescription_not_allowed", nil),
        ("a long prescription without its reason",
         draft([anItem(Shelf.amlodipine, dose: 5, days: 28)], extra: ["longPrescription": ["reason": "  "]]), 400,
         "invalid_request", "longPrescription.reason"),
        ("a diagnosis that is not the condition of the prior visit", ["diagnosis": "E11", "items": [anItem(Shelf.metformin, dose: 500)]],
         422, "not_a_follow_up", nil),
        ("validity beyond 3 days", draft([anItem(Shelf.amlodipine, dose: 5)], extra: ["validDays": 4]), 400, "invalid_request", "validDays"),
        ("an unknown dose unit", draft([anItem(Shelf.amlodipine, dose: 5, unit: "spoon")]), 400, "invalid_request", "items[0].doseUnit"),
    ] }

    @Test("each bad draft gets its 4xx, and no prescription, trail entry or event is written",
          arguments: refusals.indices)
    func badDrafts(index: Int) async throws {
        let (name, json, status, code, field) = Self.refusals[index]
        let body = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        try await withApp { app in
            let (consultation, _, doctor) = try await app.anAcceptedConsultation()
            let reply = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, raw: body)
            #expect(Int(reply.status.code) == status, "\(name): \(reply.text)")
            #expect(reply.errorCode == code, "\(name)")
            #expect(reply.isStandardError, "\(name)")
            if let field {
                let details = (reply.json["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []
                #expect(details.contains { $0["field"] as? String == field }, "\(name): \(reply.text)")
            }
            #expect(try await app.count("SELECT COUNT(*) AS n FROM prescriptions") == 0)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM domain_events WHERE subject_type = 'prescription'") == 0)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM audit_log WHERE resource_type = 'prescription'") == 0)
        }
    }

    @Test("a controlled drug is drafted with its finding, but no override is taken and it is never signed")
    func controlledDrug() async throws {
        try await withApp { app in
            let (consultation, _, doctor) = try await app.anAcceptedConsultation()
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor,
                                           json: Self.draft([anItem(Shelf.diazepam, dose: 2.5)]))
            #expect(draft.status == .created)
            let id = try #require(draft.string("id"))
            let finding = try #require((draft.json["findings"] as? [[String: Any]])?.first { $0["rule"] as? String == "controlled" })
            #expect(finding["severity"] as? String == "contraindicated")
            let override = try await app.send(.post, "/api/v1/prescriptions/\(id)/overrides", token: doctor, json: [
                "rule": "controlled", "drugIds": [Shelf.diazepam.text], "reason": "患者长期服用",
            ])
            #expect(override.status == .unprocessableContent)
            #expect(override.errorCode == "override_not_allowed")
            let sign = try await app.send(.post, "/api/v1/prescriptions/\(id)/sign", token: doctor)
            #expect(sign.status == .unprocessableContent)
            #expect(sign.errorCode == "controlled_drug_online")
            #expect(try await app.send(.get, "/api/v1/prescriptions/\(id)", token: doctor).string("state") == "draft")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM domain_events WHERE kind = 'prescription.signed'") == 0)
        }
    }

    @Test("another doctor cannot sign, override or void a prescription, nor draft in a consultation not theirs")
    func otherDoctor() async throws {
        try await withApp { app in
            let (consultation, _, doctor) = try await app.anAcceptedConsultation()
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor,
                                           json: Self.draft([anItem(Shelf.amlodipine, dose: 5)]))
            let id = try #require(draft.string("id"))
            let colleague = try await app.signIn("13900000002")
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(id)/sign", token: colleague).status == .notFound)
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(id)/void", token: colleague).status == .notFound)
            #expect(try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: colleague,
                                       json: Self.draft([anItem(Shelf.amlodipine, dose: 5)])).status == .notFound)
            let patient = try await app.signIn(Demo.patientPhone)
            let forbidden = try await app.send(.post, "/api/v1/prescriptions/\(id)/sign", token: patient)
            #expect(forbidden.status == .forbidden)
            #expect(try await app.auditCount(action: "prescription.write", outcome: .denied) == 1)
            #expect(try await app.send(.get, "/api/v1/prescriptions/\(id)", token: doctor).string("state") == "draft")
        }
    }

    @Test("a rejection needs its reason and text; a pharmacist reviews only what is signed")
    func badReviews() async throws {
        try await withApp { app in
            let (consultation, _, doctor) = try await app.anAcceptedConsultation()
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor,
                                           json: Self.draft([anItem(Shelf.amlodipine, dose: 5)]))
            let id = try #require(draft.string("id"))
            let pharmacist = try await app.signIn(PrescriptionFlowTests.reviewer)
            // A draft is not the pharmacist's to know of.
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(id)/review", token: pharmacist,
                                       json: ["decision": "approve"]).status == .notFound)
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(id)/sign", token: doctor).status == .ok)
            let noReason = try await app.send(.post, "/api/v1/prescriptions/\(id)/review", token: pharmacist, json: ["decision": "reject"])
            #expect(noReason.status == .badRequest)
            #expect(noReason.errorCode == "invalid_request")
            let unknown = try await app.send(.post, "/api/v1/prescriptions/\(id)/review", token: pharmacist, json: ["decision": "maybe"])
            #expect(unknown.errorCode == "invalid_request")
            #expect(try await app.send(.get, "/api/v1/prescriptions/\(id)", token: doctor).string("state") == "signed")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM domain_events WHERE kind LIKE 'prescription.%'") == 2)
        }
    }
}
