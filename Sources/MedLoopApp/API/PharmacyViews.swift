import Foundation
import MedLoopDomain
import MedLoopStore

/// A line of a bill as the API shows it.
struct BillLineView: Encodable, Sendable {
    var drugId: UUID
    var quantity: Int
    var unitPriceFen: Int64
    var amountFen: Int64
    var insuranceClass: InsuranceClass

    init(_ line: BillLine) {
        drugId = line.drugId
        quantity = line.quantity
        unitPriceFen = line.unitPriceFen
        amountFen = line.amountFen
        insuranceClass = line.insuranceClass
    }
}

/// A pharmacy that can fill a prescription, as the patient chooses among them.
struct PharmacyOptionView: Encodable, Sendable {
    var pharmacyId: UUID
    var name: String
    var mode: FulfilmentMode
    var distanceKm: Double
    var totalFen: Int64
    var lines: [BillLineView]
    var estimatedMinutes: Int
    var insuranceCanPay: Bool
    var latitude: Double
    var longitude: Double

    init(_ option: PharmacyOption) {
        pharmacyId = option.pharmacy.pharmacyId
        name = option.pharmacy.name
        mode = option.mode
        distanceKm = (option.distanceKm * 100).rounded() / 100
        totalFen = option.bill.totalFen
        lines = option.bill.lines.map(BillLineView.init)
        estimatedMinutes = option.estimatedMinutes
        insuranceCanPay = option.insuranceCanPay
        latitude = option.pharmacy.location.latitude
        longitude = option.pharmacy.location.longitude
    }
}

/// A medicine order as its patient, its pharmacy and its courier see it.
struct MedicineOrderView: APIView, Encodable {
    var id: UUID
    var prescriptionId: UUID
    var pharmacyId: UUID
    var mode: FulfilmentMode
    var state: MedicineOrderState
    var totalFen: Int64
    var lines: [BillLineView]
    var reservedUntil: Date
    var createdAt: Date
    var paidAt: Date?
    var dispensedAt: Date?
    var deliveredAt: Date?
    var receivedAt: Date?
    var pickupCode: String?
    var carrier: String?
    var trackingNumber: String?
    var courierAccountId: UUID?
    var deliveryStatus: DeliveryStatus?
    var deliveryNote: String?
    var deliveryUpdates: [DeliveryUpdate]
    var destinationLatitude: Double?
    var destinationLongitude: Double?
    /// The delivery address, for the patient, the pharmacy and the courier of an O2O or B2C order.
    var address: String?

    init(_ order: MedicineOrder, showingPickupCode: Bool = true) {
        id = order.id
        prescriptionId = order.prescriptionId
        pharmacyId = order.pharmacyId
        mode = order.mode
        state = order.state
        totalFen = order.bill.totalFen
        lines = order.bill.lines.map(BillLineView.init)
        reservedUntil = order.reservedUntil
        createdAt = order.createdAt
        paidAt = order.paidAt
        dispensedAt = order.dispensedAt
        deliveredAt = order.deliveredAt
        receivedAt = order.receivedAt
        pickupCode = showingPickupCode ? order.pickupCode : nil
        carrier = order.carrier
        trackingNumber = order.trackingNumber
        courierAccountId = order.courierAccountId
        deliveryStatus = order.deliveryStatus
        deliveryNote = order.deliveryNote
        deliveryUpdates = order.deliveryUpdates
        destinationLatitude = order.destination?.latitude
        destinationLongitude = order.destination?.longitude
        address = order.mode == .pickup ? nil : order.address
    }
}

/// One drug of a pharmacy's stock.
struct StockLevelView: APIView, Encodable {
    var drugId: UUID
    var productCode: String?
    var genericNameZh: String?
    var onHand: Int
    var reserved: Int
    var available: Int
    var priceFen: Int64

    init(_ level: StockLevel, drug: Drug?) {
        drugId = level.drugId
        productCode = drug?.productCode
        genericNameZh = drug?.genericNameZh
        onHand = level.onHand
        reserved = level.reserved
        available = level.available
        priceFen = level.priceFen
    }
}

/// A pharmacy's profile as its staff see it.
struct PharmacyProfileView: APIView, Encodable {
    var pharmacyId: UUID
    var name: String
    var latitude: Double
    var longitude: Double
    var opensAt: Int
    var closesAt: Int
    var modes: [FulfilmentMode]
    var deliveryRadiusKm: Double
    var insuranceDesignated: Bool
    var zeroMarkup: Bool

    init(_ profile: PharmacyProfile) {
        pharmacyId = profile.pharmacyId
        name = profile.name
        latitude = profile.location.latitude
        longitude = profile.location.longitude
        opensAt = profile.opensAt
        closesAt = profile.closesAt
        modes = FulfilmentMode.allCases.filter(profile.modes.contains)
        deliveryRadiusKm = profile.deliveryRadiusKm
        insuranceDesignated = profile.isInsuranceDesignated
        zeroMarkup = profile.isZeroMarkup
    }
}
