import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Prescription circulation: the pharmacies that can fill a prescription, the patient's choice
/// (a reservation), payment and receipt; the pharmacy's orders, dispensing with traceability
/// codes and handing over; the courier's deliveries and updates.
struct MedicineOrderRoutes {
    let orders: MedicineOrderStore
    let settlements: SettlementStore
    let prescriptions: PrescriptionStore
    let patients: PatientStore
    let audit: AuditStore
    let authorizer: Authorizer
    let idempotent: IdempotentPost
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("prescriptions/:id/pharmacy-options", use: options)
        group.post("prescriptions/:id/medicine-orders", use: reserve)
        group.get("medicine-orders/:id", use: show)
        group.post("medicine-orders/:id/pay", use: pay)
        group.post("medicine-orders/:id/receipt", use: receipt)
        group.post("medicine-orders/:id/cancel", use: cancel)
        group.get("pharmacies/me/orders", use: pharmacyOrders)
        group.post("medicine-orders/:id/dispense", use: dispense)
        group.post("medicine-orders/:id/handover", use: handOver)
        group.post("medicine-orders/:id/courier", use: assignCourier)
        group.get("couriers/me/deliveries", use: deliveries)
        group.post("medicine-orders/:id/delivery", use: reportDelivery)
    }

    // MARK: Patient

    @Sendable func options(_ request: Request, context: AppContext) async throws -> ListView<PharmacyOptionView> {
        let prescription = try await ownPrescription(context, action: "prescription.pharmacy_options")
        let query = request.uri.queryParameters
        let location = try Self.location(lat: query["lat"].map(String.init), lon: query["lon"].map(String.init))
        let mode = try request.enumQuery("mode", as: FulfilmentMode.self)
        let found = try await orders.options(for: prescription, at: location, mode: mode, now: clock.now())
        return ListView(items: found.map(PharmacyOptionView.init), nextCursor: nil)
    }

    struct ReserveBody: Decodable {
        var pharmacyId: UUID
        var mode: FulfilmentMode
        var lat: Double
        var lon: Double
    }

    @Sendable func reserve(_ request: Request, context: AppContext) async throws -> Response {
        let prescription = try await ownPrescription(context, action: "medicine_order.create")
        let caller = try context.requireCaller()
        return try await idempotent.respond(to: request, context: context) { request in
            let body = try await request.decodeJSON(as: ReserveBody.self, context: context)
            let location = try GeoPoint(latitude: body.lat, longitude: body.lon)
            let order = try await orders.reserve(prescription, at: body.pharmacyId, mode: body.mode, location: location,
                                                 by: caller.accountId, context: context.auditContext(at: clock.now()))
            return (.created, MedicineOrderView(order))
        }
    }

    @Sendable func pay(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try await authorizer.require(.buyServices, context, action: "medicine_order.pay", resourceType: "medicine_order")
        let id = try context.parameters.uuid("id")
        let response = try await idempotent.respond(to: request, context: context) { _ in
            let order = try await orders.pay(id, by: caller.accountId, pickupCode: Self.pickupCode(),
                                             context: context.auditContext(at: clock.now()))
            return (.ok, MedicineOrderView(order))
        }
        // Step 2 of a settlement across regions (see OrderRoutes.pay).
        idempotent.crashPoints.reach("cross_region.reserved")
        do {
            try await settlements.confirmCrossRegion(orderId: nil, medicineOrderId: id, context: context.auditContext(at: clock.now()))
        } catch {
            // The payment stands; the confirm-cross-region job finishes the step.
            context.logger.warning("cross-region confirmation left to the job", metadata: ["error": "\(error)"])
        }
        return response
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> MedicineOrderView {
        let caller = try context.requireCaller()
        let id = try context.parameters.uuid("id")
        guard let order = try await orders.order(id, visibleTo: caller) else { throw AppError.notFound("medicine_order") }
        try await audit.recordRead("medicine_order.read", of: "medicine_order", id: id.text, patient: order.patientId,
                                   by: context, at: clock.now())
        // The pickup code is the patient's to show at the counter, not the pharmacy's to read.
        return MedicineOrderView(order, showingPickupCode: caller.role == .patient)
    }

    @Sendable func receipt(_ request: Request, context: AppContext) async throws -> MedicineOrderView {
        let caller = try await authorizer.require(.buyServices, context, action: "medicine_order.receipt", resourceType: "medicine_order")
        return MedicineOrderView(try await orders.confirmReceipt(try context.parameters.uuid("id"), by: caller.accountId,
                                                                 context: context.auditContext(at: clock.now())))
    }

    struct CancelBody: Decodable {
        var reason: String?
    }

    /// The patient drops a reservation or withdraws a paid order; the pharmacy refunds one it
    /// cannot fill (its staff give the reason).
    @Sendable func cancel(_ request: Request, context: AppContext) async throws -> MedicineOrderView {
        let caller = try await authorizer.require(.cancelMedicineOrders, context, action: "medicine_order.cancel",
                                                  resourceType: "medicine_order")
        let body = try await request.decodeJSON(as: CancelBody.self, context: context)
        let reason = body.reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        var validator = FieldValidator()
        if let reason, reason.count > 200 { validator.add("reason", code: "length", "A reason has at most 200 characters.") }
        if caller.role != .patient, (reason ?? "").isEmpty {
            validator.add("reason", code: "required", "A pharmacy says why it cannot fill the order.")
        }
        try validator.finish()
        return MedicineOrderView(try await orders.cancel(try context.parameters.uuid("id"), reason: reason, by: caller,
                                                         context: context.auditContext(at: clock.now())),
                                 showingPickupCode: caller.role == .patient)
    }

    // MARK: Pharmacy

    @Sendable func pharmacyOrders(_ request: Request, context: AppContext) async throws -> ListView<MedicineOrderView> {
        let caller = try await authorizer.require(.dispense, context, action: "medicine_order.list", resourceType: "medicine_order")
        guard let pharmacy = caller.institutionId else { throw AppError.forbidden() }
        let state = try request.enumQuery("state", as: MedicineOrderState.self)
        let paging = try Paging(request)
        let page = try await orders.orders(atPharmacy: pharmacy, states: state.map { [$0] } ?? [.paid, .dispensed],
                                           limit: paging.limit, cursor: paging.cursor)
        let now = clock.now()
        try await audit.recordReads("medicine_order.read", of: "medicine_order", page.items.map { ($0.id.text, $0.patientId) },
                                    by: context, at: now)
        return ListView(items: page.items.map { MedicineOrderView($0, showingPickupCode: false) }, nextCursor: page.nextCursor)
    }

    struct DispenseBody: Decodable {
        var codes: [String]
        var carrier: String?
        var trackingNumber: String?
    }

    @Sendable func dispense(_ request: Request, context: AppContext) async throws -> MedicineOrderView {
        let caller = try await authorizer.require(.dispense, context, action: "medicine_order.dispense", resourceType: "medicine_order")
        let body = try await request.decodeJSON(as: DispenseBody.self, context: context)
        var shipment: Shipment?
        if body.carrier != nil || body.trackingNumber != nil {
            var validator = FieldValidator()
            let carrier = body.carrier?.trimmingCharacters(in: .whitespaces) ?? ""
            let tracking = body.trackingNumber?.trimmingCharacters(in: .whitespaces) ?? ""
            if !(1...40).contains(carrier.count) { validator.add("carrier", code: "length", "A carrier's name has 1 to 40 characters.") }
            if !(4...40).contains(tracking.count) {
                validator.add("trackingNumber", code: "length", "A tracking number has 4 to 40 characters.")
            }
            try validator.finish()
            shipment = Shipment(carrier: carrier, trackingNumber: tracking)
        }
        return MedicineOrderView(try await orders.dispense(try context.parameters.uuid("id"), codes: body.codes, shipment: shipment,
                                                           by: caller, context: context.auditContext(at: clock.now())),
                                 showingPickupCode: false)
    }

    struct HandOverBody: Decodable {
        var pickupCode: String?
    }

    @Sendable func handOver(_ request: Request, context: AppContext) async throws -> MedicineOrderView {
        let caller = try await authorizer.require(.dispense, context, action: "medicine_order.handover", resourceType: "medicine_order")
        let body = try await request.decodeJSON(as: HandOverBody.self, context: context)
        return MedicineOrderView(try await orders.handOver(try context.parameters.uuid("id"), pickupCode: body.pickupCode, by: caller,
                                                           context: context.auditContext(at: clock.now())),
                                 showingPickupCode: false)
    }

    struct CourierBody: Decodable {
        var courierAccountId: UUID?
    }

    @Sendable func assignCourier(_ request: Request, context: AppContext) async throws -> MedicineOrderView {
        let caller = try await authorizer.require(.dispense, context, action: "medicine_order.courier", resourceType: "medicine_order")
        let body = try await request.decodeJSON(as: CourierBody.self, context: context)
        return MedicineOrderView(try await orders.assignCourier(try context.parameters.uuid("id"), courier: body.courierAccountId,
                                                                by: caller, context: context.auditContext(at: clock.now())),
                                 showingPickupCode: false)
    }

    // MARK: Courier

    @Sendable func deliveries(_ request: Request, context: AppContext) async throws -> ListView<MedicineOrderView> {
        let caller = try await authorizer.require(.deliver, context, action: "medicine_order.list", resourceType: "medicine_order")
        let paging = try Paging(request)
        let page = try await orders.deliveries(of: caller.accountId, limit: paging.limit, cursor: paging.cursor)
        let now = clock.now()
        try await audit.recordReads("medicine_order.read", of: "medicine_order", page.items.map { ($0.id.text, $0.patientId) },
                                    by: context, at: now)
        return ListView(items: page.items.map { MedicineOrderView($0, showingPickupCode: false) }, nextCursor: page.nextCursor)
    }

    struct DeliveryBody: Decodable {
        var status: DeliveryStatus
        var note: String?
    }

    @Sendable func reportDelivery(_ request: Request, context: AppContext) async throws -> MedicineOrderView {
        let caller = try await authorizer.require(.deliver, context, action: "medicine_order.delivery", resourceType: "medicine_order")
        let body = try await request.decodeJSON(as: DeliveryBody.self, context: context)
        if let note = body.note, note.count > 200 { throw AppError.invalid("note", code: "length", "A note has at most 200 characters.") }
        return MedicineOrderView(try await orders.reportDelivery(try context.parameters.uuid("id"), status: body.status, note: body.note,
                                                                 by: caller.accountId, context: context.auditContext(at: clock.now())),
                                 showingPickupCode: false)
    }

    // MARK: Helpers

    /// The prescription of the path, if the caller is its patient (or acts for them) and may see it.
    private func ownPrescription(_ context: AppContext, action: String) async throws -> Prescription {
        let caller = try await authorizer.require(.buyServices, context, action: action, resourceType: "prescription")
        let id = try context.parameters.uuid("id")
        var actsFor: Set<UUID> = []
        if let own = caller.patientId { actsFor = try await patients.actsFor(own) }
        guard let prescription = try await prescriptions.prescription(id, visibleTo: caller, actsFor: actsFor) else {
            throw AppError.notFound("prescription")
        }
        try await audit.recordRead(action, of: "prescription", id: id.text, patient: prescription.patientId, by: context, at: clock.now())
        return prescription
    }

    static func location(lat: String?, lon: String?) throws -> GeoPoint {
        var validator = FieldValidator()
        let latitude = lat.flatMap(Double.init)
        let longitude = lon.flatMap(Double.init)
        if latitude == nil { validator.add("lat", code: "required", "lat is the latitude where the medicine goes, like 28.97.") }
        if longitude == nil { validator.add("lon", code: "required", "lon is the longitude where the medicine goes, like 118.87.") }
        try validator.finish()
        return try GeoPoint(latitude: latitude!, longitude: longitude!)
    }

    /// A 6-digit code the patient shows at the counter.
    static func pickupCode() -> String {
        String(format: "%06d", Int.random(in: 0..<1_000_000))
    }
}
