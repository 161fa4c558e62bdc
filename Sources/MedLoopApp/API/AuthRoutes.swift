import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Sign-up, sign-in, sign-out and `me` (API.md, authentication).
struct AuthRoutes {
    let accounts: AccountStore
    let audit: AuditStore
    let throttle: ThrottleStore
    let cipher: FieldCipher
    let hasher: PasswordHasher
    let clock: any MedLoopClock
    let tokenLifetime: TimeInterval

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
        try await admit([.signUpAddress: addressKey(context)], now: now)
        let signUp = PatientSignUp(phone: phone!, passwordHash: try await hasher.hash(body.password), realName: name!,
                                   nationalId: nationalId!)
        do {
            let account = try await accounts.signUp(signUp, context: context.auditContext(at: now))
            return Created(value: AccountView(account))
        } catch DomainError.conflict(let code, _) where code == "phone_taken" || code == "national_id_taken" {
            // Which identifier is taken would tell anyone that a person uses a health service.
            throw AppError(.conflict, code: "sign_up_conflict",
                           message: "This phone number or national ID cannot be registered again. If it is yours, sign in.")
        }
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
        // Counted before the password is checked, so racing guesses are counted one by one.
        let keys = signInKeys(phone, context)
        try await admit(keys, now: now)
        guard let credentials = try await accounts.credentials(phone: phone) else {
            try await hasher.verifyDecoy(body.password)
            try await audit.record(AuditRecord(action: "auth.sign_in", resourceType: "account", outcome: .failure),
                                   context: context.auditContext(at: now))
            throw AppError(.unauthorized, code: "bad_credentials", message: "The phone number or password is wrong.")
        }
        guard try await hasher.verify(body.password, against: credentials.passwordHash) else {
            try await audit.record(AuditRecord(action: "auth.sign_in", resourceType: "account",
                                               resourceId: credentials.accountId.text, outcome: .failure),
                                   context: context.auditContext(at: now))
            throw AppError(.unauthorized, code: "bad_credentials", message: "The phone number or password is wrong.")
        }
        try await throttle.succeeded(clearing: [.phoneAtAddress: keys[.phoneAtAddress]!],
                                     forgiving: keys.filter { $0.key != .phoneAtAddress })
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

    /// Counts an attempt under `keys`, or refuses it with 429 and the seconds to wait.
    private func admit(_ keys: [ThrottleScope: String], now: Date) async throws {
        if case .wait(let seconds) = try await throttle.attempt(keys, now: now) {
            throw AppError(.tooManyRequests, code: "too_many_attempts", message: "Too many attempts. Try again later.",
                           headers: [.retryAfter: String(seconds)])
        }
    }

    /// The throttle keys of a sign-in: keyed hashes, so the table holds no phone and no address.
    private func signInKeys(_ phone: PhoneNumber, _ context: AppContext) -> [ThrottleScope: String] {
        let address = context.clientAddress ?? "unknown"
        return [.phoneAtAddress: cipher.lookupHash("\(phone.value) \(address)", field: "throttle.phone_at_address"),
                .address: addressKey(context),
                .phone: cipher.lookupHash(phone.value, field: "throttle.phone")]
    }

    private func addressKey(_ context: AppContext) -> String {
        cipher.lookupHash(context.clientAddress ?? "unknown", field: "throttle.address")
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
        try await audit.recordRead("account.read", of: "account", id: account.id.text, patient: account.patientId,
                                   by: context, at: clock.now())
        return AccountView(account)
    }
}
