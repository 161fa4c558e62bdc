import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import MedLoopDomain
import MedLoopStore
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle

/// What a running MedLoop server is made of: configuration, an open database, the field cipher
/// and the clock. Tests build one on a fresh database and a clock they move.
public struct AppServices: Sendable {
    public let configuration: Configuration
    public let database: Database
    public let cipher: FieldCipher
    public let clock: any MedLoopClock
    /// Every store, built once for this server's database.
    public let stores: Stores
    /// The bcrypt hasher at the configured cost (with its decoy hash, computed once).
    let hasher: PasswordHasher
    /// The triage table, loaded once at start-up: a missing or corrupt table stops the server.
    public let triageRules: TriageRules
    /// The consultation streams open in this server.
    let hub = ConsultationHub()
    /// Doctors' profiles and search pages this server keeps (encoded) until they change.
    let directory: DirectoryCache
    /// The supervision dashboard streams open in this server, fed by the event dispatcher.
    let monitorFeed: MonitorFeed
    /// The fraud and abuse rules and their thresholds, validated at start-up.
    public let fraudRules: FraudRuleSet
    /// The web app's templates, strings, stylesheet and scripts, loaded once at start-up.
    let pages: PageRenderer
    let assets: WebAssets

    public init(configuration: Configuration, database: Database, cipher: FieldCipher, clock: any MedLoopClock = SystemClock()) throws {
        // The directory cache's counters, made before the registry, would count nothing.
        _ = metricsRegistry
        self.directory = DirectoryCache()
        self.configuration = configuration
        self.database = database
        self.cipher = cipher
        self.clock = clock
        self.hasher = PasswordHasher(cost: configuration.bcryptCost)
        self.triageRules = try TriageRules.loadShipped()
        self.fraudRules = try FraudRuleSet.load(path: configuration.fraudRulesPath)
        self.pages = try PageRenderer()
        self.assets = try WebAssets()
        self.stores = Stores(database: database, cipher: cipher, dataDirectory: URL(fileURLWithPath: configuration.dataDirectory),
                             formulary: try Formulary.loadShipped())
        self.monitorFeed = MonitorFeed(locate: stores.monitor.region(ofSubject:id:))
    }

    /// Prepares the configured database — applies pending migrations, encrypts files stored before
    /// encryption and, on an empty database when configured, seeds the demo world — through a
    /// short-lived connection, then opens it for serving (a PostgreSQL pool to be run as a service
    /// of the server, `Database.service`). With `forServing: false` (a command that runs no
    /// service group) it keeps the short-lived connection open instead. Returns the services and
    /// whether it seeded.
    public static func start(_ configuration: Configuration, logger: Logger,
                             forServing: Bool = true) async throws -> (AppServices, seeded: Bool) {
        // Metrics made before the registry is bootstrapped record nothing: the database's first.
        _ = metricsRegistry
        let cipher = try FieldCipher(dataKey: try configuration.loadDataKey())
        let setup = try await Database.open(configuration.databaseLocation, maxConnections: 2, logger: logger)
        let seeded: Bool
        do {
            try await Migrator(database: setup).migrate()
            let services = try AppServices(configuration: configuration, database: setup, cipher: cipher)
            let synced = try await services.stores.prescriptions.syncCatalogue()
            if synced > 0 { logger.notice("drug catalogue brought up to date", metadata: ["products": "\(synced)"]) }
            try await services.stores.policies.syncShipped(try RegionPolicy.shipped(), at: services.clock.now())
            let encrypted = try await services.stores.encryptEarlierFiles()
            if encrypted > 0 { logger.notice("encrypted files stored before encryption", metadata: ["files": "\(encrypted)"]) }
            let empty = configuration.seedDemoWhenEmpty ? try await services.isEmpty() : false
            seeded = empty ? try await services.seedDemo() : false
        } catch {
            await setup.close()
            throw error
        }
        guard forServing else { return (try AppServices(configuration: configuration, database: setup, cipher: cipher), seeded) }
        await setup.close()
        let database = try await Database.open(configuration.databaseLocation, maxConnections: configuration.databaseConnections,
                                               logger: logger, poolAsService: true)
        return (try AppServices(configuration: configuration, database: database, cipher: cipher), seeded)
    }

    /// Whether no account exists yet.
    public func isEmpty() async throws -> Bool {
        try await stores.accounts.list(role: nil, institutionId: nil, limit: 1, cursor: nil)
            .items.isEmpty
    }

    /// The service that hands committed domain events to this server's live subscribers (the
    /// consultation streams); `buildApplication` runs it, and so must any other host of the router.
    public func eventDispatcher(logger: Logger, pollInterval: Duration = .seconds(1)) -> some Service {
        EventDispatcher(events: stores.events, database: database,
                               subscribers: [ChatFanOut(hub: hub, messages: stores.messages, prescriptions: stores.prescriptions, logger: logger),
                                             DirectoryCacheInvalidation(cache: directory), monitorFeed],
                               pollInterval: pollInterval, logger: logger)
    }

    /// Seeds the demo world unless it is there; returns whether it created it.
    public func seedDemo() async throws -> Bool {
        let hash = try await hasher.hash(DemoWorld.password)
        return try await DemoWorld.seed(database: database, cipher: cipher, passwordHash: hash, now: clock.now())
    }

    /// Seeds the care loop's patients 1...`count` that are missing (`LoopPatients`), with the demo
    /// password; returns how many it wrote.
    public func seedLoopPatients(_ count: Int) async throws -> Int {
        let hash = try await hasher.hash(DemoWorld.password)
        return try await LoopPatients.seed(count: count, database: database, cipher: cipher, passwordHash: hash, now: clock.now())
    }
}

/// The process-wide Prometheus registry behind swift-metrics (bootstrapped once).
public let metricsRegistry: PrometheusCollectorRegistry = {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}()

/// The router with every route of MedLoop.
public func buildRouter(_ services: AppServices) -> Router<AppContext> {
    let router = Router(context: AppContext.self)
    let routeTable = RouteTable()
    let authentication = AuthenticationMiddleware(accounts: services.stores.accounts, clock: services.clock)
    let chat = Chat(messages: services.stores.messages, clock: services.clock)
    // The web app calls the same API routes in process, without the outer middleware (the page's
    // request already has its id, language, metrics and log line).
    let internalAPI = Router(context: AppContext.self)
    registerAPI(on: internalAPI.group("api/v1"), services, authentication: authentication, chat: chat)
    let web = WebKit(api: WebAPI(responder: internalAPI.buildResponder()), renderer: services.pages,
                     csrf: CSRFTokens(cipher: services.cipher), clock: services.clock)
    router.add(middleware: RequestMiddleware(maxBodyBytes: services.configuration.maxBodyBytes,
                                             trustForwardedFor: services.configuration.trustForwardedFor, routes: routeTable,
                                             notFoundPage: { context in web.errorPage(AppError.notFound("page"), context: context) }))
    router.add(middleware: MetricsMiddleware())

    let routes = RecordingRouter(router: router, table: routeTable)
    HealthRoutes(database: services.stores.database, registry: metricsRegistry).register(routes)
    let api = routes.group("api/v1")
    registerAPI(on: api, services, authentication: authentication, chat: chat)
    ConsultationSocket(authentication: authentication, consultations: services.stores.consultations, chat: chat, hub: services.hub,
                       audit: services.stores.audit, clock: services.clock).register(api)

    WebRoutes(web: web, clock: services.clock, assets: services.assets, iceServers: services.configuration.iceServers)
        .register(pages: routes.group().add(middleware: WebPageMiddleware(authentication: authentication, web: web,
                                                                          trustForwardedFor: services.configuration.trustForwardedFor)),
                  assets: routes.group())
    return router
}

/// Every route of the JSON API on `api` (the `/api/v1` group of a router).
private func registerAPI(on api: RouterGroup<AppContext>, _ services: AppServices, authentication: AuthenticationMiddleware,
                         chat: Chat) {
    let stores = services.stores
    let clock = services.clock
    let hasher = services.hasher
    let authorizer = Authorizer(audit: stores.audit, patients: stores.patients, clock: clock)
    let idempotent = IdempotentPost(store: stores.idempotency, database: stores.database, clock: clock,
                                    crashPoints: CrashPoints(armed: services.configuration.crashPoint))
    let authenticated = api.group().add(middleware: authentication)
    let regions = SupervisionRegions(authorizer: authorizer, institutions: stores.institutions, audit: stores.audit, clock: clock)
    AuthRoutes(accounts: stores.accounts, audit: stores.audit, throttle: stores.throttle, cipher: services.cipher,
               hasher: hasher, clock: clock, tokenLifetime: services.configuration.tokenLifetime)
        .register(public: api, authenticated: authenticated)
    AccountRoutes(accounts: stores.accounts, signingKeys: stores.signingKeys, audit: stores.audit, authorizer: authorizer, hasher: hasher, clock: clock)
        .register(authenticated)
    InstitutionRoutes(institutions: stores.institutions, authorizer: authorizer, clock: clock).register(authenticated)
    PatientRoutes(patients: stores.patients, audit: stores.audit, authorizer: authorizer, clock: clock).register(authenticated)
    AuditRoutes(audit: stores.audit, authorizer: authorizer, clock: clock).register(authenticated)
    DoctorRoutes(doctors: stores.doctors, credentials: stores.credentials, regions: regions, reputation: stores.reputation, cache: services.directory,
                 authorizer: authorizer, clock: clock)
        .register(public: api, authenticated: authenticated)
    OrderRoutes(orders: stores.orders, consultations: stores.consultations, ledger: stores.ledger, settlements: stores.settlements,
                triage: services.triageRules,
                authorizer: authorizer, idempotent: idempotent, clock: clock)
        .register(authenticated)
    EncounterRoutes(encounters: stores.encounters, audit: stores.audit, authorizer: authorizer, clock: clock)
        .register(authenticated)
    TriageRoutes(rules: services.triageRules).register(api)
    DrugRoutes(catalogue: stores.prescriptions.formulary.catalogue).register(authenticated)
    PrescriptionRoutes(prescriptions: stores.prescriptions, patients: stores.patients, audit: stores.audit, authorizer: authorizer,
                       clock: clock)
        .register(authenticated)
    MedicineOrderRoutes(orders: stores.medicineOrders, settlements: stores.settlements, prescriptions: stores.prescriptions, patients: stores.patients,
                        audit: stores.audit, authorizer: authorizer, idempotent: idempotent, clock: clock)
        .register(authenticated)
    MedicationRoutes(prescriptions: stores.prescriptions, orders: stores.orders, patients: stores.patients, audit: stores.audit,
                     authorizer: authorizer, idempotent: idempotent, clock: clock)
        .register(authenticated)
    PharmacyStockRoutes(pharmacies: stores.pharmacies, institutions: stores.institutions, catalogue: stores.prescriptions.formulary.catalogue, authorizer: authorizer,
                        clock: clock)
        .register(authenticated)
    ConsultationRoutes(consultations: stores.consultations, messages: stores.messages, reputation: stores.reputation,
                       doctors: stores.doctors, chat: chat, audit: stores.audit, authorizer: authorizer,
                       idempotent: idempotent, clock: clock)
        .register(authenticated)
    ConsultationPatientRoutes(consultations: stores.consultations, patients: stores.consultationPatients,
                              audit: stores.audit, clock: clock).register(authenticated)
    RecordRoutes(records: stores.records, audit: stores.audit, authorizer: authorizer, clock: clock).register(authenticated)
    AppointmentRoutes(appointments: stores.appointments, doctors: stores.doctors, authorizer: authorizer, clock: clock)
        .register(public: api, authenticated: authenticated)
    DoctorPhotoRoutes(photos: stores.photos, doctors: stores.doctors, cache: services.directory, authorizer: authorizer,
                      clock: clock)
        .register(public: api, authenticated: authenticated)
    NotificationRoutes(notifications: stores.notifications, clock: clock).register(authenticated)
    InsuranceRoutes(policies: stores.policies, persons: stores.insuredPersons, quotas: stores.quotas,
                    institutions: stores.institutions, audit: stores.audit, authorizer: authorizer, clock: clock)
        .register(authenticated)
    ClearingRoutes(clearings: stores.clearings, regions: InsuranceRegions(authorizer: authorizer, institutions: stores.institutions),
                   clock: clock)
        .register(authenticated)
    ClaimRoutes(claims: stores.claims, settlements: stores.settlements,
                regions: InsuranceRegions(authorizer: authorizer, institutions: stores.institutions), audit: stores.audit,
                authorizer: authorizer, idempotent: idempotent, clock: clock)
        .register(authenticated)
    SettlementRoutes(persons: stores.insuredPersons, settlements: stores.settlements, institutions: stores.institutions,
                     audit: stores.audit, authorizer: authorizer, clock: clock)
        .register(authenticated)
    let supervision = SupervisionDependencies(services: services, authorizer: authorizer, regions: regions, idempotent: idempotent)
    QualificationRoutes(dependencies: supervision).register(authenticated)
    AlertRoutes(dependencies: supervision).register(authenticated)
    MonitorRoutes(dependencies: supervision).register(authenticated)
    AuditSampleRoutes(dependencies: supervision).register(authenticated)
    TraceRoutes(dependencies: supervision).register(authenticated)
    AnalyticsRoutes(dependencies: supervision).register(authenticated)
}

/// The HTTP application on the configured address, with its background jobs and its event
/// dispatcher (which looks for new events every `eventPollInterval` besides being woken). The
/// server and the tests both run exactly this.
public func buildApplication(_ services: AppServices, logger: Logger, eventPollInterval: Duration = .seconds(1),
                             onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
    -> some ApplicationProtocol {
    _ = metricsRegistry
    let router = buildRouter(services)
    let jobs = JobRunner(jobs: [.refundUnaccepted(services.stores.consultations, logger: logger),
                                .releaseExpiredReservations(services.stores.medicineOrders, logger: logger),
                                .expirePrescriptions(services.stores.prescriptions, logger: logger),
                                .confirmCrossRegion(services.stores.settlements, logger: logger),
                                .deliverNotifications(services.stores.notifications, provider: LogDeliveryProvider(logger: logger)),
                                .forgetExpired(idempotency: services.stores.idempotency, throttle: services.stores.throttle,
                                               logger: logger),
                                .licenceExpiry(services, logger: logger),
                                .fraudMonitor(services, logger: logger)],
                         leases: services.stores.leases, clock: services.clock, logger: logger)
    return Application(
        router: router,
        server: .medLoop(webSocketRouter: router, idleTimeout: services.configuration.idleTimeout,
                         maxHeadBytes: services.configuration.maxHeadBytes, headTimeout: services.configuration.requestHeadTimeout),
        configuration: .init(address: .hostname(services.configuration.host, port: services.configuration.port)),
        // The pool first: it starts before, and stops after, everything that uses it.
        services: [services.database.service].compactMap { $0 }
            + [jobs, services.eventDispatcher(logger: logger, pollInterval: eventPollInterval)],
        onServerRunning: onServerRunning,
        logger: logger)
}
