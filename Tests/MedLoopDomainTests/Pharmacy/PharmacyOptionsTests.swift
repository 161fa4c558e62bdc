import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A pharmacy, a mode, a distance and a time, and the minutes worked out by hand.
struct FulfilmentWait: Sendable, CustomTestStringConvertible {
    var mode: FulfilmentMode
    var distanceKm: Double
    var local: String
    var minutes: Int

    var testDescription: String { "\(mode) at \(distanceKm) km, \(local) → \(minutes) min" }
}

/// One pharmacy as the property test draws it: where it is, what it holds, how it delivers.
struct DrawnPharmacy: Sendable {
    var northOffset: Double
    var amlodipine: (onHand: Int, reserved: Int, priceFen: Int64)
    var metformin: (onHand: Int, reserved: Int, priceFen: Int64)?
    var modes: Set<FulfilmentMode>
    var radiusKm: Double
    var designated: Bool
}

/// The patient's items: 2 packages of amlodipine and 1 of metformin.
private func twoItems(_ shelf: PharmacyShelf) -> [(drug: Drug, quantity: Int)] {
    [(drug: shelf.amlodipine, quantity: 2), (drug: shelf.metformin, quantity: 1)]
}

/// A pharmacy 0.01° north of the patient (1.11 km), open 08:00–22:00, delivering within 5 km,
/// holding plenty of both products at 18 and 30 yuan.
private func theNearPharmacy(_ shelf: PharmacyShelf, modes: Set<FulfilmentMode> = [.o2o, .b2c, .pickup],
                             designated: Bool = true) throws -> (profile: PharmacyProfile, stock: [UUID: StockLevel]) {
    let stock = aStock([(shelf.amlodipine, 10, 0, 1800), (shelf.metformin, 10, 0, 3000)])
    return (aPharmacy(1, at: try aPoint(28.9800, 118.8700), modes: modes, designated: designated), stock)
}

private func optionsAt(_ local: String, items: [(drug: Drug, quantity: Int)],
                       from pharmacies: [(profile: PharmacyProfile, stock: [UUID: StockLevel])],
                       mode: FulfilmentMode? = nil) throws -> [PharmacyOption] {
    PharmacyOptions.options(for: items, from: pharmacies, at: try quzhouCentre(), mode: mode, now: try chinaInstant(local))
}

/// A readable summary of an option: pharmacy, mode, total, minutes.
private func summary(_ option: PharmacyOption) -> String {
    "\(option.pharmacy.name) \(option.mode) \(option.bill.totalFen) \(option.estimatedMinutes)"
}

@Suite("Pharmacy options: who can fill a prescription, how, for how much and how soon")
struct PharmacyOptionsTests {
    static let waits: [FulfilmentWait] = [
        // Open: preparation (20) and, for O2O, the ride at 15 km/h rounded up to the minute.
        FulfilmentWait(mode: .pickup, distanceKm: 1.112, local: "2026-03-02T10:00", minutes: 20),
        FulfilmentWait(mode: .o2o, distanceKm: 0, local: "2026-03-02T10:00", minutes: 20),
        // 0.01 km: 0.04 min of ride → 1.
        FulfilmentWait(mode: .o2o, distanceKm: 0.01, local: "2026-03-02T10:00", minutes: 21),
        // 1.112 km: 4.45 min → 5.
        FulfilmentWait(mode: .o2o, distanceKm: 1.112, local: "2026-03-02T10:00", minutes: 25),
        // 7.5 km: exactly 30 min.
        FulfilmentWait(mode: .o2o, distanceKm: 7.5, local: "2026-03-02T10:00", minutes: 50),
        // 7.6 km: 30.4 min → 31.
        FulfilmentWait(mode: .o2o, distanceKm: 7.6, local: "2026-03-02T10:00", minutes: 51),
        // B2C: two days of carrier, whatever the distance.
        FulfilmentWait(mode: .b2c, distanceKm: 1.112, local: "2026-03-02T10:00", minutes: 2900),
        FulfilmentWait(mode: .b2c, distanceKm: 800, local: "2026-03-02T10:00", minutes: 2900),
        // Open in its last minute.
        FulfilmentWait(mode: .pickup, distanceKm: 1.112, local: "2026-03-02T21:59", minutes: 20),
        // Before opening: 07:30 waits 30 minutes.
        FulfilmentWait(mode: .pickup, distanceKm: 1.112, local: "2026-03-02T07:30", minutes: 50),
        FulfilmentWait(mode: .o2o, distanceKm: 1.112, local: "2026-03-02T07:30", minutes: 55),
        FulfilmentWait(mode: .b2c, distanceKm: 1.112, local: "2026-03-02T07:30", minutes: 2930),
        // Midnight: 480 minutes until 08:00.
        FulfilmentWait(mode: .pickup, distanceKm: 1.112, local: "2026-03-03T00:00", minutes: 500),
        // Closing time, 22:00: 120 minutes to midnight and 480 after it.
        FulfilmentWait(mode: .pickup, distanceKm: 1.112, local: "2026-03-02T22:00", minutes: 620),
        // After closing, 22:30: 90 + 480 = 570 minutes until the next opening.
        FulfilmentWait(mode: .pickup, distanceKm: 1.112, local: "2026-03-02T22:30", minutes: 590),
        FulfilmentWait(mode: .o2o, distanceKm: 1.112, local: "2026-03-02T22:30", minutes: 595),
        FulfilmentWait(mode: .b2c, distanceKm: 1.112, local: "2026-03-02T22:30", minutes: 3470),
        FulfilmentWait(mode: .pickup, distanceKm: 1.112, local: "2026-03-02T23:59", minutes: 501),
    ]

    @Test("the wait is the time until opening, 20 minutes' preparation, and the ride at 15 km/h (O2O) or two days (B2C)",
          arguments: Self.waits)
    func estimatedMinutes(_ example: FulfilmentWait) throws {
        let pharmacy = aPharmacy(1, at: try quzhouCentre())
        let minutes = PharmacyOptions.estimatedMinutes(pharmacy, mode: example.mode, distanceKm: example.distanceKm,
                                                       now: try chinaInstant(example.local))
        #expect(minutes == example.minutes)
    }

    @Test("a pharmacy 1.11 km away holding both items offers O2O, pickup and B2C with the bill 2 × 1800 + 1 × 3000 = 6600 fen")
    func theBill() throws {
        let shelf = try PharmacyShelf()
        let options = try optionsAt("2026-03-02T10:00", items: twoItems(shelf), from: [theNearPharmacy(shelf)])
        // Same distance and bill: the soonest first.
        #expect(options.map(\.mode) == [.pickup, .o2o, .b2c])
        #expect(options.map(\.estimatedMinutes) == [20, 25, 2900])
        let option = try #require(options.first)
        #expect(abs(option.distanceKm - 1.112) < 0.01)
        #expect(option.pharmacy.pharmacyId == aPharmacyFixtureId(1))
        #expect(option.bill.institutionId == aPharmacyFixtureId(1))
        #expect(option.bill.lines.map(\.drugId) == [shelf.amlodipine.id, shelf.metformin.id])
        #expect(option.bill.lines.map(\.quantity) == [2, 1])
        #expect(option.bill.lines.map(\.unitPriceFen) == [1800, 3000])
        #expect(option.bill.lines.map(\.amountFen) == [3600, 3000])
        #expect(option.bill.lines.map(\.insuranceClass) == [.a, .b])
        #expect(option.bill.totalFen == 6600)
        #expect(options.allSatisfy { $0.bill == option.bill })
    }

    @Test("insurance can pay exactly at a designated pharmacy", arguments: [true, false])
    func insuranceFollowsDesignation(designated: Bool) throws {
        let shelf = try PharmacyShelf()
        let options = try optionsAt("2026-03-02T10:00", items: twoItems(shelf),
                                    from: [theNearPharmacy(shelf, designated: designated)])
        #expect(options.count == 3)
        #expect(options.allSatisfy { $0.insuranceCanPay == designated })
    }

    @Test("a pharmacy missing one item, or without enough available of one, or without a price for one, is left out")
    func everyItemInFull() throws {
        let shelf = try PharmacyShelf()
        let here = try aPoint(28.9800, 118.8700)
        let missingMetformin = aStock([(shelf.amlodipine, 10, 0, 1800)])
        // 5 on hand, 4 reserved: 1 available where 2 are needed.
        let tooFewAvailable = aStock([(shelf.amlodipine, 5, 4, 1800), (shelf.metformin, 10, 0, 3000)])
        // 5 on hand, 3 reserved: exactly the 2 needed.
        let justEnough = aStock([(shelf.amlodipine, 5, 3, 1800), (shelf.metformin, 1, 0, 3000)])
        let unpriced = aStock([(shelf.amlodipine, 10, 0, 1800), (shelf.metformin, 10, 0, 0)])
        let pharmacies: [(profile: PharmacyProfile, stock: [UUID: StockLevel])] = [
            (aPharmacy(1, at: here, modes: [.pickup]), missingMetformin),
            (aPharmacy(2, at: here, modes: [.pickup]), tooFewAvailable),
            (aPharmacy(3, at: here, modes: [.pickup]), justEnough),
            (aPharmacy(4, at: here, modes: [.pickup]), unpriced),
        ]
        let options = try optionsAt("2026-03-02T10:00", items: twoItems(shelf), from: pharmacies)
        #expect(options.map(\.pharmacy.pharmacyId) == [aPharmacyFixtureId(3)])
    }

    @Test("nothing asked for, nothing offered")
    func noItems() throws {
        let shelf = try PharmacyShelf()
        #expect(try optionsAt("2026-03-02T10:00", items: [], from: [theNearPharmacy(shelf)]).isEmpty)
    }

    @Test("two items of the same product need their packages together: 3 + 3 packages are not offered from 5 available")
    func sameProductTwice() throws {
        let shelf = try PharmacyShelf()
        let items: [(drug: Drug, quantity: Int)] = [(drug: shelf.amlodipine, quantity: 3), (drug: shelf.amlodipine, quantity: 3)]
        let stock = aStock([(shelf.amlodipine, 5, 0, 1800)])
        let pharmacy = aPharmacy(1, at: try aPoint(28.9800, 118.8700), modes: [.pickup])
        let options = try optionsAt("2026-03-02T10:00", items: items, from: [(pharmacy, stock)])
        #expect(options.isEmpty, "6 packages are needed and 5 are available")
    }

    @Test("O2O is offered only within the delivery radius; pickup and B2C are offered beyond it")
    func deliveryRadius() throws {
        let shelf = try PharmacyShelf()
        let stock = aStock([(shelf.amlodipine, 10, 0, 1800), (shelf.metformin, 10, 0, 3000)])
        // 0.05° north: 5.56 km.
        let far = try aPoint(29.0200, 118.8700)
        let beyond = try optionsAt("2026-03-02T10:00", items: twoItems(shelf), from: [(aPharmacy(1, at: far, radiusKm: 5), stock)])
        #expect(beyond.map(\.mode) == [.pickup, .b2c])
        let within = try optionsAt("2026-03-02T10:00", items: twoItems(shelf), from: [(aPharmacy(1, at: far, radiusKm: 6), stock)])
        #expect(within.map(\.mode) == [.pickup, .o2o, .b2c])
        // 5.56 km: 22.24 minutes of ride → 23, after 20 of preparation.
        #expect(within.map(\.estimatedMinutes) == [20, 43, 2900])
        // At the pharmacy's door with a radius of 0: the distance is not beyond it.
        let atTheDoor = try optionsAt("2026-03-02T10:00", items: twoItems(shelf),
                                      from: [(aPharmacy(1, at: try quzhouCentre(), radiusKm: 0), stock)], mode: .o2o)
        #expect(atTheDoor.map(\.estimatedMinutes) == [20])
    }

    @Test("asking for one mode gives only that mode, and only where the pharmacy offers it",
          arguments: [FulfilmentMode.o2o, .b2c, .pickup])
    func modeFilter(mode: FulfilmentMode) throws {
        let shelf = try PharmacyShelf()
        let stock = aStock([(shelf.amlodipine, 10, 0, 1800), (shelf.metformin, 10, 0, 3000)])
        let here = try aPoint(28.9800, 118.8700)
        let pharmacies: [(profile: PharmacyProfile, stock: [UUID: StockLevel])] = [
            (aPharmacy(1, at: here, modes: [.o2o, .b2c, .pickup]), stock),
            (aPharmacy(2, at: here, modes: [.pickup]), stock),
            (aPharmacy(3, at: here, modes: [.o2o, .b2c]), stock),
        ]
        let options = try optionsAt("2026-03-02T10:00", items: twoItems(shelf), from: pharmacies, mode: mode)
        let expected: [UUID] = mode == .pickup ? [aPharmacyFixtureId(1), aPharmacyFixtureId(2)]
            : [aPharmacyFixtureId(1), aPharmacyFixtureId(3)]
        #expect(options.map(\.mode).allSatisfy { $0 == mode })
        #expect(options.map(\.pharmacy.pharmacyId) == expected)
    }

    @Test("options come nearest first, then cheapest: 1.11 km at 64 yuan, 1.11 km at 66 yuan, then 2.22 km at 55 yuan")
    func nearestThenCheapest() throws {
        let shelf = try PharmacyShelf()
        let near = try aPoint(28.9800, 118.8700)
        let farther = try aPoint(28.9900, 118.8700)
        // 2 × 1800 + 3000 = 6600; 2 × 1700 + 3000 = 6400; 2 × 1500 + 2500 = 5500.
        let dearer = aStock([(shelf.amlodipine, 10, 0, 1800), (shelf.metformin, 10, 0, 3000)])
        let cheaper = aStock([(shelf.amlodipine, 10, 0, 1700), (shelf.metformin, 10, 0, 3000)])
        let cheapest = aStock([(shelf.amlodipine, 10, 0, 1500), (shelf.metformin, 10, 0, 2500)])
        let pharmacies: [(profile: PharmacyProfile, stock: [UUID: StockLevel])] = [
            (aPharmacy(1, at: farther, modes: [.pickup]), cheapest),
            (aPharmacy(2, at: near, modes: [.pickup]), dearer),
            (aPharmacy(3, at: near, modes: [.pickup]), cheaper),
        ]
        let options = try optionsAt("2026-03-02T10:00", items: twoItems(shelf), from: pharmacies)
        #expect(options.map(summary) == ["药房 3 pickup 6400 20", "药房 2 pickup 6600 20", "药房 1 pickup 5500 20"])
        #expect(abs(options[0].distanceKm - 1.112) < 0.01)
        #expect(abs(options[2].distanceKm - 2.224) < 0.01)
    }

    @Test("with every mode, the nearer pharmacy's options all come first, each ordered soonest first")
    func nearestThenSoonest() throws {
        let shelf = try PharmacyShelf()
        let stock = aStock([(shelf.amlodipine, 10, 0, 1800), (shelf.metformin, 10, 0, 3000)])
        let pharmacies: [(profile: PharmacyProfile, stock: [UUID: StockLevel])] = [
            (aPharmacy(1, at: try aPoint(28.9900, 118.8700)), stock),
            (aPharmacy(2, at: try aPoint(28.9800, 118.8700)), stock),
        ]
        let options = try optionsAt("2026-03-02T10:00", items: twoItems(shelf), from: pharmacies)
        // 2.22 km: 8.90 minutes of ride → 9.
        #expect(options.map(summary) == [
            "药房 2 pickup 6600 20", "药房 2 o2o 6600 25", "药房 2 b2c 6600 2900",
            "药房 1 pickup 6600 20", "药房 1 o2o 6600 29", "药房 1 b2c 6600 2900",
        ])
    }

    @Test("a pharmacy closed now is still offered, with the wait until it opens: 22:30 waits until 08:00")
    func closedPharmacy() throws {
        let shelf = try PharmacyShelf()
        let options = try optionsAt("2026-03-02T22:30", items: twoItems(shelf), from: [theNearPharmacy(shelf)])
        #expect(options.map(\.mode) == [.pickup, .o2o, .b2c])
        #expect(options.map(\.estimatedMinutes) == [590, 595, 3470])
    }

    @Test("every option holds every item in full at the pharmacy's price, its total is the sum of its lines, and the list is sorted")
    func optionsAddUp() async throws {
        let shelf = try PharmacyShelf()
        let patient = try quzhouCentre()
        let start = try chinaInstant("2026-03-02T00:00")
        let level = zip(Gen.int(in: 0...6), Gen.int(in: 0...3), Gen.int64(in: 0...5000))
        let pharmacy = zip(Gen.double(in: 0...0.1), level, level.optional, Gen.int(in: 0...7), Gen.double(in: 0...12), Gen.bool)
            .map { north, amlodipine, metformin, modeBits, radius, designated in
                let modes = Set(FulfilmentMode.allCases.enumerated().filter { modeBits & (1 << $0.offset) != 0 }.map(\.element))
                return DrawnPharmacy(northOffset: north, amlodipine: amlodipine, metformin: metformin, modes: modes,
                                     radiusKm: radius, designated: designated)
            }
        let quantities = zip(Gen.int(in: 1...3), Gen.int(in: 1...3))
        await propertyCheck(input: pharmacy.array(of: 0...4), quantities, Gen<FulfilmentMode>.case.optional,
                            Gen.int(in: 0...1439)) { drawn, quantity, wanted, minute in
            let items: [(drug: Drug, quantity: Int)] = [(drug: shelf.amlodipine, quantity: quantity.0),
                                                        (drug: shelf.metformin, quantity: quantity.1)]
            var pharmacies: [(profile: PharmacyProfile, stock: [UUID: StockLevel])] = []
            var expectedCount = 0
            for (index, draw) in drawn.enumerated() {
                guard let location = try? GeoPoint(latitude: 28.97 + draw.northOffset, longitude: 118.87) else {
                    Issue.record("a point in range was refused"); return
                }
                let profile = aPharmacy(index + 1, at: location, modes: draw.modes, radiusKm: draw.radiusKm, designated: draw.designated)
                var levels = [(drug: shelf.amlodipine, onHand: draw.amlodipine.onHand, reserved: draw.amlodipine.reserved,
                               priceFen: draw.amlodipine.priceFen)]
                if let metformin = draw.metformin {
                    levels.append((drug: shelf.metformin, onHand: metformin.onHand, reserved: metformin.reserved,
                                   priceFen: metformin.priceFen))
                }
                pharmacies.append((profile, aStock(levels)))
                // What the rule says, counted independently of how options are built.
                let holdsAll = levels.count == 2 && zip(levels, items).allSatisfy { level, item in
                    level.priceFen > 0 && 0 < item.quantity && item.quantity <= level.onHand - level.reserved
                }
                let distance = location.kilometres(to: patient)
                if holdsAll {
                    expectedCount += draw.modes.filter { mode in
                        (wanted == nil || wanted == mode) && (mode != .o2o || distance <= draw.radiusKm)
                    }.count
                }
            }
            let now = start.addingTimeInterval(Double(minute * 60))
            let options = PharmacyOptions.options(for: items, from: pharmacies, at: patient, mode: wanted, now: now)
            #expect(options.count == expectedCount)
            for option in options {
                let stock = pharmacies.first { $0.profile.pharmacyId == option.pharmacy.pharmacyId }?.stock ?? [:]
                let sum = option.bill.lines.reduce(Int64(0)) { $0 + Int64($1.quantity) * $1.unitPriceFen }
                #expect(option.bill.totalFen == sum)
                #expect(option.bill.lines.map(\.drugId) == items.map(\.drug.id))
                #expect(option.bill.lines.map(\.quantity) == items.map(\.quantity))
                #expect(option.bill.lines.allSatisfy { line in
                    guard let level = stock[line.drugId] else { return false }
                    return line.unitPriceFen == level.priceFen && StockRule.canReserve(line.quantity, from: level)
                })
                #expect(option.pharmacy.modes.contains(option.mode))
                #expect(wanted == nil || option.mode == wanted)
                #expect(option.mode != .o2o || option.distanceKm <= option.pharmacy.deliveryRadiusKm)
                #expect(option.insuranceCanPay == option.pharmacy.isInsuranceDesignated)
                #expect(option.estimatedMinutes >= PharmacyOptions.preparationMinutes)
            }
            #expect(zip(options, options.dropFirst()).allSatisfy { $0.distanceKm <= $1.distanceKm })
        }
    }
}
