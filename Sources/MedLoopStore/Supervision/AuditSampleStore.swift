import Foundation
import MedLoopDomain
import SQLKit

/// Random prescription audit samples, their assignments and verdicts (issue 20, part 4).
public struct AuditSampleStore: Sendable {
    let database: Database
    let audit: AuditStore

    public init(database: Database, audit: AuditStore) {
        self.database = database
        self.audit = audit
    }

    /// The most prescriptions one draw reads; a wider population is narrowed first.
    public static let maximumPopulation = 200_000

    /// The prescription states a sample draws from: signed by the doctor and not withdrawn or
    /// rejected (waiting for review, in effect, dispensed, or run out).
    static let sampledStates: [PrescriptionState] = [.signed, .approved, .dispensed, .expired]

    // MARK: Drawing

    /// What a draw reads of the prescriptions, before its unit of work: the population's size and
    /// the drawn prescriptions, in drawing order, each with its prescriber. A city's period can
    /// hold up to `maximumPopulation` prescriptions, and on SQLite every write of the city would
    /// wait while the one writer read them; signed prescriptions keep their prescriber, so the
    /// draw is the same read before or inside the unit.
    public struct DrawnPrescriptions: Sendable {
        let population: Int
        let drawn: [(prescription: UUID, doctor: UUID, facts: AuditItemFacts)]
    }

    /// Reads the population of `request` in `regionPrefix` and draws from it by the request's seed.
    ///
    /// - Throws: 422 `sample_larger_than_population` or `population_too_large`.
    public func population(_ request: AuditSampleRequest, regionPrefix: String?) async throws -> DrawnPrescriptions {
        try await database.read { sql in
            let population = try await populationIds(request, regionPrefix: regionPrefix, in: sql)
            let drawn = try AuditSampling.draw(from: population, size: request.size, seed: request.seed)
            let facts = try await prescriberFacts(drawn, in: sql)
            return DrawnPrescriptions(population: Set(population).count, drawn: try drawn.map { id in
                guard let fact = facts[id] else { throw StoredValueError(column: "prescriptions.id", value: "missing") }
                return (id, fact.doctor, fact.facts)
            })
        }
    }

    /// Stores the sample of `request` drawn as `prescriptions` (read by `population`) in
    /// `regionPrefix` (a regulator's region; `nil` for the whole platform): assigns each item to a
    /// pharmacist outside its prescriber's institutions, and stores the sample, its items and
    /// assignments with an audit entry and an event, all in one unit of work.
    ///
    /// - Throws: 422 `no_eligible_reviewer`; nothing is stored then.
    public func draw(_ request: AuditSampleRequest, _ prescriptions: DrawnPrescriptions, regionPrefix: String?, by caller: Caller,
                     context: AuditContext) async throws -> (AuditSample, [AuditSampleItem]) {
        try await database.unitOfWork { tx in
            let candidates = try await reviewers(regionPrefix: regionPrefix, in: tx.sql)
            let assigned = try AuditSampling.assign(prescriptions.drawn.map(\.facts), to: candidates, seed: request.seed)
            let sample = AuditSample(
                id: .v7(at: context.at), seed: request.seed, from: request.from, to: request.to,
                doctorAccountId: request.doctorAccountId, department: request.department, drugClass: request.drugClass,
                regionPrefix: regionPrefix ?? "", size: request.size, population: prescriptions.population,
                drawnBy: caller.accountId, createdAt: context.at)
            try await tx.sql.raw("""
                INSERT INTO audit_samples (id, seed, period_from, period_to, doctor_account_id, department, drug_class,
                                           region_prefix, size, population, drawn_by, created_at)
                VALUES (\(bind: sample.id.text), \(bind: sample.seed), \(bind: sample.from.epochMillis), \(bind: sample.to.epochMillis),
                        \(bind: sample.doctorAccountId?.text), \(bind: sample.department), \(bind: sample.drugClass),
                        \(bind: sample.regionPrefix), \(bind: sample.size), \(bind: sample.population),
                        \(bind: sample.drawnBy.text), \(bind: sample.createdAt.epochMillis))
                """).run()
            var items: [AuditSampleItem] = []
            for (position, drawn) in prescriptions.drawn.enumerated() {
                let item = AuditSampleItem(sampleId: sample.id, position: position, prescriptionId: drawn.prescription,
                                           doctorAccountId: drawn.doctor, pharmacistAccountId: assigned[position],
                                           assignedAt: context.at)
                try await tx.sql.raw("""
                    INSERT INTO audit_sample_items (sample_id, position, prescription_id, doctor_account_id,
                                                    prescriber_institutions, pharmacist_account_id, assigned_at)
                    VALUES (\(bind: sample.id.text), \(bind: position), \(bind: drawn.prescription.text), \(bind: drawn.doctor.text),
                            \(bind: Self.institutionList(drawn.facts.prescriberInstitutions)), \(bind: item.pharmacistAccountId.text),
                            \(bind: context.at.epochMillis))
                    """).run()
                items.append(item)
            }
            let detail = CanonicalJSON.text(of: ["seed": String(sample.seed), "size": String(sample.size),
                                                 "population": String(sample.population)])
            try await audit.append(AuditRecord(action: "audit_sample.draw", resourceType: "audit_sample",
                                               resourceId: sample.id.text, detail: detail), context: context, in: tx)
            try await EventStore.append(DomainEvent(id: .v7(at: context.at), kind: .auditSampleDrawn, subjectType: "audit_sample",
                                                    subjectId: sample.id, payload: detail, occurredAt: context.at), in: tx)
            return (sample, items)
        }
    }

    /// The ids of the prescriptions a request draws from, in id order; walks the signing-time
    /// index (of the doctor, when the request names one).
    func populationIds(_ request: AuditSampleRequest, regionPrefix: String?, in sql: any SQLDatabase) async throws -> [UUID] {
        let states = Self.sampledStates.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        var query: SQLQueryString = "SELECT p.id FROM prescriptions p"
        if regionPrefix != nil { query += " JOIN institutions i ON i.id = p.institution_id" }
        if request.department != nil { query += " JOIN doctors d ON d.account_id = p.doctor_account_id" }
        query += " WHERE p.signed_at >= \(bind: request.from.epochMillis) AND p.signed_at < \(bind: request.to.epochMillis)"
        query += " AND p.state IN (\(unsafeRaw: states))"
        if let doctor = request.doctorAccountId { query += " AND p.doctor_account_id = \(bind: doctor.text)" }
        if let department = request.department { query += " AND d.department = \(bind: department)" }
        if let regionPrefix { query += " AND i.region_code LIKE \(bind: regionPrefix + "%")" }
        if let drugClass = request.drugClass {
            query += """
                 AND EXISTS (SELECT 1 FROM prescription_items pi JOIN drugs g ON g.id = pi.drug_id
                             WHERE pi.prescription_id = p.id AND g.atc LIKE \(bind: drugClass + "%"))
                """
        }
        query += " LIMIT \(literal: Self.maximumPopulation + 1)"
        let rows = try await sql.raw(query).all()
        guard rows.count <= Self.maximumPopulation else {
            throw DomainError.refused(code: "population_too_large",
                                      message: "More than \(Self.maximumPopulation) prescriptions match; narrow the period or the filters.")
        }
        return try rows.map { try $0.uuid("id") }
    }

    /// The prescriber of each prescription and the institutions they belong to: the issuing
    /// internet hospital, the physical hospital behind it, the doctor's account's and directory
    /// entry's hospital.
    private func prescriberFacts(_ ids: [UUID], in sql: any SQLDatabase) async throws -> [UUID: (doctor: UUID, facts: AuditItemFacts)] {
        guard !ids.isEmpty else { return [:] }
        var query: SQLQueryString = """
            SELECT p.id, p.doctor_account_id, p.institution_id, i.physical_hospital_id,
                   a.institution_id AS account_institution_id, d.hospital_id
            FROM prescriptions p JOIN institutions i ON i.id = p.institution_id
            JOIN accounts a ON a.id = p.doctor_account_id
            LEFT JOIN doctors d ON d.account_id = p.doctor_account_id
            WHERE p.id IN (
            """
        for (index, id) in ids.enumerated() {
            if index > 0 { query += ", " }
            query += "\(bind: id.text)"
        }
        query += ")"
        var facts: [UUID: (doctor: UUID, facts: AuditItemFacts)] = [:]
        for row in try await sql.raw(query).all() {
            let id = try row.uuid("id")
            let institutions = Set([try row.optionalUUID("institution_id"), try row.optionalUUID("physical_hospital_id"),
                                    try row.optionalUUID("account_institution_id"), try row.optionalUUID("hospital_id")]
                .compactMap { $0 })
            facts[id] = (try row.uuid("doctor_account_id"), AuditItemFacts(prescriptionId: id, prescriberInstitutions: institutions))
        }
        return facts
    }

    /// The active pharmacists who may be assigned, with their institutions: of the region when
    /// one is given.
    private func reviewers(regionPrefix: String?, in sql: any SQLDatabase) async throws -> [AuditReviewer] {
        var query: SQLQueryString = """
            SELECT a.id, a.institution_id FROM accounts a JOIN institutions i ON i.id = a.institution_id
            WHERE a.role = \(bind: Role.pharmacist.rawValue) AND a.status = 'active'
            """
        if let regionPrefix { query += " AND i.region_code LIKE \(bind: regionPrefix + "%")" }
        query += " ORDER BY a.id"
        return try await sql.raw(query).all().map { AuditReviewer(accountId: try $0.uuid("id"), institutionId: try $0.uuid("institution_id")) }
    }

    // MARK: Reading

    /// A page of the samples of `regionPrefix` and the regions inside it (`nil`: every sample),
    /// newest first.
    public func samples(regionPrefix: String?, limit: Int, cursor: String?) async throws -> Page<AuditSample> {
        let after = try Cursor.instantAndId(cursor)
        return try await database.read { sql in
            var query: SQLQueryString = "SELECT * FROM audit_samples WHERE 1 = 1"
            if let regionPrefix { query += " AND region_prefix LIKE \(bind: regionPrefix + "%")" }
            if let after {
                query += " AND (created_at < \(bind: after.millis) OR (created_at = \(bind: after.millis) AND id < \(bind: after.id)))"
            }
            query += " ORDER BY created_at DESC, id DESC LIMIT \(literal: limit + 1)"
            let rows = try await sql.raw(query).all()
            let items = try rows.prefix(limit).map(Self.sample(from:))
            let next = rows.count > limit ? items.last.map { Cursor.after(millis: $0.createdAt.epochMillis, id: $0.id) } : nil
            return Page(items: items, nextCursor: next)
        }
    }

    /// A sample and its items in drawing order, if it lies in `regionPrefix` (`nil`: any).
    public func sample(_ id: UUID, regionPrefix: String?) async throws -> (AuditSample, [AuditSampleItem])? {
        try await database.read { sql in
            guard let row = try await sql.raw("SELECT * FROM audit_samples WHERE id = \(bind: id.text)").first() else { return nil }
            let sample = try Self.sample(from: row)
            if let regionPrefix, !sample.regionPrefix.hasPrefix(regionPrefix) { return nil }
            let items = try await sql.raw("""
                SELECT * FROM audit_sample_items WHERE sample_id = \(bind: id.text) ORDER BY position
                """).all().map(Self.item(from:))
            return (sample, items)
        }
    }

    /// A page of the prescriptions assigned to `pharmacist`, oldest assignment first, with what
    /// they need to judge each; `pendingOnly` leaves out those judged already.
    public func assigned(to pharmacist: UUID, pendingOnly: Bool, limit: Int, cursor: String?) async throws -> Page<AuditedPrescription> {
        let after = try Self.assignmentCursor(cursor)
        return try await database.read { sql in
            var query: SQLQueryString = "SELECT * FROM audit_sample_items WHERE pharmacist_account_id = \(bind: pharmacist.text)"
            if pendingOnly { query += " AND verdict IS NULL" }
            if let after {
                query += """
                     AND (assigned_at > \(bind: after.millis) OR (assigned_at = \(bind: after.millis)
                          AND (sample_id > \(bind: after.sample) OR (sample_id = \(bind: after.sample) AND position > \(bind: after.position)))))
                    """
            }
            query += " ORDER BY assigned_at, sample_id, position LIMIT \(literal: limit + 1)"
            let rows = try await sql.raw(query).all()
            let items = try rows.prefix(limit).map(Self.item(from:))
            var found: [AuditedPrescription] = []
            for item in items { found.append(try await audited(item, in: sql)) }
            let next = rows.count > limit ? items.last.map {
                Cursor.encode("\($0.assignedAt.epochMillis)|\($0.sampleId.text)|\($0.position)")
            } : nil
            return Page(items: found, nextCursor: next)
        }
    }

    private func audited(_ item: AuditSampleItem, in sql: any SQLDatabase) async throws -> AuditedPrescription {
        guard let row = try await sql.raw("""
            SELECT patient_id, diagnosis_icd10, state, signed_at, notes FROM prescriptions WHERE id = \(bind: item.prescriptionId.text)
            """).first() else { throw StoredValueError(column: "prescription_id", value: "missing") }
        let lines = try await sql.raw("""
            SELECT pi.drug_id, pi.dose, pi.dose_unit, pi.times_per_day, pi.route, pi.days, pi.quantity,
                   g.generic_name_zh, g.generic_name_en, g.atc
            FROM prescription_items pi JOIN drugs g ON g.id = pi.drug_id
            WHERE pi.prescription_id = \(bind: item.prescriptionId.text) ORDER BY pi.position
            """).all().map { line in
            AuditedPrescription.Line(
                drugId: try line.uuid("drug_id"), genericNameZh: try line.text("generic_name_zh"),
                genericNameEn: try line.text("generic_name_en"), atc: try line.text("atc"),
                dose: try line.decode(column: "dose", as: Double.self), doseUnit: try line.text("dose_unit"),
                timesPerDay: try line.decode(column: "times_per_day", as: Int.self), route: try line.text("route"),
                days: try line.decode(column: "days", as: Int.self), quantity: try line.decode(column: "quantity", as: Int.self))
        }
        return AuditedPrescription(item: item, patientId: try row.uuid("patient_id"), diagnosis: try row.text("diagnosis_icd10"),
                                   state: try row.value("state", as: PrescriptionState.self),
                                   signedAt: try row.optionalInstant("signed_at"), notes: try row.optionalText("notes"),
                                   lines: lines)
    }

    // MARK: Verdicts

    /// Records `pharmacist`'s verdict on one sampled prescription: only the pharmacist it was
    /// assigned to, never one of the prescriber's institution, and only once (a conditional
    /// update, so two submissions cannot both land). A refusal is audited and changes nothing.
    ///
    /// - Throws: 404 when the prescription is not in the sample or the pharmacist has no part in
    ///   the sample; 403 `reviewer_same_institution` or `audit_item_not_assigned`; 409
    ///   `audit_verdict_recorded`.
    public func recordVerdict(sample: UUID, prescription: UUID, judgement: AuditJudgement, by pharmacist: Caller,
                              context: AuditContext) async throws -> AuditSampleItem {
        do {
            return try await database.unitOfWork { tx in
                guard let row = try await tx.sql.raw("""
                    SELECT * FROM audit_sample_items WHERE sample_id = \(bind: sample.text) AND prescription_id = \(bind: prescription.text)
                    """).first() else { throw DomainError.notFound(resource: "audit sample item") }
                var item = try Self.item(from: row)
                let institutions = Self.institutionSet(try row.text("prescriber_institutions"))
                let reviewer = pharmacist.institutionId.map { AuditReviewer(accountId: pharmacist.accountId, institutionId: $0) }
                if let reviewer, !institutions.contains(reviewer.institutionId), item.pharmacistAccountId != pharmacist.accountId {
                    // Someone with no part in this sample may not learn of it.
                    let part = try await tx.sql.raw("""
                        SELECT 1 AS n FROM audit_sample_items
                        WHERE sample_id = \(bind: sample.text) AND pharmacist_account_id = \(bind: pharmacist.accountId.text) LIMIT 1
                        """).first()
                    if part == nil { throw DomainError.notFound(resource: "audit sample item") }
                }
                try AuditJudgement.checkJudge(reviewer, accountId: pharmacist.accountId, assignee: item.pharmacistAccountId,
                                              prescriberInstitutions: institutions, judged: item.verdict != nil)
                let updated = try await tx.sql.raw("""
                    UPDATE audit_sample_items SET verdict = \(bind: judgement.verdict.rawValue),
                        category = \(bind: judgement.category?.rawValue), notes = \(bind: judgement.notes),
                        judged_at = \(bind: context.at.epochMillis)
                    WHERE sample_id = \(bind: sample.text) AND prescription_id = \(bind: prescription.text)
                      AND pharmacist_account_id = \(bind: pharmacist.accountId.text) AND verdict IS NULL
                    RETURNING position
                    """).first()
                guard updated != nil else {
                    throw DomainError.conflict(code: "audit_verdict_recorded", message: "The verdict on this prescription is recorded already.")
                }
                item.verdict = judgement.verdict
                item.category = judgement.category
                item.notes = judgement.notes
                item.judgedAt = context.at
                let detail = CanonicalJSON.text(of: ["prescriptionId": prescription.text, "verdict": judgement.verdict.rawValue,
                                                     "category": judgement.category?.rawValue ?? ""])
                try await audit.append(AuditRecord(action: "audit_sample.verdict", resourceType: "audit_sample",
                                                   resourceId: sample.text, detail: detail), context: context, in: tx)
                try await EventStore.append(DomainEvent(id: .v7(at: context.at), kind: .auditVerdictRecorded,
                                                        subjectType: "audit_sample", subjectId: sample, payload: detail,
                                                        occurredAt: context.at), in: tx)
                return item
            }
        } catch let error as DomainError {
            switch error {
            case .forbidden, .notFound:
                try await audit.record(AuditRecord(action: "audit_sample.verdict", resourceType: "audit_sample",
                                                   resourceId: sample.text, outcome: .denied), context: context)
            default: break
            }
            throw error
        }
    }

    // MARK: Results

    /// Results per doctor over the samples of `regionPrefix` (`nil`: every sample), for one
    /// doctor or one sample when given: a page of `limit` doctors in the order of their account
    /// ids, after the doctor the cursor names. The page's doctors are found first, walking
    /// `audit_sample_items_by_doctor` in that order and stopping after the page, then only their
    /// items are counted.
    public func results(regionPrefix: String?, doctor: UUID?, sample: UUID?, limit: Int,
                        cursor: String?) async throws -> Page<DoctorAuditResult> {
        var conditions: [SQLQueryString] = []
        if let regionPrefix { conditions.append("s.region_prefix LIKE \(bind: regionPrefix + "%")") }
        if let doctor { conditions.append("t.doctor_account_id = \(bind: doctor.text)") }
        if let sample { conditions.append("t.sample_id = \(bind: sample.text)") }
        var after = conditions
        if let cursor { after.append("t.doctor_account_id > \(bind: try Cursor.decode(cursor))") }
        let from: SQLQueryString = " FROM audit_sample_items t JOIN audit_samples s ON s.id = t.sample_id WHERE 1 = 1"
        let doctors: SQLQueryString = "SELECT DISTINCT t.doctor_account_id" + from
            + after.map { " AND " + $0 }.reduce("", +)
            + " ORDER BY t.doctor_account_id LIMIT \(literal: limit + 1)"
        let query: SQLQueryString = "SELECT t.doctor_account_id, t.verdict, t.category, COUNT(*) AS n" + from
            + conditions.map { " AND " + $0 }.reduce("", +)
            + " AND t.doctor_account_id IN (" + doctors + ") GROUP BY t.doctor_account_id, t.verdict, t.category"
        let results = try await database.read { sql in
            let tallies = try await sql.raw(query).all().map { row in
                AuditTally(doctorAccountId: try row.uuid("doctor_account_id"),
                           verdict: try row.optionalValue("verdict", as: AuditVerdict.self),
                           category: try row.optionalValue("category", as: RejectionReason.self),
                           count: try row.decode(column: "n", as: Int.self))
            }
            return DoctorAuditResult.results(from: tallies)
        }
        let next = results.count > limit ? results[limit - 1].doctorAccountId.text : nil
        return Page(items: Array(results.prefix(limit)), nextCursor: next.map(Cursor.encode))
    }

    /// The judged items of `doctor`'s prescriptions, latest verdict first (at most `limit`).
    public func judged(ofDoctor doctor: UUID, limit: Int) async throws -> [AuditSampleItem] {
        try await database.read { sql in
            try await sql.raw("""
                SELECT * FROM audit_sample_items WHERE doctor_account_id = \(bind: doctor.text) AND judged_at IS NOT NULL
                ORDER BY judged_at DESC, sample_id DESC, position DESC LIMIT \(literal: limit)
                """).all().map(Self.item(from:))
        }
    }

    // MARK: Rows

    static func sample(from row: any SQLRow) throws -> AuditSample {
        AuditSample(id: try row.uuid("id"), seed: try row.int64("seed"), from: try row.instant("period_from"),
                    to: try row.instant("period_to"), doctorAccountId: try row.optionalUUID("doctor_account_id"),
                    department: try row.optionalText("department"), drugClass: try row.optionalText("drug_class"),
                    regionPrefix: try row.text("region_prefix"), size: Int(try row.int64("size")),
                    population: Int(try row.int64("population")), drawnBy: try row.uuid("drawn_by"),
                    createdAt: try row.instant("created_at"))
    }

    static func item(from row: any SQLRow) throws -> AuditSampleItem {
        AuditSampleItem(sampleId: try row.uuid("sample_id"), position: Int(try row.int64("position")),
                        prescriptionId: try row.uuid("prescription_id"), doctorAccountId: try row.uuid("doctor_account_id"),
                        pharmacistAccountId: try row.uuid("pharmacist_account_id"), assignedAt: try row.instant("assigned_at"),
                        verdict: try row.optionalValue("verdict", as: AuditVerdict.self),
                        category: try row.optionalValue("category", as: RejectionReason.self),
                        notes: try row.optionalText("notes"), judgedAt: try row.optionalInstant("judged_at"))
    }

    static func institutionList(_ institutions: Set<UUID>) -> String {
        institutions.map(\.text).sorted().joined(separator: ",")
    }

    static func institutionSet(_ text: String) -> Set<UUID> {
        Set(text.split(separator: ",").compactMap { UUID(uuidString: String($0)) })
    }

    /// The assigned time, sample and position inside an assignment cursor.
    static func assignmentCursor(_ cursor: String?) throws -> (millis: Int64, sample: String, position: Int)? {
        guard let cursor else { return nil }
        let parts = try Cursor.decode(cursor).split(separator: "|")
        guard parts.count == 3, let millis = Int64(parts[0]), let position = Int(parts[2]) else {
            throw DomainError.invalidField("cursor", code: "invalid", "The cursor is not one this server gave out.")
        }
        return (millis, String(parts[1]), position)
    }
}
