import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// The institution registry: everyone signed in may look; operators register and change.
struct InstitutionRoutes {
    let institutions: InstitutionStore
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("institutions", use: list)
        group.get("institutions/:id", use: show)
        group.post("institutions", use: create)
        group.patch("institutions/:id", use: update)
    }

    struct CreateBody: Decodable {
        var kind: InstitutionKind
        var name: String
        var regionCode: String
        var level: HospitalLevel?
        var physicalHospitalId: UUID?
        var insuranceDesignated: Bool?
        var internetHospitalLicensed: Bool?
    }

    @Sendable func create(_ request: Request, context: AppContext) async throws -> Created<Institution> {
        _ = try await authorizer.require(.manageInstitutions, context, action: "institution.create", resourceType: "institution")
        let body = try await request.decodeJSON(as: CreateBody.self, context: context)
        let draft = InstitutionDraft(kind: body.kind, name: body.name, regionCode: try RegionCode(body.regionCode),
                                     level: body.level, physicalHospitalId: body.physicalHospitalId,
                                     insuranceDesignated: body.insuranceDesignated ?? false,
                                     internetHospitalLicensed: body.internetHospitalLicensed ?? false)
        let institution = try await institutions.register(draft, context: context.auditContext(at: clock.now()))
        return Created(value: institution)
    }

    struct UpdateBody: Decodable {
        var name: String?
        var insuranceDesignated: Bool?
        var internetHospitalLicensed: Bool?
        var commissionRateBasisPoints: Int?
    }

    @Sendable func update(_ request: Request, context: AppContext) async throws -> Institution {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.require(.manageInstitutions, context, action: "institution.update",
                                         resourceType: "institution", resourceId: id.text)
        let body = try await request.decodeJSON(as: UpdateBody.self, context: context)
        return try await institutions.update(id, name: body.name, insuranceDesignated: body.insuranceDesignated,
                                             internetHospitalLicensed: body.internetHospitalLicensed,
                                             commissionRateBasisPoints: body.commissionRateBasisPoints,
                                             context: context.auditContext(at: clock.now()))
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> ListView<Institution> {
        _ = try await authorizer.require(.viewInstitutions, context, action: "institution.list", resourceType: "institution")
        let paging = try Paging(request)
        let region = try request.uri.queryParameters["region"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            .map { text throws(DomainError) in try RegionCode.checkPrefix(text) }
        let page = try await institutions.list(kind: try request.enumQuery("kind", as: InstitutionKind.self),
                                               regionPrefix: region, limit: paging.limit, cursor: paging.cursor)
        return ListView(items: page.items, nextCursor: page.nextCursor)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Institution {
        let id = try context.parameters.uuid("id")
        _ = try await authorizer.require(.viewInstitutions, context, action: "institution.read", resourceType: "institution",
                                         resourceId: id.text)
        guard let institution = try await institutions.institution(id) else { throw AppError.notFound("institution") }
        return institution
    }
}
