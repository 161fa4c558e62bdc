/// Indexes the usage figures walk (issue 20, part 7): each figure reads one period of orders,
/// consultations, reviews or settlements, so each of those is indexed by the instant or day it
/// is counted on.
extension Migrations {
    static let analytics = Migration(version: 25, name: "analytics") { _ in
        [
            "CREATE INDEX orders_by_paid ON orders (paid_at, doctor_id)",
            "CREATE INDEX consultations_by_completed ON consultations (completed_at, doctor_id)",
            "CREATE INDEX prescriptions_by_reviewed ON prescriptions (reviewed_at)",
            "CREATE INDEX settlements_by_service_day ON settlements (service_day, region)",
        ]
    }
}
