import Foundation
import Hummingbird
import MedLoopDomain
import NIOCore

/// The JSON coders of the API: camelCase keys, instants as RFC 3339 in China Standard Time.
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an RFC 3339 time")
            }
            return date
        }
        return decoder
    }()
}

extension Request {
    /// Decodes the JSON body as `T`. A body over the limit is a 413; bad JSON, a wrong type, a
    /// missing field or an unknown enumeration value is a 400 that names the field.
    func decodeJSON<T: Decodable>(as type: T.Type, context: AppContext) async throws -> T {
        let buffer = try await bodyBytes(upTo: context.maxBodyBytes)
        let data = Data(buffer: buffer)
        do {
            return try JSONCoding.decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw AppError.decoding(error, body: data)
        }
    }
}

/// The enumerations the API takes, by the name the decoder gives them, with their values: an
/// unknown value is answered with the values allowed, never with the decoder's Swift wording.
enum APIEnumerations {
    private static let types: [any (CaseIterable & RawRepresentable<String>).Type] = [
        ServiceKind.self, GiftKind.self, ConsultationOutcome.self, MessageKind.self, DoctorSort.self, DoctorTitle.self,
        QualificationStatus.self, Role.self, InstitutionKind.self, HospitalLevel.self, AllergySeverity.self,
        FamilyRelationship.self, Sex.self, EncounterSource.self, OrderState.self, ConsultationState.self, AuditOutcome.self,
        NotificationKind.self, LedgerEntryKind.self, DoseUnit.self, AdministrationRoute.self, FindingRule.self,
        FindingSeverity.self, RejectionReason.self, PrescriptionState.self, PregnancyStatus.self,
        PrescriptionRoutes.ReviewBody.Decision.self, FulfilmentMode.self, DeliveryStatus.self, MedicineOrderState.self,
        InsuranceScheme.self, InsuredStatus.self, AdmittedKind.self, ClaimMode.self, ClaimDecision.self, ClaimState.self,
        SettlementKind.self,
    ]

    private static let valuesByName: [String: [String]] = Dictionary(uniqueKeysWithValues: types.map { type in
        (String(describing: type), values(of: type))
    })

    private static func values<E: CaseIterable & RawRepresentable<String>>(of type: E.Type) -> [String] {
        E.allCases.map(\.rawValue)
    }

    /// The values allowed where the decoder said "Cannot initialize <Type> from invalid String value".
    static func allowedValues(decoderMessage: String) -> [String]? {
        let prefix = "Cannot initialize "
        guard decoderMessage.hasPrefix(prefix),
              let name = decoderMessage.dropFirst(prefix.count).split(separator: " ").first else { return nil }
        return valuesByName[String(name)]
    }
}

/// Finds the number in a JSON body that an integer field could not take (a fraction, or beyond
/// the 64-bit range): the decoder only says the data is corrupted, not where.
enum JSONNumberProbe {
    /// The path of the first number in `body` that is not a whole number within Int64, if any.
    static func firstNonInteger(in body: Data) -> String? {
        guard let root = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else { return nil }
        return search(root, path: "")
    }

    private static func search(_ value: Any, path: String) -> String? {
        switch value {
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                if let found = search(object[key]!, path: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
            return nil
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                if let found = search(element, path: "\(path)[\(index)]") { return found }
            }
            return nil
        case let number as NSNumber:
            return isWholeInt64(number) ? nil : path
        default:
            return nil
        }
    }

    private static func isWholeInt64(_ number: NSNumber) -> Bool {
        switch String(cString: number.objCType) {
        case "q", "l", "i", "s", "c", "B": return true
        case "Q", "L": return number.uint64Value <= UInt64(Int64.max)
        default:
            let double = number.doubleValue
            return double.rounded() == double && double >= -9.223372036854775808e18 && double < 9.223372036854775808e18
        }
    }
}

extension AppError {
    /// The 400 for a body that does not decode; with the body, a number an integer field cannot
    /// take is named by its path.
    static func decoding(_ error: DecodingError, body: Data? = nil) -> AppError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .reduce("") { $0.isEmpty || $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 }
        }
        let issue: FieldIssue
        switch error {
        case .keyNotFound(let key, let context):
            issue = FieldIssue(field: path(context.codingPath + [key]), code: "required", message: "This field is required.")
        case .valueNotFound(_, let context):
            issue = FieldIssue(field: path(context.codingPath), code: "required", message: "This field may not be null.")
        case .typeMismatch(let type, let context):
            issue = FieldIssue(field: path(context.codingPath), code: "wrong_type", message: "Expected \(Self.jsonType(type)).")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            guard let body, let field = JSONNumberProbe.firstNonInteger(in: body) else {
                return AppError(.badRequest, code: "malformed_json", message: "The request body is not valid JSON.")
            }
            issue = FieldIssue(field: field, code: "not_an_integer",
                               message: "Expected a whole number from -9223372036854775808 to 9223372036854775807.")
        case .dataCorrupted(let context):
            if let allowed = APIEnumerations.allowedValues(decoderMessage: context.debugDescription) {
                issue = FieldIssue(field: path(context.codingPath), code: "unknown_value",
                                   message: "Expected one of: \(allowed.joined(separator: ", ")).")
            } else if context.debugDescription.hasPrefix("Attempted to decode UUID") {
                issue = FieldIssue(field: path(context.codingPath), code: "invalid_value", message: "Expected an identifier (UUID).")
            } else {
                issue = FieldIssue(field: path(context.codingPath), code: "invalid_value", message: context.debugDescription)
            }
        @unknown default:
            return AppError(.badRequest, code: "malformed_json", message: "The request body is not valid JSON.")
        }
        return AppError(.badRequest, code: "invalid_request", message: "The request has invalid fields.", details: [issue])
    }

    private static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type, is Double.Type: return "a number"
        case is [Any].Type: return "an array"
        default: return "an object"
        }
    }
}

/// Wraps a value to send it with another status than 200 (201 for a creation).
struct Created<Value: Encodable & Sendable>: ResponseGenerator {
    var value: Value

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONCoding.encoder.encode(value, from: request, context: context)
        response.status = .created
        return response
    }
}

/// Every API view is encoded with the API's coders.
protocol APIView: ResponseEncodable, Sendable {}

extension APIView {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try JSONCoding.encoder.encode(self, from: request, context: context)
    }
}

/// A page of a list as the API returns it.
struct ListView<Item: Encodable & Sendable>: APIView {
    var items: [Item]
    var nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey { case items, nextCursor }
}
