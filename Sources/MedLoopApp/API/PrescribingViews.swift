import Foundation
import MedLoopDomain
import MedLoopStore

/// A catalogue product as the API shows it.
struct DrugView: APIView, Encodable {
    var id: UUID
    var productCode: String
    var genericNameZh: String
    var genericNameEn: String
    var brandZh: String?
    var brandEn: String?
    var ingredients: [ActiveIngredient]
    var atc: String
    var therapeuticClass: String
    var dosageForm: DosageForm
    var strength: String
    var route: AdministrationRoute
    var doseUnit: DoseUnit
    var dosePerPackage: Double
    var packageSize: Int
    var packageUnit: PackageUnit
    var dispensing: Dispensing
    var controlledClass: ControlledClass
    var isAntimicrobial: Bool
    var isBiologic: Bool
    var insuranceClass: InsuranceClass
    var referencePriceFen: Int64
    var maximumDailyDose: Double?
    var minimumAgeYears: Int
    var pregnancy: UseCaution
    var lactation: UseCaution

    init(_ drug: Drug) {
        id = drug.id
        productCode = drug.productCode
        genericNameZh = drug.genericNameZh
        genericNameEn = drug.genericNameEn
        brandZh = drug.brandZh
        brandEn = drug.brandEn
        ingredients = drug.ingredients
        atc = drug.atc
        therapeuticClass = drug.therapeuticClass
        dosageForm = drug.dosageForm
        strength = drug.strength
        route = drug.route
        doseUnit = drug.doseUnit
        dosePerPackage = drug.dosePerPackage
        packageSize = drug.packageSize
        packageUnit = drug.packageUnit
        dispensing = drug.dispensing
        controlledClass = drug.controlledClass
        isAntimicrobial = drug.isAntimicrobial
        isBiologic = drug.isBiologic
        insuranceClass = drug.insuranceClass
        referencePriceFen = drug.referencePriceFen
        maximumDailyDose = drug.maximumDailyDose
        minimumAgeYears = drug.minimumAgeYears
        pregnancy = drug.pregnancy
        lactation = drug.lactation
    }
}

/// The findings of the clinical checks.
struct FindingsView: APIView, Encodable {
    var findings: [Finding]
}

/// A prescription as its doctor, its patient, a reviewing pharmacist or a regulator sees it.
struct PrescriptionView: APIView, Encodable {
    struct Item: Encodable, Sendable {
        var drugId: UUID
        var productCode: String
        var genericNameZh: String
        var genericNameEn: String
        var strength: String
        var dose: Double
        var doseUnit: DoseUnit
        var timesPerDay: Int
        var route: AdministrationRoute
        var days: Int
        var quantity: Int
        var packageUnit: PackageUnit
    }

    struct FindingView: Encodable, Sendable {
        var severity: FindingSeverity
        var rule: FindingRule
        var drugIds: [UUID]
        var messageZh: String
        var messageEn: String
        var blocksSigning: Bool
        /// The doctor's written reason for signing over it, if any.
        var overrideReason: String?
    }

    var id: UUID
    var consultationId: UUID
    var patientId: UUID
    var doctorAccountId: UUID
    var institutionId: UUID
    var diagnosis: String
    var state: PrescriptionState
    var items: [Item]
    var longPrescriptionReason: String?
    var validDays: Int
    var notes: String?
    var findings: [FindingView]
    var createdAt: Date
    var signedAt: Date?
    var validUntil: Date?
    var documentHash: String?
    var reviewedAt: Date?
    var reviewerAccountId: UUID?
    var rejectionReason: RejectionReason?
    var rejectionText: String?
    var replaces: UUID?

    init(_ p: Prescription) {
        id = p.id
        consultationId = p.consultationId
        patientId = p.patientId
        doctorAccountId = p.doctorAccountId
        institutionId = p.institutionId
        diagnosis = p.diagnosis.value
        state = p.state
        items = p.items.map { item in
            Item(drugId: item.drug.id, productCode: item.drug.productCode, genericNameZh: item.drug.genericNameZh,
                 genericNameEn: item.drug.genericNameEn, strength: item.drug.strength, dose: item.dose, doseUnit: item.doseUnit,
                 timesPerDay: item.timesPerDay, route: item.route, days: item.days, quantity: item.quantity,
                 packageUnit: item.drug.packageUnit)
        }
        longPrescriptionReason = p.longPrescription?.reason
        validDays = p.validDays
        notes = p.notes
        let reasons = p.overrideReasons
        findings = p.findings.map { finding in
            FindingView(severity: finding.severity, rule: finding.rule, drugIds: finding.drugIds, messageZh: finding.messageZh,
                        messageEn: finding.messageEn, blocksSigning: finding.severity.blocksSigning,
                        overrideReason: reasons[finding.key])
        }
        createdAt = p.createdAt
        signedAt = p.signedAt
        validUntil = p.validUntil
        documentHash = p.documentHash
        reviewedAt = p.reviewedAt
        reviewerAccountId = p.reviewerAccountId
        rejectionReason = p.rejectionReason
        rejectionText = p.rejectionText
        replaces = p.replacesId
    }
}

/// What a verifier needs (`SignedPrescription`, which `medloop verify-prescription` reads back),
/// and MedLoop's own verdict on it.
struct VerificationView: APIView, Encodable {
    struct Verdict: Encodable, Sendable {
        var valid: Bool
        var problems: [String]
    }

    var signed: SignedPrescription
    var verdict: Verdict

    init(_ signed: SignedPrescription, registeredKeys: [UUID: String]) {
        self.signed = signed
        let problems = signed.problems(registeredKeys: registeredKeys)
        verdict = Verdict(valid: problems.isEmpty, problems: problems)
    }

    func encode(to encoder: any Encoder) throws {
        try signed.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(verdict, forKey: .verdict)
    }

    enum CodingKeys: String, CodingKey { case verdict }
}

/// A prescription's trail, each entry checked in place, and whether the whole trail verifies.
struct TraceView: APIView, Encodable {
    struct Entry: Encodable, Sendable {
        var sequence: Int64
        var at: Date
        var event: String
        var actorAccountId: UUID?
        var actorRole: Role?
        var detail: [String: String]
        var hash: String
        var previousHash: String
        var verifies: Bool
    }

    var prescriptionId: UUID
    var verifies: Bool
    var entries: [Entry]
}
