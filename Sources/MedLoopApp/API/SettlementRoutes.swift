import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// The patient's side of insurance: linking coverage with an e-voucher, the quote (pre-settlement)
/// of an unpaid order with every figure and its sentence, and the settlements of their orders;
/// insurers, regulators and operators read settlements too.
struct SettlementRoutes {
    let persons: InsuredPersonStore
    let settlements: SettlementStore
    let institutions: InstitutionStore
    let audit: AuditStore
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.post("me/insurance/coverage", use: link)
        group.get("me/insurance/coverage", use: coverage)
        group.get("me/settlements", use: mine)
        group.get("orders/:id/insurance-quote", use: quoteOrder)
        group.get("medicine-orders/:id/insurance-quote", use: quoteMedicineOrder)
        group.get("settlements/:id", use: show)
    }

    struct LinkBody: Decodable {
        var voucher: String
    }

    /// Links the coverage an e-voucher proves to the caller's own record.
    @Sendable func link(_ request: Request, context: AppContext) async throws -> CoverageView {
        let caller = try await authorizer.require(.buyServices, context, action: "coverage.link", resourceType: "coverage")
        guard let patient = caller.patientId else { throw AppError.notFound("patient") }
        let body = try await request.decodeJSON(as: LinkBody.self, context: context)
        let linked = try await persons.link(voucher: body.voucher, to: patient, context: context.auditContext(at: clock.now()))
        return CoverageView(linked, yearToDate: try await settlements.yearToDate(of: linked.person.id,
                                                                               year: CalendarDate.shanghai(clock.now()).year))
    }

    @Sendable func coverage(_ request: Request, context: AppContext) async throws -> CoverageView {
        let caller = try await authorizer.require(.buyServices, context, action: "coverage.read", resourceType: "coverage")
        guard let patient = caller.patientId, let found = try await persons.coverage(of: patient) else {
            throw AppError.notFound("coverage")
        }
        return CoverageView(found, yearToDate: try await settlements.yearToDate(of: found.person.id,
                                                                              year: CalendarDate.shanghai(clock.now()).year))
    }

    @Sendable func mine(_ request: Request, context: AppContext) async throws -> ListView<SettlementView> {
        let caller = try await authorizer.require(.buyServices, context, action: "settlement.list", resourceType: "settlement")
        let paging = try Paging(request)
        let page = try await settlements.settlements(ofAccount: caller.accountId, limit: paging.limit, cursor: paging.cursor)
        return ListView(items: page.items.map(SettlementView.init), nextCursor: page.nextCursor)
    }

    @Sendable func quoteOrder(_ request: Request, context: AppContext) async throws -> SettlementView {
        let caller = try await authorizer.require(.buyServices, context, action: "settlement.quote", resourceType: "order")
        let quote = try await settlements.quote(order: try context.parameters.uuid("id"), account: caller.accountId, now: clock.now())
        return SettlementView(quote.settlement, policy: quote.policy, explanation: quote.explanation)
    }

    @Sendable func quoteMedicineOrder(_ request: Request, context: AppContext) async throws -> SettlementView {
        let caller = try await authorizer.require(.buyServices, context, action: "settlement.quote", resourceType: "medicine_order")
        let quote = try await settlements.quote(medicineOrder: try context.parameters.uuid("id"), account: caller.accountId,
                                                now: clock.now())
        return SettlementView(quote.settlement, policy: quote.policy, explanation: quote.explanation)
    }

    /// A settlement or reversal; `?format=national` gives the figures under the national
    /// platform's field names.
    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try context.parameters.uuid("id")
        guard let record = try await settlements.settlement(id), try await mayRead(record, caller) else {
            // A patient is never told another's settlement exists; staff without the right are refused (audited).
            if caller.role != .patient {
                _ = try await authorizer.require(.readSettlements, context, action: "settlement.read", resourceType: "settlement",
                                                 resourceId: id.text)
            }
            throw AppError.notFound("settlement")
        }
        try await audit.recordRead("settlement.read", of: "settlement", id: id.text, patient: record.patientId, by: context, at: clock.now())
        switch request.uri.queryParameters.get("format") {
        case nil: return try SettlementView(record).response(from: request, context: context)
        case "national": return try NationalSettlementView(record).response(from: request, context: context)
        default: throw AppError.invalid("format", code: "unknown_value", "The format is national, or none.")
        }
    }

    /// The patient who paid, the insurer of the settlement's region, regulators and operators.
    private func mayRead(_ record: SettlementRecord, _ caller: Caller) async throws -> Bool {
        switch caller.role {
        case .patient: return record.accountId == caller.accountId
        case .regulator, .operator: return true
        case .insurer:
            guard let institution = caller.institutionId, let found = try await institutions.institution(institution) else { return false }
            return found.regionCode == record.region
        case .doctor, .pharmacist, .pharmacyStaff, .courier: return false
        }
    }
}
