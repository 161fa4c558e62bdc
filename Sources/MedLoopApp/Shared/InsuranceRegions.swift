import Foundation
import MedLoopDomain
import MedLoopStore

/// Which insurance region a caller acts for: an insurer for the region of its institution only;
/// regulators and operators read any region they name.
struct InsuranceRegions: Sendable {
    let authorizer: Authorizer
    let institutions: InstitutionStore

    /// The region of the calling insurer's institution (403 for anyone else).
    func own(_ context: AppContext, action: String) async throws -> RegionCode {
        let caller = try await authorizer.require(.manageInsurance, context, action: action, resourceType: "insurance")
        guard let institution = caller.institutionId, let found = try await institutions.institution(institution),
              found.kind == .insurer else { throw AppError.forbidden() }
        return found.regionCode
    }

    /// The region a read names: an insurer reads its own (another is a 404); a regulator or operator
    /// any region it names.
    func readable(_ named: String?, _ context: AppContext, action: String, resource: String) async throws -> RegionCode {
        let caller = try await authorizer.require(.simulateSettlements, context, action: action, resourceType: resource)
        if caller.role == .insurer {
            let own = try await own(context, action: action)
            if let named, named != own.value { throw AppError.notFound(resource) }
            return own
        }
        guard let named else { throw AppError.invalid("region", code: "required", "Name the region.") }
        return try RegionCode(named, field: "region")
    }
}
