/// Look-ups of the care loop that read a whole table (issue 21, the loop): no index started with
/// the column they ask by, so their cost grew with every order the platform had ever taken.
/// - A patient's medication record asks, for each of their prescriptions, when it was dispensed:
///   SQLite walked every medicine order by dispensing time to find the prescription's, on each
///   draft and signature. A trace reads a prescription's orders the same way.
/// - The settlement of an order or a medicine order (a cross-region confirmation after each
///   payment, a claim, a refund): the unique indexes that keep one settlement per bill are partial
///   (direct settlements only), so a look-up that does not repeat their conditions scanned every
///   settlement.
/// - A signed prescription's check of the doctor's daily volume against the department's peers
///   (`FraudFacts`) read each of the department's doctor rows (ten thousand of them among 150,000
///   doctors) for the account its prescriptions name: 20 ms on each signature, warm. The index
///   holds the account: 1 ms.
/// - The expiry job's prescriptions past their validity, oldest first: it read every prescription
///   awaiting review or dispensing to sort them.
extension Migrations {
    static let loopLookups = Migration(version: 31, name: "loop_lookups") { _ in
        [
            "CREATE INDEX medicine_orders_by_prescription ON medicine_orders (prescription_id, dispensed_at)",
            "CREATE INDEX settlements_by_order ON settlements (order_id, kind)",
            "CREATE INDEX settlements_by_medicine_order ON settlements (medicine_order_id, kind)",
            "CREATE INDEX prescriptions_by_validity ON prescriptions (state, valid_until)",
            "CREATE INDEX doctors_by_department_account ON doctors (qualification, department, account_id, id)",
        ]
    }
}
