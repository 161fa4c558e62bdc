import Foundation

/// Why someone read a patient's data, as the data-access views show it (issue 20, part 6): derived
/// from the audited action and the reader's role, so that every entry of the log gets one.
public enum AccessPurpose: String, Sendable, Codable, CaseIterable {
    /// The patient (or their family member acting for them) looking at their own record.
    case ownRecord
    /// A doctor caring for the patient in a consultation: history, records, messages.
    case consultationCare
    /// A doctor writing or checking a prescription.
    case prescribing
    /// A pharmacist reviewing a prescription.
    case prescriptionReview
    /// A pharmacy filling a prescription: the order, the stock, the codes.
    case dispensing
    /// A courier carrying the medicine to the patient.
    case delivery
    /// An insurer or the settlement of a bill: coverage, settlements, claims, invoices.
    case settlement
    /// A regulator supervising: traces, the audit log, samples, alerts.
    case supervision
    /// The platform's operator running the service.
    case operations
    /// Anything else (kept visible rather than guessed).
    case other

    /// The purpose of an access with `action` (a dotted verb of the audit log) by a reader with
    /// `role`; `bySelf` when the reader is the patient whose data it is.
    public static func of(action: String, role: Role?, bySelf: Bool) -> AccessPurpose {
        if bySelf { return .ownRecord }
        let area = action.split(separator: ".").first.map(String.init) ?? action
        switch role {
        case .regulator: return .supervision
        case .insurer: return .settlement
        case .courier: return .delivery
        case .pharmacyStaff: return .dispensing
        case .pharmacist: return area == "prescription" ? .prescriptionReview : .dispensing
        case .operator: return ["audit", "supervision", "trace"].contains(area) ? .supervision : .operations
        case .patient: return .ownRecord
        case .doctor, nil: break
        }
        switch area {
        case "supervision", "audit", "trace": return .supervision
        case "prescription": return action == "prescription.review" ? .prescriptionReview : .prescribing
        case "medicine_order", "pharmacy": return .dispensing
        case "settlement", "claim", "insured_person", "coverage", "invoice", "voucher", "clearing": return .settlement
        case "consultation", "patient", "order", "appointment", "encounter", "record": return .consultationCare
        default: return .other
        }
    }
}
