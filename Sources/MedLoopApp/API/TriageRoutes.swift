import Foundation
import Hummingbird
import MedLoopDomain

/// Intelligent triage (DOMAIN.md, the care market): anyone, signed in or not, describes symptoms in
/// free text and gets the departments to see — or, for red-flag symptoms, the instruction to go to
/// an emergency department now, which rules out booking online.
struct TriageRoutes {
    let rules: TriageRules

    func register(_ group: RouterGroup<AppContext>) {
        group.post("triage", use: triage)
    }

    struct TriageBody: Decodable {
        var symptoms: String
    }

    struct DepartmentView: Encodable, Sendable {
        var code: String
        var nameZh: String
        var nameEn: String
        var score: Int
        var reasonZh: String
        var reasonEn: String
        var symptoms: [String]

        init(_ suggestion: DepartmentSuggestion) {
            let department = Department.named(suggestion.department)
            code = suggestion.department
            nameZh = department?.nameZh ?? suggestion.department
            nameEn = department?.nameEn ?? suggestion.department
            score = suggestion.score
            reasonZh = suggestion.reasonZh
            reasonEn = suggestion.reasonEn
            symptoms = suggestion.symptoms
        }
    }

    struct EmergencyView: Encodable, Sendable {
        var code: String
        var messageZh: String
        var messageEn: String
    }

    struct AssessmentView: APIView, Encodable {
        var departments: [DepartmentView]
        var emergency: EmergencyView?
        var canBookOnline: Bool

        init(_ assessment: TriageAssessment) {
            departments = assessment.departments.map(DepartmentView.init)
            emergency = assessment.emergency.map { EmergencyView(code: $0.id, messageZh: $0.messageZh, messageEn: $0.messageEn) }
            canBookOnline = !assessment.blocksOnlineBooking
        }

        /// `emergency` is always present, `null` when no red flag fired.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(departments, forKey: .departments)
            try container.encode(emergency, forKey: .emergency)
            try container.encode(canBookOnline, forKey: .canBookOnline)
        }

        enum CodingKeys: String, CodingKey { case departments, emergency, canBookOnline }
    }

    @Sendable func triage(_ request: Request, context: AppContext) async throws -> AssessmentView {
        let body = try await request.decodeJSON(as: TriageBody.self, context: context)
        return AssessmentView(try rules.assess(body.symptoms))
    }
}
