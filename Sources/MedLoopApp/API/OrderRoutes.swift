import Foundation
import Hummingbird
import MedLoopDomain
import MedLoopStore

/// Buying services: the sandbox wallet, orders, payment and cancellation. Creating POSTs take an
/// `Idempotency-Key`.
struct OrderRoutes {
    let orders: OrderStore
    let consultations: ConsultationStore
    let ledger: LedgerStore
    let settlements: SettlementStore
    let triage: TriageRules
    let authorizer: Authorizer
    let idempotent: IdempotentPost
    let clock: any MedLoopClock

    func register(_ group: RouterGroup<AppContext>) {
        group.get("wallet", use: wallet)
        group.get("wallet/entries", use: walletEntries)
        group.post("wallet/top-ups", use: topUp)
        group.post("orders", use: place)
        group.get("orders", use: list)
        group.get("orders/:id", use: show)
        group.post("orders/:id/pay", use: pay)
        group.post("orders/:id/cancel", use: cancel)
    }

    struct WalletView: APIView, Encodable {
        var balanceFen: Int64
    }

    @Sendable func wallet(_ request: Request, context: AppContext) async throws -> WalletView {
        let caller = try await authorizer.require(.buyServices, context, action: "wallet.read", resourceType: "wallet")
        return WalletView(balanceFen: try await ledger.balance(of: .wallet(caller.accountId)))
    }

    struct EntryView: APIView, Encodable {
        var entryId: UUID
        var kind: LedgerEntryKind
        var orderId: UUID?
        var amountFen: Int64
        var at: Date
    }

    @Sendable func walletEntries(_ request: Request, context: AppContext) async throws -> ListView<EntryView> {
        let caller = try await authorizer.require(.buyServices, context, action: "wallet.read", resourceType: "wallet")
        let paging = try Paging(request)
        let page = try await ledger.statement(of: .wallet(caller.accountId), limit: paging.limit, cursor: paging.cursor)
        return ListView(items: page.items.map { EntryView(entryId: $0.entryId, kind: $0.kind, orderId: $0.orderId,
                                                          amountFen: $0.amountFen, at: $0.at) },
                        nextCursor: page.nextCursor)
    }

    struct TopUpBody: Decodable {
        var amountFen: Int64
    }

    @Sendable func topUp(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try await authorizer.require(.buyServices, context, action: "wallet.top_up", resourceType: "wallet")
        return try await idempotent.respond(to: request, context: context) { request in
            let body = try await request.decodeJSON(as: TopUpBody.self, context: context)
            let balance = try await orders.topUp(caller.accountId, amountFen: body.amountFen,
                                                 context: context.auditContext(at: clock.now()))
            return (.created, WalletView(balanceFen: balance))
        }
    }

    struct PlaceBody: Decodable {
        var doctorId: UUID
        var service: ServiceKind
        /// The person to be seen: the caller's own record when absent, or a family member's.
        var patientId: UUID?
        var encounterId: UUID?
        var guardianPresent: Bool?
        /// The symptoms in the patient's words; red-flag symptoms refuse an online booking.
        var symptoms: String?
        /// Minutes to prepay for a voice or video consultation (default 15).
        var prepaidMinutes: Int?
        /// The time slot of an in-person appointment.
        var slotId: UUID?
        /// The internet hospital to consult at, when the doctor practises at several.
        var siteId: UUID?
    }

    @Sendable func place(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try await authorizer.require(.buyServices, context, action: "order.create", resourceType: "order")
        return try await idempotent.respond(to: request, context: context) { request in
            let body = try await request.decodeJSON(as: PlaceBody.self, context: context)
            guard let patient = body.patientId ?? caller.patientId else { throw AppError.notFound("patient") }
            _ = try await authorizer.requirePatient(patient, context, action: "order.create")
            let redFlag = try body.symptoms.map { try triage.assess($0) }?.emergency?.id
            let order = try await orders.place(
                NewOrder(accountId: caller.accountId, patientId: patient, doctorId: body.doctorId, service: body.service,
                         encounterId: body.encounterId, guardianPresent: body.guardianPresent ?? false, redFlag: redFlag,
                         prepaidMinutes: body.prepaidMinutes, slotId: body.slotId, siteId: body.siteId),
                context: context.auditContext(at: clock.now()))
            return (.created, OrderView(order, consultationId: try await consultations.consultation(order: order.id)?.id))
        }
    }

    @Sendable func list(_ request: Request, context: AppContext) async throws -> ListView<OrderView> {
        let caller = try await authorizer.require(.buyServices, context, action: "order.list", resourceType: "order")
        let paging = try Paging(request)
        let page = try await orders.orders(of: caller.accountId, limit: paging.limit, cursor: paging.cursor)
        return ListView(items: page.items.map { OrderView($0, consultationId: nil) }, nextCursor: page.nextCursor)
    }

    @Sendable func show(_ request: Request, context: AppContext) async throws -> OrderView {
        let caller = try await authorizer.require(.buyServices, context, action: "order.read", resourceType: "order")
        guard let order = try await orders.order(try context.parameters.uuid("id")), order.accountId == caller.accountId else {
            throw AppError.notFound("order")
        }
        return OrderView(order, consultationId: try await consultations.consultation(order: order.id)?.id)
    }

    @Sendable func pay(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try await authorizer.require(.buyServices, context, action: "order.pay", resourceType: "order")
        let id = try context.parameters.uuid("id")
        let response = try await idempotent.respond(to: request, context: context) { _ in
            let order = try await orders.pay(id, by: caller.accountId, context: context.auditContext(at: clock.now()))
            return (.ok, OrderView(order, consultationId: try await consultations.consultation(order: order.id)?.id))
        }
        // Step 2 of a settlement across regions, once the payment has committed; if the server stops
        // before it, the confirm-cross-region job finishes it.
        idempotent.crashPoints.reach("cross_region.reserved")
        do {
            try await settlements.confirmCrossRegion(orderId: id, medicineOrderId: nil, context: context.auditContext(at: clock.now()))
        } catch {
            // The payment stands; the confirm-cross-region job finishes the step.
            context.logger.warning("cross-region confirmation left to the job", metadata: ["error": "\(error)"])
        }
        return response
    }

    @Sendable func cancel(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try await authorizer.require(.buyServices, context, action: "order.cancel", resourceType: "order")
        let id = try context.parameters.uuid("id")
        return try await idempotent.respond(to: request, context: context) { _ in
            let order = try await orders.cancel(id, by: caller.accountId, context: context.auditContext(at: clock.now()))
            return (.ok, OrderView(order, consultationId: nil))
        }
    }
}

/// An order as the API shows it.
struct OrderView: APIView, Encodable {
    var id: UUID
    var patientId: UUID
    var doctorId: UUID
    var service: ServiceKind
    var priceFen: Int64
    var state: OrderState
    var encounterId: UUID?
    var guardianPresent: Bool
    var createdAt: Date
    var paidAt: Date?
    /// The consultation a paid online service opened.
    var consultationId: UUID?
    /// For voice and video: the price of a minute and the minutes prepaid.
    var unitPriceFen: Int64?
    var prepaidMinutes: Int?

    init(_ order: Order, consultationId: UUID?) {
        id = order.id
        patientId = order.patientId
        doctorId = order.doctorId
        service = order.service
        priceFen = order.priceFen
        state = order.state
        encounterId = order.encounterId
        guardianPresent = order.guardianPresent
        createdAt = order.createdAt
        paidAt = order.paidAt
        self.consultationId = consultationId
        unitPriceFen = order.unitPriceFen
        prepaidMinutes = order.prepaidMinutes
    }
}
