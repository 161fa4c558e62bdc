import Foundation
import HTTPTypes
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import SQLKit
import Testing

/// The demo pharmacists: of the internet hospital the tertiary hospital's doctors prescribe at
/// (the prescriber's institution), of the platform, and of a pharmacy (both outside).
private enum Pharmacists {
    static let sameInstitution = "13700000001"
    static let platform = "13700000002"
    static let pharmacy = "13700000003"
}

/// Two demo doctors of the tertiary hospital, both prescribing at its internet hospital.
private enum Prescribers {
    static let cardiologist = (phone: "13900000001", doctor: UUID.named("doctor:1"))
    static let endocrinologist = (phone: "13900000002", doctor: UUID.named("doctor:2"))
}

extension Harness {
    /// A text consultation of the first demo patient with `doctor`, following up an in-person
    /// hypertension visit, paid and accepted. Returns its id and the doctor's token.
    fileprivate func anAcceptedConsultation(with prescriber: (phone: String, doctor: UUID)) async throws -> (id: String, doctor: String) {
        let patient = try await signIn(Demo.patientPhone)
        let encounter = try await send(.post, "/api/v1/patients/\(Demo.patientId(Demo.patientPhone).text)/encounters", token: patient, json: [
            "hospitalId": DemoWorld.Institutions.tertiaryHospital.text, "date": "2026-06-01", "icd10": "I10",
        ])
        let order = try await send(.post, "/api/v1/orders", token: patient, json: [
            "doctorId": prescriber.doctor.text, "service": "textPackage", "encounterId": try #require(encounter.string("id")),
        ], headers: ConsultationRoutesTests.key())
        try #require(order.status == .created, "order: \(order.text)")
        _ = try await send(.post, "/api/v1/wallet/top-ups", token: patient, json: ["amountFen": 20_000], headers: ConsultationRoutesTests.key())
        let paid = try await send(.post, "/api/v1/orders/\(try #require(order.string("id")))/pay", token: patient,
                                  headers: ConsultationRoutesTests.key())
        let consultation = try #require(paid.string("consultationId"), "pay: \(paid.text)")
        let doctor = try await signIn(prescriber.phone)
        let accepted = try await send(.post, "/api/v1/consultations/\(consultation)/accept", token: doctor)
        try #require(accepted.status == .ok, "accept: \(accepted.text)")
        return (consultation, doctor)
    }

    /// A signed amlodipine prescription in `consultation` (any blocking finding signed over).
    fileprivate func aSignedPrescription(in consultation: String, doctor: String) async throws -> String {
        let draft = try await send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
            "diagnosis": "I10", "items": [anItem(Shelf.amlodipine, dose: 5)],
        ])
        try #require(draft.status == .created, "draft: \(draft.text)")
        let id = try #require(draft.string("id"))
        for finding in draft.json["findings"] as? [[String: Any]] ?? [] where finding["blocksSigning"] as? Bool == true {
            _ = try await send(.post, "/api/v1/prescriptions/\(id)/overrides", token: doctor, json: [
                "rule": finding["rule"] as Any, "drugIds": finding["drugIds"] as Any, "reason": "已评估，继续用药",
            ])
        }
        let signed = try await send(.post, "/api/v1/prescriptions/\(id)/sign", token: doctor)
        try #require(signed.status == .ok, "sign: \(signed.text)")
        return id.lowercased()
    }

    /// Four signed prescriptions of the cardiologist and two of the endocrinologist; returns their ids by doctor.
    fileprivate func aPopulation() async throws -> (cardiologist: [String], endocrinologist: [String]) {
        let first = try await anAcceptedConsultation(with: Prescribers.cardiologist)
        var cardiologist: [String] = []
        for _ in 0..<4 { cardiologist.append(try await aSignedPrescription(in: first.id, doctor: first.doctor)) }
        let second = try await anAcceptedConsultation(with: Prescribers.endocrinologist)
        var endocrinologist: [String] = []
        for _ in 0..<2 { endocrinologist.append(try await aSignedPrescription(in: second.id, doctor: second.doctor)) }
        return (cardiologist, endocrinologist)
    }

    /// The draw request over the last and the next day.
    fileprivate func aDraw(seed: Int, size: Int, extra: [String: Any] = [:]) -> [String: Any] {
        let now = clock.now()
        var body: [String: Any] = ["seed": seed, "size": size, "from": Timestamp.format(now.addingTimeInterval(-86_400)),
                                   "to": Timestamp.format(now.addingTimeInterval(86_400))]
        body.merge(extra) { $1 }
        return body
    }

    /// The rows of the audit sample tables: samples, items, judged items.
    fileprivate func sampleCounts() async throws -> [Int] {
        [try await count("SELECT COUNT(*) AS n FROM audit_samples"),
         try await count("SELECT COUNT(*) AS n FROM audit_sample_items"),
         try await count("SELECT COUNT(*) AS n FROM audit_sample_items WHERE verdict IS NOT NULL")]
    }
}

private func ids(_ reply: Reply) -> [String] {
    (reply.json["items"] as? [[String: Any]] ?? []).compactMap { ($0["prescriptionId"] as? String)?.lowercased() }
}

@Suite("Supervision: random prescription audits")
struct AuditSampleAppTests {
    @Test("a seeded sample is the same twice, holds only prescriptions of the period and the filters, and a larger one than the population is refused with nothing stored")
    func seededSampleIsReproducible() async throws {
        try await withApp { app in
            let population = try await app.aPopulation()
            let everyone = Set(population.cardiologist + population.endocrinologist)
            let regulator = try await app.signIn(Demo.regulatorPhone)

            let first = try await app.send(.post, "/api/v1/audit-samples", token: regulator, json: app.aDraw(seed: 20_261_202, size: 3))
            #expect(first.status == .created, "\(first.text)")
            #expect(first.json["population"] as? Int == 6)
            #expect(first.json["regionPrefix"] as? String == "3308")
            let drawn = ids(first)
            #expect(drawn.count == 3 && Set(drawn).count == 3 && Set(drawn).isSubset(of: everyone))

            let operatorToken = try await app.signIn(Demo.operatorPhone)
            let second = try await app.send(.post, "/api/v1/audit-samples", token: operatorToken, json: app.aDraw(seed: 20_261_202, size: 3))
            #expect(second.status == .created)
            #expect(ids(second) == drawn)
            let other = try await app.send(.post, "/api/v1/audit-samples", token: operatorToken, json: app.aDraw(seed: 7, size: 6))
            #expect(Set(ids(other)) == everyone)

            // Filters: one doctor, a drug class the population has, one it has not.
            let byDoctor = try await app.send(.post, "/api/v1/audit-samples", token: regulator, json: app.aDraw(
                seed: 1, size: 2, extra: ["doctorId": Demo.accountId(Prescribers.endocrinologist.phone).text]))
            #expect(Set(ids(byDoctor)) == Set(population.endocrinologist))
            let byDepartment = try await app.send(.post, "/api/v1/audit-samples", token: regulator, json: app.aDraw(
                seed: 1, size: 4, extra: ["department": "cardiology", "drugClass": "C08"]))
            #expect(Set(ids(byDepartment)) == Set(population.cardiologist))
            let before = try await app.sampleCounts()

            let tooLarge = try await app.send(.post, "/api/v1/audit-samples", token: regulator, json: app.aDraw(seed: 1, size: 7))
            #expect(tooLarge.status == .unprocessableContent)
            #expect(tooLarge.errorCode == "sample_larger_than_population")
            #expect(tooLarge.isStandardError)
            let noneOfClass = try await app.send(.post, "/api/v1/audit-samples", token: regulator, json: app.aDraw(
                seed: 1, size: 1, extra: ["drugClass": "J01"]))
            #expect(noneOfClass.errorCode == "sample_larger_than_population")
            let badInput = try await app.send(.post, "/api/v1/audit-samples", token: regulator, json: app.aDraw(
                seed: -3, size: 0, extra: ["drugClass": "8X"]))
            #expect(badInput.status == .badRequest)
            #expect(Set(badInput.errorFields) == ["seed", "size", "drugClass"])
            #expect(try await app.sampleCounts() == before)

            // Who may draw: not a pharmacist, not a doctor (audited).
            let pharmacist = try await app.signIn(Pharmacists.platform)
            #expect(try await app.send(.post, "/api/v1/audit-samples", token: pharmacist, json: app.aDraw(seed: 1, size: 1)).status == .forbidden)
            #expect(try await app.sampleCounts() == before)

            // Read back: the list and one sample with its assignments.
            let list = try await app.send(.get, "/api/v1/audit-samples", token: regulator)
            #expect(list.items.count == 3)   // the regulator's; the operator's platform-wide ones are not its own region's
            let shown = try await app.send(.get, "/api/v1/audit-samples/\(try #require(first.string("id")))", token: regulator)
            #expect(ids(shown) == drawn)
            #expect(try await app.send(.get, "/api/v1/audit-samples/\(try #require(second.string("id")))", token: regulator).status == .notFound)
            #expect(try await app.send(.get, "/api/v1/audit-samples", token: operatorToken).items.count == 5)

            // With an Idempotency-Key the draw is answered once.
            let key = ConsultationRoutesTests.key()
            // The same bytes twice (a dictionary's key order is not fixed from one serialisation to the next).
            let raw = String(decoding: try JSONSerialization.data(withJSONObject: app.aDraw(seed: 5, size: 2)), as: UTF8.self)
            let once = try await app.send(.post, "/api/v1/audit-samples", token: operatorToken, raw: raw, headers: key)
            let again = try await app.send(.post, "/api/v1/audit-samples", token: operatorToken, raw: raw, headers: key)
            #expect(once.status == .created && again.status == .created, "\(again.text)")
            #expect(once.string("id") == again.string("id"))
            #expect(try await app.count("SELECT COUNT(*) AS n FROM audit_samples") == before[0] + 1)
        }
    }

    @Test("the assigned pharmacist records a verdict once; one of the prescriber's institution, one outside the sample and one assigned elsewhere are refused, audited, nothing changed")
    func verdicts() async throws {
        try await withApp { app in
            let population = try await app.aPopulation()
            let operatorToken = try await app.signIn(Demo.operatorPhone)
            let drawn = try await app.send(.post, "/api/v1/audit-samples", token: operatorToken, json: app.aDraw(seed: 11, size: 6))
            #expect(drawn.status == .created, "\(drawn.text)")
            let sample = try #require(drawn.string("id"))
            let items = drawn.json["items"] as? [[String: Any]] ?? []
            #expect(items.count == 6)
            let platform = Demo.accountId(Pharmacists.platform).text
            let pharmacy = Demo.accountId(Pharmacists.pharmacy).text
            let assignees = items.compactMap { ($0["pharmacistId"] as? String)?.lowercased() }
            // Never the internet hospital's pharmacist; in turn between the two outside.
            #expect(Set(assignees) == [platform, pharmacy])
            let alternates = zip(assignees, assignees.dropFirst()).allSatisfy { $0 != $1 }
            #expect(alternates)

            let mine = try #require(items.first { ($0["pharmacistId"] as? String)?.lowercased() == platform })
            let target = try #require((mine["prescriptionId"] as? String)?.lowercased())
            let path = "/api/v1/audit-samples/\(sample)/items/\(target)/verdict"
            let before = try await app.sampleCounts()

            // A pharmacist of the prescriber's own institution.
            let same = try await app.signIn(Pharmacists.sameInstitution)
            let refused = try await app.send(.post, path, token: same, json: ["verdict": "appropriate"])
            #expect(refused.status == .forbidden)
            #expect(refused.errorCode == "reviewer_same_institution")
            // The other outside pharmacist, who has items of this sample but not this one.
            let elsewhere = try await app.signIn(Pharmacists.pharmacy)
            let notAssigned = try await app.send(.post, path, token: elsewhere, json: ["verdict": "appropriate"])
            #expect(notAssigned.status == .forbidden)
            #expect(notAssigned.errorCode == "audit_item_not_assigned")
            // A pharmacist created after the draw, with no part in the sample: it does not exist for them.
            let created = try await app.send(.post, "/api/v1/accounts", token: operatorToken, json: [
                "role": "pharmacist", "phone": "13700000009", "password": "medloop-demo", "displayName": "新药师",
                "institutionId": DemoWorld.Institutions.pharmacies[1].text,
            ])
            #expect(created.status == .created, "\(created.text)")
            let outsider = try await app.signIn("13700000009")
            #expect(try await app.send(.post, path, token: outsider, json: ["verdict": "appropriate"]).status == .notFound)
            #expect(try await app.send(.get, "/api/v1/audit-samples/assigned", token: outsider).items.isEmpty)
            // A doctor or a regulator does not judge.
            let regulator = try await app.signIn(Demo.regulatorPhone)
            #expect(try await app.send(.post, path, token: regulator, json: ["verdict": "appropriate"]).status == .forbidden)
            // Bad verdicts.
            let assigned = try await app.signIn(Pharmacists.platform)
            let noCategory = try await app.send(.post, path, token: assigned, json: ["verdict": "inappropriate", "notes": "剂量偏大"])
            #expect(noCategory.status == .badRequest)
            #expect(noCategory.errorFields == ["category"])
            let unknown = try await app.send(.post, path, token: assigned, json: ["verdict": "fine"])
            #expect(unknown.status == .badRequest)
            let notInSample = "/api/v1/audit-samples/\(sample)/items/\(UUID().uuidString.lowercased())/verdict"
            #expect(try await app.send(.post, notInSample, token: assigned, json: ["verdict": "appropriate"]).status == .notFound)
            #expect(try await app.sampleCounts() == before)
            // Five refusals audited: the same institution, not assigned, outside the sample, the
            // regulator (by role), and the prescription not in the sample.
            #expect(try await app.auditCount(action: "audit_sample.verdict", outcome: .denied) == 5)

            // The assigned pharmacist sees the prescription to judge, and judges it once.
            let queue = try await app.send(.get, "/api/v1/audit-samples/assigned?pending=true", token: assigned)
            #expect(Set(ids(queue)) == Set(items.filter { ($0["pharmacistId"] as? String)?.lowercased() == platform }
                .compactMap { ($0["prescriptionId"] as? String)?.lowercased() }))
            let queued = try #require((queue.json["items"] as? [[String: Any]])?.first { ($0["prescriptionId"] as? String)?.lowercased() == target })
            #expect(queued["diagnosis"] as? String == "I10")
            #expect(((queued["items"] as? [[String: Any]])?.first?["atc"] as? String)?.hasPrefix("C08") == true)
            let judged = try await app.send(.post, path, token: assigned, json: [
                "verdict": "inappropriate", "category": "dose", "notes": "氨氯地平起始剂量可减半",
            ])
            #expect(judged.status == .ok, "\(judged.text)")
            #expect(judged.string("verdict") == "inappropriate")
            #expect(judged.string("category") == "dose")
            let twice = try await app.send(.post, path, token: assigned, json: ["verdict": "appropriate"])
            #expect(twice.status == .conflict)
            #expect(twice.errorCode == "audit_verdict_recorded")
            #expect(try await app.sampleCounts() == [before[0], before[1], before[2] + 1])
            #expect(try await app.count("SELECT COUNT(*) AS n FROM domain_events WHERE kind = 'supervision.audit_sample.verdict_recorded'") == 1)
            #expect(try await app.send(.get, "/api/v1/audit-samples/assigned?pending=true", token: assigned).items.count == queue.items.count - 1)
            _ = population
        }
    }

    @Test("two verdicts sent at once on the same prescription: one is recorded, the other gets 409")
    func racingVerdicts() async throws {
        try await withApp { app in
            _ = try await app.aPopulation()
            let operatorToken = try await app.signIn(Demo.operatorPhone)
            let drawn = try await app.send(.post, "/api/v1/audit-samples", token: operatorToken, json: app.aDraw(seed: 2, size: 1))
            let sample = try #require(drawn.string("id"))
            let item = try #require((drawn.json["items"] as? [[String: Any]])?.first)
            let prescription = try #require(item["prescriptionId"] as? String)
            let pharmacist = (item["pharmacistId"] as? String)?.lowercased() == Demo.accountId(Pharmacists.platform).text
                ? Pharmacists.platform : Pharmacists.pharmacy
            let token = try await app.signIn(pharmacist)
            let path = "/api/v1/audit-samples/\(sample)/items/\(prescription)/verdict"
            async let first = app.send(.post, path, token: token, json: ["verdict": "appropriate"])
            async let second = app.send(.post, path, token: token, json: [
                "verdict": "inappropriate", "category": "indication", "notes": "诊断与用药不符",
            ])
            let statuses = [try await first.status.code, try await second.status.code].sorted()
            #expect(statuses == [200, 409])
            #expect(try await app.count("SELECT COUNT(*) AS n FROM audit_sample_items WHERE verdict IS NOT NULL") == 1)
        }
    }

    @Test("results per doctor count the verdicts and the rate; a doctor sees their own results only")
    func resultsPerDoctor() async throws {
        try await withApp { app in
            let population = try await app.aPopulation()
            let operatorToken = try await app.signIn(Demo.operatorPhone)
            let drawn = try await app.send(.post, "/api/v1/audit-samples", token: operatorToken, json: app.aDraw(seed: 3, size: 6))
            let sample = try #require(drawn.string("id"))
            let tokens = [Demo.accountId(Pharmacists.platform).text: try await app.signIn(Pharmacists.platform),
                          Demo.accountId(Pharmacists.pharmacy).text: try await app.signIn(Pharmacists.pharmacy)]
            // Every cardiologist's prescription is judged: one inappropriate (supply), the rest appropriate;
            // the endocrinologist's first is appropriate, the second left pending.
            let inappropriate = population.cardiologist[0]
            for item in drawn.json["items"] as? [[String: Any]] ?? [] {
                let prescription = try #require((item["prescriptionId"] as? String)?.lowercased())
                guard prescription != population.endocrinologist[1] else { continue }
                let assignee = try #require((item["pharmacistId"] as? String)?.lowercased())
                let token = try #require(tokens[assignee])
                let body: [String: Any] = prescription == inappropriate
                    ? ["verdict": "inappropriate", "category": "supply", "notes": "疗程超出慢病长处方范围"]
                    : ["verdict": "appropriate", "notes": ""]
                let judged = try await app.send(.post, "/api/v1/audit-samples/\(sample)/items/\(prescription)/verdict", token: token, json: body)
                #expect(judged.status == .ok, "\(judged.text)")
            }
            let cardiologist = Demo.accountId(Prescribers.cardiologist.phone).text
            let endocrinologist = Demo.accountId(Prescribers.endocrinologist.phone).text

            let regulator = try await app.signIn(Demo.regulatorPhone)
            // The operator's platform-wide sample is not the regulator's region's: it sees none.
            #expect(try await app.send(.get, "/api/v1/audit-samples/results", token: regulator).items.isEmpty)
            let all = try await app.send(.get, "/api/v1/audit-samples/results", token: operatorToken)
            let byDoctor = Dictionary(uniqueKeysWithValues: all.items.map { (($0["doctorId"] as? String ?? "").lowercased(), $0) })
            let first = try #require(byDoctor[cardiologist])
            #expect(first["sampled"] as? Int == 4 && first["judged"] as? Int == 4)
            #expect(first["appropriate"] as? Int == 3 && first["inappropriate"] as? Int == 1)
            #expect(first["inappropriateRateBasisPoints"] as? Int == 2500)
            #expect((first["byCategory"] as? [String: Int]) == ["supply": 1])
            let second = try #require(byDoctor[endocrinologist])
            #expect(second["sampled"] as? Int == 2 && second["judged"] as? Int == 1 && second["inappropriateRateBasisPoints"] as? Int == 0)
            // A page of one doctor at a time, in the order of their account ids, until no cursor is left.
            let firstPage = try await app.send(.get, "/api/v1/audit-samples/results?limit=1", token: operatorToken)
            let cursor = try #require(firstPage.string("nextCursor"))
            let secondPage = try await app.send(.get, "/api/v1/audit-samples/results?limit=1&cursor=\(cursor)", token: operatorToken)
            #expect(secondPage.string("nextCursor") == nil)
            let paged = (firstPage.items + secondPage.items).map { ($0["doctorId"] as? String ?? "").lowercased() }
            #expect(paged == [cardiologist, endocrinologist].sorted())
            #expect(try await app.send(.get, "/api/v1/audit-samples/results?limit=0", token: operatorToken).status == .badRequest)
            #expect(try await app.send(.get, "/api/v1/audit-samples/results?limit=101", token: operatorToken).status == .badRequest)
            #expect(try await app.send(.get, "/api/v1/audit-samples/results?cursor=%21%21", token: operatorToken).status == .badRequest)
            let one = try await app.send(.get, "/api/v1/audit-samples/results?doctor=\(endocrinologist)", token: operatorToken)
            #expect(one.items.count == 1)
            #expect(try await app.send(.get, "/api/v1/audit-samples/results?doctor=nope", token: operatorToken).status == .badRequest)

            // The doctors: each their own.
            let cardiologistToken = try await app.signIn(Prescribers.cardiologist.phone)
            let own = try await app.send(.get, "/api/v1/doctors/me/audit-results", token: cardiologistToken)
            #expect(own.status == .ok)
            let result = try #require(own.json["result"] as? [String: Any])
            #expect((result["doctorId"] as? String)?.lowercased() == cardiologist)
            #expect(result["inappropriate"] as? Int == 1)
            let verdicts = own.json["items"] as? [[String: Any]] ?? []
            #expect(Set(verdicts.compactMap { ($0["prescriptionId"] as? String)?.lowercased() }) == Set(population.cardiologist))
            let anonymous = verdicts.allSatisfy { $0["pharmacistId"] == nil }
            #expect(anonymous)
            let endocrinologistToken = try await app.signIn(Prescribers.endocrinologist.phone)
            let theirs = try await app.send(.get, "/api/v1/doctors/me/audit-results", token: endocrinologistToken)
            #expect((theirs.json["items"] as? [[String: Any]])?.compactMap { ($0["prescriptionId"] as? String)?.lowercased() }
                == [population.endocrinologist[0]])
            // A doctor reads neither the samples nor the others' results.
            #expect(try await app.send(.get, "/api/v1/audit-samples/results", token: cardiologistToken).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/audit-samples/\(sample)", token: cardiologistToken).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/doctors/me/audit-results", token: regulator).status == .forbidden)
        }
    }
}
