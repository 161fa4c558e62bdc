import Crypto
import Foundation

/// One record of the daily report to the provincial supervision platform (issue 20, part 9).
/// Records carry MedLoop's identifiers (random UUIDs) and codes, never a name, a national ID, a
/// phone number or an address: the platform joins them to nothing it does not already hold.
public enum ProvincialRecord: Sendable, Equatable, Encodable {
    case consultation(Consultation)
    case prescription(Prescription)
    case dispense(Dispense)
    case settlement(Settlement)

    /// A consultation paid for on the day.
    public struct Consultation: Sendable, Equatable, Encodable {
        public var type = "consultation"
        public var id: UUID
        public var institutionId: UUID
        public var doctorId: UUID
        public var patientId: UUID
        public var service: String
        public var state: String
        public var queuedAt: String
        public var acceptedAt: String?
        public var completedAt: String?
        public var diagnosis: String?

        public init(id: UUID, institutionId: UUID, doctorId: UUID, patientId: UUID, service: String, state: String,
                    queuedAt: Date, acceptedAt: Date?, completedAt: Date?, diagnosis: String?) {
            self.id = id
            self.institutionId = institutionId
            self.doctorId = doctorId
            self.patientId = patientId
            self.service = service
            self.state = state
            self.queuedAt = Timestamp.format(queuedAt)
            self.acceptedAt = acceptedAt.map(Timestamp.format)
            self.completedAt = completedAt.map(Timestamp.format)
            self.diagnosis = diagnosis
        }
    }

    /// A prescription signed on the day.
    public struct Prescription: Sendable, Equatable, Encodable {
        public struct Item: Sendable, Equatable, Encodable {
            public var drugId: UUID
            public var quantity: Int

            public init(drugId: UUID, quantity: Int) {
                self.drugId = drugId
                self.quantity = quantity
            }
        }

        public var type = "prescription"
        public var id: UUID
        public var consultationId: UUID
        public var institutionId: UUID
        public var doctorAccountId: UUID
        public var patientId: UUID
        public var diagnosis: String
        public var state: String
        public var signedAt: String
        public var documentHash: String?
        public var reviewerAccountId: UUID?
        public var reviewedAt: String?
        public var items: [Item]

        public init(id: UUID, consultationId: UUID, institutionId: UUID, doctorAccountId: UUID, patientId: UUID,
                    diagnosis: String, state: String, signedAt: Date, documentHash: String?, reviewerAccountId: UUID?,
                    reviewedAt: Date?, items: [Item]) {
            self.id = id
            self.consultationId = consultationId
            self.institutionId = institutionId
            self.doctorAccountId = doctorAccountId
            self.patientId = patientId
            self.diagnosis = diagnosis
            self.state = state
            self.signedAt = Timestamp.format(signedAt)
            self.documentHash = documentHash
            self.reviewerAccountId = reviewerAccountId
            self.reviewedAt = reviewedAt.map(Timestamp.format)
            self.items = items
        }
    }

    /// A medicine order dispensed on the day, with the traceability codes scanned.
    public struct Dispense: Sendable, Equatable, Encodable {
        public var type = "dispense"
        public var orderId: UUID
        public var prescriptionId: UUID
        public var pharmacyId: UUID
        public var mode: String
        public var totalFen: Int64
        public var dispensedAt: String
        public var codes: [String]

        public init(orderId: UUID, prescriptionId: UUID, pharmacyId: UUID, mode: String, totalFen: Int64,
                    dispensedAt: Date, codes: [String]) {
            self.orderId = orderId
            self.prescriptionId = prescriptionId
            self.pharmacyId = pharmacyId
            self.mode = mode
            self.totalFen = totalFen
            self.dispensedAt = Timestamp.format(dispensedAt)
            self.codes = codes
        }
    }

    /// A settlement or reversal cleared on the day.
    public struct Settlement: Sendable, Equatable, Encodable {
        public var type = "settlement"
        public var id: UUID
        /// `settlement` or `reversal`.
        public var kind: String
        public var institutionId: UUID
        public var orderId: UUID?
        public var medicineOrderId: UUID?
        public var region: String
        public var scheme: String
        public var totalFen: Int64
        public var fundFen: Int64
        public var personalAccountFen: Int64
        public var cashFen: Int64
        public var createdAt: String

        public init(id: UUID, kind: String, institutionId: UUID, orderId: UUID?, medicineOrderId: UUID?, region: String,
                    scheme: String, totalFen: Int64, fundFen: Int64, personalAccountFen: Int64, cashFen: Int64, createdAt: Date) {
            self.id = id
            self.kind = kind
            self.institutionId = institutionId
            self.orderId = orderId
            self.medicineOrderId = medicineOrderId
            self.region = region
            self.scheme = scheme
            self.totalFen = totalFen
            self.fundFen = fundFen
            self.personalAccountFen = personalAccountFen
            self.cashFen = cashFen
            self.createdAt = Timestamp.format(createdAt)
        }
    }

    /// The record's type, as its `type` field says.
    public var type: String {
        switch self {
        case .consultation: "consultation"
        case .prescription: "prescription"
        case .dispense: "dispense"
        case .settlement: "settlement"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .consultation(let record): try record.encode(to: encoder)
        case .prescription(let record): try record.encode(to: encoder)
        case .dispense(let record): try record.encode(to: encoder)
        case .settlement(let record): try record.encode(to: encoder)
        }
    }
}

/// A region's day for the provincial platform: a header line, then one canonical-JSON record a
/// line (consultations, prescriptions, dispenses, settlements, each in the order the store read
/// them). The file's bytes are what `ReportSigning` signs.
public struct ProvincialReport: Sendable, Equatable {
    public static let format = "medloop-provincial-report/1"

    public var region: RegionCode
    public var day: CalendarDate
    public var records: [ProvincialRecord]

    public init(region: RegionCode, day: CalendarDate, records: [ProvincialRecord]) {
        self.region = region
        self.day = day
        self.records = records
    }

    /// How many records of each type, by type.
    public var counts: [String: Int] {
        var counts = ["consultation": 0, "prescription": 0, "dispense": 0, "settlement": 0]
        for record in records { counts[record.type, default: 0] += 1 }
        return counts
    }

    private struct Header: Encodable {
        var type = "header"
        var format: String
        var region: String
        var day: String
        var counts: [String: Int]
    }

    /// The NDJSON file: the header (format, region, day, counts) and the records, each line
    /// canonical JSON (sorted keys) ending in a newline. The same report always gives the same bytes.
    public func ndjson() -> String {
        let header = Header(format: Self.format, region: region.value, day: day.description, counts: counts)
        return ([CanonicalJSON.text(of: header)] + records.map { CanonicalJSON.text(of: $0) }).map { $0 + "\n" }.joined()
    }

    /// The file name both files share: `report-<region>-<day>`, `.ndjson` and `.sig`.
    public var baseName: String { "report-\(region.value)-\(day)" }

    /// The instants an Asia/Shanghai day spans, [start, end): China keeps UTC+8 all year.
    public static func window(of day: CalendarDate) -> (start: Date, end: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let start = calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
        return (start, start.addingTimeInterval(86_400))
    }
}

/// The detached signature of a report file, written beside it as `<name>.sig` (one JSON object):
/// the SHA-256 of the file's bytes and an ECDSA P-256 signature over that digest by the platform
/// key, with the public key (PEM) the platform registered with the province.
public struct ReportSignature: Sendable, Equatable, Codable {
    public static let algorithm = "ECDSA-P256-SHA256"

    public var format: String
    public var algorithm: String
    public var file: String
    public var sha256: String
    /// DER, base64.
    public var signature: String
    public var publicKey: String
    public var signedAt: String

    public init(format: String, algorithm: String, file: String, sha256: String, signature: String, publicKey: String,
                signedAt: String) {
        self.format = format
        self.algorithm = algorithm
        self.file = file
        self.sha256 = sha256
        self.signature = signature
        self.publicKey = publicKey
        self.signedAt = signedAt
    }
}

/// Signing and checking report files: pure, given the key and the bytes.
public enum ReportSigning {
    /// Signs the SHA-256 digest of `file` (named `name`) with the platform `key`.
    public static func sign(_ file: Data, name: String, key: P256.Signing.PrivateKey, at instant: Date) throws -> ReportSignature {
        let digest = SHA256.hash(data: file)
        let signature = try key.signature(for: digest)
        return ReportSignature(format: ProvincialReport.format, algorithm: ReportSignature.algorithm, file: name,
                               sha256: Hashing.sha256Hex(file), signature: signature.derRepresentation.base64EncodedString(),
                               publicKey: key.publicKey.pemRepresentation, signedAt: Timestamp.format(instant))
    }

    /// Everything wrong, in English; empty when `file` is the one `signature` signed, under
    /// `trustedKey` (the platform's public key as the province registered it) when given: a
    /// signature file alone proves only that its own key signed.
    public static func problems(_ file: Data, signature: ReportSignature, trustedKey: String? = nil) -> [String] {
        var problems: [String] = []
        if signature.algorithm != ReportSignature.algorithm { problems.append("the algorithm is not \(ReportSignature.algorithm)") }
        if Hashing.sha256Hex(file) != signature.sha256 { problems.append("the file does not match its hash") }
        if let trustedKey, trustedKey != signature.publicKey { problems.append("the key is not the platform's registered key") }
        guard let key = try? P256.Signing.PublicKey(pemRepresentation: signature.publicKey) else {
            return problems + ["the public key is not a P-256 key"]
        }
        guard let der = Data(base64Encoded: signature.signature),
              let ecdsa = try? P256.Signing.ECDSASignature(derRepresentation: der) else {
            return problems + ["the signature is not an ECDSA signature"]
        }
        if !key.isValidSignature(ecdsa, for: SHA256.hash(data: file)) { problems.append("the signature does not match the file") }
        return problems
    }
}
