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
    /// The consultation streams open in this server.
    let hub = ConsultationHub()
    /// Doctors' profiles and search pages this server keeps (encoded) until they change.
    let directory = DirectoryCache()

    public init(configuration: Configuration, database: Database, cipher: FieldCipher, clock: any MedLoopClock = SystemClock()) {
        self.configuration = configuration
        self.database = database
        self.cipher = cipher
        self.clock = clock
    }

    /// Opens the configured database, applies pending migrations and — on an empty database, when
    /// configured — seeds the demo world. Returns the services and whether it seeded.
    public static func start(_ configuration: Configuration, logger: Logger) async throws -> (AppServices, seeded: Bool) {
        let cipher = try FieldCipher(dataKey: try configuration.loadDataKey())
        let database = try await Database.open(configuration.databaseLocation, maxConnections: configuration.databaseConnections,
                                               logger: logger)
        do {
            try await Migrator(database: database).migrate()
            let services = AppServices(configuration: configuration, database: database, cipher: cipher)
            var seeded = false
            if configuration.seedDemoWhenEmpty, try await services.isEmpty() {
                seeded = try await services.seedDemo()
            }
            return (services, seeded)
        } catch {
            await database.close()
            throw error
        }
    }

    /// Whether no account exists yet.
    public func isEmpty() async throws -> Bool {
        try await AccountStore(database: database, cipher: cipher).list(role: nil, institutionId: nil, limit: 1, cursor: nil)
            .items.isEmpty
    }

    /// The service that hands committed domain events to this server's live subscribers (the
    /// consultation streams); `buildApplication` runs it, and so must any other host of the router.
    public func eventDispatcher(logger: Logger, pollInterval: Duration = .seconds(1)) -> some Service {
        let messages = ConsultationMessageStore(database: database, dataDirectory: URL(fileURLWithPath: configuration.dataDirectory))
        return EventDispatcher(events: EventStore(database: database), database: database,
                               subscribers: [ChatFanOut(hub: hub, messages: messages, logger: logger),
                                             DirectoryCacheInvalidation(cache: directory)],
                               pollInterval: pollInterval, logger: logger)
    }

    /// Seeds the demo world unless it is there; returns whether it created it.
    public func seedDemo() async throws -> Bool {
        let hash = try await PasswordHasher(cost: configuration.bcryptCost).hash(DemoWorld.password)
        return try await DemoWorld.seed(database: database, cipher: cipher, passwordHash: hash, now: clock.now())
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
    router.add(middleware: RequestMiddleware(maxBodyBytes: services.configuration.maxBodyBytes))
    router.add(middleware: MetricsMiddleware())

    let database = services.database
    let clock = services.clock
    let accounts = AccountStore(database: database, cipher: services.cipher)
    let patients = PatientStore(database: database, cipher: services.cipher)
    let audit = AuditStore(database: database)
    let hasher = PasswordHasher(cost: services.configuration.bcryptCost)
    let authorizer = Authorizer(audit: audit, patients: patients, clock: clock)

    HealthRoutes(database: database, registry: metricsRegistry).register(router)
    let api = router.group("api/v1")
    let authenticated = api.group().add(middleware: AuthenticationMiddleware(accounts: accounts, clock: clock))
    AuthRoutes(accounts: accounts, audit: audit, hasher: hasher, clock: clock,
               tokenLifetime: services.configuration.tokenLifetime).register(public: api, authenticated: authenticated)
    AccountRoutes(accounts: accounts, audit: audit, authorizer: authorizer, hasher: hasher, clock: clock).register(authenticated)
    InstitutionRoutes(institutions: InstitutionStore(database: database), authorizer: authorizer, clock: clock)
        .register(authenticated)
    PatientRoutes(patients: patients, audit: audit, authorizer: authorizer, clock: clock).register(authenticated)
    AuditRoutes(audit: audit, authorizer: authorizer, clock: clock).register(authenticated)
    DoctorRoutes(doctors: DoctorStore(database: database), reputation: ReputationStore(database: database),
                 cache: services.directory, authorizer: authorizer, clock: clock)
        .register(public: api, authenticated: authenticated)
    let orders = OrderStore(database: database)
    OrderRoutes(orders: orders, consultations: ConsultationStore(database: database), ledger: LedgerStore(database: database), authorizer: authorizer,
                idempotent: IdempotentPost(store: IdempotencyStore(database: database), clock: clock), clock: clock)
        .register(authenticated)
    EncounterRoutes(orders: orders, cipher: services.cipher, audit: audit, authorizer: authorizer, clock: clock).register(authenticated)
    TriageRoutes().register(api)
    let consultations = ConsultationStore(database: database)
    let messages = ConsultationMessageStore(database: database,
                                            dataDirectory: URL(fileURLWithPath: services.configuration.dataDirectory))
    let chat = Chat(messages: messages, clock: clock)
    ConsultationRoutes(consultations: consultations, messages: messages, reputation: ReputationStore(database: database),
                       doctors: DoctorStore(database: database), chat: chat, audit: audit, authorizer: authorizer,
                       idempotent: IdempotentPost(store: IdempotencyStore(database: database), clock: clock), clock: clock)
        .register(authenticated)
    ConsultationPatientRoutes(consultations: consultations, patients: ConsultationPatientStore(database: database),
                              audit: audit, clock: clock).register(authenticated)
    RecordRoutes(records: RecordStore(database: database, cipher: services.cipher,
                                      dataDirectory: URL(fileURLWithPath: services.configuration.dataDirectory)),
                 audit: audit, authorizer: authorizer, clock: clock).register(authenticated)
    AppointmentRoutes(appointments: AppointmentStore(database: database), doctors: DoctorStore(database: database),
                      authorizer: authorizer, clock: clock)
        .register(public: api, authenticated: authenticated)
    DoctorPhotoRoutes(photos: DoctorPhotoStore(database: database,
                                               dataDirectory: URL(fileURLWithPath: services.configuration.dataDirectory)),
                      doctors: DoctorStore(database: database), cache: services.directory, authorizer: authorizer, clock: clock)
        .register(public: api, authenticated: authenticated)
    NotificationRoutes(notifications: NotificationStore(database: database), clock: clock).register(authenticated)
    ConsultationSocket(authentication: AuthenticationMiddleware(accounts: accounts, clock: clock), consultations: consultations,
                       chat: chat, hub: services.hub, audit: audit, clock: clock).register(api)
    return router
}

/// The HTTP application on the configured address.
public func buildApplication(_ services: AppServices, logger: Logger,
                             onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
    -> some ApplicationProtocol {
    _ = metricsRegistry
    let router = buildRouter(services)
    let jobs = JobRunner(jobs: [.refundUnaccepted(ConsultationStore(database: services.database), logger: logger),
                                .deliverNotifications(NotificationStore(database: services.database),
                                                      provider: LogDeliveryProvider(logger: logger))],
                         leases: LeaseStore(database: services.database), clock: services.clock, logger: logger)
    return Application(
        router: router,
        server: .http1WebSocketUpgrade(webSocketRouter: router),
        configuration: .init(address: .hostname(services.configuration.host, port: services.configuration.port),
                             serverName: "MedLoop"),
        services: [jobs, services.eventDispatcher(logger: logger)],
        onServerRunning: onServerRunning,
        logger: logger)
}
