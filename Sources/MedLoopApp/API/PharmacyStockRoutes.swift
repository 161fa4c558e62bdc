import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// A pharmacy's profile and stock, kept by its staff: where it is and how it hands medicine over;
/// list the stock, set one drug's count and price, or import a whole stock list as CSV with a
/// report of every row refused.
struct PharmacyStockRoutes {
    let pharmacies: PharmacyStore
    let institutions: InstitutionStore
    let catalogue: DrugCatalogue
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("pharmacies/me/profile", use: profile)
        group.put("pharmacies/me/profile", use: setProfile)
        group.get("pharmacies/me/stock", use: list)
        group.put("pharmacies/me/stock/:drugId", use: set)
        group.post("pharmacies/me/stock/import", use: importList)
    }

    @Sendable func profile(_ request: Request, context: AppContext) async throws -> PharmacyProfileView {
        let caller = try await authorizer.require(.manageStock, context, action: "pharmacy.profile.read", resourceType: "pharmacy")
        guard let pharmacy = caller.institutionId, let profile = try await pharmacies.profile(pharmacy) else {
            throw AppError.notFound("pharmacy")
        }
        return PharmacyProfileView(profile)
    }

    struct ProfileBody: Decodable {
        var latitude: Double
        var longitude: Double
        var opensAt: Int
        var closesAt: Int
        var modes: Set<FulfilmentMode>
        var deliveryRadiusKm: Double
        var zeroMarkup: Bool?
    }

    /// Sets where the pharmacy is and how it hands medicine over; a pharmacy without a profile
    /// gets one (then it can keep stock and fill prescriptions). Its insurance designation is the
    /// institution's, set by the registry.
    @Sendable func setProfile(_ request: Request, context: AppContext) async throws -> PharmacyProfileView {
        let caller = try await authorizer.require(.manageStock, context, action: "pharmacy.profile.set", resourceType: "pharmacy")
        guard let pharmacy = caller.institutionId,
              let institution = try await institutions.institution(pharmacy), institution.kind == .pharmacy else {
            throw AppError.forbidden()
        }
        let body = try await request.decodeJSON(as: ProfileBody.self, context: context)
        let location = try GeoPoint(latitude: body.latitude, longitude: body.longitude)
        try PharmacyProfileRule.check(opensAt: body.opensAt, closesAt: body.closesAt, modes: body.modes,
                                      deliveryRadiusKm: body.deliveryRadiusKm)
        let profile = PharmacyProfile(pharmacyId: pharmacy, name: institution.name, location: location, opensAt: body.opensAt,
                                      closesAt: body.closesAt, modes: body.modes, deliveryRadiusKm: body.deliveryRadiusKm,
                                      isInsuranceDesignated: institution.insuranceDesignated, isZeroMarkup: body.zeroMarkup ?? false)
        try await pharmacies.setProfile(profile, context: context.auditContext(at: clock.now()))
        return PharmacyProfileView(profile)
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> ListView<StockLevelView> {
        let pharmacy = try await ownPharmacy(context, action: "pharmacy.stock.read")
        let paging = try Paging(request)
        let page = try await pharmacies.stock(of: pharmacy, limit: paging.limit, cursor: paging.cursor)
        return ListView(items: page.items.map { StockLevelView($0, drug: catalogue.drug($0.drugId)) }, nextCursor: page.nextCursor)
    }

    struct StockBody: Decodable {
        var onHand: Int
        var priceFen: Int64
    }

    @Sendable func set(_ request: Request, context: AppContext) async throws -> StockLevelView {
        let pharmacy = try await ownPharmacy(context, action: "pharmacy.stock.set")
        let drug = try context.parameters.uuid("drugId")
        let body = try await request.decodeJSON(as: StockBody.self, context: context)
        let level = try await pharmacies.setStock(of: pharmacy, drug: drug, onHand: body.onHand, priceFen: body.priceFen,
                                                  context: context.auditContext(at: clock.now()))
        return StockLevelView(level, drug: catalogue.drug(drug))
    }

    struct ImportReport: APIView, Encodable {
        struct Refusal: Encodable, Sendable {
            var line: Int
            var productCode: String?
            var code: String
        }
        var applied: Int
        var refused: [Refusal]
    }

    /// The body is the CSV text itself (`Content-Type: text/csv`).
    @Sendable func importList(_ request: Request, context: AppContext) async throws -> ImportReport {
        let pharmacy = try await ownPharmacy(context, action: "pharmacy.stock.import")
        let bytes = try await request.bodyBytes(upTo: context.maxBodyBytes)
        guard let text = String(validating: bytes.readableBytesView, as: UTF8.self) else {
            throw AppError.invalid("file", code: "encoding", "A stock list is UTF-8 text.")
        }
        let (rows, unreadable) = try StockList.parse(text)
        let outcomes = try await pharmacies.importStock(of: pharmacy, rows: rows, context: context.auditContext(at: clock.now()))
        let refused = unreadable.map { ImportReport.Refusal(line: $0.line, productCode: nil, code: $0.reason) }
            + outcomes.compactMap { outcome in
                outcome.error.map { ImportReport.Refusal(line: outcome.line, productCode: outcome.productCode, code: $0) }
            }
        return ImportReport(applied: outcomes.filter { $0.error == nil }.count, refused: refused.sorted { $0.line < $1.line })
    }

    private func ownPharmacy(_ context: AppContext, action: String) async throws -> UUID {
        let caller = try await authorizer.require(.manageStock, context, action: action, resourceType: "pharmacy_stock")
        // Only an institution with a pharmacy (a profile: where it is, how it hands medicine over) keeps stock.
        guard let pharmacy = caller.institutionId, try await pharmacies.profile(pharmacy) != nil else { throw AppError.forbidden() }
        return pharmacy
    }
}
