import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// The doctor directory: anyone may search and read profiles; operators register doctors,
/// regulators qualify them, and each doctor sets their own menu.
struct DoctorRoutes {
    let doctors: DoctorStore
    let credentials: CredentialStore
    let regions: SupervisionRegions
    let reputation: ReputationStore
    let cache: DirectoryCache
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(public group: RouterGroup<AppContext>, authenticated: RouterGroup<AppContext>) {
        group.get("departments", use: departments)
        group.get("conditions", use: conditions)
        group.get("doctors", use: search)
        group.get("doctors/top", use: top)
        group.get("doctors/:id", use: show)
        group.get("doctors/:id/reputation", use: showReputation)
        authenticated.post("doctors", use: create)
        authenticated.put("doctors/me/services/:kind", use: setService)
        authenticated.put("doctors/:id/qualification", use: qualify)
    }

    struct DepartmentView: APIView, Encodable {
        var code: String
        var nameZh: String
        var nameEn: String
    }

    @Sendable func departments(_ request: Request, context: AppContext) async throws -> ListView<DepartmentView> {
        ListView(items: Department.all.map { DepartmentView(code: $0.code, nameZh: $0.nameZh, nameEn: $0.nameEn) }, nextCursor: nil)
    }

    struct ConditionView: APIView, Encodable {
        var icd10: String
        var nameZh: String
        var nameEn: String
        var department: String
    }

    /// The ICD-10 conditions MedLoop knows by name that match `q` (the diagnosis picker).
    @Sendable func conditions(_ request: Request, context: AppContext) async throws -> ListView<ConditionView> {
        let term = request.uri.queryParameters["q"].map(String.init) ?? ""
        guard term.count <= 100 else { throw AppError.invalid("q", code: "length", "A search term has at most 100 characters.") }
        return ListView(items: ConditionCatalogue.search(term).map {
            ConditionView(icd10: $0.icd10, nameZh: $0.nameZh, nameEn: $0.nameEn, department: $0.department)
        }, nextCursor: nil)
    }

    @Sendable func search(_ request: Request, context: AppContext) async throws -> PreEncodedJSON {
        let query = request.uri.queryParameters
        func text(_ name: String) -> String? {
            query[Substring(name)].map(String.init).flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        }
        let paging = try Paging(request)
        let search = DoctorSearch(
            text: text("q"), department: text("department"), condition: text("condition"), city: text("city"),
            hospitalId: try request.uuidQuery("hospital"), service: try request.enumQuery("service", as: ServiceKind.self),
            sort: try request.enumQuery("sort", as: DoctorSort.self), limit: paging.limit,
            offset: try DoctorStore.offset(fromCursor: paging.cursor))
        let year = CalendarDate.shanghai(clock.now()).year
        return try await cache.searches.body(search, epoch: year) {
            let page = try await doctors.search(search)
            return ListView(items: page.items.map { DoctorSummaryView($0, year: year) }, nextCursor: page.nextCursor)
        }
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> PreEncodedJSON {
        let id = try context.parameters.uuid("id")
        let year = CalendarDate.shanghai(clock.now()).year
        return try await cache.profiles.body(id, epoch: year) {
            guard let profile = try await doctors.profile(id), profile.doctor.isListed else {
                throw AppError.notFound("doctor")
            }
            return DoctorProfileView(profile, year: year)
        }
    }

    struct TopDoctorView: APIView, Encodable {
        var rank: Int
        var doctorId: UUID
        var name: String
        var department: String
        var ratings: Int64
        var averageStars: Double
        var gifts: Int64
        var score: Int64
    }

    /// The top doctors of a year (default: this year), optionally of one department, by
    /// `TopDoctors.score`.
    @Sendable func top(_ request: Request, context: AppContext) async throws -> ListView<TopDoctorView> {
        let query = request.uri.queryParameters
        let thisYear = CalendarDate.shanghai(clock.now()).year
        var year = thisYear
        if let text = query["year"].map(String.init) {
            guard let value = Int(text), (2000...thisYear).contains(value) else {
                throw AppError.invalid("year", code: "range", "year is between 2000 and this year.")
            }
            year = value
        }
        let department = query["department"].map(String.init)
        if let department { _ = try Department.check(department) }
        let limit = try Paging(request).limit
        let list = try await reputation.top(year: year, department: department, limit: limit)
        return ListView(items: list.enumerated().map { index, doctor in
            TopDoctorView(rank: index + 1, doctorId: doctor.doctorId, name: doctor.name, department: doctor.department,
                          ratings: doctor.ratings, averageStars: doctor.averageStars,
                          gifts: doctor.gifts, score: doctor.score)
        }, nextCursor: nil)
    }

    struct ReputationView: APIView, Encodable {
        struct Comment: Encodable, Sendable {
            var stars: Int
            var comment: String?
            var ratedAt: Date
        }

        var ratings: Int
        var efficiency: Double?
        var attitude: Double?
        var professionalism: Double?
        var recentComments: [Comment]
        var gifts: [String: Int]
    }

    /// Averages per dimension, counts, recent comments and gifts of an approved doctor.
    @Sendable func showReputation(_ request: Request, context: AppContext) async throws -> ReputationView {
        let id = try context.parameters.uuid("id")
        guard let profile = try await doctors.profile(id), profile.doctor.isListed else {
            throw AppError.notFound("doctor")
        }
        let summary = try await reputation.summary(of: id)
        return ReputationView(
            ratings: summary.ratings, efficiency: summary.efficiency, attitude: summary.attitude,
            professionalism: summary.professionalism,
            recentComments: summary.recent.map { .init(stars: $0.stars, comment: $0.comment, ratedAt: $0.ratedAt) },
            gifts: Dictionary(uniqueKeysWithValues: summary.gifts.map { ($0.key.rawValue, $0.value) }))
    }

    struct CreateBody: Decodable {
        var accountId: UUID?
        var name: String
        var title: DoctorTitle
        var department: String
        var specialties: [String]?
        var training: String?
        var practiceSince: Int
        var licenceNumber: String
        var bio: String?
        var conditions: [String]?
        var hospitalId: UUID
        var practiceSites: [UUID]?
        var services: [ServiceBody]?
    }

    struct ServiceBody: Decodable {
        var kind: ServiceKind
        var priceFen: Int64
        var isPaused: Bool?
        var dailyCap: Int?

        var offer: ServiceOffer {
            ServiceOffer(kind: kind, priceFen: priceFen, isPaused: isPaused ?? false, dailyCap: dailyCap ?? ServiceOffer.defaultDailyCap)
        }
    }

    struct CreatedView: APIView, Encodable {
        var id: UUID
    }

    @Sendable func create(_ request: Request, context: AppContext) async throws -> Created<CreatedView> {
        _ = try await authorizer.require(.manageDoctors, context, action: "doctor.create", resourceType: "doctor")
        let body = try await request.decodeJSON(as: CreateBody.self, context: context)
        let draft = DoctorDraft(name: body.name, title: body.title, department: body.department,
                                specialties: body.specialties ?? [], training: body.training ?? "",
                                practiceSince: body.practiceSince, licenceNumber: body.licenceNumber, bio: body.bio ?? "",
                                conditions: body.conditions ?? [])
        let placement = DoctorPlacement(accountId: body.accountId, hospitalId: body.hospitalId,
                                        practiceSites: body.practiceSites ?? [], services: (body.services ?? []).map(\.offer))
        let id = try await doctors.register(draft, placement: placement, context: context.auditContext(at: clock.now()))
        return Created(value: CreatedView(id: id))
    }

    struct ServiceUpdateBody: Decodable {
        var priceFen: Int64
        var isPaused: Bool?
        var dailyCap: Int?
    }

    /// A doctor sets one line of their own menu.
    @Sendable func setService(_ request: Request, context: AppContext) async throws -> DoctorProfileView {
        guard let kind = context.parameters.get("kind").flatMap(ServiceKind.init(rawValue:)) else {
            throw AppError.notFound("service")
        }
        let (_, doctor) = try await authorizer.requireDoctor(context, doctors: doctors, action: "doctor.service.set")
        let body = try await request.decodeJSON(as: ServiceUpdateBody.self, context: context)
        let offer = ServiceOffer(kind: kind, priceFen: body.priceFen, isPaused: body.isPaused ?? false,
                                 dailyCap: body.dailyCap ?? ServiceOffer.defaultDailyCap)
        let now = clock.now()
        try await doctors.setService(offer, doctor: doctor, context: context.auditContext(at: now))
        cache.forget(doctor, .menu)
        guard let profile = try await doctors.profile(doctor) else { throw AppError.notFound("doctor") }
        return DoctorProfileView(profile, year: CalendarDate.shanghai(now).year)
    }

    struct QualificationBody: Decodable {
        var status: QualificationStatus
    }

    @Sendable func qualify(_ request: Request, context: AppContext) async throws -> Response {
        let id = try context.parameters.uuid("id")
        let scope = try await regions.scope(.qualifyDoctors, context, action: "doctor.qualification", resourceType: "doctor",
                                            resourceId: id.text)
        guard let profile = try await doctors.profile(id),
              let hospital = try await regions.institutions.institution(profile.doctor.hospitalId) else {
            throw AppError.notFound("doctor")
        }
        // Only the regulator of the doctor's region decides (issue 20).
        try await regions.check(hospital.regionCode, within: scope, context, action: "doctor.qualification", resourceType: "doctor",
                                resourceId: id.text)
        let body = try await request.decodeJSON(as: QualificationBody.self, context: context)
        let now = clock.now()
        try await credentials.setDirectoryStanding(body.status, doctor: id, context: context.auditContext(at: now))
        cache.forget(id, .qualification)
        return Response(status: .noContent)
    }
}
