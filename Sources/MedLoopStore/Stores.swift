import Foundation

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

    /// The stores of `database`; uploaded files live under `dataDirectory`, encrypted with `cipher`.
    public init(database: Database, cipher: FieldCipher, dataDirectory: URL) {
        self.database = database
        self.cipher = cipher
        audit = AuditStore(database: database)
        accounts = AccountStore(database: database, cipher: cipher)
        throttle = ThrottleStore(database: database)
        patients = PatientStore(database: database, cipher: cipher)
        institutions = InstitutionStore(database: database)
        doctors = DoctorStore(database: database)
        reputation = ReputationStore(database: database)
        orders = OrderStore(database: database)
        ledger = LedgerStore(database: database)
        idempotency = IdempotencyStore(database: database)
        consultations = ConsultationStore(database: database)
        messages = ConsultationMessageStore(database: database, cipher: cipher, dataDirectory: dataDirectory)
        consultationPatients = ConsultationPatientStore(database: database)
        records = RecordStore(database: database, cipher: cipher, dataDirectory: dataDirectory)
        appointments = AppointmentStore(database: database)
        photos = DoctorPhotoStore(database: database, cipher: cipher, dataDirectory: dataDirectory)
        notifications = NotificationStore(database: database)
        events = EventStore(database: database)
        leases = LeaseStore(database: database)
    }

    /// Encrypts uploaded images, photos and reports stored before files were encrypted, and
    /// closes their folders to other users (start-up); returns how many files it encrypted.
    public func encryptEarlierFiles() async throws -> Int {
        try await messages.encryptEarlierFiles() + photos.encryptEarlierFiles() + records.encryptEarlierFiles()
    }
}
