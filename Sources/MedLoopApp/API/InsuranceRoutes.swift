import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// The insurer's side of insurance: its region's policy versions, the settlement simulator, the
/// registry of insured persons with its CSV import, e-vouchers, and monthly quotas. An insurer
/// acts for the region of its institution; regulators and operators read every region.
struct InsuranceRoutes {
    let policies: PolicyStore
    let persons: InsuredPersonStore
    let quotas: QuotaStore
    let institutions: InstitutionStore
    let audit: AuditStore
    let authorizer: Authorizer
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("insurance/policies", use: listPolicies)
        group.get("insurance/policies/:region/:version", use: showPolicy)
        group.post("insurance/policies", use: addPolicy)
        group.post("insurance/policies/:region/:version/supersede", use: supersede)
        group.post("insurance/simulations", use: simulate)
        group.get("insurance/insured-persons", use: listPersons)
        group.post("insurance/insured-persons", use: savePerson)
        group.get("insurance/insured-persons/:id", use: showPerson)
        group.post("insurance/insured-persons/import", use: importPersons)
        group.post("insurance/insured-persons/:id/vouchers", use: issueVoucher)
        group.get("insurance/quotas", use: listQuotas)
        group.put("insurance/quotas/:institutionId/:month", use: setQuota)
    }

    // MARK: Policies

    @Sendable func listPolicies(_ request: Request, context: AppContext) async throws -> ListView<PolicyView> {
        let region = try await readableRegion(request.uri.queryParameters.get("region"), context, action: "policy.list")
        let versions = try await policies.versions(of: region)
        return ListView(items: versions.map(PolicyView.init), nextCursor: nil)
    }

    @Sendable func showPolicy(_ request: Request, context: AppContext) async throws -> PolicyView {
        let region = try await readableRegion(context.parameters.get("region"), context, action: "policy.read")
        guard let policy = try await policies.version(try context.parameters.require("version"), of: region) else {
            throw AppError.notFound("policy")
        }
        return PolicyView(policy)
    }

    @Sendable func addPolicy(_ request: Request, context: AppContext) async throws -> Created<PolicyView> {
        try await store(request, context, superseding: nil)
    }

    /// Adds a version that takes over from `version` on its `effectiveFrom`: the old one ends the day before.
    @Sendable func supersede(_ request: Request, context: AppContext) async throws -> Created<PolicyView> {
        try await store(request, context, superseding: try context.parameters.require("version"))
    }

    private func store(_ request: Request, _ context: AppContext, superseding old: String?) async throws -> Created<PolicyView> {
        let region = try await ownRegion(context, action: old == nil ? "policy.add" : "policy.supersede")
        if let named = context.parameters.get("region"), named != region.value { throw AppError.notFound("policy") }
        let policy = try RegionPolicy(document: try await document(request, context))
        guard policy.region == region else {
            throw AppError.invalid("region", code: "not_your_region", "An insurer adds versions of its own region only.")
        }
        let now = clock.now()
        let added = try await policies.add(policy, superseding: old, today: CalendarDate.shanghai(now),
                                           context: context.auditContext(at: now))
        return Created(value: PolicyView(added))
    }

    // MARK: Simulation

    struct SimulationBody: Decodable {
        struct VersionRef: Decodable {
            var region: String
            var version: String
        }
        struct InstitutionRef: Decodable {
            var kind: AdmittedKind
            var level: HospitalLevel?
        }
        struct Line: Decodable {
            var kind: String
            var drugClass: String?
            var amountFen: Int64
            var referenceFen: Int64?
        }
        var policy: DocumentValue?
        var policyVersion: VersionRef?
        var scheme: InsuranceScheme
        var institution: InstitutionRef
        var conditionIcd10: String?
        var yearToDate: YearToDate?
        var personalAccountBalanceFen: Int64?
        var lines: [Line]
    }

    /// The settlement rule without side effects (INSURANCE.md, "Simulation").
    @Sendable func simulate(_ request: Request, context: AppContext) async throws -> SettlementView {
        let caller = try await authorizer.require(.simulateSettlements, context, action: "settlement.simulate", resourceType: "policy")
        let body = try await request.decodeJSON(as: SimulationBody.self, context: context)
        let policy: RegionPolicy
        switch (body.policy, body.policyVersion) {
        case (.some(let document), nil):
            policy = try RegionPolicy(document: document)
        case (nil, .some(let ref)):
            let region = try RegionCode(ref.region, field: "policyVersion.region")
            // An insurer simulates its own region's versions; regulators and operators any.
            if caller.role == .insurer, try await ownRegion(context, action: "settlement.simulate") != region {
                throw AppError.notFound("policy")
            }
            guard let found = try await policies.version(ref.version, of: region) else { throw AppError.notFound("policy") }
            policy = found
        default:
            throw AppError.invalid("policy", code: "one_required", "Give exactly one of policy and policyVersion.")
        }
        let lines = try body.lines.enumerated().map { index, line in try Self.chargeLine(line, at: index) }
        let condition = try body.conditionIcd10.map { try ICD10Code($0, field: "conditionIcd10") }
        let level = body.institution.level ?? (body.institution.kind == .platformInternetHospital ? policy.platformLevel : nil)
        guard let level else {
            throw AppError.invalid("institution.level", code: "required", "Give the level whose ratio applies.")
        }
        let settlement = try SettlementRule.settle(SettlementRequest(
            lines: lines, policy: policy, scheme: body.scheme, level: level, yearToDate: body.yearToDate ?? .zero,
            personalAccountBalanceFen: body.personalAccountBalanceFen ?? 0,
            coverage: CoverageRule.simulate(policy, kind: body.institution.kind, condition: condition)))
        return SettlementView(settlement, policy: policy, explanation: settlement.explanation(policy: policy))
    }

    static func chargeLine(_ line: SimulationBody.Line, at index: Int) throws -> ChargeLine {
        switch line.kind {
        case "consultation": return ChargeLine(kind: .consultation, amountFen: line.amountFen)
        case "delivery": return ChargeLine(kind: .delivery, amountFen: line.amountFen)
        case "drug":
            let drugClass: InsuranceClass? = switch line.drugClass {
            case "A": .a
            case "B": .b
            case "unlisted": .unlisted
            default: nil
            }
            guard let drugClass else {
                throw AppError.invalid("lines[\(index)].drugClass", code: "unknown_value", "A drug line's class is A, B or unlisted.")
            }
            return ChargeLine(kind: .drug(drugClass), amountFen: line.amountFen, referenceFen: line.referenceFen)
        default:
            throw AppError.invalid("lines[\(index)].kind", code: "unknown_value", "A line is a consultation, drug or delivery.")
        }
    }

    // MARK: Insured persons

    @Sendable func listPersons(_ request: Request, context: AppContext) async throws -> ListView<InsuredPersonView> {
        let region = try await ownRegion(context, action: "insured_person.list")
        let paging = try Paging(request)
        let page = try await persons.persons(of: region, limit: paging.limit, cursor: paging.cursor)
        try await audit.recordRead("insured_person.list", of: "insured_person_list", id: region.value, by: context, at: clock.now())
        return ListView(items: page.items.map(InsuredPersonView.init), nextCursor: page.nextCursor)
    }

    @Sendable func showPerson(_ request: Request, context: AppContext) async throws -> InsuredPersonView {
        let region = try await ownRegion(context, action: "insured_person.read")
        guard let person = try await persons.person(try context.parameters.uuid("id")), person.region == region else {
            throw AppError.notFound("insured_person")
        }
        try await audit.recordRead("insured_person.read", of: "insured_person", id: person.id.text, by: context, at: clock.now())
        return InsuredPersonView(person)
    }

    struct PersonBody: Decodable {
        var nationalId: String
        var scheme: InsuranceScheme
        var insuredNumber: String
        var status: InsuredStatus?
        var personalAccountFen: Int64?
    }

    @Sendable func savePerson(_ request: Request, context: AppContext) async throws -> Created<InsuredPersonView> {
        let region = try await ownRegion(context, action: "insured_person.save")
        let body = try await request.decodeJSON(as: PersonBody.self, context: context)
        let now = clock.now()
        let draft = try InsuredPersonDraft(nationalId: try NationalID(body.nationalId, today: CalendarDate.shanghai(now)),
                                           scheme: body.scheme, insuredNumber: body.insuredNumber, status: body.status ?? .active,
                                           personalAccountFen: body.personalAccountFen ?? 0)
        let person = try await persons.save(draft, region: region, context: context.auditContext(at: now))
        return Created(value: InsuredPersonView(person))
    }

    struct ImportReport: APIView, Encodable {
        struct Refusal: Encodable, Sendable {
            var line: Int
            var code: String
        }
        var applied: Int
        var refused: [Refusal]
    }

    /// The body is the CSV text itself (`Content-Type: text/csv`).
    @Sendable func importPersons(_ request: Request, context: AppContext) async throws -> ImportReport {
        let region = try await ownRegion(context, action: "insured_person.import")
        let bytes = try await request.bodyBytes(upTo: context.maxBodyBytes)
        guard let text = String(validating: bytes.readableBytesView, as: UTF8.self) else {
            throw AppError.invalid("file", code: "encoding", "A registry file is UTF-8 text.")
        }
        let result = try await persons.importList(text, region: region, context: context.auditContext(at: clock.now()))
        return ImportReport(applied: result.written, refused: result.refused.map { ImportReport.Refusal(line: $0.line, code: $0.reason) })
    }

    struct VoucherView: APIView, Encodable {
        var voucher: String
        var expiresAt: Date
    }

    /// Issues an e-voucher for a person of the insurer's region: the code the person shows MedLoop.
    @Sendable func issueVoucher(_ request: Request, context: AppContext) async throws -> Created<VoucherView> {
        let region = try await ownRegion(context, action: "voucher.issue")
        let issued = try await persons.issueVoucher(for: try context.parameters.uuid("id"), region: region,
                                                    context: context.auditContext(at: clock.now()))
        return Created(value: VoucherView(voucher: issued.code, expiresAt: issued.expiresAt))
    }

    // MARK: Quotas

    @Sendable func listQuotas(_ request: Request, context: AppContext) async throws -> ListView<QuotaView> {
        let caller = try await authorizer.require(.simulateSettlements, context, action: "quota.list", resourceType: "quota")
        let month = try InsuranceQuota.checkMonth(request.uri.queryParameters.get("month")
                                                  ?? InsuranceQuota.month(of: CalendarDate.shanghai(clock.now())))
        let prefix = caller.role == .insurer ? try await ownRegion(context, action: "quota.list").poolPrefix : nil
        return ListView(items: try await quotas.uses(month: month, regionPrefix: prefix).map(QuotaView.init), nextCursor: nil)
    }

    struct QuotaBody: Decodable {
        var budgetFen: Int64
    }

    @Sendable func setQuota(_ request: Request, context: AppContext) async throws -> QuotaView {
        let region = try await ownRegion(context, action: "quota.set")
        let institution = try context.parameters.uuid("institutionId")
        let month = try InsuranceQuota.checkMonth(try context.parameters.require("month"))
        // Only an institution that bills (a hospital, an internet hospital, a pharmacy) has a budget.
        guard let found = try await institutions.institution(institution), found.kind.isHospital || found.kind == .pharmacy,
              CoverageRule.isInRegion(found.regionCode, of: region) else { throw AppError.notFound("institution") }
        let body = try await request.decodeJSON(as: QuotaBody.self, context: context)
        return QuotaView(try await quotas.set(institution, month: month, budgetFen: body.budgetFen,
                                              context: context.auditContext(at: clock.now())))
    }

    // MARK: Helpers

    private var regions: InsuranceRegions { InsuranceRegions(authorizer: authorizer, institutions: institutions) }

    private func ownRegion(_ context: AppContext, action: String) async throws -> RegionCode {
        try await regions.own(context, action: action)
    }

    private func readableRegion(_ named: String?, _ context: AppContext, action: String) async throws -> RegionCode {
        try await regions.readable(named, context, action: action, resource: "policy")
    }

    private func document(_ request: Request, _ context: AppContext) async throws -> DocumentValue {
        let bytes = try await request.bodyBytes(upTo: context.maxBodyBytes)
        let data = Data(buffer: bytes)
        let isYAML = request.headers[.contentType]?.lowercased().contains("yaml") == true
        if isYAML {
            guard let text = String(data: data, encoding: .utf8) else {
                throw AppError.invalid("document", code: "encoding", "A policy document is UTF-8 text.")
            }
            return try DocumentValue.yaml(text)
        }
        return try DocumentValue.json(data)
    }
}
