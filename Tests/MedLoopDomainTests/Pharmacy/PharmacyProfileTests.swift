import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// A latitude and longitude that must be refused, with every field issue expected.
struct RefusedGeoPoint: Sendable, CustomTestStringConvertible {
    var latitude: Double
    var longitude: Double
    var issues: [String]

    var testDescription: String { "(\(latitude), \(longitude)) → \(issues)" }
}

/// Two points and the great-circle distance between them worked out by hand, in km.
struct KnownDistance: Sendable, CustomTestStringConvertible {
    var what: String
    var from: (Double, Double)
    var to: (Double, Double)
    var kilometres: Double

    var testDescription: String { "\(what): \(kilometres) km" }
}

/// A time on a clock in China and the minute of the day it is.
struct ChinaClockReading: Sendable, CustomTestStringConvertible {
    var local: String
    var minute: Int

    var testDescription: String { "\(local) → minute \(minute)" }
}

/// A stock level a pharmacy sets and the field issues it must get.
struct StockLevelCheck: Sendable, CustomTestStringConvertible {
    var onHand: Int
    var reserved: Int
    var priceFen: Int64
    var zeroMarkup: Bool
    var referencePriceFen: Int64
    var issues: [String]

    var testDescription: String {
        "\(onHand) on hand, \(reserved) reserved, \(priceFen) fen\(zeroMarkup ? " (zero markup, reference \(referencePriceFen))" : "") → \(issues)"
    }
}

/// A reservation asked of a stock level and whether it can be made.
struct ReservationAsk: Sendable, CustomTestStringConvertible {
    var quantity: Int
    var onHand: Int
    var reserved: Int
    var possible: Bool

    var testDescription: String { "\(quantity) of \(onHand) on hand, \(reserved) reserved → \(possible)" }
}

@Suite("Geographic points: valid coordinates and the distance between them")
struct GeoPointTests {
    static let refusals: [RefusedGeoPoint] = [
        RefusedGeoPoint(latitude: 90.0001, longitude: 0, issues: ["lat/out_of_range"]),
        RefusedGeoPoint(latitude: -90.0001, longitude: 0, issues: ["lat/out_of_range"]),
        RefusedGeoPoint(latitude: 128.97, longitude: 118.87, issues: ["lat/out_of_range"]),
        RefusedGeoPoint(latitude: .nan, longitude: 118.87, issues: ["lat/out_of_range"]),
        RefusedGeoPoint(latitude: .infinity, longitude: 118.87, issues: ["lat/out_of_range"]),
        RefusedGeoPoint(latitude: 28.97, longitude: 180.0001, issues: ["lon/out_of_range"]),
        RefusedGeoPoint(latitude: 28.97, longitude: -180.0001, issues: ["lon/out_of_range"]),
        RefusedGeoPoint(latitude: 28.97, longitude: .nan, issues: ["lon/out_of_range"]),
        RefusedGeoPoint(latitude: 28.97, longitude: -.infinity, issues: ["lon/out_of_range"]),
        RefusedGeoPoint(latitude: 118.87, longitude: 228.97, issues: ["lat/out_of_range", "lon/out_of_range"]),
        RefusedGeoPoint(latitude: .nan, longitude: .nan, issues: ["lat/out_of_range", "lon/out_of_range"]),
    ]

    static let inRange: [(Double, Double)] = [(90, 180), (-90, -180), (0, 0), (28.97, 118.87), (-33.8688, 151.2093)]

    // 6371.0088 km × π / 180 = 111.195 km a degree along a meridian.
    static let distances: [KnownDistance] = [
        KnownDistance(what: "Quzhou centre to 0.01° north", from: (28.97, 118.87), to: (28.98, 118.87), kilometres: 1.112),
        KnownDistance(what: "Quzhou centre to 0.02° north", from: (28.97, 118.87), to: (28.99, 118.87), kilometres: 2.224),
        KnownDistance(what: "Quzhou centre to 0.05° north", from: (28.97, 118.87), to: (29.02, 118.87), kilometres: 5.560),
        // Along a parallel, 111.195 × cos 28.97° = 97.28 km a degree.
        KnownDistance(what: "Quzhou centre to 0.01° east", from: (28.97, 118.87), to: (28.97, 118.88), kilometres: 0.973),
        KnownDistance(what: "Quzhou centre to itself", from: (28.97, 118.87), to: (28.97, 118.87), kilometres: 0),
        KnownDistance(what: "one degree along the equator", from: (0, 0), to: (0, 1), kilometres: 111.195),
        KnownDistance(what: "across the date line", from: (0, 179.5), to: (0, -179.5), kilometres: 111.195),
        KnownDistance(what: "Beijing to Shanghai", from: (39.9042, 116.4074), to: (31.2304, 121.4737), kilometres: 1067.312),
        // Half the circumference: 6371.0088 × π.
        KnownDistance(what: "pole to pole", from: (90, 0), to: (-90, 0), kilometres: 20015.114),
        KnownDistance(what: "to the antipode on the equator", from: (0, 0), to: (0, 180), kilometres: 20015.114),
    ]

    @Test("a latitude outside -90...90 or a longitude outside -180...180, or one not a finite number, is refused on lat or lon",
          arguments: Self.refusals)
    func refused(_ example: RefusedGeoPoint) {
        #expect(fieldIssues { () throws(DomainError) in
            try GeoPoint(latitude: example.latitude, longitude: example.longitude)
        } == example.issues)
    }

    @Test("coordinates in range, the edges included, are kept as given", arguments: Self.inRange)
    func accepted(latitude: Double, longitude: Double) throws {
        let point = try GeoPoint(latitude: latitude, longitude: longitude)
        #expect(point.latitude == latitude)
        #expect(point.longitude == longitude)
    }

    @Test("the great-circle distance between known points is right to 10 metres", arguments: Self.distances)
    func distance(_ example: KnownDistance) throws {
        let from = try aPoint(example.from.0, example.from.1)
        let to = try aPoint(example.to.0, example.to.1)
        #expect(abs(from.kilometres(to: to) - example.kilometres) < 0.01)
    }

    @Test("the distance from a to b is the distance from b to a, never negative nor more than half the earth round, and 0 to itself")
    func distanceIsSymmetric() async {
        let latitude = Gen.double(in: -90...90)
        let longitude = Gen.double(in: -180...180)
        await propertyCheck(input: latitude, longitude, latitude, longitude) { lat1, lon1, lat2, lon2 in
            guard let a = try? GeoPoint(latitude: lat1, longitude: lon1),
                  let b = try? GeoPoint(latitude: lat2, longitude: lon2) else {
                Issue.record("a point in range was refused"); return
            }
            let there = a.kilometres(to: b)
            let back = b.kilometres(to: a)
            #expect(abs(there - back) < 1e-9)
            #expect(there >= 0 && there <= 20015.12)
            #expect(a.kilometres(to: a) == 0)
        }
    }
}

@Suite("Opening hours: minutes of the day in China Standard Time")
struct OpeningHoursTests {
    static let readings: [ChinaClockReading] = [
        ChinaClockReading(local: "2026-03-02T00:00", minute: 0),
        ChinaClockReading(local: "2026-03-02T00:01", minute: 1),
        ChinaClockReading(local: "2026-03-02T07:59", minute: 479),
        ChinaClockReading(local: "2026-03-02T08:00", minute: 480),
        ChinaClockReading(local: "2026-03-02T12:30", minute: 750),
        ChinaClockReading(local: "2026-03-02T21:59", minute: 1319),
        ChinaClockReading(local: "2026-03-02T22:00", minute: 1320),
        ChinaClockReading(local: "2026-03-02T23:59", minute: 1439),
        // Midnight wraps to minute 0 of the next day.
        ChinaClockReading(local: "2026-03-03T00:00", minute: 0),
        // 16:00 UTC the evening before is midnight in China.
        ChinaClockReading(local: "2025-12-31T23:59", minute: 1439),
        ChinaClockReading(local: "2026-01-01T00:00", minute: 0),
        // Before 1970, where the seconds since the epoch are negative.
        ChinaClockReading(local: "1969-12-31T23:59", minute: 1439),
        ChinaClockReading(local: "1965-06-15T07:59", minute: 479),
    ]

    /// 08:00–22:00: open from the first minute, closed from the closing minute.
    static let openAt: [(String, Bool)] = [
        ("2026-03-02T00:00", false), ("2026-03-02T07:59", false), ("2026-03-02T08:00", true), ("2026-03-02T12:00", true),
        ("2026-03-02T21:59", true), ("2026-03-02T22:00", false), ("2026-03-02T23:59", false), ("2026-03-03T08:00", true),
    ]

    @Test("the minute of the day is counted from midnight in China (UTC+8) and wraps at midnight", arguments: Self.readings)
    func minuteOfDay(_ example: ChinaClockReading) throws {
        #expect(ChinaTime.minuteOfDay(try chinaInstant(example.local)) == example.minute)
    }

    @Test("the epoch, 00:00 UTC, is 08:00 in China; 16:00 UTC is midnight; the seconds within a minute do not count")
    func minuteOfDayFromUTC() {
        #expect(ChinaTime.minuteOfDay(Date(timeIntervalSince1970: 0)) == 480)
        #expect(ChinaTime.minuteOfDay(Date(timeIntervalSince1970: 16 * 3600)) == 0)
        #expect(ChinaTime.minuteOfDay(Date(timeIntervalSince1970: 16 * 3600 - 1)) == 1439)
        #expect(ChinaTime.minuteOfDay(Date(timeIntervalSince1970: 59.999)) == 480)
        #expect(ChinaTime.minuteOfDay(Date(timeIntervalSince1970: -0.5)) == 479)
    }

    @Test("a pharmacy open 08:00–22:00 is open at 08:00 and 21:59 and closed at 22:00", arguments: Self.openAt)
    func isOpen(local: String, open: Bool) throws {
        let pharmacy = aPharmacy(1, at: try quzhouCentre())
        #expect(pharmacy.isOpen(at: try chinaInstant(local)) == open)
    }

    @Test("for any instant the minute of the day is 0...1439, a minute later it is one more (0 after 1439), a day later the same")
    func minuteOfDayLaw() async {
        await propertyCheck(input: Gen.int64(in: -4_000_000_000...4_000_000_000)) { seconds in
            let instant = Date(timeIntervalSince1970: Double(seconds))
            let minute = ChinaTime.minuteOfDay(instant)
            #expect((0...1439).contains(minute))
            #expect(ChinaTime.minuteOfDay(instant.addingTimeInterval(60)) == (minute + 1) % 1440)
            #expect(ChinaTime.minuteOfDay(instant.addingTimeInterval(86_400)) == minute)
        }
    }
}

@Suite("Stock: never below zero, never below what is reserved, always priced")
struct StockRuleTests {
    static let levels: [StockLevelCheck] = [
        StockLevelCheck(onHand: 10, reserved: 0, priceFen: 1800, zeroMarkup: false, referencePriceFen: 1250, issues: []),
        StockLevelCheck(onHand: 0, reserved: 0, priceFen: 1800, zeroMarkup: false, referencePriceFen: 1250, issues: []),
        StockLevelCheck(onHand: 3, reserved: 3, priceFen: 1800, zeroMarkup: false, referencePriceFen: 1250, issues: []),
        StockLevelCheck(onHand: -1, reserved: 0, priceFen: 1800, zeroMarkup: false, referencePriceFen: 1250,
                        issues: ["onHand/negative"]),
        StockLevelCheck(onHand: 2, reserved: 3, priceFen: 1800, zeroMarkup: false, referencePriceFen: 1250,
                        issues: ["onHand/below_reserved"]),
        StockLevelCheck(onHand: 10, reserved: 0, priceFen: 0, zeroMarkup: false, referencePriceFen: 1250,
                        issues: ["priceFen/not_positive"]),
        StockLevelCheck(onHand: 10, reserved: 0, priceFen: -100, zeroMarkup: false, referencePriceFen: 1250,
                        issues: ["priceFen/not_positive"]),
        // A hospital pharmacy sells at the reference price or below.
        StockLevelCheck(onHand: 10, reserved: 0, priceFen: 1251, zeroMarkup: true, referencePriceFen: 1250,
                        issues: ["priceFen/markup"]),
        StockLevelCheck(onHand: 10, reserved: 0, priceFen: 1250, zeroMarkup: true, referencePriceFen: 1250, issues: []),
        StockLevelCheck(onHand: 10, reserved: 0, priceFen: 1000, zeroMarkup: true, referencePriceFen: 1250, issues: []),
        StockLevelCheck(onHand: 10, reserved: 0, priceFen: 1800, zeroMarkup: false, referencePriceFen: 1250, issues: []),
        // Every bad field at once; a negative stock is not also said to be below the reserved.
        StockLevelCheck(onHand: -1, reserved: 2, priceFen: 0, zeroMarkup: false, referencePriceFen: 1250,
                        issues: ["onHand/negative", "priceFen/not_positive"]),
        StockLevelCheck(onHand: 1, reserved: 2, priceFen: 1300, zeroMarkup: true, referencePriceFen: 1250,
                        issues: ["onHand/below_reserved", "priceFen/markup"]),
    ]

    static let asks: [ReservationAsk] = [
        ReservationAsk(quantity: 1, onHand: 10, reserved: 0, possible: true),
        ReservationAsk(quantity: 10, onHand: 10, reserved: 0, possible: true),
        ReservationAsk(quantity: 11, onHand: 10, reserved: 0, possible: false),
        ReservationAsk(quantity: 3, onHand: 10, reserved: 7, possible: true),
        ReservationAsk(quantity: 4, onHand: 10, reserved: 7, possible: false),
        ReservationAsk(quantity: 1, onHand: 5, reserved: 5, possible: false),
        ReservationAsk(quantity: 0, onHand: 10, reserved: 0, possible: false),
        ReservationAsk(quantity: -1, onHand: 10, reserved: 0, possible: false),
        ReservationAsk(quantity: 1, onHand: 0, reserved: 0, possible: false),
    ]

    @Test("a stock level is refused on the field that breaks a rule, each with its code", arguments: Self.levels)
    func checkLevel(_ example: StockLevelCheck) {
        #expect(fieldIssues { () throws(DomainError) in
            try StockRule.checkLevel(onHand: example.onHand, reserved: example.reserved, priceFen: example.priceFen,
                                     zeroMarkup: example.zeroMarkup, referencePriceFen: example.referencePriceFen)
        } == example.issues)
    }

    @Test("a reservation is possible for a positive quantity up to what is on hand and not reserved", arguments: Self.asks)
    func canReserve(_ example: ReservationAsk) {
        let level = StockLevel(drugId: aPharmacyFixtureId(1), onHand: example.onHand, reserved: example.reserved, priceFen: 1800)
        #expect(level.available == example.onHand - example.reserved)
        #expect(StockRule.canReserve(example.quantity, from: level) == example.possible)
    }

    @Test("for any quantity and level, canReserve holds exactly when 0 < quantity ≤ on hand − reserved")
    func canReserveLaw() async {
        await propertyCheck(input: Gen.int(in: -5...60), Gen.int(in: 0...50), Gen.int(in: 0...50)) { quantity, onHand, reserved in
            let level = StockLevel(drugId: aPharmacyFixtureId(1), onHand: onHand, reserved: reserved, priceFen: 1800)
            #expect(StockRule.canReserve(quantity, from: level) == (0 < quantity && quantity <= onHand - reserved))
        }
    }
}
