import Foundation
import MedLoopDomain
import SQLKit

/// What a doctor writes to draft a prescription.
public struct PrescriptionDraft: Sendable {
    public var items: [PrescriptionItemInput]
    /// The diagnosis, when the consultation has none recorded yet; it must match the recorded one.
    public var diagnosis: ICD10Code?
    public var longPrescription: LongPrescription?
    public var validDays: Int
    public var notes: String?
    /// The prescription this one corrects; it is voided when this one is drafted.
    public var replaces: UUID?

    public init(items: [PrescriptionItemInput], diagnosis: ICD10Code?, longPrescription: LongPrescription?, validDays: Int,
                notes: String?, replaces: UUID?) {
        self.items = items
        self.diagnosis = diagnosis
        self.longPrescription = longPrescription
        self.validDays = validDays
        self.notes = notes
        self.replaces = replaces
    }
}

/// E-prescriptions from draft to signature (this file), pharmacist review
/// (`PrescriptionReviews.swift`) and their hash-chained trail (`PrescriptionTrail.swift`). Every
/// move goes through `PrescriptionState.after` and a conditional update; every rule is a function
/// of `PrescriptionRules` or `ClinicalChecks`.
public struct PrescriptionStore: Sendable {
    let database: Database
    let audit: AuditStore
    let notifications: NotificationStore
    public let keys: SigningKeyStore
    public let formulary: Formulary

    public init(database: Database, audit: AuditStore, notifications: NotificationStore, keys: SigningKeyStore,
                formulary: Formulary) {
        self.database = database
        self.audit = audit
        self.notifications = notifications
        self.keys = keys
        self.formulary = formulary
    }

    /// Drafts a prescription in `consultation` by its doctor, runs the clinical checks on it and
    /// keeps their findings. The consultation must be accepted (open or completed), the diagnosis
    /// a follow-up of the prior in-person visit, the items valid and their supply allowed.
    public func draft(_ draft: PrescriptionDraft, in consultation: UUID, byDoctor doctor: UUID,
                      context: AuditContext) async throws -> Prescription {
        let items = try PrescriptionRules.items(draft.items, catalogue: formulary.catalogue)
        try PrescriptionRules.checkSupply(items, long: draft.longPrescription)
        _ = try PrescriptionRules.validUntil(issuedAt: context.at, validDays: draft.validDays)
        return try await database.unitOfWork { tx in
            // The prescriber first: a suspended doctor's consultations have been handed back too.
            try PrescriptionRules.checkPrescriber(try await qualification(of: doctor, in: tx))
            let row = try await consultationRow(consultation, doctor: doctor, in: tx)
            let diagnosis = try Self.diagnosis(recorded: try row.optionalText("diagnosis_icd10"), written: draft.diagnosis)
            let priorVisit = try await priorVisit(of: row, in: tx)
            try PrescriptionRules.checkFollowUp(diagnosis: diagnosis, priorVisit: priorVisit)
            try PrescriptionRules.checkLongPrescription(draft.longPrescription, diagnosis: diagnosis)
            let patientId = try row.uuid("patient_id")
            if let replaced = draft.replaces {
                try await void(replaced, byDoctor: doctor, inConsultation: consultation, context: context, in: tx)
            }
            let facts = try await patientFacts(patientId, at: context.at, in: tx.sql)
            let prescription = Prescription(
                id: .v7(at: context.at), consultationId: consultation, patientId: patientId, doctorAccountId: doctor,
                institutionId: try await issuingInstitution(site: try row.optionalUUID("site_id"), doctor: try row.uuid("doctor_id"), in: tx),
                diagnosis: diagnosis,
                state: .draft, items: items, longPrescription: draft.longPrescription, validDays: draft.validDays,
                notes: draft.notes, findings: formulary.checks.findings(for: items.map(\.checkItem), patient: facts),
                overrides: [], createdAt: context.at, replacesId: draft.replaces)
            try await insert(prescription, in: tx)
            try await trail(.drafted, prescription, detail: ["items": String(items.count), "replaces": draft.replaces?.text],
                            context: context, in: tx)
            try await EventStore.append(.prescription(.prescriptionDrafted, prescription.id, state: .draft, at: context.at), in: tx)
            return prescription
        }
    }

    /// Records the doctor's written reason for signing over one finding of their draft.
    public func override(_ id: UUID, finding: FindingKey, reason: String, byDoctor doctor: UUID,
                         context: AuditContext) async throws -> Prescription {
        try await database.unitOfWork { tx in
            var prescription = try await owned(id, byDoctor: doctor, in: tx)
            guard prescription.state == .draft else {
                throw DomainError.conflict(code: PrescriptionState.conflictCode, message: "Only a draft takes overrides.")
            }
            // The findings as the patient's record stands now (an allergy or a medication may have
            // been added since the draft), so that the doctor overrides what signing will check.
            let facts = try await patientFacts(prescription.patientId, at: context.at, in: tx.sql)
            prescription.findings = formulary.checks.findings(for: prescription.items.map(\.checkItem), patient: facts)
            try PrescriptionRules.checkOverride(finding, reason: reason, findings: prescription.findings)
            prescription.overrides.removeAll { $0.key == finding }
            prescription.overrides.append(FindingOverride(finding, reason: reason.trimmingCharacters(in: .whitespacesAndNewlines)))
            let updated = try await tx.sql.raw("""
                UPDATE prescriptions SET overrides = \(bind: CanonicalJSON.text(of: prescription.overrides)),
                    findings = \(bind: CanonicalJSON.text(of: prescription.findings)), updated_at = \(bind: context.at.epochMillis)
                WHERE id = \(bind: id.text) AND state = \(bind: PrescriptionState.draft.rawValue) RETURNING id
                """).first()
            guard updated != nil else {
                throw DomainError.conflict(code: PrescriptionState.conflictCode, message: "It changed meanwhile; read it again.")
            }
            return prescription
        }
    }

    /// Signs the doctor's draft: the checks run again on what the patient's record says now,
    /// every blocking finding must be overridden, then the canonical document is frozen, hashed
    /// and signed with the doctor's key, and the prescription waits for a pharmacist.
    public func sign(_ id: UUID, byDoctor doctor: UUID, context: AuditContext) async throws -> Prescription {
        try await database.unitOfWork { tx in
            var prescription = try await owned(id, byDoctor: doctor, in: tx)
            try PrescriptionRules.checkPrescriber(try await qualification(of: doctor, in: tx))
            let doctorRow = try await tx.sql.raw("SELECT id, name, department FROM doctors WHERE account_id = \(bind: doctor.text)").first()
            let doctorName = try doctorRow?.text("name") ?? ""
            let facts = try await patientFacts(prescription.patientId, at: context.at, in: tx.sql)
            prescription.findings = formulary.checks.findings(for: prescription.items.map(\.checkItem), patient: facts)
            try PrescriptionRules.checkSignable(findings: prescription.findings, overrides: prescription.overrideReasons)
            try await tx.move("prescriptions", id: id, from: prescription.state, by: .sign)
            let validUntil = try PrescriptionRules.validUntil(issuedAt: context.at, validDays: prescription.validDays)
            let reasons = prescription.overrideReasons
            let document = PrescriptionDocument(
                prescriptionId: id, consultationId: prescription.consultationId, institutionId: prescription.institutionId,
                doctorAccountId: doctor, doctorName: doctorName, patientId: prescription.patientId,
                patientAgeYears: facts.ageYears, diagnosis: prescription.diagnosis, items: prescription.items,
                longPrescriptionReason: prescription.longPrescription?.reason, notes: prescription.notes,
                overrides: prescription.findings.compactMap { finding in
                    reasons[finding.key].map { PrescriptionDocument.Override(finding, reason: $0) }
                },
                issuedAt: context.at, validUntil: validUntil, replaces: prescription.replacesId)
            let canonical = document.canonical
            let signature = try DocumentSigning.sign(canonical, role: "doctor", accountId: doctor,
                                                     key: try await keys.key(of: doctor, at: context.at, in: tx), at: context.at)
            try await tx.sql.raw("""
                UPDATE prescriptions SET findings = \(bind: CanonicalJSON.text(of: prescription.findings)),
                    signed_at = \(bind: context.at.epochMillis), valid_until = \(bind: validUntil.epochMillis),
                    document = \(bind: canonical), document_hash = \(bind: signature.hash),
                    doctor_signature = \(bind: CanonicalJSON.text(of: signature)), updated_at = \(bind: context.at.epochMillis)
                WHERE id = \(bind: id.text)
                """).run()
            prescription.state = .signed
            prescription.signedAt = context.at
            prescription.validUntil = validUntil
            prescription.documentHash = signature.hash
            if let doctorRow {
                try await DoctorVolumes.count(.prescriptions, doctor: try doctorRow.uuid("id"), department: try doctorRow.text("department"),
                                              at: context.at, in: tx)
            }
            try await trail(.signed, prescription, detail: ["hash": signature.hash], context: context, in: tx)
            try await EventStore.append(.prescription(.prescriptionSigned, id, state: .signed, at: context.at), in: tx)
            return prescription
        }
    }

    /// Voids the doctor's prescription (withdrawn, or replaced by a correction) unless it was
    /// dispensed.
    public func void(_ id: UUID, byDoctor doctor: UUID, context: AuditContext) async throws -> Prescription {
        try await database.unitOfWork { tx in
            try await void(id, byDoctor: doctor, inConsultation: nil, context: context, in: tx)
            return try await owned(id, byDoctor: doctor, in: tx)
        }
    }

    private func void(_ id: UUID, byDoctor doctor: UUID, inConsultation consultation: UUID?, context: AuditContext,
                      in tx: Transaction) async throws {
        let prescription = try await owned(id, byDoctor: doctor, in: tx)
        if let consultation, prescription.consultationId != consultation {
            throw DomainError.invalidField("replaces", code: "other_consultation", "A correction replaces a prescription of the same consultation.")
        }
        let filling = try await MedicineOrderStore.fillingOrder(of: id, in: tx)
        try PrescriptionRules.checkVoidable(fillingOrder: filling?.state)
        try await tx.move("prescriptions", id: id, from: prescription.state, by: .void)
        try await tx.sql.raw("UPDATE prescriptions SET updated_at = \(bind: context.at.epochMillis) WHERE id = \(bind: id.text)").run()
        if let filling { try await MedicineOrderStore.cancelReservation(filling.id, at: context.at, in: tx) }
        var voided = prescription
        voided.state = .voided
        try await trail(.voided, voided, detail: [:], context: context, in: tx)
        try await EventStore.append(.prescription(.prescriptionVoided, id, state: .voided, at: context.at), in: tx)
    }

    // MARK: Helpers

    func load(_ id: UUID, in sql: any SQLDatabase) async throws -> Prescription? {
        guard let row = try await sql.raw("SELECT * FROM prescriptions WHERE id = \(bind: id.text)").first() else { return nil }
        return try await prescription(from: row, in: sql)
    }

    /// The doctor's own prescription, or 404 (another doctor's is not theirs to know of).
    func owned(_ id: UUID, byDoctor doctor: UUID, in tx: Transaction) async throws -> Prescription {
        guard let prescription = try await load(id, in: tx.sql), prescription.doctorAccountId == doctor else {
            throw DomainError.notFound(resource: "prescription")
        }
        return prescription
    }

    private func consultationRow(_ id: UUID, doctor: UUID, in tx: Transaction) async throws -> any SQLRow {
        guard let row = try await tx.sql.raw("""
            SELECT c.*, o.encounter_id, o.site_id FROM consultations c JOIN orders o ON o.id = c.order_id WHERE c.id = \(bind: id.text)
            """).first(), try row.optionalUUID("doctor_account_id") == doctor else {
            throw DomainError.notFound(resource: "consultation")
        }
        let state = try row.value("state", as: ConsultationState.self)
        guard state == .active || state == .completed else {
            throw DomainError.conflict(code: ConsultationState.conflictCode, message: "A prescription follows an accepted consultation.")
        }
        return row
    }

    private func qualification(of doctorAccount: UUID, in tx: Transaction) async throws -> QualificationStatus? {
        try await tx.sql.raw("SELECT qualification FROM doctors WHERE account_id = \(bind: doctorAccount.text)").first()?
            .value("qualification", as: QualificationStatus.self)
    }

    private static func diagnosis(recorded: String?, written: ICD10Code?) throws -> ICD10Code {
        if let recorded {
            let code = try ICD10Code(recorded)
            if let written, written != code {
                throw DomainError.invalidField("diagnosis", code: "not_the_recorded_diagnosis",
                                               "The prescription is for the diagnosis recorded in the consultation.")
            }
            return code
        }
        guard let written else {
            throw DomainError.invalidField("diagnosis", code: "required", "Record the diagnosis first, or give it here.")
        }
        return written
    }

    private func priorVisit(of consultation: any SQLRow, in tx: Transaction) async throws -> ICD10Code? {
        guard let encounter = try consultation.optionalText("encounter_id"),
              let row = try await tx.sql.raw("SELECT icd10 FROM encounters WHERE id = \(bind: encounter)").first() else { return nil }
        return try ICD10Code(try row.text("icd10"))
    }

    /// The internet hospital or platform the consultation was booked at; its pharmacists review.
    /// An order booked before sites were recorded falls back to the doctor's first online site.
    private func issuingInstitution(site: UUID?, doctor: UUID, in tx: Transaction) async throws -> UUID {
        if let site { return site }
        guard let row = try await tx.sql.raw("""
            SELECT s.institution_id FROM doctor_practice_sites s JOIN institutions i ON i.id = s.institution_id
            WHERE s.doctor_id = \(bind: doctor.text) AND i.kind IN ('internetHospital', 'platformInternetHospital')
            ORDER BY s.institution_id LIMIT 1
            """).first() else {
            throw DomainError.refused(code: "no_internet_hospital", message: "The doctor practises at no internet hospital.")
        }
        return try row.uuid("institution_id")
    }

    /// What the clinical checks need to know of the patient now.
    func patientFacts(_ patient: UUID, at now: Date, in sql: any SQLDatabase) async throws -> PatientFacts {
        guard let row = try await sql.raw("SELECT birth_date, pregnancy_status FROM patients WHERE id = \(bind: patient.text)").first(),
              let birth = CalendarDate(iso: try row.text("birth_date")) else {
            throw DomainError.notFound(resource: "patient")
        }
        let allergies = try await PatientStore.allergies(of: patient, in: sql).map(\.substance)
        let active = try await activeMedications(of: patient, at: now, in: sql)
        return PatientFacts(ageYears: birth.years(until: .shanghai(now)), allergies: allergies,
                            pregnancy: try row.value("pregnancy_status", as: PregnancyStatus.self), activeMedications: active)
    }

    private func insert(_ p: Prescription, in tx: Transaction) async throws {
        try await tx.sql.raw("""
            INSERT INTO prescriptions (id, consultation_id, patient_id, doctor_account_id, institution_id, diagnosis_icd10, state,
                                       long_reason, valid_days, notes, findings, overrides, created_at, updated_at, replaces_id)
            VALUES (\(bind: p.id.text), \(bind: p.consultationId.text), \(bind: p.patientId.text), \(bind: p.doctorAccountId.text),
                    \(bind: p.institutionId.text), \(bind: p.diagnosis.value), \(bind: p.state.rawValue),
                    \(bind: p.longPrescription?.reason), \(bind: p.validDays), \(bind: p.notes),
                    \(bind: CanonicalJSON.text(of: p.findings)), \(bind: CanonicalJSON.text(of: p.overrides)),
                    \(bind: p.createdAt.epochMillis), \(bind: p.createdAt.epochMillis), \(bind: p.replacesId?.text))
            """).run()
        for (position, item) in p.items.enumerated() {
            try await tx.sql.raw("""
                INSERT INTO prescription_items (prescription_id, position, drug_id, dose, dose_unit, times_per_day, route, days, quantity)
                VALUES (\(bind: p.id.text), \(bind: position), \(bind: item.drug.id.text), \(bind: item.dose),
                        \(bind: item.doseUnit.rawValue), \(bind: item.timesPerDay), \(bind: item.route.rawValue),
                        \(bind: item.days), \(bind: item.quantity))
                """).run()
        }
    }

    func prescription(from row: any SQLRow, in sql: any SQLDatabase) async throws -> Prescription {
        try await prescriptions(from: [row], in: sql)[0]
    }

    /// The prescriptions of `rows`, in their order, with their items read in one query.
    func prescriptions(from rows: [any SQLRow], in sql: any SQLDatabase) async throws -> [Prescription] {
        guard !rows.isEmpty else { return [] }
        var items: [String: [PrescriptionItem]] = [:]
        for item in try await sql.raw("""
            SELECT * FROM prescription_items WHERE prescription_id IN (\(binds: try rows.map { try $0.text("id") }))
            ORDER BY prescription_id, position
            """).all() {
            guard let drug = formulary.catalogue.drug(try item.uuid("drug_id")) else {
                throw StoredValueError(column: "drug_id", value: try item.text("drug_id"))
            }
            items[try item.text("prescription_id"), default: []].append(PrescriptionItem(
                drug: drug, dose: try item.decode(column: "dose", as: Double.self),
                doseUnit: try item.value("dose_unit", as: DoseUnit.self),
                timesPerDay: try item.decode(column: "times_per_day", as: Int.self),
                route: try item.value("route", as: AdministrationRoute.self), days: try item.decode(column: "days", as: Int.self),
                quantity: try item.decode(column: "quantity", as: Int.self)))
        }
        return try rows.map { row in try prescription(from: row, items: items[try row.text("id")] ?? []) }
    }

    private func prescription(from row: any SQLRow, items: [PrescriptionItem]) throws -> Prescription {
        let id = try row.uuid("id")
        let decoder = JSONDecoder()
        return Prescription(
            id: id, consultationId: try row.uuid("consultation_id"), patientId: try row.uuid("patient_id"),
            doctorAccountId: try row.uuid("doctor_account_id"), institutionId: try row.uuid("institution_id"),
            diagnosis: try ICD10Code(try row.text("diagnosis_icd10")), state: try row.value("state", as: PrescriptionState.self),
            items: items, longPrescription: try row.optionalText("long_reason").map(LongPrescription.init(reason:)),
            validDays: try row.decode(column: "valid_days", as: Int.self), notes: try row.optionalText("notes"),
            findings: try decoder.decode([Finding].self, from: Data(try row.text("findings").utf8)),
            overrides: try decoder.decode([FindingOverride].self, from: Data(try row.text("overrides").utf8)),
            createdAt: try row.instant("created_at"), signedAt: try row.optionalInstant("signed_at"),
            validUntil: try row.optionalInstant("valid_until"), documentHash: try row.optionalText("document_hash"),
            reviewedAt: try row.optionalInstant("reviewed_at"), reviewerAccountId: try row.optionalUUID("reviewer_account_id"),
            rejectionReason: try row.optionalValue("rejection_reason", as: RejectionReason.self),
            rejectionText: try row.optionalText("rejection_text"), replacesId: try row.optionalUUID("replaces_id"))
    }
}
