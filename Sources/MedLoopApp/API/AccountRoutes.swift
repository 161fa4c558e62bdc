import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Staff accounts, managed by operators (API.md: `POST /api/v1/accounts`).
struct AccountRoutes {
    let accounts: AccountStore
    let signingKeys: SigningKeyStore
    let audit: AuditStore
    let authorizer: Authorizer
    let hasher: PasswordHasher
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.post("accounts", use: create)
        group.get("accounts", use: list)
        group.get("accounts/:id", use: show)
    }

    struct CreateBody: Decodable {
        var role: Role
        var phone: String
        var password: String
        var displayName: String
        var institutionId: UUID?
    }

    @Sendable func create(_ request: Request, context: AppContext) async throws -> Created<AccountView> {
        _ = try await authorizer.require(.manageAccounts, context, action: "account.create", resourceType: "account")
        let body = try await request.decodeJSON(as: CreateBody.self, context: context)
        var validator = FieldValidator()
        let phone = validator.check { () throws(DomainError) in try PhoneNumber(body.phone) }
        validator.check { () throws(DomainError) in try PasswordRule.check(body.password) }
        if body.role == .patient {
            validator.add("role", code: "not_staff", "Patients sign themselves up.")
        }
        try validator.finish()
        let draft = StaffAccountDraft(role: body.role, phone: phone!, passwordHash: try await hasher.hash(body.password),
                                      displayName: body.displayName, institutionId: body.institutionId)
        let now = clock.now()
        let account = try await accounts.createStaff(draft, context: context.auditContext(at: now))
        // A pharmacist signs reviews: the key is made with the account.
        if account.role == .pharmacist { try await signingKeys.ensureKey(of: account.id, at: now) }
        return Created(value: AccountView(account))
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> ListView<AccountView> {
        _ = try await authorizer.require(.manageAccounts, context, action: "account.list", resourceType: "account")
        let paging = try Paging(request)
        let page = try await accounts.list(role: try request.enumQuery("role", as: Role.self),
                                           institutionId: try request.uuidQuery("institutionId"),
                                           limit: paging.limit, cursor: paging.cursor)
        try await audit.recordRead("account.list", of: "account", by: context, at: clock.now())
        return ListView(items: page.items.map(AccountView.init), nextCursor: page.nextCursor)
    }

    /// An operator sees any account; everyone else only their own.
    @Sendable func show(_ request: Request, context: AppContext) async throws -> AccountView {
        let caller = try context.requireCaller()
        let id = try context.parameters.uuid("id")
        if caller.accountId != id {
            _ = try await authorizer.require(.manageAccounts, context, action: "account.read", resourceType: "account",
                                             resourceId: id.text)
        }
        guard let account = try await accounts.account(id) else { throw AppError.notFound("account") }
        try await audit.recordRead("account.read", of: "account", id: id.text, patient: account.patientId, by: context,
                                   at: clock.now())
        return AccountView(account)
    }
}
