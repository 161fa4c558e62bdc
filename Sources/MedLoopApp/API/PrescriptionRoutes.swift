import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// E-prescriptions: the clinical checks alone, drafting in a consultation, overrides, signing,
/// voiding, the pharmacist's review queue and decision, verification of the signatures and the
/// hash-chained trail. Who may see a prescription is `PrescriptionStore.isVisible`'s answer; to
/// anyone else it does not exist.
struct PrescriptionRoutes {
    let prescriptions: PrescriptionStore
    let patients: PatientStore
    let audit: AuditStore
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.post("prescription-checks", use: check)
        group.post("consultations/:id/prescriptions", use: draft)
        group.get("consultations/:id/prescriptions", use: ofConsultation)
        group.get("prescriptions/:id", use: show)
        group.post("prescriptions/:id/overrides", use: override)
        group.post("prescriptions/:id/sign", use: sign)
        group.post("prescriptions/:id/void", use: void)
        group.get("prescriptions/:id/verification", use: verification)
        group.get("prescriptions/:id/trace", use: trace)
        group.get("pharmacists/me/review-queue", use: reviewQueue)
        group.post("prescriptions/:id/review", use: review)
    }

    // MARK: Clinical checks

    struct CheckBody: Decodable {
        struct Item: Decodable {
            var drugId: UUID
            var dose: Double?
            var doseUnit: DoseUnit?
            var timesPerDay: Int?
            var days: Int?
        }
        var patientId: UUID?
        var items: [Item]
    }

    /// The most items the checks take at once (a prescription has at most 5; more is a finding).
    static let maximumCheckedItems = 20

    @Sendable func check(_ request: Request, context: AppContext) async throws -> FindingsView {
        let caller = try await authorizer.require(.runClinicalChecks, context, action: "prescription.check", resourceType: "prescription")
        let body = try await request.decodeJSON(as: CheckBody.self, context: context)
        var validator = FieldValidator()
        if body.items.isEmpty || body.items.count > Self.maximumCheckedItems {
            validator.add("items", code: "count", "Check 1 to \(Self.maximumCheckedItems) items.")
        }
        var items: [CheckItem] = []
        for (index, item) in body.items.enumerated() {
            guard let drug = prescriptions.formulary.catalogue.drug(item.drugId) else {
                validator.add("items[\(index)].drugId", code: "unknown_drug", "This drug is not in the catalogue.")
                continue
            }
            if let dose = item.dose, !(dose > 0) { validator.add("items[\(index)].dose", code: "not_positive", "A dose is more than zero.") }
            if let unit = item.doseUnit, unit != drug.doseUnit {
                validator.add("items[\(index)].doseUnit", code: "dose_unit", "This drug is dosed in \(drug.doseUnit.rawValue).")
            }
            if let times = item.timesPerDay, !(1...PrescriptionRules.maximumTimesPerDay).contains(times) {
                validator.add("items[\(index)].timesPerDay", code: "out_of_range", "1 to \(PrescriptionRules.maximumTimesPerDay) times a day.")
            }
            if let days = item.days, !(1...365).contains(days) {
                validator.add("items[\(index)].days", code: "out_of_range", "1 to 365 days.")
            }
            items.append(CheckItem(drug: drug, dose: item.dose, timesPerDay: item.timesPerDay, days: item.days))
        }
        try validator.finish()
        let now = clock.now()
        if let patient = body.patientId {
            guard try await prescriptions.mayCheck(patient, by: caller) else {
                try await audit.recordRead("patient.clinical_check", of: "patient", id: patient.text, patient: patient,
                                           outcome: .denied, by: context, at: now)
                throw AppError.notFound("patient")
            }
            try await audit.recordRead("patient.clinical_check", of: "patient", id: patient.text, patient: patient, by: context, at: now)
        }
        return FindingsView(findings: try await prescriptions.check(items, patient: body.patientId, at: now))
    }

    // MARK: Writing

    struct DraftBody: Decodable {
        struct Long: Decodable { var reason: String }
        var items: [PrescriptionItemInput]
        var diagnosis: String?
        var longPrescription: Long?
        var validDays: Int?
        var notes: String?
        var replaces: UUID?
    }

    @Sendable func draft(_ request: Request, context: AppContext) async throws -> Created<PrescriptionView> {
        let caller = try await authorizer.require(.prescribe, context, action: "prescription.write", resourceType: "prescription")
        let consultation = try context.parameters.uuid("id")
        let body = try await request.decodeJSON(as: DraftBody.self, context: context)
        var validator = FieldValidator()
        var diagnosis: ICD10Code?
        if let written = body.diagnosis {
            diagnosis = validator.check { () throws(DomainError) in try ICD10Code(written, field: "diagnosis") }
        }
        if let notes = body.notes, notes.count > 2000 { validator.add("notes", code: "length", "Notes have at most 2000 characters.") }
        if let reason = body.longPrescription?.reason, reason.count > 500 {
            validator.add("longPrescription.reason", code: "length", "A reason has at most 500 characters.")
        }
        try validator.finish()
        let prescription = try await prescriptions.draft(
            PrescriptionDraft(items: body.items, diagnosis: diagnosis,
                              longPrescription: body.longPrescription.map { LongPrescription(reason: $0.reason) },
                              validDays: body.validDays ?? 1, notes: body.notes, replaces: body.replaces),
            in: consultation, byDoctor: caller.accountId, context: context.auditContext(at: clock.now()))
        return Created(value: PrescriptionView(prescription))
    }

    struct OverrideBody: Decodable {
        var rule: FindingRule
        var drugIds: [UUID]
        var reason: String
    }

    @Sendable func override(_ request: Request, context: AppContext) async throws -> PrescriptionView {
        let caller = try await authorizer.require(.prescribe, context, action: "prescription.write", resourceType: "prescription")
        let body = try await request.decodeJSON(as: OverrideBody.self, context: context)
        if body.reason.count > 500 { throw AppError.invalid("reason", code: "length", "A reason has at most 500 characters.") }
        return PrescriptionView(try await prescriptions.override(
            try context.parameters.uuid("id"), finding: FindingKey(rule: body.rule, drugIds: body.drugIds), reason: body.reason,
            byDoctor: caller.accountId, context: context.auditContext(at: clock.now())))
    }

    @Sendable func sign(_ request: Request, context: AppContext) async throws -> PrescriptionView {
        let caller = try await authorizer.require(.prescribe, context, action: "prescription.write", resourceType: "prescription")
        return PrescriptionView(try await prescriptions.sign(try context.parameters.uuid("id"), byDoctor: caller.accountId,
                                                             context: context.auditContext(at: clock.now())))
    }

    @Sendable func void(_ request: Request, context: AppContext) async throws -> PrescriptionView {
        let caller = try await authorizer.require(.prescribe, context, action: "prescription.write", resourceType: "prescription")
        return PrescriptionView(try await prescriptions.void(try context.parameters.uuid("id"), byDoctor: caller.accountId,
                                                             context: context.auditContext(at: clock.now())))
    }

    // MARK: Reading

    @Sendable func show(_ request: Request, context: AppContext) async throws -> PrescriptionView {
        PrescriptionView(try await visible(context, action: "prescription.read"))
    }

    @Sendable func ofConsultation(_ request: Request, context: AppContext) async throws -> ListView<PrescriptionView> {
        let caller = try context.requireCaller()
        let found = try await prescriptions.prescriptions(ofConsultation: try context.parameters.uuid("id"), visibleTo: caller,
                                                          actsFor: try await actsFor(caller))
        let now = clock.now()
        for prescription in found {
            try await audit.recordRead("prescription.read", of: "prescription", id: prescription.id.text,
                                       patient: prescription.patientId, by: context, at: now)
        }
        return ListView(items: found.map(PrescriptionView.init), nextCursor: nil)
    }

    @Sendable func verification(_ request: Request, context: AppContext) async throws -> VerificationView {
        let prescription = try await visible(context, action: "prescription.verification.read")
        guard let record = try await prescriptions.signedRecord(prescription.id) else {
            throw AppError.from(DomainError.conflict(code: "not_signed", message: "The prescription is not signed yet."))
        }
        let keys = try await prescriptions.keys.publicKeys(of: record.signatures.map(\.accountId))
        return VerificationView(SignedPrescription(prescriptionId: prescription.id, document: record.document,
                                                   reviewDocument: record.reviewDocument, signatures: record.signatures),
                                registeredKeys: keys)
    }

    @Sendable func trace(_ request: Request, context: AppContext) async throws -> TraceView {
        let prescription = try await visible(context, action: "prescription.trace.read")
        let entries = try await prescriptions.trace(prescription.id).map { checked in
            let detail = checked.entry.detail.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
            return TraceView.Entry(sequence: checked.entry.sequence, at: checked.entry.at,
                                   event: String(checked.entry.action.dropFirst("prescription.".count)),
                                   actorAccountId: checked.entry.actorAccountId, actorRole: checked.entry.actorRole,
                                   detail: detail ?? [:], hash: checked.entry.hash, previousHash: checked.entry.previousHash,
                                   verifies: checked.verifies)
        }
        return TraceView(prescriptionId: prescription.id, verifies: entries.allSatisfy(\.verifies), entries: entries)
    }

    // MARK: Pharmacist review

    @Sendable func reviewQueue(_ request: Request, context: AppContext) async throws -> ListView<PrescriptionView> {
        let caller = try await authorizer.require(.reviewPrescriptions, context, action: "prescription.review", resourceType: "prescription")
        guard let institution = caller.institutionId else { throw AppError.forbidden() }
        let paging = try Paging(request)
        let page = try await prescriptions.reviewQueue(institution: institution, limit: paging.limit, cursor: paging.cursor)
        let now = clock.now()
        try await audit.recordReads("prescription.read", of: "prescription", page.items.map { ($0.id.text, $0.patientId) },
                                    by: context, at: now)
        return ListView(items: page.items.map(PrescriptionView.init), nextCursor: page.nextCursor)
    }

    struct ReviewBody: Decodable {
        enum Decision: String, Decodable, CaseIterable { case approve, reject }
        var decision: Decision
        var reason: RejectionReason?
        var text: String?
    }

    @Sendable func review(_ request: Request, context: AppContext) async throws -> PrescriptionView {
        let caller = try await authorizer.require(.reviewPrescriptions, context, action: "prescription.review", resourceType: "prescription")
        let body = try await request.decodeJSON(as: ReviewBody.self, context: context)
        let decision: ReviewDecision
        switch body.decision {
        case .approve:
            decision = .approve
        case .reject:
            var validator = FieldValidator()
            if body.reason == nil { validator.add("reason", code: "required", "A rejection gives its reason.") }
            let text = body.text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if !(1...1000).contains(text.count) { validator.add("text", code: "length", "Explain the rejection in 1 to 1000 characters.") }
            try validator.finish()
            decision = .reject(body.reason!, text: text)
        }
        return PrescriptionView(try await prescriptions.review(try context.parameters.uuid("id"), decision: decision, by: caller,
                                                               context: context.auditContext(at: clock.now())))
    }

    // MARK: Helpers

    private func actsFor(_ caller: Caller) async throws -> Set<UUID> {
        guard caller.role == .patient, let own = caller.patientId else { return [] }
        return try await patients.actsFor(own)
    }

    /// The prescription of the path if the caller may see it (the read audited), else 404.
    private func visible(_ context: AppContext, action: String) async throws -> Prescription {
        let caller = try context.requireCaller()
        let id = try context.parameters.uuid("id")
        guard let prescription = try await prescriptions.prescription(id, visibleTo: caller, actsFor: try await actsFor(caller)) else {
            // Not yet in effect for its own patient is simply not there; another person's is refused.
            guard let other = try await prescriptions.prescription(id),
                  !AccessPolicy.canAccessPatient(caller, patientId: other.patientId, actsFor: try await actsFor(caller)) else {
                throw AppError.notFound("prescription")
            }
            try await audit.recordRead(action, of: "prescription", id: id.text, patient: other.patientId, outcome: .denied,
                                       by: context, at: clock.now())
            throw AppError.notYours("prescription")
        }
        try await audit.recordRead(action, of: "prescription", id: id.text, patient: prescription.patientId, by: context, at: clock.now())
        return prescription
    }
}
