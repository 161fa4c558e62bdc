import Foundation
import MedLoopDomain
import SQLKit

/// A prescription a regulator may trace, as a search lists it.
public struct TraceSummary: Sendable, Equatable {
    public var prescriptionId: UUID
    public var state: PrescriptionState
    public var patientId: UUID
    public var doctorAccountId: UUID
    public var institutionId: UUID
    public var region: RegionCode
    public var diagnosis: String
    public var createdAt: Date
}

/// How a regulator looks for prescriptions to trace.
public enum TraceQuery: Sendable, Equatable {
    /// The prescription a dispensed traceability code went out on.
    case code(String)
    case patient(UUID)
    /// The prescribing doctor's account.
    case doctor(UUID)
}

/// Full-process traces and the provincial daily report (issue 20, parts 5 and 9).
public struct TraceStore: Sendable {
    let database: Database
    let audit: AuditStore

    public init(database: Database, audit: AuditStore) {
        self.database = database
        self.audit = audit
    }

    /// The region a prescription belongs to (its prescribing institution's), or nil when there is
    /// no such prescription.
    public func region(of prescription: UUID) async throws -> (region: RegionCode, patientId: UUID)? {
        try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT i.region_code, p.patient_id FROM prescriptions p JOIN institutions i ON i.id = p.institution_id
                WHERE p.id = \(bind: prescription.text)
                """).first() else { return nil }
            return (try RegionCode(try row.text("region_code")), try row.uuid("patient_id"))
        }
    }

    /// The whole chain of prescription `id`, read from the tables and checked: the signatures
    /// against the registered keys, each trail entry in place, and the audit log between the
    /// first and the last trail entry. Nil when there is no such prescription.
    public func trace(_ id: UUID) async throws -> PrescriptionTrace? {
        try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT p.*, i.region_code FROM prescriptions p JOIN institutions i ON i.id = p.institution_id
                WHERE p.id = \(bind: id.text)
                """).first() else { return nil }
            let prescription = try await Self.prescription(row, in: sql)
            guard let consultationRow = try await sql.raw("""
                SELECT * FROM consultations WHERE id = \(bind: try row.text("consultation_id"))
                """).first() else { throw StoredValueError(column: "consultation_id", value: "missing") }
            let messages = try await sql.raw("""
                SELECT COUNT(*) AS n FROM consultation_messages WHERE consultation_id = \(bind: try row.text("consultation_id"))
                """).first()?.int64("n") ?? 0
            let consultation = PrescriptionTrace.Consultation(
                id: try consultationRow.uuid("id"), service: try consultationRow.text("service"),
                state: try consultationRow.text("state"), queuedAt: try consultationRow.instant("queued_at"),
                acceptedAt: try consultationRow.optionalInstant("accepted_at"),
                completedAt: try consultationRow.optionalInstant("completed_at"), messageCount: Int(messages),
                diagnosis: try consultationRow.optionalText("diagnosis_icd10"))
            let review: PrescriptionTrace.Review? = try {
                guard let reviewer = try row.optionalUUID("reviewer_account_id"), let at = try row.optionalInstant("reviewed_at") else {
                    return nil
                }
                let rejection = try row.optionalText("rejection_reason")
                return PrescriptionTrace.Review(pharmacistAccountId: reviewer, verdict: rejection == nil ? "approved" : "rejected",
                                                rejectionReason: rejection, at: at)
            }()
            let order = try await Self.order(of: id, in: sql)
            var settlement: PrescriptionTrace.Settlement?
            if let order, let settled = try await sql.raw("""
                SELECT * FROM settlements WHERE medicine_order_id = \(bind: order.id.text) AND kind = 'settlement'
                ORDER BY created_at DESC LIMIT 1
                """).first() {
                settlement = PrescriptionTrace.Settlement(
                    id: try settled.uuid("id"), region: try settled.text("region"), scheme: try settled.text("scheme"),
                    totalFen: try settled.int64("total_fen"), fundFen: try settled.int64("fund_fen"),
                    personalAccountFen: try settled.int64("personal_account_fen"), selfPayFen: try settled.int64("cash_fen"),
                    at: try settled.instant("created_at"))
            }
            let (trail, chainBreak) = try await Self.trail(of: id, in: sql)
            return PrescriptionTrace(consultation: consultation, prescription: prescription, review: review, order: order,
                                     settlement: settlement, trail: trail, auditChainBreak: chainBreak)
        }
    }

    /// Prescriptions matching `query`, newest first, a page at a time, within the region prefix
    /// `prefix` when given (a regulator's region).
    public func find(_ query: TraceQuery, prefix: String?, limit: Int, cursor: String?) async throws -> Page<TraceSummary> {
        let before = try cursor.map { try Cursor.decode($0) }
        return try await database.read { sql in
            var statement: SQLQueryString = """
                SELECT p.id, p.state, p.patient_id, p.doctor_account_id, p.institution_id, p.diagnosis_icd10, p.created_at,
                       i.region_code
                FROM prescriptions p JOIN institutions i ON i.id = p.institution_id WHERE
                """
            switch query {
            case .code(let code):
                statement += """
                     p.id IN (SELECT o.prescription_id FROM dispensed_codes d JOIN medicine_orders o ON o.id = d.order_id
                             WHERE d.code = \(bind: code))
                    """
            case .patient(let patient): statement += " p.patient_id = \(bind: patient.text)"
            case .doctor(let doctor): statement += " p.doctor_account_id = \(bind: doctor.text)"
            }
            if let before { statement += " AND p.id < \(bind: before)" }
            if let prefix { statement += " AND i.region_code LIKE \(bind: prefix + "%")" }
            statement += " ORDER BY p.id DESC LIMIT \(literal: limit + 1)"
            let rows = try await sql.raw(statement).all()
            let items = try rows.prefix(limit).map { row in
                TraceSummary(prescriptionId: try row.uuid("id"), state: try row.value("state", as: PrescriptionState.self),
                             patientId: try row.uuid("patient_id"), doctorAccountId: try row.uuid("doctor_account_id"),
                             institutionId: try row.uuid("institution_id"), region: try RegionCode(try row.text("region_code")),
                             diagnosis: try row.text("diagnosis_icd10"), createdAt: try row.instant("created_at"))
            }
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { Cursor.encode($0.prescriptionId.text) } : nil)
        }
    }

    /// Entries of the audit log that touched a patient's data, newest first: who, when, from
    /// where, which action; filtered by patient, reader and time.
    public func accessLog(patient: UUID?, actor: UUID?, from: Date?, to: Date?, readersIn regionPrefix: String?, limit: Int,
                          cursor: String?) async throws -> Page<AuditEntry> {
        var conditions: [SQLQueryString] = ["patient_id IS NOT NULL"]
        if let regionPrefix {
            // A regulator sees the reads made by staff of institutions in its region.
            conditions.append("""
                actor_account_id IN (SELECT a.id FROM accounts a JOIN institutions i ON i.id = a.institution_id
                                     WHERE i.region_code LIKE \(bind: regionPrefix + "%"))
                """)
        }
        if let patient { conditions.append("patient_id = \(bind: patient.text)") }
        if let actor { conditions.append("actor_account_id = \(bind: actor.text)") }
        if let from { conditions.append("at >= \(bind: from.epochMillis)") }
        if let to { conditions.append("at < \(bind: to.epochMillis)") }
        if let cursor {
            guard let before = Int64(try Cursor.decode(cursor)) else {
                throw DomainError.invalidField("cursor", code: "invalid", "The cursor is not one this server gave out.")
            }
            conditions.append("sequence < \(bind: before)")
        }
        let statement: SQLQueryString = "SELECT * FROM audit_log WHERE " + conditions.joined(separator: " AND ")
            + " ORDER BY sequence DESC LIMIT \(literal: limit + 1)"
        let entries = try await database.read { sql in try await sql.raw(statement).all().map(AuditStore.entry(from:)) }
        let next = entries.count > limit ? entries[limit - 1].sequence : nil
        return Page(items: Array(entries.prefix(limit)), nextCursor: next.map { Cursor.encode(String($0)) })
    }

    // MARK: Reading the parts

    private static func prescription(_ row: any SQLRow, in sql: any SQLDatabase) async throws -> PrescriptionTrace.Prescription {
        let id = try row.uuid("id")
        let items = try await sql.raw("""
            SELECT i.drug_id, i.quantity, i.days, d.generic_name_zh, d.generic_name_en
            FROM prescription_items i LEFT JOIN drugs d ON d.id = i.drug_id
            WHERE i.prescription_id = \(bind: id.text) ORDER BY i.position
            """).all().map { item in
                PrescriptionTrace.Item(drugId: try item.uuid("drug_id"), nameZh: try item.optionalText("generic_name_zh"),
                                       nameEn: try item.optionalText("generic_name_en"),
                                       quantity: try item.decode(column: "quantity", as: Int.self),
                                       days: try item.decode(column: "days", as: Int.self))
            }
        let decoder = JSONDecoder()
        var problems: [String]?
        if let document = try row.optionalText("document") {
            var signatures: [DocumentSignature] = []
            for column in ["doctor_signature", "review_signature"] {
                if let text = try row.optionalText(column) {
                    signatures.append(try decoder.decode(DocumentSignature.self, from: Data(text.utf8)))
                }
            }
            var keys: [UUID: String] = [:]
            if !signatures.isEmpty {
                for key in try await sql.raw("""
                    SELECT account_id, public_key FROM signing_keys WHERE account_id IN (\(binds: signatures.map(\.accountId.text)))
                    """).all() {
                    keys[try key.uuid("account_id")] = try key.text("public_key")
                }
            }
            problems = SignedPrescription(prescriptionId: id, document: document, reviewDocument: try row.optionalText("review_document"),
                                          signatures: signatures).problems(registeredKeys: keys)
        }
        return PrescriptionTrace.Prescription(
            id: id, state: try row.value("state", as: PrescriptionState.self), patientId: try row.uuid("patient_id"),
            doctorAccountId: try row.uuid("doctor_account_id"), institutionId: try row.uuid("institution_id"),
            region: try row.text("region_code"), diagnosis: try row.text("diagnosis_icd10"), createdAt: try row.instant("created_at"),
            signedAt: try row.optionalInstant("signed_at"), documentHash: try row.optionalText("document_hash"), items: items,
            findings: try decoder.decode([Finding].self, from: Data(try row.text("findings").utf8)),
            overrides: try decoder.decode([FindingOverride].self, from: Data(try row.text("overrides").utf8)),
            signatureProblems: problems)
    }

    /// Every order of the prescription, latest first (`medicine_orders_by_prescription`).
    static func ordersQuery(of prescription: UUID) -> SQLQueryString {
        "SELECT * FROM medicine_orders WHERE prescription_id = \(bind: prescription.text) ORDER BY created_at DESC"
    }

    /// The order that fills the prescription: the live one, or else the latest that ran out.
    private static func order(of prescription: UUID, in sql: any SQLDatabase) async throws -> PrescriptionTrace.Order? {
        let rows = try await sql.raw(ordersQuery(of: prescription)).all()
        let ended: Set<String> = ["expired", "cancelled", "refunded"]
        guard let row = try rows.first(where: { !ended.contains(try $0.text("state")) }) ?? rows.first else { return nil }
        let id = try row.text("id")
        let codes = try await sql.raw("""
            SELECT code, drug_id, dispensed_at FROM dispensed_codes WHERE order_id = \(bind: id) ORDER BY code
            """).all().map { code in
                PrescriptionTrace.DispensedCode(code: try code.text("code"), drugId: try code.uuid("drug_id"),
                                                at: try code.instant("dispensed_at"))
            }
        let steps = try await sql.raw("""
            SELECT status, at FROM delivery_updates WHERE order_id = \(bind: id) ORDER BY at, id
            """).all().map { step in PrescriptionTrace.DeliveryStep(status: try step.text("status"), at: try step.instant("at")) }
        return PrescriptionTrace.Order(
            id: try row.uuid("id"), pharmacyId: try row.uuid("pharmacy_id"), mode: try row.value("mode", as: FulfilmentMode.self),
            state: try row.value("state", as: MedicineOrderState.self), totalFen: try row.int64("total_fen"),
            reservedAt: try row.instant("created_at"), paidAt: try row.optionalInstant("paid_at"),
            dispensedAt: try row.optionalInstant("dispensed_at"), deliveredAt: try row.optionalInstant("delivered_at"),
            receivedAt: try row.optionalInstant("received_at"), codes: codes, deliverySteps: steps)
    }

    /// The trail entries of the prescription, each checked in place, and the first break of the
    /// audit chain from the first trail entry to the last (nil when whole).
    private static func trail(of prescription: UUID, in sql: any SQLDatabase) async throws
        -> (trail: [PrescriptionTrace.TrailStep], chainBreak: Int64?) {
        let entries = try await sql.raw("""
            SELECT * FROM audit_log WHERE resource_type = 'prescription' AND resource_id = \(bind: prescription.text)
              AND detail IS NOT NULL ORDER BY sequence
            """).all().map(AuditStore.entry(from:))
        guard let first = entries.first, let last = entries.last else { return ([], nil) }
        var steps: [PrescriptionTrace.TrailStep] = []
        for entry in entries {
            let neighbours = try await sql.raw("""
                SELECT * FROM audit_log WHERE sequence IN (\(bind: entry.sequence - 1), \(bind: entry.sequence + 1))
                """).all().map(AuditStore.entry(from:))
            let holds = AuditChain.holds(entry, after: neighbours.first { $0.sequence == entry.sequence - 1 },
                                         before: neighbours.first { $0.sequence == entry.sequence + 1 })
            steps.append(PrescriptionTrace.TrailStep(
                sequence: entry.sequence, at: entry.at, event: String(entry.action.dropFirst("prescription.".count)),
                actorAccountId: entry.actorAccountId, actorRole: entry.actorRole, hash: entry.hash, verifies: holds))
        }
        // The stretch of the log the prescription lived through, in batches: nothing in it was
        // edited, removed or inserted.
        var previous = first.previousHash
        var after = first.sequence - 1
        while after < last.sequence {
            let start = after
            let batch = try await sql.raw("""
                SELECT * FROM audit_log WHERE sequence > \(bind: start) AND sequence <= \(bind: last.sequence)
                ORDER BY sequence LIMIT 1000
                """).all().map(AuditStore.entry(from:))
            guard let end = batch.last, batch.first?.sequence == start + 1 else { return (steps, start + 1) }
            if let broken = AuditChain.firstBreak(in: batch, after: previous) { return (steps, broken) }
            previous = end.hash
            after = end.sequence
        }
        return (steps, nil)
    }
}
