import Foundation
import Testing
@testable import MedLoopDomain

// MARK: - Fixtures of the pharmacy tests

/// A hand-made product for the pharmacy tests, decoded from its JSON as the shipped catalogue is
/// (`Drug` has no public memberwise initialiser): 28 tablets of 5 mg, dosed in mg.
func aStockedDrug(productCode: String, nameEn: String, nameZh: String, insuranceClass: InsuranceClass = .a,
                  referencePriceFen: Int64 = 1250) throws -> Drug {
    let json = """
        {
          "productCode": "\(productCode)", "genericNameZh": "\(nameZh)", "genericNameEn": "\(nameEn)",
          "brandZh": null, "brandEn": null,
          "ingredients": [{"name": "\(nameEn)", "nameZh": "\(nameZh)", "strength": "5 mg"}],
          "atc": "C08CA01", "dosageForm": "tablet", "strength": "5 mg", "route": "oral",
          "doseUnit": "mg", "dosePerPackage": 140, "packageSize": 28, "packageUnit": "tablet",
          "dispensing": "prescription", "controlledClass": "none", "isAntimicrobial": false, "isBiologic": false,
          "insuranceClass": "\(insuranceClass.rawValue)", "referencePriceFen": \(referencePriceFen),
          "maximumDailyDose": 10, "minimumAgeYears": 0, "pregnancy": "none", "lactation": "none"
        }
        """
    return try JSONDecoder().decode(Drug.self, from: Data(json.utf8))
}

/// The two products most pharmacy tests use: amlodipine (product 9100001, class A) and metformin
/// (product 9100002, class B).
struct PharmacyShelf {
    let amlodipine: Drug
    let metformin: Drug

    init() throws {
        amlodipine = try aStockedDrug(productCode: "9100001", nameEn: "amlodipine", nameZh: "氨氯地平", insuranceClass: .a)
        metformin = try aStockedDrug(productCode: "9100002", nameEn: "metformin", nameZh: "二甲双胍", insuranceClass: .b)
    }
}

/// A fixed identifier ending in `n`, so that fixtures sort by it.
func aPharmacyFixtureId(_ n: Int) -> UUID {
    let digits = String(n)
    return UUID(uuidString: "00000000-0000-0000-0000-" + String(repeating: "0", count: 12 - digits.count) + digits)!
}

/// The instant a clock in China shows as `local` (`YYYY-MM-DDTHH:MM`, UTC+8).
func chinaInstant(_ local: String) throws -> Date {
    try #require(ISO8601DateFormatter().date(from: local + ":00+08:00"))
}

/// A valid point; a bad fixture fails the test.
func aPoint(_ latitude: Double, _ longitude: Double) throws -> GeoPoint {
    try GeoPoint(latitude: latitude, longitude: longitude)
}

/// Quzhou city centre, where the patient of the pharmacy tests stands.
func quzhouCentre() throws -> GeoPoint {
    try aPoint(28.9700, 118.8700)
}

/// A pharmacy `n` at `location`, open 08:00–22:00 China time, offering `modes`, delivering within
/// `radiusKm`.
func aPharmacy(_ n: Int, at location: GeoPoint, modes: Set<FulfilmentMode> = [.o2o, .b2c, .pickup],
               radiusKm: Double = 5, designated: Bool = true, opensAt: Int = 8 * 60, closesAt: Int = 22 * 60) -> PharmacyProfile {
    PharmacyProfile(pharmacyId: aPharmacyFixtureId(n), name: "药房 \(n)", location: location, opensAt: opensAt,
                    closesAt: closesAt, modes: modes, deliveryRadiusKm: radiusKm, isInsuranceDesignated: designated,
                    isZeroMarkup: false)
}

/// A stock list holding `levels` of each drug: (drug, on hand, reserved, price in fen).
func aStock(_ levels: [(drug: Drug, onHand: Int, reserved: Int, priceFen: Int64)]) -> [UUID: StockLevel] {
    var stock: [UUID: StockLevel] = [:]
    for level in levels {
        stock[level.drug.id] = StockLevel(drugId: level.drug.id, onHand: level.onHand, reserved: level.reserved,
                                          priceFen: level.priceFen)
    }
    return stock
}
