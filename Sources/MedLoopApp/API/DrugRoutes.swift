import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// The drug catalogue, for anyone signed in: search by name (zh, en, brand, ingredient) or ATC
/// code, and one product. The catalogue is shipped data held in memory.
struct DrugRoutes {
    let catalogue: DrugCatalogue

    func register(_ group: RouterGroup<AppContext>) {
        group.get("drugs", use: search)
        group.get("drugs/:id", use: show)
    }

    @Sendable func search(_ request: Request, context: AppContext) async throws -> ListView<DrugView> {
        _ = try context.requireCaller()
        let paging = try Paging(request)
        let query = request.uri.queryParameters
        let term = query["q"].map(String.init)
        if let term, term.count > 50 { throw AppError.invalid("q", code: "length", "q has at most 50 characters.") }
        let atc = query["atc"].map(String.init).flatMap { $0.isEmpty ? nil : $0.uppercased() }
        if let atc, !ATCCode.isPrefix(atc) {
            throw AppError.invalid("atc", code: "format", "atc is an ATC code or its start, like C09 or C09CA01.")
        }
        var after: String?
        if let cursor = paging.cursor {
            after = try Cursor.decode(cursor)
            guard catalogue.drug(productCode: after!) != nil else {
                throw AppError.invalid("cursor", code: "invalid", "This cursor was not made by MedLoop.")
            }
        }
        let (drugs, hasMore) = catalogue.search(query: term, atcPrefix: atc, after: after, limit: paging.limit)
        return ListView(items: drugs.map(DrugView.init),
                        nextCursor: hasMore ? drugs.last.map { Cursor.encode($0.productCode) } : nil)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> DrugView {
        _ = try context.requireCaller()
        guard let drug = catalogue.drug(try context.parameters.uuid("id")) else { throw AppError.notFound("drug") }
        return DrugView(drug)
    }
}
