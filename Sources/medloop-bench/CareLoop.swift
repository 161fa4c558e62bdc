import Foundation

/// A step of the closed care loop; each has its own latency histogram in the report.
enum LoopStep: String, CaseIterable, Sendable {
    case topUp = "top-up"
    case book, pay, accept, message, complete, draft, sign, approve, options, reserve
    case payMedicine = "pay-medicine"
    case dispense, deliver, receive, rate
}

/// One request of the loop: who sends what, and the step it is timed under.
struct LoopRequest {
    var step: LoopStep
    var method: String
    var path: String
    var token: String
    var body: [String: Any]?
    /// Creates an order or a payment: sent with a fresh `Idempotency-Key` (API.md, headers).
    var isIdempotent = false
    var expect: UInt = 200
}

/// What came of one answer.
enum LoopVerdict: Equatable {
    /// The step succeeded; the loop goes on (`loopCompleted` after the rating).
    case next(loopCompleted: Bool)
    /// A domain limit refused the step (a counted outcome, not an error); the loop starts over.
    case limit(code: String)
    /// An unexpected answer: an error; the loop starts over with the next doctor.
    case error
}

/// One virtual patient's care loop, one request at a time: top up the wallet, book a follow-up
/// with a doctor, pay (a free service's order is paid when placed), the doctor accepts, four chat
/// messages (patient and doctor in turn), the doctor completes with the visit's ICD-10 diagnosis,
/// drafts a prescription (the clinical checks run), signs; the pharmacist approves; the patient asks for pharmacy options, reserves at one that
/// delivers, pays (settled by insurance when the patient's coverage is linked); the pharmacy
/// dispenses with a traceability code per package; the courier reports pickup, transit and
/// delivery; the patient confirms receipt and rates the consultation.
///
/// The virtual patient is one person or several taken in turn, one per loop (`patients`); it consults
/// its own doctors in turn (`doctors`), so that concurrent loops never hold two open consultations of
/// one patient with one doctor. A doctor whose daily cap is reached is
/// dropped for the rest of the run; when none is left the loop stops (`isExhausted`).
struct CareLoop {
    let world: CareWorld
    /// The people this virtual patient is, one per loop in turn; no other loop is any of them, unless
    /// there are fewer people than loops (then each loop is one person, and `doctors` keeps them apart).
    let patients: [CareWorld.Patient]
    private var patientIndex = 0
    private(set) var doctors: [CareWorld.Doctor]
    private var doctorIndex: Int
    private var step: LoopStep = .topUp
    private var messagesSent = 0
    private var deliveryReports = 0

    // What earlier answers named.
    private var orderId = ""
    private var consultationId = ""
    private var prescriptionId = ""
    private var productCodes: [String: String] = [:]
    private var pharmacy: CareWorld.Pharmacy?
    private var medicineOrderId = ""
    private var packages: [(drugId: String, quantity: Int)] = []

    static let deliveryStatuses = ["pickedUp", "inTransit", "delivered"]
    static let topUpFen = 20_000

    init(world: CareWorld, patients: [CareWorld.Patient], doctors: [CareWorld.Doctor], seed: UInt64) {
        self.world = world
        self.patients = patients
        self.doctors = doctors
        // Each patient starts with a doctor drawn from the seed, so that patients spread over the doctors.
        var random = SeededRandom(seed: seed)
        doctorIndex = doctors.isEmpty ? 0 : random.uniform(below: doctors.count)
    }

    /// Whether every doctor of this patient has reached the daily cap.
    var isExhausted: Bool { doctors.isEmpty }

    private var doctor: CareWorld.Doctor { doctors[doctorIndex % doctors.count] }

    private var patient: CareWorld.Patient { patients[patientIndex % patients.count] }

    /// The next request to send.
    mutating func next() -> LoopRequest {
        let patientToken = patient.token
        switch step {
        case .topUp:
            return LoopRequest(step: step, method: "POST", path: "/api/v1/wallet/top-ups", token: patientToken,
                               body: ["amountFen": Self.topUpFen], isIdempotent: true, expect: 201)
        case .book:
            var body: [String: Any] = ["doctorId": doctor.doctorId, "service": "textPackage", "encounterId": patient.encounterId]
            if let site = doctor.siteId { body["siteId"] = site }
            return LoopRequest(step: step, method: "POST", path: "/api/v1/orders", token: patientToken, body: body,
                               isIdempotent: true, expect: 201)
        case .pay:
            return LoopRequest(step: step, method: "POST", path: "/api/v1/orders/\(orderId)/pay", token: patientToken,
                               body: [:], isIdempotent: true)
        case .accept:
            return LoopRequest(step: step, method: "POST", path: "/api/v1/consultations/\(consultationId)/accept",
                               token: doctor.token, body: [:])
        case .message:
            let fromPatient = messagesSent % 2 == 0
            return LoopRequest(step: step, method: "POST", path: "/api/v1/consultations/\(consultationId)/messages",
                               token: fromPatient ? patientToken : doctor.token,
                               body: ["text": fromPatient ? "最近血压和症状都还平稳，药还需要继续吃吗？" : "继续按时用药，注意监测，有不适随时联系。"],
                               expect: 201)
        case .complete:
            return LoopRequest(step: step, method: "POST", path: "/api/v1/consultations/\(consultationId)/complete",
                               token: doctor.token, body: ["diagnosis": patient.icd10, "notes": "复诊，病情稳定，续方。"])
        case .draft:
            let drug = world.drug(for: patient.icd10)
            let item: [String: Any] = ["drugId": drug.id, "dose": drug.dose, "doseUnit": drug.doseUnit,
                                       "timesPerDay": drug.timesPerDay, "days": 7]
            return LoopRequest(step: step, method: "POST", path: "/api/v1/consultations/\(consultationId)/prescriptions",
                               token: doctor.token, body: ["diagnosis": patient.icd10, "items": [item]], expect: 201)
        case .sign:
            return LoopRequest(step: step, method: "POST", path: "/api/v1/prescriptions/\(prescriptionId)/sign",
                               token: doctor.token, body: [:])
        case .approve:
            return LoopRequest(step: step, method: "POST", path: "/api/v1/prescriptions/\(prescriptionId)/review",
                               token: world.pharmacistToken, body: ["decision": "approve"])
        case .options:
            return LoopRequest(step: step, method: "GET",
                               path: "/api/v1/prescriptions/\(prescriptionId)/pharmacy-options?lat=\(CareWorld.latitude)"
                                   + "&lon=\(CareWorld.longitude)&mode=o2o", token: patientToken)
        case .reserve:
            return LoopRequest(step: step, method: "POST", path: "/api/v1/prescriptions/\(prescriptionId)/medicine-orders",
                               token: patientToken,
                               body: ["pharmacyId": pharmacy?.id ?? "", "mode": "o2o",
                                      "lat": CareWorld.latitude, "lon": CareWorld.longitude],
                               isIdempotent: true, expect: 201)
        case .payMedicine:
            return LoopRequest(step: step, method: "POST", path: "/api/v1/medicine-orders/\(medicineOrderId)/pay",
                               token: patientToken, body: [:], isIdempotent: true)
        case .dispense:
            // One traceability code per package: the product's 7 digits and a 13-digit serial drawn from
            // the system's generator, not the seed, so that a later run on the same database does not
            // scan a code dispensed before.
            var codes: [String] = []
            for line in packages {
                let product = productCodes[line.drugId.lowercased()] ?? ""
                for _ in 0..<line.quantity {
                    codes.append(product + String(format: "%013llu", UInt64.random(in: 0..<10_000_000_000_000)))
                }
            }
            return LoopRequest(step: step, method: "POST", path: "/api/v1/medicine-orders/\(medicineOrderId)/dispense",
                               token: pharmacy?.staffToken ?? "", body: ["codes": codes])
        case .deliver:
            return LoopRequest(step: step, method: "POST", path: "/api/v1/medicine-orders/\(medicineOrderId)/delivery",
                               token: pharmacy?.courierToken ?? "", body: ["status": Self.deliveryStatuses[deliveryReports]])
        case .receive:
            return LoopRequest(step: step, method: "POST", path: "/api/v1/medicine-orders/\(medicineOrderId)/receipt",
                               token: patientToken, body: [:])
        case .rate:
            return LoopRequest(step: step, method: "POST", path: "/api/v1/consultations/\(consultationId)/rating",
                               token: patientToken,
                               body: ["efficiency": 5, "attitude": 5, "professionalism": 4, "comment": "回复及时，讲解清楚。"],
                               expect: 201)
        }
    }

    /// Takes the answer to `request` (`status` `nil` when none came) and moves the loop on.
    mutating func take(_ request: LoopRequest, status: UInt?, body: [String: Any]) -> LoopVerdict {
        guard let status, status == request.expect else {
            let code = (body["error"] as? [String: Any])?["code"] as? String
            if let code, let limit = Self.limits[request.step], limit.contains(code) {
                if code == "daily_cap_reached" {
                    doctors.remove(at: doctorIndex % doctors.count)
                } else {
                    doctorIndex += 1
                }
                restart()
                return .limit(code: code)
            }
            // The consultation may stay open with this doctor: the next loop books another.
            doctorIndex += 1
            restart()
            return .error
        }
        switch request.step {
        case .topUp: step = .book
        case .book:
            orderId = body["id"] as? String ?? ""
            // A free service's order is paid when placed, and names its consultation at once.
            if body["state"] as? String == "paid", let consultation = body["consultationId"] as? String {
                consultationId = consultation
                step = .accept
            } else {
                step = .pay
            }
        case .pay:
            consultationId = body["consultationId"] as? String ?? ""
            step = .accept
        case .accept: step = .message
        case .message:
            messagesSent += 1
            if messagesSent == 4 { step = .complete }
        case .complete: step = .draft
        case .draft:
            prescriptionId = body["id"] as? String ?? ""
            productCodes = [:]
            for item in body["items"] as? [[String: Any]] ?? [] {
                if let drug = item["drugId"] as? String, let code = item["productCode"] as? String {
                    productCodes[drug.lowercased()] = code
                }
            }
            step = .sign
        case .sign: step = .approve
        case .approve: step = .options
        case .options:
            let options = body["items"] as? [[String: Any]] ?? []
            let delivering = options.compactMap { ($0["pharmacyId"] as? String).flatMap { world.pharmacies[$0.lowercased()] } }
            guard let choice = delivering.first else {
                doctorIndex += 1
                restart()
                return .limit(code: "no_delivering_pharmacy")
            }
            pharmacy = choice
            step = .reserve
        case .reserve:
            medicineOrderId = body["id"] as? String ?? ""
            packages = (body["lines"] as? [[String: Any]] ?? []).map {
                (drugId: $0["drugId"] as? String ?? "", quantity: $0["quantity"] as? Int ?? 0)
            }
            step = .payMedicine
        case .payMedicine: step = .dispense
        case .dispense: step = .deliver
        case .deliver:
            deliveryReports += 1
            if deliveryReports == Self.deliveryStatuses.count { step = .receive }
        case .receive: step = .rate
        case .rate:
            doctorIndex += 1
            restart()
            return .next(loopCompleted: true)
        }
        return .next(loopCompleted: false)
    }

    /// The refusals of domain limits, by the step that meets them (DOMAIN.md): a doctor's daily cap
    /// on a service, a wallet that ran dry (another loop of the same patient paid first), stock.
    static let limits: [LoopStep: Set<String>] = [
        .book: ["daily_cap_reached"],
        .pay: ["insufficient_balance"],
        .reserve: ["stock_insufficient"],
        .payMedicine: ["insufficient_balance"],
    ]

    private mutating func restart() {
        patientIndex += 1
        step = .topUp
        messagesSent = 0
        deliveryReports = 0
        pharmacy = nil
    }
}
