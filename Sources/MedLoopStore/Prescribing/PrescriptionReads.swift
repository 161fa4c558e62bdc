import Foundation
import MedLoopDomain
import SQLKit

/// Reading prescriptions — who may see one, the lists, the signed record, the clinical checks
/// alone — and keeping the catalogue's table in line with the shipped data.
extension PrescriptionStore {
    /// Brings the `drugs` table in line with the shipped catalogue (start-up): a product added or
    /// changed in the data files since the migration reached this database is written; the rest is
    /// left alone. Returns how many rows it wrote.
    public func syncCatalogue() async throws -> Int {
        try await database.unitOfWork { tx in
            var stored: [String: String] = [:]
            for row in try await tx.sql.raw("SELECT product_code, document FROM drugs").all() {
                stored[try row.text("product_code")] = try row.text("document")
            }
            var written = 0
            for drug in formulary.catalogue.drugs {
                let document = CanonicalJSON.text(of: drug)
                guard stored[drug.productCode] != document else { continue }
                try await tx.sql.raw("""
                    INSERT INTO drugs (id, product_code, atc, generic_name_zh, generic_name_en, controlled_class, insurance_class,
                                       reference_price_fen, document)
                    VALUES (\(bind: drug.id.text), \(bind: drug.productCode), \(bind: drug.atc), \(bind: drug.genericNameZh),
                            \(bind: drug.genericNameEn), \(bind: drug.controlledClass.rawValue), \(bind: drug.insuranceClass.rawValue),
                            \(bind: drug.referencePriceFen), \(bind: document))
                    ON CONFLICT (id) DO UPDATE SET atc = excluded.atc, generic_name_zh = excluded.generic_name_zh,
                        generic_name_en = excluded.generic_name_en, controlled_class = excluded.controlled_class,
                        insurance_class = excluded.insurance_class, reference_price_fen = excluded.reference_price_fen,
                        document = excluded.document
                    """).run()
                written += 1
            }
            return written
        }
    }

    /// Whether `caller` may run the clinical checks against `patient`'s record: a doctor who has
    /// consulted the patient, or a pharmacist whose institution has a prescription of theirs.
    public func mayCheck(_ patient: UUID, by caller: Caller) async throws -> Bool {
        try await database.read { sql in
            switch caller.role {
            case .doctor:
                return try await sql.raw("""
                    SELECT id FROM consultations WHERE doctor_account_id = \(bind: caller.accountId.text)
                      AND patient_id = \(bind: patient.text) AND state IN ('active', 'completed') LIMIT 1
                    """).first() != nil
            case .pharmacist:
                guard let institution = caller.institutionId else { return false }
                return try await sql.raw("""
                    SELECT id FROM prescriptions WHERE patient_id = \(bind: patient.text)
                      AND institution_id = \(bind: institution.text) AND state <> 'draft' LIMIT 1
                    """).first() != nil
            default:
                return false
            }
        }
    }

    /// The clinical findings for `items`, against `patient`'s record when given.
    public func check(_ items: [CheckItem], patient: UUID?, at now: Date) async throws -> [Finding] {
        var facts: PatientFacts?
        if let patient {
            facts = try await database.read { sql in try await patientFacts(patient, at: now, in: sql) }
        }
        return formulary.checks.findings(for: items, patient: facts)
    }

    /// The prescription, whoever asks (the caller decides what to show).
    public func prescription(_ id: UUID) async throws -> Prescription? {
        try await database.read { sql in try await load(id, in: sql) }
    }

    /// The prescription if `caller` may see it: its doctor; the patient (or who acts for them)
    /// once it took effect; a pharmacist of the issuing institution once signed.
    public func prescription(_ id: UUID, visibleTo caller: Caller, actsFor: Set<UUID> = []) async throws -> Prescription? {
        guard let prescription = try await database.read({ sql in try await load(id, in: sql) }) else { return nil }
        return Self.isVisible(prescription, to: caller, actsFor: actsFor) ? prescription : nil
    }

    /// Whether `caller` may see `prescription`.
    static func isVisible(_ prescription: Prescription, to caller: Caller, actsFor: Set<UUID>) -> Bool {
        switch caller.role {
        case .doctor: return prescription.doctorAccountId == caller.accountId
        case .pharmacist: return prescription.institutionId == caller.institutionId && prescription.state != .draft
        case .patient:
            return prescription.state.isVisibleToPatient
                && AccessPolicy.canAccessPatient(caller, patientId: prescription.patientId, actsFor: actsFor)
        case .regulator: return prescription.state != .draft
        default: return false
        }
    }

    /// The prescriptions of a consultation `caller` may see, oldest first.
    public func prescriptions(ofConsultation consultation: UUID, visibleTo caller: Caller,
                              actsFor: Set<UUID> = []) async throws -> [Prescription] {
        try await database.read { sql in
            let rows = try await sql.raw("""
                SELECT * FROM prescriptions WHERE consultation_id = \(bind: consultation.text) ORDER BY created_at, id
                """).all()
            return try await prescriptions(from: rows, in: sql).filter { Self.isVisible($0, to: caller, actsFor: actsFor) }
        }
    }

    /// The consultation a prescription (or the medicine order filling one) was written in.
    public func consultation(of subject: UUID, subjectType: String) async throws -> UUID? {
        try await database.read { sql in
            let query: SQLQueryString = subjectType == "medicine_order"
                ? """
                  SELECT p.consultation_id FROM medicine_orders o JOIN prescriptions p ON p.id = o.prescription_id
                  WHERE o.id = \(bind: subject.text)
                  """
                : "SELECT consultation_id FROM prescriptions WHERE id = \(bind: subject.text)"
            return try await sql.raw(query).first()?.uuid("consultation_id")
        }
    }

    /// The signed document, its hash and the signatures over it, for a verifier.
    public func signedRecord(_ id: UUID) async throws -> (document: String, signatures: [DocumentSignature], reviewDocument: String?)? {
        try await database.read { sql in
            guard let row = try await sql.raw("""
                SELECT document, doctor_signature, review_document, review_signature FROM prescriptions WHERE id = \(bind: id.text)
                """).first(), let document = try row.optionalText("document") else { return nil }
            var signatures: [DocumentSignature] = []
            for column in ["doctor_signature", "review_signature"] {
                if let text = try row.optionalText(column) {
                    signatures.append(try StoredJSON.value(DocumentSignature.self, from: text))
                }
            }
            return (document, signatures, try row.optionalText("review_document"))
        }
    }
}
