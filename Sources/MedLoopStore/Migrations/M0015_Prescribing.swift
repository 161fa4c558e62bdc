import Foundation
import MedLoopDomain

/// Prescribing (issue 17): the drug catalogue as shipped, doctors' and pharmacists' signing keys,
/// prescriptions with their items, the patient's pregnancy status for the clinical checks, and a
/// detail column that lets the audit log's hash chain carry the prescription trail.
extension Migrations {
    static let prescribing = Migration(version: 15, name: "prescribing") { engine in
        [
            """
            CREATE TABLE drugs (
                id TEXT PRIMARY KEY,
                product_code TEXT NOT NULL UNIQUE,
                atc TEXT NOT NULL,
                generic_name_zh TEXT NOT NULL,
                generic_name_en TEXT NOT NULL,
                controlled_class TEXT NOT NULL,
                insurance_class TEXT NOT NULL,
                reference_price_fen BIGINT NOT NULL,
                document TEXT NOT NULL
            )
            """,
            "CREATE INDEX drugs_by_atc ON drugs (atc)",
            """
            CREATE TABLE signing_keys (
                account_id TEXT PRIMARY KEY REFERENCES accounts(id),
                public_key TEXT NOT NULL,
                sealed_private_key TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE prescriptions (
                id TEXT PRIMARY KEY,
                consultation_id TEXT NOT NULL REFERENCES consultations(id),
                patient_id TEXT NOT NULL REFERENCES patients(id),
                doctor_account_id TEXT NOT NULL REFERENCES accounts(id),
                institution_id TEXT NOT NULL REFERENCES institutions(id),
                diagnosis_icd10 TEXT NOT NULL,
                state TEXT NOT NULL,
                long_reason TEXT,
                valid_days INTEGER NOT NULL,
                notes TEXT,
                findings TEXT NOT NULL,
                overrides TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                signed_at BIGINT,
                valid_until BIGINT,
                document TEXT,
                document_hash TEXT,
                doctor_signature TEXT,
                reviewed_at BIGINT,
                reviewer_account_id TEXT REFERENCES accounts(id),
                rejection_reason TEXT,
                rejection_text TEXT,
                review_document TEXT,
                review_signature TEXT,
                replaces_id TEXT REFERENCES prescriptions(id)
            )
            """,
            "CREATE INDEX prescriptions_by_consultation ON prescriptions (consultation_id, created_at)",
            // The review queue: an institution's signed prescriptions, oldest first.
            "CREATE INDEX prescriptions_review_queue ON prescriptions (institution_id, state, signed_at)",
            "CREATE INDEX prescriptions_by_patient ON prescriptions (patient_id, state, signed_at)",
            "CREATE INDEX prescriptions_by_doctor ON prescriptions (doctor_account_id, state, updated_at)",
            // A prescription is corrected once: a second correction of the same one is refused.
            "CREATE UNIQUE INDEX prescriptions_correction ON prescriptions (replaces_id)",
            """
            CREATE TABLE prescription_items (
                prescription_id TEXT NOT NULL REFERENCES prescriptions(id),
                position INTEGER NOT NULL,
                drug_id TEXT NOT NULL REFERENCES drugs(id),
                dose DOUBLE PRECISION NOT NULL,
                dose_unit TEXT NOT NULL,
                times_per_day INTEGER NOT NULL,
                route TEXT NOT NULL,
                days INTEGER NOT NULL,
                quantity INTEGER NOT NULL,
                PRIMARY KEY (prescription_id, position)
            )
            """,
            "CREATE INDEX prescription_items_by_drug ON prescription_items (drug_id)",
            "ALTER TABLE patients ADD COLUMN pregnancy_status TEXT NOT NULL DEFAULT 'none'",
            "ALTER TABLE audit_log ADD COLUMN detail TEXT",
        ] + shippedCatalogueRows()
    }

    /// The catalogue as shipped, as INSERT statements. The app refuses to start when the catalogue
    /// does not load, before it migrates, so an empty list here never lands silently.
    static func shippedCatalogueRows() -> [String] {
        guard let catalogue = try? DrugCatalogue.loadShipped() else { return [] }
        return catalogue.drugs.map { drug in
            let values = [drug.id.text, drug.productCode, drug.atc, drug.genericNameZh, drug.genericNameEn,
                          drug.controlledClass.rawValue, drug.insuranceClass.rawValue]
                .map(sqlLiteral) + [String(drug.referencePriceFen), sqlLiteral(CanonicalJSON.text(of: drug))]
            return """
                INSERT INTO drugs (id, product_code, atc, generic_name_zh, generic_name_en, controlled_class,
                                   insurance_class, reference_price_fen, document)
                VALUES (\(values.joined(separator: ", ")))
                """
        }
    }

    /// A SQL string literal: quotes doubled, the same on both engines.
    private static func sqlLiteral(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
