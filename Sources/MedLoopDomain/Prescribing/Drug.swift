import Foundation

/// One medicine of the catalogue, as a pharmacy stocks it: one product in one strength and one
/// package. Shipped as data (`Resources/drugs-*.json`); its identifier is derived from the 7-digit
/// product code, so it is the same on every machine.
public struct Drug: Sendable, Hashable, Codable {
    /// The first 7 digits of every traceability code printed on this product's packages.
    public let productCode: String
    public let genericNameZh: String
    public let genericNameEn: String
    /// The trade name, where the product has one; nil for an unbranded generic.
    public let brandZh: String?
    public let brandEn: String?
    /// Each active ingredient; a combination product lists every one.
    public let ingredients: [ActiveIngredient]
    /// The WHO ATC code at level 5 (7 characters, `C08CA01`).
    public let atc: String
    public let dosageForm: DosageForm
    /// The strength as printed on the package, for people ("5 mg", "500 mg/5 ml").
    public let strength: String
    /// The usual route of administration.
    public let route: AdministrationRoute
    /// The unit a dose of this product is written in (its unit of use).
    public let doseUnit: DoseUnit
    /// How many dose units one package holds (28 tablets of 5 mg dosed in mg: 140).
    public let dosePerPackage: Double
    /// How many countable units one package holds, and what they are ("28 tablets").
    public let packageSize: Int
    public let packageUnit: PackageUnit
    /// Prescription-only or over the counter.
    public let dispensing: Dispensing
    public let controlledClass: ControlledClass
    public let isAntimicrobial: Bool
    public let isBiologic: Bool
    public let insuranceClass: InsuranceClass
    /// The reference retail price of one package, in fen.
    public let referencePriceFen: Int64
    /// The highest adult dose per day, in `doseUnit`; nil where no ceiling applies (topical use).
    public let maximumDailyDose: Double?
    /// The youngest age, in whole years, the product is licensed for (0: any age).
    public let minimumAgeYears: Int
    public let pregnancy: UseCaution
    public let lactation: UseCaution

    /// The catalogue identifier: derived from the product code, stable across machines.
    public var id: UUID { Drug.id(productCode: productCode) }

    /// The therapeutic class used for duplicate therapy: the ATC code at level 4 (`C08CA`).
    public var therapeuticClass: String { String(atc.prefix(5)) }

    /// The identifier of the product with `productCode`.
    public static func id(productCode: String) -> UUID { UUID.named("drug:\(productCode)") }
}

/// An active ingredient of a product, named by its international non-proprietary name in lower
/// case without the salt (`amlodipine`, not `amlodipine besylate`), which is how the interaction
/// table and the allergy check find it.
public struct ActiveIngredient: Sendable, Hashable, Codable {
    public let name: String
    public let nameZh: String
    /// The amount per unit of use, as printed ("5 mg").
    public let strength: String
}

/// The dosage form of a product.
public enum DosageForm: String, Sendable, Hashable, Codable, CaseIterable {
    case tablet, extendedReleaseTablet, entericCoatedTablet, dispersibleTablet, chewableTablet
    case capsule, extendedReleaseCapsule
    case granules, powder, oralSolution, oralSuspension, syrup, drops
    case injection, prefilledPen
    case inhaler, inhalationPowder, nebuliserSolution, nasalSpray
    case cream, ointment, gel, patch, eyeDrops, earDrops, suppository
}

/// How a product is given.
public enum AdministrationRoute: String, Sendable, Hashable, Codable, CaseIterable {
    case oral, sublingual, inhaled, nasal, subcutaneous, intramuscular, intravenous
    case topical, transdermal, ophthalmic, otic, rectal
}

/// The unit a dose is written in: an amount of the active ingredient or a countable unit of use.
public enum DoseUnit: String, Sendable, Hashable, Codable, CaseIterable {
    case mg, mcg, g, ml, iu
    case tablet, capsule, sachet, puff, drop, patch, suppository, application
}

/// What the package counts.
public enum PackageUnit: String, Sendable, Hashable, Codable, CaseIterable {
    case tablet, capsule, sachet, ml, g, puff, dose, patch, suppository, pen, vial, bottle, tube
}

/// Whether a product needs a prescription.
public enum Dispensing: String, Sendable, Hashable, Codable, CaseIterable {
    case prescription, otc
}

/// The special-control class of a product. Anything but `none` may not be prescribed online
/// (DOMAIN.md, "Prescription rules").
public enum ControlledClass: String, Sendable, Hashable, Codable, CaseIterable {
    case none, narcotic, psychotropicI, psychotropicII, toxic, radioactive, otherSpecial
}

/// The class of the national reimbursement list (DOMAIN.md, "Insurance").
public enum InsuranceClass: String, Sendable, Hashable, Codable, CaseIterable {
    case a, b, unlisted
}

/// How careful to be with a product in pregnancy or while breastfeeding.
public enum UseCaution: String, Sendable, Hashable, Codable, CaseIterable {
    /// No known concern.
    case none
    /// Use only when the benefit outweighs the risk, under supervision.
    case caution
    /// Do not use: harm is established.
    case contraindicated
}
