import Foundation

/// The chronic conditions that long prescriptions and refills are for (DOMAIN.md: long
/// prescriptions for stable chronic patients), by ICD-10 category.
public enum ChronicConditions {
    /// ICD-10 categories of the chronic conditions of online follow-up: hypertension, diabetes,
    /// lipid disorders, coronary disease, atrial fibrillation, heart failure, COPD and asthma,
    /// Parkinson's, dementia, chronic kidney disease, thyroid disease, gout, depression and
    /// anxiety, epilepsy, reflux, chronic hepatitis, tuberculosis.
    public static let categories: Set<String> = [
        "I10", "I11", "I12", "I13", "I15", "E10", "E11", "E12", "E13", "E14", "E78",
        "I20", "I25", "I48", "I50", "J44", "J45", "G20", "G30", "F00", "F01", "F02", "F03",
        "N18", "E03", "E05", "M10", "F32", "F33", "F41", "G40", "K21", "B18", "A15", "A16",
    ]

    public static func isChronic(_ code: ICD10Code) -> Bool { categories.contains(code.category) }
}

extension PrescriptionRules {
    /// Checks that a long prescription is for a chronic condition.
    ///
    /// - Throws: 422 `long_prescription_not_chronic` otherwise.
    public static func checkLongPrescription(_ long: LongPrescription?, diagnosis: ICD10Code) throws(DomainError) {
        guard long != nil, !ChronicConditions.isChronic(diagnosis) else { return }
        throw .refused(code: "long_prescription_not_chronic", message: "A long prescription is for a stable chronic condition.")
    }
}
