import Foundation
import MedLoopDomain
import SQLKit

/// Pharmacies as the prescription circulation sees them: their profile (location, hours, modes,
/// designation) and their stock of catalogue drugs, kept by their staff.
public struct PharmacyStore: Sendable {
    let database: Database
    let audit: AuditStore
    let catalogue: DrugCatalogue

    public init(database: Database, audit: AuditStore, catalogue: DrugCatalogue) {
        self.database = database
        self.audit = audit
        self.catalogue = catalogue
    }

    /// Records where a pharmacy is and how it hands medicine over (seed, operator).
    public static func setProfile(_ profile: PharmacyProfile, at now: Date, in tx: Transaction) async throws {
        let modes = FulfilmentMode.allCases.filter(profile.modes.contains).map(\.rawValue).joined(separator: ",")
        try await tx.sql.raw("""
            INSERT INTO pharmacy_profiles (pharmacy_id, latitude, longitude, opens_at, closes_at, modes, delivery_radius_km,
                                           zero_markup, updated_at)
            VALUES (\(bind: profile.pharmacyId.text), \(bind: profile.location.latitude), \(bind: profile.location.longitude),
                    \(bind: profile.opensAt), \(bind: profile.closesAt), \(bind: modes), \(bind: profile.deliveryRadiusKm),
                    \(bind: profile.isZeroMarkup), \(bind: now.epochMillis))
            ON CONFLICT (pharmacy_id) DO UPDATE SET latitude = excluded.latitude, longitude = excluded.longitude,
                opens_at = excluded.opens_at, closes_at = excluded.closes_at, modes = excluded.modes,
                delivery_radius_km = excluded.delivery_radius_km, zero_markup = excluded.zero_markup,
                updated_at = excluded.updated_at
            """).run()
    }

    /// Records a pharmacy's profile as its staff set it, audited.
    public func setProfile(_ profile: PharmacyProfile, context: AuditContext) async throws {
        try await database.unitOfWork { tx in
            try await Self.setProfile(profile, at: context.at, in: tx)
            try await audit.append(AuditRecord(action: "pharmacy.profile.set", resourceType: "pharmacy",
                                               resourceId: profile.pharmacyId.text), context: context, in: tx)
        }
    }

    /// Every pharmacy with a profile that holds all of `drugs`, with its stock of them; a suspended
    /// pharmacy is none of them (issue 20).
    public func candidates(holding drugs: [UUID]) async throws -> [(profile: PharmacyProfile, stock: [UUID: StockLevel])] {
        guard !drugs.isEmpty else { return [] }
        return try await database.read { sql in
            // The pharmacies that stock every drug, found through the stock index by drug.
            let ids = try await sql.raw("""
                SELECT pharmacy_id FROM pharmacy_stock WHERE drug_id IN (\(binds: drugs.map(\.text)))
                GROUP BY pharmacy_id HAVING COUNT(*) = \(bind: Set(drugs).count)
                """).all().map { try $0.text("pharmacy_id") }
            guard !ids.isEmpty else { return [] }
            var stock: [String: [UUID: StockLevel]] = [:]
            for row in try await sql.raw("""
                SELECT * FROM pharmacy_stock WHERE pharmacy_id IN (\(binds: ids)) AND drug_id IN (\(binds: drugs.map(\.text)))
                """).all() {
                stock[try row.text("pharmacy_id"), default: [:]][try row.uuid("drug_id")] = try Self.level(from: row)
            }
            return try await sql.raw("""
                SELECT p.*, i.name, i.insurance_designated FROM pharmacy_profiles p JOIN institutions i ON i.id = p.pharmacy_id
                WHERE p.pharmacy_id IN (\(binds: ids)) AND i.qualification <> \(bind: QualificationStatus.suspended.rawValue) ORDER BY p.pharmacy_id
                """).all().map { row in (try Self.profile(from: row), stock[try row.text("pharmacy_id")] ?? [:]) }
        }
    }

    public func profile(_ pharmacy: UUID) async throws -> PharmacyProfile? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT p.*, i.name, i.insurance_designated FROM pharmacy_profiles p JOIN institutions i ON i.id = p.pharmacy_id
                WHERE p.pharmacy_id = \(bind: pharmacy.text)
                """).first().map(Self.profile(from:))
        }
    }

    /// A page of a pharmacy's stock, in drug order.
    public func stock(of pharmacy: UUID, limit: Int, cursor: String?) async throws -> Page<StockLevel> {
        let after = try cursor.map { try Cursor.decode($0) }
        return try await database.read { sql in
            var query: SQLQueryString = "SELECT * FROM pharmacy_stock WHERE pharmacy_id = \(bind: pharmacy.text)"
            if let after { query += " AND drug_id > \(bind: after)" }
            query += " ORDER BY drug_id LIMIT \(literal: limit + 1)"
            let levels = try await sql.raw(query).all().map(Self.level(from:))
            let page = Array(levels.prefix(limit))
            return Page(items: page, nextCursor: levels.count > limit ? page.last.map { Cursor.encode($0.drugId.text) } : nil)
        }
    }

    /// Sets the stock on hand and the price of one drug, as the pharmacy's staff count it.
    /// Packages reserved for orders stay reserved; on hand may not go below them.
    public func setStock(of pharmacy: UUID, drug: UUID, onHand: Int, priceFen: Int64, context: AuditContext) async throws -> StockLevel {
        try await database.unitOfWork { tx in
            try await setStock(of: pharmacy, drug: drug, onHand: onHand, priceFen: priceFen, context: context, in: tx)
        }
    }

    func setStock(of pharmacy: UUID, drug: UUID, onHand: Int, priceFen: Int64, context: AuditContext,
                  in tx: Transaction) async throws -> StockLevel {
        guard let product = catalogue.drug(drug) else {
            throw DomainError.invalidField("drugId", code: "unknown_drug", "This drug is not in the catalogue.")
        }
        let lock = tx.engine == .postgres ? " FOR UPDATE" : ""
        let before = try await tx.sql.raw("""
            SELECT reserved, on_hand FROM pharmacy_stock WHERE pharmacy_id = \(bind: pharmacy.text) AND drug_id = \(bind: drug.text)\(unsafeRaw: lock)
            """).first()
        let reserved = try before?.decode(column: "reserved", as: Int.self) ?? 0
        // The count before and after: a rise is a receipt, which supervision weighs against dispensing.
        let onHandBefore = try before?.decode(column: "on_hand", as: Int.self) ?? 0
        let zeroMarkup = try await tx.sql.raw("SELECT zero_markup FROM pharmacy_profiles WHERE pharmacy_id = \(bind: pharmacy.text)")
            .first()?.bool("zero_markup") ?? false
        try StockRule.checkLevel(onHand: onHand, reserved: reserved, priceFen: priceFen, zeroMarkup: zeroMarkup,
                                 referencePriceFen: product.referencePriceFen)
        try await tx.sql.raw("""
            INSERT INTO pharmacy_stock (pharmacy_id, drug_id, on_hand, reserved, price_fen, updated_at)
            VALUES (\(bind: pharmacy.text), \(bind: drug.text), \(bind: onHand), 0, \(bind: priceFen), \(bind: context.at.epochMillis))
            ON CONFLICT (pharmacy_id, drug_id) DO UPDATE SET on_hand = excluded.on_hand, price_fen = excluded.price_fen,
                updated_at = excluded.updated_at
            """).run()
        try await audit.append(AuditRecord(action: "pharmacy.stock.set", resourceType: "pharmacy_stock",
                                           resourceId: "\(pharmacy.text)/\(drug.text)",
                                           detail: #"{"onHandAfter":\#(onHand),"onHandBefore":\#(onHandBefore)}"#),
                               context: context, in: tx)
        return StockLevel(drugId: drug, onHand: onHand, reserved: reserved, priceFen: priceFen)
    }

    /// Applies a whole stock list in one unit of work: the good rows are set, each bad row is
    /// reported with its reason and leaves its drug as it was.
    public func importStock(of pharmacy: UUID, rows: [StockImportRow], context: AuditContext) async throws -> [StockImportOutcome] {
        try await database.unitOfWork { tx in
            var outcomes: [StockImportOutcome] = []
            for row in rows {
                guard let drug = catalogue.drug(productCode: row.productCode) else {
                    outcomes.append(StockImportOutcome(line: row.line, productCode: row.productCode, error: "unknown_product"))
                    continue
                }
                do {
                    _ = try await setStock(of: pharmacy, drug: drug.id, onHand: row.onHand, priceFen: row.priceFen, context: context, in: tx)
                    outcomes.append(StockImportOutcome(line: row.line, productCode: row.productCode, error: nil))
                } catch let error as DomainError {
                    let code = if case .invalid(let issues) = error { issues.first?.code ?? "invalid" } else { "refused" }
                    outcomes.append(StockImportOutcome(line: row.line, productCode: row.productCode, error: code))
                }
            }
            return outcomes
        }
    }

    static func level(from row: any SQLRow) throws -> StockLevel {
        StockLevel(drugId: try row.uuid("drug_id"), onHand: try row.decode(column: "on_hand", as: Int.self),
                   reserved: try row.decode(column: "reserved", as: Int.self), priceFen: try row.int64("price_fen"))
    }

    static func profile(from row: any SQLRow) throws -> PharmacyProfile {
        let modes = Set(try row.text("modes").split(separator: ",").compactMap { FulfilmentMode(rawValue: String($0)) })
        return PharmacyProfile(
            pharmacyId: try row.uuid("pharmacy_id"), name: try row.text("name"),
            location: try GeoPoint(latitude: try row.decode(column: "latitude", as: Double.self),
                                   longitude: try row.decode(column: "longitude", as: Double.self)),
            opensAt: try row.decode(column: "opens_at", as: Int.self), closesAt: try row.decode(column: "closes_at", as: Int.self),
            modes: modes, deliveryRadiusKm: try row.decode(column: "delivery_radius_km", as: Double.self),
            isInsuranceDesignated: try row.bool("insurance_designated"), isZeroMarkup: try row.bool("zero_markup"))
    }
}

/// The outcome of one row of a stock import: applied, or why not.
public struct StockImportOutcome: Sendable, Hashable, Codable {
    public let line: Int
    public let productCode: String
    /// A stable code when the row was refused; nil when it was applied.
    public let error: String?
}
