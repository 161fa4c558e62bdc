import Foundation
import MedLoopDomain
import SQLKit

/// The demo city's three pharmacies (Quzhou, Kecheng and Qujiang districts): where they are, how
/// they hand medicine over, and a stock of the catalogue drawn the same on every machine.
extension DemoWorld {
    /// Each pharmacy's profile, and which part of the catalogue it stocks.
    static let pharmacyProfiles: [(profile: PharmacyProfile, stocksEvery: Int)] = [
        // A chain store on Hehua Road: delivers within 5 km, open long hours, stocks nearly all.
        (PharmacyProfile(pharmacyId: Institutions.pharmacies[0], name: "衢州百姓大药房（荷花店）",
                         location: try! GeoPoint(latitude: 28.9602, longitude: 118.8691), opensAt: 7 * 60 + 30, closesAt: 22 * 60,
                         modes: [.o2o, .pickup, .b2c], deliveryRadiusKm: 5, isInsuranceDesignated: true, isZeroMarkup: false), 1),
        // A neighbourhood pharmacy near Xinqiao Street: delivers within 3 km, stocks two thirds.
        (PharmacyProfile(pharmacyId: Institutions.pharmacies[1], name: "衢州康宁药店（新桥店）",
                         location: try! GeoPoint(latitude: 28.9718, longitude: 118.8803), opensAt: 8 * 60, closesAt: 21 * 60,
                         modes: [.o2o, .pickup], deliveryRadiusKm: 3, isInsuranceDesignated: true, isZeroMarkup: false), 3),
        // An online-first pharmacy in Qujiang that ships (B2C) and takes pickups; not designated.
        (PharmacyProfile(pharmacyId: Institutions.pharmacies[2], name: "衢州天一堂大药房",
                         location: try! GeoPoint(latitude: 28.9398, longitude: 118.9297), opensAt: 9 * 60, closesAt: 18 * 60,
                         modes: [.b2c, .pickup], deliveryRadiusKm: 0, isInsuranceDesignated: false, isZeroMarkup: false), 2),
    ]

    /// Gives the demo pharmacies their profiles and stock: every catalogue drug that is not
    /// specially controlled, but for those a pharmacy does not carry (one in `stocksEvery` is
    /// skipped), 5 to 60 packages at 95 % to 105 % of the reference price.
    static func seedPharmacies(at now: Date, in tx: Transaction) async throws {
        // A database part-way through its migrations (a migration's own test) has no pharmacy tables yet.
        guard try await tx.sql.raw("SELECT version FROM schema_migrations WHERE version = \(bind: Migrations.pharmacy.version)")
            .first() != nil else { return }
        for (profile, stocksEvery) in pharmacyProfiles {
            try await PharmacyStore.setProfile(profile, at: now, in: tx)
            // Drawn in SQL from the catalogue the migration loaded: the same rows on both engines.
            let skip = stocksEvery == 1 ? "" : " AND CAST(product_code AS BIGINT) % \(stocksEvery) <> 0"
            try await tx.sql.raw("""
                INSERT INTO pharmacy_stock (pharmacy_id, drug_id, on_hand, reserved, price_fen, updated_at)
                SELECT \(bind: profile.pharmacyId.text), id, 5 + (CAST(product_code AS BIGINT) * 7) % 56, 0,
                       reference_price_fen * (95 + CAST(product_code AS BIGINT) % 11) / 100, \(bind: now.epochMillis)
                FROM drugs WHERE controlled_class = 'none'\(unsafeRaw: skip)
                """).run()
        }
    }
}
