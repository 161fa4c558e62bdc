import Foundation

/// What happens to a medicine order.
public enum MedicineOrderEvent: String, Sendable, CaseIterable {
    case pay, expire, cancel, refund, dispense, deliver, confirmReceipt
}

/// The life of a medicine order: stock is reserved when the patient picks a pharmacy; the order
/// is paid within 30 minutes or expires and the stock returns; the pharmacy dispenses it, it is
/// delivered (or picked up), and the patient confirms receipt.
public enum MedicineOrderState: String, Sendable, Codable, CaseIterable {
    case reserved, paid, dispensed, delivered, received, expired, cancelled, refunded

    /// - Throws: 409 `medicine_order_state` for a move that is not allowed.
    public func after(_ event: MedicineOrderEvent) throws(DomainError) -> MedicineOrderState {
        switch (self, event) {
        case (.reserved, .pay): return .paid
        case (.reserved, .expire): return .expired
        case (.reserved, .cancel): return .cancelled
        case (.paid, .refund): return .refunded
        case (.paid, .dispense): return .dispensed
        case (.dispensed, .deliver): return .delivered
        case (.delivered, .confirmReceipt): return .received
        default:
            throw .conflict(code: Self.conflictCode, message: "A \(rawValue) medicine order cannot take \(event.rawValue).")
        }
    }

    /// Whether the order holds stock reserved at its pharmacy.
    public var holdsReservation: Bool { self == .reserved || self == .paid }

    /// Whether the order still counts as the one filling its prescription (a prescription is
    /// filled once; an expired, cancelled or refunded order frees it for another pharmacy).
    public var fillsPrescription: Bool { ![.expired, .cancelled, .refunded].contains(self) }

    /// How long an unpaid reservation holds the stock.
    public static let reservationLifetime: TimeInterval = 30 * 60
}

extension MedicineOrderState: StateMachine {
    public static var conflictCode: String { "medicine_order_state" }
}

/// The rules of a medicine order's steps.
public enum MedicineOrderRules {
    /// Checks that a reserved order may be paid at `now`: its reservation still holds.
    ///
    /// - Throws: 409 `reservation_expired` from `reservedUntil` on (the stock may be gone).
    public static func checkPayable(_ state: MedicineOrderState, reservedUntil: Date, now: Date) throws(DomainError) {
        if state == .reserved, reservedUntil <= now {
            throw .conflict(code: "reservation_expired", message: "The reservation ran out; choose a pharmacy again.")
        }
    }

    /// Checks what a pharmacy needs to dispense an order: a shipped (B2C) order names its carrier.
    ///
    /// - Throws: 400 on `shipment` when a B2C order has none.
    public static func checkDispensable(mode: FulfilmentMode, hasShipment: Bool) throws(DomainError) {
        if mode == .b2c, !hasShipment {
            throw .invalidField("shipment", code: "required", "A shipped order names its carrier and tracking number.")
        }
    }

    /// Checks a hand-over at the pharmacy: a pickup order with its code, a B2C order the carrier
    /// delivered; an O2O order is the courier's to report.
    ///
    /// - Throws: 409 `courier_delivers` for O2O, 422 `pickup_code_wrong` for a wrong code.
    public static func checkHandOver(mode: FulfilmentMode, code: String?, expected: String?) throws(DomainError) {
        switch mode {
        case .o2o:
            throw .conflict(code: "courier_delivers", message: "The courier reports an O2O delivery.")
        case .pickup:
            guard let code, code == expected else {
                throw .refused(code: "pickup_code_wrong", message: "This is not the order's pickup code.")
            }
        case .b2c:
            return
        }
    }

    /// The event that ends an order before it is dispensed: a reservation is cancelled, a paid
    /// order refunded. The patient does either; the pharmacy only refunds what it cannot fill
    /// (an unpaid reservation is the patient's to drop, or lapses).
    ///
    /// - Throws: 409 `medicine_order_state` once dispensed or ended, or for a pharmacy's unpaid one.
    public static func cancellation(of state: MedicineOrderState, byPharmacy: Bool) throws(DomainError) -> MedicineOrderEvent {
        switch state {
        case .reserved where !byPharmacy: return .cancel
        case .paid: return .refund
        default:
            throw .conflict(code: MedicineOrderState.conflictCode, message: "A \(state.rawValue) medicine order cannot be cancelled.")
        }
    }

    /// Checks a courier's report: a failed delivery says why.
    ///
    /// - Throws: 400 on `note` when a failure has none.
    public static func checkReport(_ status: DeliveryStatus, note: String?) throws(DomainError) {
        if status == .failed, (note ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw .invalidField("note", code: "required", "A failed delivery says why.")
        }
    }
}

/// The courier's progress with an O2O order.
public enum DeliveryStatus: String, Sendable, Codable, CaseIterable {
    case assigned, pickedUp, inTransit, delivered, failed

    /// The status after the courier reports `next`.
    ///
    /// - Throws: 409 `delivery_state` for a report out of order (delivered before picked up).
    public func after(_ next: DeliveryStatus) throws(DomainError) -> DeliveryStatus {
        switch (self, next) {
        case (.assigned, .pickedUp), (.pickedUp, .inTransit), (.inTransit, .delivered),
             (.assigned, .failed), (.pickedUp, .failed), (.inTransit, .failed), (.failed, .assigned):
            return next
        default:
            throw .conflict(code: "delivery_state", message: "A delivery that is \(rawValue) cannot become \(next.rawValue).")
        }
    }
}

/// One line of a bill: a drug, the packages and their price.
public struct BillLine: Sendable, Hashable, Codable {
    public let drugId: UUID
    public let quantity: Int
    public let unitPriceFen: Int64
    public let amountFen: Int64
    /// The reimbursement class, for the insurance settlement that plugs into payment.
    public let insuranceClass: InsuranceClass

    public init(drugId: UUID, quantity: Int, unitPriceFen: Int64, insuranceClass: InsuranceClass) throws(DomainError) {
        let (amount, overflow) = unitPriceFen.multipliedReportingOverflow(by: Int64(quantity))
        guard quantity > 0, unitPriceFen > 0, !overflow else {
            throw .refused(code: "bill_line_invalid", message: "A bill line has a positive quantity and price.")
        }
        self.drugId = drugId
        self.quantity = quantity
        self.unitPriceFen = unitPriceFen
        self.amountFen = amount
        self.insuranceClass = insuranceClass
    }
}

/// What one institution charges for one order (INSURANCE.md: a medicine order is one bill at the
/// pharmacy). The insurance settlement splits a bill into fund and self-pay; until it lands, the
/// patient pays the whole bill.
public struct Bill: Sendable, Hashable, Codable {
    public let institutionId: UUID
    public let lines: [BillLine]
    public let totalFen: Int64

    public init(institutionId: UUID, lines: [BillLine]) throws(DomainError) {
        var total: Int64 = 0
        for line in lines {
            let (sum, overflow) = total.addingReportingOverflow(line.amountFen)
            guard !overflow else { throw .refused(code: "bill_overflow", message: "The amounts are too large.") }
            total = sum
        }
        self.institutionId = institutionId
        self.lines = lines
        totalFen = total
    }
}

/// Traceability codes (DOMAIN.md, "Prescription rules"): 20 digits, the first 7 the product's.
public enum TraceabilityCode {
    public static let length = 20
    public static let productPrefixLength = 7

    /// Whether `code` has the form of a traceability code: exactly 20 ASCII digits.
    public static func isWellFormed(_ code: String) -> Bool {
        code.count == length && code.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// Checks the codes scanned for an order: one per package of every line, each 20 digits, each
    /// of the product of a line, none twice. Returns the drug each code belongs to.
    ///
    /// - Throws: 400 naming each bad code (`codes[3]`: `malformed`, `product_mismatch`, `repeated`)
    ///   or the missing and extra packages (`codes`: `missing`, `too_many`).
    public static func match(_ codes: [String], to lines: [(drug: Drug, quantity: Int)]) throws(DomainError) -> [(code: String, drugId: UUID)] {
        var validator = FieldValidator()
        var needed: [String: (drugId: UUID, count: Int)] = [:]
        for line in lines {
            needed[line.drug.productCode, default: (line.drug.id, 0)].count += line.quantity
        }
        var seen: Set<String> = []
        var matched: [(code: String, drugId: UUID)] = []
        var scanned: [String: Int] = [:]
        for (index, raw) in codes.enumerated() {
            let code = raw.trimmingCharacters(in: .whitespaces)
            guard isWellFormed(code) else {
                validator.add("codes[\(index)]", code: "malformed", "A traceability code is 20 digits.")
                continue
            }
            guard seen.insert(code).inserted else {
                validator.add("codes[\(index)]", code: "repeated", "This code was scanned twice.")
                continue
            }
            let product = String(code.prefix(productPrefixLength))
            guard let line = needed[product] else {
                validator.add("codes[\(index)]", code: "product_mismatch", "This code is of a product not in the order.")
                continue
            }
            scanned[product, default: 0] += 1
            matched.append((code, line.drugId))
        }
        for (product, line) in needed.sorted(by: { $0.key < $1.key }) {
            let count = scanned[product] ?? 0
            if count < line.count {
                validator.add("codes", code: "missing", "Product \(product) needs \(line.count) codes; \(count) were scanned.")
            } else if count > line.count {
                validator.add("codes", code: "too_many", "Product \(product) needs \(line.count) codes; \(count) were scanned.")
            }
        }
        try validator.finish()
        return matched
    }
}
