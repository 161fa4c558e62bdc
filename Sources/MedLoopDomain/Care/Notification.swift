import Foundation

/// What MedLoop tells people about (care issue, records and notifications). Later issues raise
/// the prescription, delivery and claim kinds.
public enum NotificationKind: String, Codable, Sendable, CaseIterable {
    case consultationAccepted
    case newReply
    case queueTurnNear
    case consultationRefunded
    case prescriptionApproved
    case prescriptionRejected
    case orderShipped
    case orderArriving
    case claimDecided
    /// To the doctor: a pharmacist sent a prescription back with the reason.
    case prescriptionReturned
    case orderDelivered
    /// To the patient: their consultation's doctor was suspended; the fee went back (issue 20).
    case consultationHandedBack
    /// To a licence's holder and the region's regulators: it expires within 30 days (issue 20).
    case licenceExpiring
    /// To a credential's holder: a regulator approved, rejected, suspended or reinstated it.
    case credentialDecided

    /// The title shown in the inbox and sent by SMS or push, in Chinese and English.
    public var title: (zh: String, en: String) {
        switch self {
        case .consultationAccepted: return ("医生已接诊", "The doctor has accepted your consultation")
        case .newReply: return ("医生回复了您", "The doctor replied")
        case .queueTurnNear: return ("即将轮到您", "Your turn is near")
        case .consultationRefunded: return ("问诊未被接诊，已退款", "Your consultation was not accepted and has been refunded")
        case .prescriptionApproved: return ("处方已审核通过", "Your prescription was approved")
        case .prescriptionRejected: return ("处方未通过审核", "Your prescription was rejected")
        case .orderShipped: return ("药品已发货", "Your medicine has shipped")
        case .orderArriving: return ("药品即将送达", "Your medicine is arriving")
        case .claimDecided: return ("医保结算结果", "Your insurance claim was decided")
        case .prescriptionReturned: return ("处方被药师退回", "A pharmacist sent your prescription back")
        case .orderDelivered: return ("药品已送达", "Your medicine was delivered")
        case .consultationHandedBack: return ("医生暂停执业，问诊已退款", "Your doctor was suspended; the consultation has been refunded")
        case .licenceExpiring: return ("执业证书即将到期", "A practising licence expires within 30 days")
        case .credentialDecided: return ("资质审核结果", "Your credentials were reviewed")
        }
    }

    /// Whether it also goes out by SMS (the rest go by push only).
    public var sendsSMS: Bool {
        switch self {
        case .consultationAccepted, .queueTurnNear, .consultationRefunded, .prescriptionRejected, .orderArriving, .claimDecided,
             .consultationHandedBack, .licenceExpiring:
            return true
        case .newReply, .prescriptionApproved, .orderShipped, .prescriptionReturned, .orderDelivered, .credentialDecided:
            return false
        }
    }

    /// Patients waiting at or before this position hear that their turn is near.
    public static let turnNearPosition = 2
}

/// Where one delivery of a notification (one channel: push or SMS) stands in the outbox: pending
/// until the channel takes it (delivered) or has refused it `maximumAttempts` times (failed).
/// Both ends are final, so a delivery that a racing server recorded first is not recorded again.
public enum OutboxDeliveryState: String, Codable, Sendable, CaseIterable, StateMachine {
    case pending, delivered, failed

    /// The outcome of one attempt: the channel took it, or refused attempt number `attempt` (from 1).
    public enum Event: Sendable, Equatable {
        case taken
        case refused(attempt: Int)
    }

    /// How many times a channel may refuse a delivery before it is given up.
    public static let maximumAttempts = 5

    /// The state after an attempt: delivered when taken; still pending after a refusal, until the
    /// `maximumAttempts`-th, which fails it. 409 `delivery_state` once delivered or failed.
    public func after(_ event: Event) throws(DomainError) -> OutboxDeliveryState {
        guard self == .pending else {
            throw .conflict(code: Self.conflictCode, message: "This delivery was \(rawValue) and is closed.")
        }
        switch event {
        case .taken: return .delivered
        case .refused(let attempt): return attempt >= Self.maximumAttempts ? .failed : .pending
        }
    }

    public static var conflictCode: String { "delivery_state" }
}
