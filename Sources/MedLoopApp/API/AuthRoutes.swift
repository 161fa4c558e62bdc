import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Sign-up, sign-in, sign-out and `me` (API.md, authentication).
struct AuthRoutes {
    let accounts: AccountStore
    let audit: AuditStore
    let hasher: PasswordHasher
    let clock: any MedLoopClock
    let tokenLifetime: TimeInterval

    /// Failed sign-ins of one account allowed in `throttleWindow` before 429.
    static let maxFailures = 5
    static let throttleWindow: TimeInterval = 15 * 60

    func register(public group: RouterGroup<AppContext>, authenticated: RouterGroup<AppContext>) {
        group.post("auth/sign-up", use: signUp)
        group.post("auth/sign-in", use: signIn)
        authenticated.post("auth/sign-out", use: signOut)
        authenticated.get("me", use: me)
    }

    struct SignUpBody: Decodable {
        var phone: String
        var password: String
        var realName: String
        var nationalId: String
    }

    @Sendable func signUp(_ request: Request, context: AppContext) async throws -> Created<AccountView> {
        let body = try await request.decodeJSON(as: SignUpBody.self, context: context)
        let now = clock.now()
        var validator = FieldValidator()
        let phone = validator.check { () throws(DomainError) in try PhoneNumber(body.phone) }
        validator.check { () throws(DomainError) in try PasswordRule.check(body.password) }
        let name = validator.check { () throws(DomainError) in try ProfileRule.realName(body.realName) }
        let nationalId = validator.check { () throws(DomainError) in try NationalID(body.nationalId, today: .shanghai(now)) }
        try validator.finish()
        let signUp = PatientSignUp(phone: phone!, passwordHash: try await hasher.hash(body.password), realName: name!,
                                   nationalId: nationalId!)
        let account = try await accounts.signUp(signUp, context: context.auditContext(at: now))
        return Created(value: AccountView(account))
    }

    struct SignInBody: Decodable {
        var phone: String
        var password: String
    }

    struct SignInView: APIView, Encodable {
        var token: String
        var expiresAt: Date
        var account: AccountView
    }

    @Sendable func signIn(_ request: Request, context: AppContext) async throws -> SignInView {
        let body = try await request.decodeJSON(as: SignInBody.self, context: context)
        let now = clock.now()
        let phone = try PhoneNumber(body.phone)
        guard let credentials = try await accounts.credentials(phone: phone) else {
            _ = try await hasher.verify(body.password, against: PasswordHasher.decoy)
            try await audit.record(AuditRecord(action: "auth.sign_in", resourceType: "account", outcome: .failure),
                                   context: context.auditContext(at: now))
            throw AppError(.unauthorized, code: "bad_credentials", message: "The phone number or password is wrong.")
        }
        let failures = try await audit.count(action: "auth.sign_in", outcome: .failure, resourceType: "account",
                                             resourceId: credentials.accountId.text,
                                             since: now.addingTimeInterval(-Self.throttleWindow))
        guard failures < Self.maxFailures else {
            throw AppError(.tooManyRequests, code: "too_many_attempts", message: "Too many failed sign-ins. Try again later.",
                           headers: [.retryAfter: String(Int(Self.throttleWindow))])
        }
        guard try await hasher.verify(body.password, against: credentials.passwordHash) else {
            try await audit.record(AuditRecord(action: "auth.sign_in", resourceType: "account",
                                               resourceId: credentials.accountId.text, outcome: .failure),
                                   context: context.auditContext(at: now))
            throw AppError(.unauthorized, code: "bad_credentials", message: "The phone number or password is wrong.")
        }
        guard credentials.status == .active else {
            throw AppError(.forbidden, code: "account_disabled", message: "This account is disabled.")
        }
        let token = SessionToken.generate()
        let expiresAt = now.addingTimeInterval(tokenLifetime)
        try await accounts.openSession(for: credentials, tokenHash: SessionToken.hash(token), expiresAt: expiresAt,
                                       context: context.auditContext(at: now))
        guard let account = try await accounts.account(credentials.accountId) else { throw AppError.notFound("account") }
        return SignInView(token: token, expiresAt: Date(epochMillis: expiresAt.epochMillis), account: AccountView(account))
    }

    @Sendable func signOut(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireCaller()
        guard let tokenHash = context.tokenHash else { throw AppError.unauthenticated(code: "token_missing") }
        try await accounts.closeSession(tokenHash: tokenHash, context: context.auditContext(at: clock.now()))
        return Response(status: .noContent)
    }

    @Sendable func me(_ request: Request, context: AppContext) async throws -> AccountView {
        let caller = try context.requireCaller()
        guard let account = try await accounts.account(caller.accountId) else { throw AppError.notFound("account") }
        try await audit.record(AuditRecord(action: "account.read", resourceType: "account", resourceId: account.id.text,
                                           patientId: account.patientId),
                               context: context.auditContext(at: clock.now()))
        return AccountView(account)
    }
}
