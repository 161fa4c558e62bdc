import Foundation

/// One item as the doctor writes it.
public struct PrescriptionItemInput: Sendable, Hashable, Codable {
    public var drugId: UUID
    public var dose: Double
    public var doseUnit: DoseUnit
    public var timesPerDay: Int
    public var route: AdministrationRoute?
    public var days: Int
    /// The packages to dispense; computed when absent, and must match the computation when given.
    public var quantity: Int?

    public init(drugId: UUID, dose: Double, doseUnit: DoseUnit, timesPerDay: Int, route: AdministrationRoute? = nil,
                days: Int, quantity: Int? = nil) {
        self.drugId = drugId
        self.dose = dose
        self.doseUnit = doseUnit
        self.timesPerDay = timesPerDay
        self.route = route
        self.days = days
        self.quantity = quantity
    }
}

/// A checked item of a prescription: the product, the regimen and the packages it needs.
public struct PrescriptionItem: Sendable, Hashable, Codable {
    public let drug: Drug
    public let dose: Double
    public let doseUnit: DoseUnit
    public let timesPerDay: Int
    public let route: AdministrationRoute
    public let days: Int
    /// Whole packages: enough for every dose of every day.
    public let quantity: Int

    public init(drug: Drug, dose: Double, doseUnit: DoseUnit, timesPerDay: Int, route: AdministrationRoute, days: Int,
                quantity: Int) {
        self.drug = drug
        self.dose = dose
        self.doseUnit = doseUnit
        self.timesPerDay = timesPerDay
        self.route = route
        self.days = days
        self.quantity = quantity
    }

    /// The item as the clinical checks see it.
    public var checkItem: CheckItem { CheckItem(drug: drug, dose: dose, timesPerDay: timesPerDay, days: days) }
}

/// A long prescription's written reason (DOMAIN.md, "Prescription rules": up to 12 weeks for a
/// stable chronic patient, with the reason written).
public struct LongPrescription: Sendable, Hashable, Codable {
    public let reason: String

    public init(reason: String) {
        self.reason = reason
    }
}

/// The national rules an online prescription follows (DOMAIN.md, "Prescription rules"), as pure
/// functions.
public enum PrescriptionRules {
    /// At most this many drugs on one prescription.
    public static let maximumItems = 5
    /// The usual supply, in days.
    public static let usualSupplyDays = 7
    /// A long prescription's longest supply: 12 weeks.
    public static let longSupplyDays = 84
    /// A daily dose above this multiple of the adult maximum is a typing error, not a finding.
    public static let implausibleDoseFactor = 10.0
    /// How many days a prescription may stay valid when the doctor says so.
    public static let longestValidity = 3
    public static let maximumTimesPerDay = 24

    /// More packages than this on one item is a typing error, whatever the product.
    public static let maximumPackages = 1000

    /// The packages `dose` × `timesPerDay` × `days` needs, in whole packages of `dosePerPackage`;
    /// nil when that is more than `maximumPackages`.
    public static func packages(dose: Double, timesPerDay: Int, days: Int, dosePerPackage: Double) -> Int? {
        let needed = dose * Double(timesPerDay) * Double(days) / dosePerPackage
        guard needed.isFinite, needed <= Double(maximumPackages) else { return nil }
        // A hair over a whole number is the floating-point rounding of that number.
        return max(1, Int((needed - 1e-9).rounded(.up)))
    }

    /// Checks the items a doctor wrote against the catalogue, field by field, and computes their
    /// quantities: 1 to 5 items, a known product, a positive and plausible dose in the product's
    /// unit, 1 to 24 times a day, 1 to 84 days, and the quantity, when given, as computed.
    ///
    /// - Throws: `DomainError.invalid` listing every bad field (`items[2].dose`).
    public static func items(_ inputs: [PrescriptionItemInput], catalogue: DrugCatalogue) throws(DomainError) -> [PrescriptionItem] {
        var validator = FieldValidator()
        if inputs.isEmpty { validator.add("items", code: "required", "A prescription has at least one item.") }
        if inputs.count > maximumItems {
            validator.add("items", code: "too_many_items", "A prescription has at most \(maximumItems) items.")
        }
        var items: [PrescriptionItem] = []
        for (index, input) in inputs.enumerated() {
            let field = "items[\(index)]"
            guard let drug = catalogue.drug(input.drugId) else {
                validator.add("\(field).drugId", code: "unknown_drug", "This drug is not in the catalogue.")
                continue
            }
            var good = true
            if !(input.dose > 0) || !input.dose.isFinite {
                validator.add("\(field).dose", code: "not_positive", "A dose is more than zero."); good = false
            }
            if input.doseUnit != drug.doseUnit {
                validator.add("\(field).doseUnit", code: "dose_unit", "This drug is dosed in \(drug.doseUnit.rawValue)."); good = false
            }
            if !(1...maximumTimesPerDay).contains(input.timesPerDay) {
                validator.add("\(field).timesPerDay", code: "out_of_range", "1 to \(maximumTimesPerDay) times a day."); good = false
            }
            if !(1...longSupplyDays).contains(input.days) {
                validator.add("\(field).days", code: "out_of_range", "A supply is 1 to \(longSupplyDays) days."); good = false
            }
            if good, let maximum = drug.maximumDailyDose, input.dose * Double(input.timesPerDay) > maximum * implausibleDoseFactor {
                validator.add("\(field).dose", code: "implausible",
                              "A daily dose over \(Int(implausibleDoseFactor)) times the adult maximum is not plausible.")
                good = false
            }
            guard good else { continue }
            guard let quantity = packages(dose: input.dose, timesPerDay: input.timesPerDay, days: input.days,
                                          dosePerPackage: drug.dosePerPackage) else {
                validator.add("\(field).dose", code: "implausible", "This regimen needs more than \(maximumPackages) packages.")
                continue
            }
            if let given = input.quantity, given != quantity {
                validator.add("\(field).quantity", code: "quantity_mismatch",
                              "The dose, frequency and days need \(quantity) packages.")
                continue
            }
            items.append(PrescriptionItem(drug: drug, dose: input.dose, doseUnit: input.doseUnit, timesPerDay: input.timesPerDay,
                                          route: input.route ?? drug.route, days: input.days, quantity: quantity))
        }
        try validator.finish()
        return items
    }

    /// Whether a product may never be given on a long prescription: the specially controlled,
    /// biologics, and antimicrobials but those for tuberculosis and fungal infections (ATC J04,
    /// J02, and D01B, the systemic antifungals used in dermatology).
    public static func isExcludedFromLongPrescriptions(_ drug: Drug) -> Bool {
        if drug.controlledClass != .none || drug.isBiologic { return true }
        return drug.isAntimicrobial && !["J04", "J02", "D01B"].contains(where: drug.atc.hasPrefix)
    }

    /// Checks the supply of `items`: at most 7 days, or a long prescription with its reason for at
    /// most 12 weeks of products that may be given so.
    ///
    /// - Throws: 422 `long_prescription_required` (over 7 days without a long prescription),
    ///   `long_prescription_not_allowed` (a product that may not be given on one), 400 on `longPrescription.reason`
    ///   when the reason is blank.
    public static func checkSupply(_ items: [PrescriptionItem], long: LongPrescription?) throws(DomainError) {
        if let long {
            guard !long.reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .invalidField("longPrescription.reason", code: "required", "A long prescription states its reason.")
            }
            if let excluded = items.first(where: { isExcludedFromLongPrescriptions($0.drug) }) {
                throw .refused(code: "long_prescription_not_allowed",
                               message: "\(excluded.drug.genericNameEn) may not be given on a long prescription.")
            }
        } else if items.contains(where: { $0.days > usualSupplyDays }) {
            throw .refused(code: "long_prescription_required",
                           message: "A supply over \(usualSupplyDays) days needs a long prescription with its reason.")
        }
    }

    /// Checks that a prescription follows up the condition of the prior in-person visit: the same
    /// ICD-10 category (DOMAIN.md: online prescribing follows a follow-up of a condition diagnosed
    /// in person).
    ///
    /// - Throws: 422 `not_a_follow_up` when the categories differ or there is no prior visit.
    public static func checkFollowUp(diagnosis: ICD10Code, priorVisit: ICD10Code?) throws(DomainError) {
        guard let priorVisit, priorVisit.category == diagnosis.category else {
            throw .refused(code: "not_a_follow_up",
                           message: "A prescription online follows up the condition of the prior in-person visit.")
        }
    }

    /// Checks that every finding that blocks signing is overridden with a reason, and that nothing
    /// overrides a finding no reason can (a controlled drug).
    ///
    /// - Throws: 422 `controlled_drug_online` when a controlled drug is on it,
    ///   422 `unexplained_finding` when a high or contraindicated finding has no override.
    public static func checkSignable(findings: [Finding], overrides: [FindingKey: String]) throws(DomainError) {
        if findings.contains(where: { $0.rule == .controlled }) {
            throw .refused(code: "controlled_drug_online",
                           message: "Narcotic, psychotropic, toxic and radioactive drugs may not be prescribed online.")
        }
        if let open = findings.first(where: { $0.severity.blocksSigning && (overrides[$0.key] ?? "").isEmpty }) {
            throw .refused(code: "unexplained_finding", message: "Override with a written reason, or change the items: \(open.messageEn)")
        }
    }

    /// Checks an override the doctor writes against the draft's findings.
    ///
    /// - Throws: 400 on `reason` when blank; 422 `override_not_allowed` for a finding that no
    ///   reason can override; 422 `no_such_finding` when the draft has no such finding.
    public static func checkOverride(_ key: FindingKey, reason: String, findings: [Finding]) throws(DomainError) {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalidField("reason", code: "required", "An override states its reason.")
        }
        guard let finding = findings.first(where: { $0.key == key }) else {
            throw .refused(code: "no_such_finding", message: "The draft has no such finding.")
        }
        guard finding.isOverridable else {
            throw .refused(code: "override_not_allowed", message: "No reason allows a controlled drug online.")
        }
    }

    /// The instant a prescription issued at `issuedAt` stops being valid: the end of its day of
    /// issue in China, or of the last of `validDays` (1 to 3) days.
    public static func validUntil(issuedAt: Date, validDays: Int) throws(DomainError) -> Date {
        guard (1...longestValidity).contains(validDays) else {
            throw .invalidField("validDays", code: "out_of_range", "A prescription is valid 1 to \(longestValidity) days.")
        }
        return ChinaTime.startOfDay(issuedAt).addingTimeInterval(Double(validDays) * 24 * 3600)
    }
}

extension ICD10Code {
    /// The three-character category (`E11` of `E11.9`).
    public var category: String { String(value.prefix(3)) }
}
