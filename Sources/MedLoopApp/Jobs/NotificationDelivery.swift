import Foundation
import Logging
import MedLoopDomain
import MedLoopStore

/// Sends one notification by SMS or push. A real gateway plugs in here; MedLoop ships one provider.
protocol DeliveryProvider: Sendable {
    /// Delivers `item`; throws when the channel refused it (it will be tried again).
    func deliver(_ item: OutboxItem) async throws
}

/// The shipped provider: writes each delivery to the log (the outbox row is the record), naming
/// the account by identifier only — never a phone number.
struct LogDeliveryProvider: DeliveryProvider {
    let logger: Logger

    func deliver(_ item: OutboxItem) async throws {
        logger.info("notification delivered", metadata: [
            "channel": .string(item.channel), "account_id": .string(item.accountId.text), "kind": .string(item.kind.rawValue),
            "notification_id": .string(item.notificationId.text),
        ])
    }
}

extension Job {
    /// Drains the notification outbox through `provider`.
    static func deliverNotifications(_ notifications: NotificationStore, provider: any DeliveryProvider) -> Job {
        Job(name: "deliver-notifications", every: .seconds(5)) { now in
            for item in try await notifications.pending(limit: 200) {
                var delivered = true
                do { try await provider.deliver(item) } catch { delivered = false }
                try await notifications.recordDelivery(item, delivered: delivered, at: now)
            }
        }
    }
}
