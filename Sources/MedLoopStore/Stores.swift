import Foundation
import MedLoopDomain

/// Every store of MedLoop, built once, in this one place, for one database; the app and the
/// commands take the stores they use from here instead of building their own.
public struct Stores: Sendable {
    public let database: Database
    public let cipher: FieldCipher
    public let audit: AuditStore
    public let accounts: AccountStore
    public let throttle: ThrottleStore
    public let patients: PatientStore
    public let institutions: InstitutionStore
    public let doctors: DoctorStore
    public let reputation: ReputationStore
    public let orders: OrderStore
    public let encounters: EncounterStore
    public let ledger: LedgerStore
    public let idempotency: IdempotencyStore
    public let consultations: ConsultationStore
    public let messages: ConsultationMessageStore
    public let consultationPatients: ConsultationPatientStore
    public let records: RecordStore
    public let appointments: AppointmentStore
    public let photos: DoctorPhotoStore
    public let notifications: NotificationStore
    public let events: EventStore
    public let leases: LeaseStore
    public let signingKeys: SigningKeyStore
    public let prescriptions: PrescriptionStore
    public let pharmacies: PharmacyStore
    public let medicineOrders: MedicineOrderStore
    public let policies: PolicyStore
    public let insuredPersons: InsuredPersonStore
    public let settlements: SettlementStore
    public let quotas: QuotaStore
    public let clearings: ClearingStore
    public let claims: ClaimStore
    public let credentials: CredentialStore
    public let alerts: AlertStore
    public let monitor: MonitorStore
    public let auditSamples: AuditSampleStore
    public let traces: TraceStore
    public let analytics: AnalyticsStore

    /// The stores of `database`; uploaded files live under `dataDirectory`, encrypted with `cipher`;
    /// prescriptions are checked against `formulary`.
    public init(database: Database, cipher: FieldCipher, dataDirectory: URL, formulary: Formulary) {
        self.database = database
        self.cipher = cipher
        // Stores that use no other store first; then each after the stores it receives.
        audit = AuditStore(database: database)
        ledger = LedgerStore(database: database)
        notifications = NotificationStore(database: database)
        events = EventStore(database: database)
        leases = LeaseStore(database: database)
        throttle = ThrottleStore(database: database)
        idempotency = IdempotencyStore(database: database)
        consultationPatients = ConsultationPatientStore(database: database)
        accounts = AccountStore(database: database, cipher: cipher, audit: audit)
        patients = PatientStore(database: database, cipher: cipher, audit: audit)
        doctors = DoctorStore(database: database, audit: audit)
        encounters = EncounterStore(database: database, cipher: cipher, audit: audit)
        institutions = InstitutionStore(database: database, audit: audit, doctors: doctors)
        appointments = AppointmentStore(database: database, audit: audit, ledger: ledger, doctors: doctors)
        policies = PolicyStore(database: database, audit: audit)
        quotas = QuotaStore(database: database, audit: audit)
        clearings = ClearingStore(database: database, audit: audit)
        insuredPersons = InsuredPersonStore(database: database, cipher: cipher, audit: audit, ledger: ledger)
        settlements = SettlementStore(database: database, cipher: cipher, audit: audit, ledger: ledger, policies: policies)
        claims = ClaimStore(database: database, cipher: cipher, audit: audit, ledger: ledger, settlements: settlements)
        consultations = ConsultationStore(database: database, audit: audit, ledger: ledger, notifications: notifications,
                                          doctors: doctors, settlements: settlements)
        orders = OrderStore(database: database, audit: audit, ledger: ledger, doctors: doctors, appointments: appointments,
                            consultations: consultations, settlements: settlements)
        reputation = ReputationStore(database: database, consultations: consultations, audit: audit, ledger: ledger,
                                     doctors: doctors)
        messages = ConsultationMessageStore(database: database, cipher: cipher, dataDirectory: dataDirectory,
                                            consultations: consultations, audit: audit, notifications: notifications)
        records = RecordStore(database: database, cipher: cipher, dataDirectory: dataDirectory, audit: audit)
        photos = DoctorPhotoStore(database: database, cipher: cipher, dataDirectory: dataDirectory, audit: audit)
        signingKeys = SigningKeyStore(database: database, cipher: cipher)
        prescriptions = PrescriptionStore(database: database, audit: audit, notifications: notifications, keys: signingKeys,
                                          formulary: formulary)
        pharmacies = PharmacyStore(database: database, audit: audit, catalogue: formulary.catalogue)
        medicineOrders = MedicineOrderStore(database: database, audit: audit, ledger: ledger, notifications: notifications,
                                            prescriptions: prescriptions, pharmacies: pharmacies, cipher: cipher,
                                            settlements: settlements)
        credentials = CredentialStore(database: database, audit: audit, cipher: cipher, dataDirectory: dataDirectory,
                                      notifications: notifications, consultations: consultations, doctors: doctors,
                                      signingKeys: signingKeys)
        alerts = AlertStore(database: database, audit: audit)
        monitor = MonitorStore(database: database, audit: audit)
        auditSamples = AuditSampleStore(database: database, audit: audit)
        traces = TraceStore(database: database, audit: audit)
        analytics = AnalyticsStore(database: database, audit: audit)
    }

    /// Encrypts uploaded images, photos and reports stored before files were encrypted, and
    /// closes their folders to other users (start-up); returns how many files it encrypted.
    public func encryptEarlierFiles() async throws -> Int {
        try await messages.encryptEarlierFiles() + photos.encryptEarlierFiles() + records.encryptEarlierFiles()
    }
}
