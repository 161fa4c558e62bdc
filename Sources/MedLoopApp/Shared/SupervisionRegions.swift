import Foundation
import MedLoopDomain
import MedLoopStore

/// What a supervising caller may see: a regulator the region of its institution (and everything
/// inside it), an operator the whole platform.
struct SupervisionScope: Sendable {
    let caller: Caller
    /// The regulator's region; `nil` for an operator, who sees every region.
    let region: RegionCode?

    /// Whether data of `other` lies within this scope.
    func covers(_ other: RegionCode) -> Bool { region.map { $0.covers(other) } ?? true }

    /// The region prefix a query filters on (`nil`: no filter).
    var prefix: String? { region?.coveredPrefix }
}

/// Resolves a supervising caller's scope and refuses, audited, what lies outside it
/// (issue 20, bad input: a regulator of another region reading this region's data is a 403).
struct SupervisionRegions: Sendable {
    let authorizer: Authorizer
    let institutions: InstitutionStore
    let audit: AuditStore
    let clock: any MedLoopClock

    /// The caller's scope, if their role has `permission`: a regulator without a regulator
    /// institution sees nothing (403).
    func scope(_ permission: Permission, _ context: AppContext, action: String, resourceType: String,
               resourceId: String? = nil) async throws -> SupervisionScope {
        let caller = try await authorizer.require(permission, context, action: action, resourceType: resourceType,
                                                  resourceId: resourceId)
        guard caller.role == .regulator else { return SupervisionScope(caller: caller, region: nil) }
        guard let institution = caller.institutionId, let found = try await institutions.institution(institution),
              found.kind == .regulator else {
            try await deny(context, action: action, resourceType: resourceType, resourceId: resourceId)
        }
        return SupervisionScope(caller: caller, region: found.regionCode)
    }

    /// Refuses with 403, audited, unless `region` lies within `scope`.
    func check(_ region: RegionCode, within scope: SupervisionScope, _ context: AppContext, action: String,
               resourceType: String, resourceId: String? = nil) async throws {
        guard scope.covers(region) else {
            try await deny(context, action: action, resourceType: resourceType, resourceId: resourceId)
        }
    }

    /// The region a read names (`?region=`), checked against the scope; without one, the
    /// regulator's own region (an operator's: every region, `nil`).
    func named(_ text: String?, within scope: SupervisionScope, _ context: AppContext, action: String,
               resourceType: String) async throws -> RegionCode? {
        guard let text, !text.isEmpty else { return scope.region }
        let region = try RegionCode(text, field: "region")
        try await check(region, within: scope, context, action: action, resourceType: resourceType)
        return region
    }

    private func deny(_ context: AppContext, action: String, resourceType: String, resourceId: String?) async throws -> Never {
        try await audit.record(AuditRecord(action: action, resourceType: resourceType, resourceId: resourceId, outcome: .denied),
                               context: context.auditContext(at: clock.now()))
        throw AppError.forbidden()
    }
}

/// What every supervision route group works with, built once for all of them.
struct SupervisionDependencies: Sendable {
    let services: AppServices
    let authorizer: Authorizer
    let regions: SupervisionRegions
    let idempotent: IdempotentPost
}

/// A group of supervision routes: its handlers reach the stores, the authoriser, the region
/// scoping, idempotent POSTs and the clock through its `dependencies`.
protocol SupervisionRouteGroup: Sendable {
    var dependencies: SupervisionDependencies { get }
}

extension SupervisionRouteGroup {
    var stores: Stores { dependencies.services.stores }
    var authorizer: Authorizer { dependencies.authorizer }
    var regions: SupervisionRegions { dependencies.regions }
    var idempotent: IdempotentPost { dependencies.idempotent }
    var clock: any MedLoopClock { dependencies.services.clock }
}
