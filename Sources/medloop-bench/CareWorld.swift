import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// The demo world's accounts and records the care loop runs on, signed in and prepared once per run
/// (`medloop seed --demo`; every account's password is `--password`).
///
/// Preparing it: each role signs in once (the patients, doctors 1–24, a pharmacist, the staff and
/// couriers of the two pharmacies that deliver, the insurer); each patient gets the in-person visit
/// its follow-ups rest on (the imported one the seed gives, or one entered now); the demo patients
/// the Quzhou insurer insures link their coverage with a voucher it issues, so that their payments
/// are settled (the loop patients of `medloop seed --loop-patients` come with theirs linked); and the
/// two delivering pharmacies stock the loop's drugs to the most a pharmacy may hold, so that a long
/// run does not empty them.
struct CareWorld: Sendable {
    /// A signed-in patient and the visit its follow-ups rest on.
    struct Patient: Sendable {
        var phone: String
        var token: String
        var encounterId: String
        /// The diagnosis of that visit, which the consultation and the prescription state again.
        var icd10: String
        var insured: Bool
    }

    struct Doctor: Sendable {
        var phone: String
        var token: String
        var doctorId: String
        /// The internet hospital a booking names when the doctor practises at several (else `nil`).
        var siteId: String?
    }

    /// A drug the loop prescribes, and for which diagnoses.
    struct Drug: Sendable {
        var id: String
        var productCode: String
        /// The prescription line, without its drug.
        var dose: Int
        var doseUnit: String
        var timesPerDay: Int
        /// The catalogue's reference price: what a pharmacy that did not stock it is given as its price.
        var referencePriceFen: Int
    }

    /// A pharmacy that delivers (O2O): its staff's and its courier's sessions.
    struct Pharmacy: Sendable {
        var id: String
        var staffToken: String
        var courierToken: String
    }

    var patients: [Patient]
    var doctors: [Doctor]
    var pharmacistToken: String
    /// Keyed by pharmacy id, lower-cased.
    var pharmacies: [String: Pharmacy]
    /// For respiratory diagnoses (ICD-10 chapter J): salbutamol; for every other: amlodipine.
    var inhaler: Drug
    var tablet: Drug

    /// The demo patients (the loop's patients unless `--patients` names others), doctors that consult online at the internet hospital, pharmacist, the staff
    /// and couriers of pharmacies 1 and 2, the Quzhou insurer (API.md, demo world).
    static let demoPatientPhones = "13800000001-13800000010"
    static let doctorPhones = (1...24).map { String(format: "139%08d", $0) }
    static let pharmacistPhone = "13700000001"
    static let pharmacyPhones = [("13700000011", "13700000021"), ("13700000012", "13700000022")]
    static let insurerPhone = "13600000001"
    /// The patients the Quzhou insurer insures, with their insured numbers (the demo world's
    /// `DemoWorld.insuredPatients`; 13800000010's insurance is suspended, so it pays itself).
    static let quzhouInsured = [
        "13800000002": "33080000000003", "13800000004": "33080000000004", "13800000005": "33080000000005",
        "13800000006": "33080000000006", "13800000007": "33080000000007", "13800000009": "33080000000008",
    ]
    /// Where the patients live (Quzhou, near the demo pharmacies).
    static let latitude = 28.965
    static let longitude = 118.872

    /// Patients signing in at once while preparing: the server hashes their passwords on a small pool.
    static let patientsPreparedAtOnce = 4

    static func prepare(on server: LoopbackServer, client: HTTPClient, password: String, patientPhones: [String]) async throws -> CareWorld {
        let api = SetupClient(server: server, client: client)
        let pharmacist = try await api.signIn(pharmacistPhone, password: password)
        // The pharmacist reviews the prescriptions of the internet hospital it works at: the loop
        // consults there.
        let site = (pharmacist.account["institutionId"] as? String ?? "").lowercased()
        var doctors: [Doctor] = []
        for phone in doctorPhones {
            let account = try await api.signIn(phone, password: password)
            // The doctor's own earnings name the doctor record the directory lists.
            let earnings = try await api.json("GET", "/api/v1/doctors/me/earnings", token: account.token)
            guard let id = earnings["doctorId"] as? String else { throw BenchError("doctor \(phone) has no profile") }
            let profile = try await api.json("GET", "/api/v1/doctors/\(id)", token: nil)
            let sites = profile["practiceSites"] as? [String] ?? []
            guard let ownSite = sites.first(where: { $0.lowercased() == site }) else {
                throw BenchError("doctor \(phone) does not consult at the pharmacist \(pharmacistPhone)'s internet hospital")
            }
            doctors.append(Doctor(phone: phone, token: account.token, doctorId: id, siteId: sites.count > 1 ? ownSite : nil))
        }
        var pharmacies: [String: Pharmacy] = [:]
        for (staffPhone, courierPhone) in pharmacyPhones {
            let staff = try await api.signIn(staffPhone, password: password)
            let courier = try await api.signIn(courierPhone, password: password)
            guard let id = staff.account["institutionId"] as? String else { throw BenchError("\(staffPhone) has no pharmacy") }
            pharmacies[id.lowercased()] = Pharmacy(id: id, staffToken: staff.token, courierToken: courier.token)
        }
        let inhaler = try await Self.drug(productCode: "8100171", search: "salbutamol", api: api, token: pharmacist.token,
                                          dose: 2, doseUnit: "puff", timesPerDay: 2)
        let tablet = try await Self.drug(productCode: "8100001", search: "amlodipine", api: api, token: pharmacist.token,
                                         dose: 5, doseUnit: "mg", timesPerDay: 1)
        for pharmacy in pharmacies.values {
            try await Self.stock([inhaler, tablet], at: pharmacy, api: api)
        }
        let insurer = try await api.signIn(insurerPhone, password: password).token
        // Paged until every demo patient's number is found: generated patients (`seed --patients`) may be
        // insured in Quzhou too.
        var insuredIds: [String: String] = [:]
        let insuredWanted = patientPhones.filter { quzhouInsured[$0] != nil }.count
        var cursor: String?
        while insuredIds.count < insuredWanted {
            var path = "/api/v1/insurance/insured-persons?limit=100"
            if let cursor { path += "&cursor=" + Scenario.encodedValue(cursor) }
            let page = try await api.json("GET", path, token: insurer)
            for person in page["items"] as? [[String: Any]] ?? [] {
                if let number = person["insuredNumber"] as? String, quzhouInsured.values.contains(number),
                   let id = person["id"] as? String {
                    insuredIds[number] = id
                }
            }
            cursor = page["nextCursor"] as? String
            if cursor == nil { break }
        }
        let tertiary = try await Self.tertiaryHospital(api: api, doctor: doctors[0])
        let patients = try await withThrowingTaskGroup(of: (Int, Patient).self) { group in
            var prepared: [Patient?] = Array(repeating: nil, count: patientPhones.count)
            for (index, phone) in patientPhones.enumerated() {
                if index >= patientsPreparedAtOnce, let (done, patient) = try await group.next() { prepared[done] = patient }
                let insuredId = quzhouInsured[phone].flatMap { insuredIds[$0] }
                group.addTask {
                    (index, try await Self.patient(phone, password: password, insurer: insurer, insuredId: insuredId, hospital: tertiary, api: api))
                }
            }
            for try await (done, patient) in group { prepared[done] = patient }
            return prepared.compactMap { $0 }
        }
        return CareWorld(patients: patients, doctors: doctors, pharmacistToken: pharmacist.token, pharmacies: pharmacies,
                         inhaler: inhaler, tablet: tablet)
    }

    /// Signs in the patient with `phone` and finds the in-person visit its follow-ups rest on (enters
    /// one at `hospital` when it has none); links the coverage of the demo patient the Quzhou insurer
    /// insures as `insuredId` with a voucher, or reads whether the patient's is linked.
    private static func patient(_ phone: String, password: String, insurer: String, insuredId: String?, hospital: String,
                                api: SetupClient) async throws -> Patient {
        let account = try await api.signIn(phone, password: password)
        guard let patientId = account.account["patientId"] as? String else { throw BenchError("\(phone) is not a patient") }
        let visits = try await api.json("GET", "/api/v1/patients/\(patientId)/encounters", token: account.token)
        var visit = (visits["items"] as? [[String: Any]] ?? []).first { $0["source"] as? String == "imported" }
        if visit == nil {
            visit = try await api.json("POST", "/api/v1/patients/\(patientId)/encounters", token: account.token, body: [
                "hospitalId": hospital,
                "date": Self.shanghaiDate(daysAgo: 30), "icd10": "I10",
            ], expect: 201)
        }
        guard let encounterId = visit?["id"] as? String, let icd10 = visit?["icd10"] as? String else {
            throw BenchError("\(phone) has no in-person visit to follow up")
        }
        let isInsured: Bool
        if let personId = insuredId {
            let voucher = try await api.json("POST", "/api/v1/insurance/insured-persons/\(personId)/vouchers",
                                             token: insurer, expect: 201)
            _ = try await api.json("POST", "/api/v1/me/insurance/coverage", token: account.token,
                                   body: ["voucher": voucher["voucher"] as? String ?? ""])
            isInsured = true
        } else {
            isInsured = try await api.exists("/api/v1/me/insurance/coverage", token: account.token)
        }
        return Patient(phone: phone, token: account.token, encounterId: encounterId, icd10: icd10, insured: isInsured)
    }

    /// The drug the loop prescribes for `icd10`.
    func drug(for icd10: String) -> Drug { icd10.hasPrefix("J") ? inhaler : tablet }

    private static func drug(productCode: String, search: String, api: SetupClient, token: String,
                             dose: Int, doseUnit: String, timesPerDay: Int) async throws -> Drug {
        let page = try await api.json("GET", "/api/v1/drugs?q=\(search)&limit=50", token: token)
        guard let item = (page["items"] as? [[String: Any]] ?? []).first(where: { $0["productCode"] as? String == productCode }),
              let id = item["id"] as? String, let reference = item["referencePriceFen"] as? Int else {
            throw BenchError("the drug catalogue has no \(search) \(productCode)")
        }
        return Drug(id: id, productCode: productCode, dose: dose, doseUnit: doseUnit, timesPerDay: timesPerDay,
                    referencePriceFen: reference)
    }

    /// Raises the pharmacy's stock of `drugs` to the most it may hold, at its own price (the reference
    /// price for a drug it did not stock).
    private static func stock(_ drugs: [Drug], at pharmacy: Pharmacy, api: SetupClient) async throws {
        var levels: [String: [String: Any]] = [:]
        var cursor: String?
        repeat {
            var path = "/api/v1/pharmacies/me/stock?limit=100"
            if let cursor { path += "&cursor=" + Scenario.encodedValue(cursor) }
            let page = try await api.json("GET", path, token: pharmacy.staffToken)
            for level in page["items"] as? [[String: Any]] ?? [] {
                if let code = level["productCode"] as? String { levels[code] = level }
            }
            cursor = page["nextCursor"] as? String
        } while cursor != nil
        for drug in drugs {
            let price = levels[drug.productCode]?["priceFen"] as? Int ?? drug.referencePriceFen
            _ = try await api.json("PUT", "/api/v1/pharmacies/me/stock/\(drug.id)", token: pharmacy.staffToken,
                                   body: ["onHand": 1_000_000, "priceFen": price])
        }
    }

    /// The hospital where the first demo doctor practises in person (the demo world's tertiary hospital).
    private static func tertiaryHospital(api: SetupClient, doctor: Doctor) async throws -> String {
        let profile = try await api.json("GET", "/api/v1/doctors/\(doctor.doctorId)", token: nil)
        guard let id = profile["hospitalId"] as? String else { throw BenchError("doctor \(doctor.phone) has no hospital") }
        return id
    }

    /// The calendar day `days` before today in Shanghai, as `2026-05-01`.
    private static func shanghaiDate(daysAgo days: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai") ?? .current
        let day = calendar.date(byAdding: .day, value: -days, to: Date()) ?? Date()
        let parts = calendar.dateComponents([.year, .month, .day], from: day)
        return String(format: "%04d-%02d-%02d", parts.year ?? 2026, parts.month ?? 1, parts.day ?? 1)
    }
}

/// The requests of preparing the care world: JSON in and out, any unexpected answer fails the run.
struct SetupClient: Sendable {
    let server: LoopbackServer
    let client: HTTPClient

    struct SignedIn {
        var token: String
        var account: [String: Any]
    }

    /// Signs in, waiting out the sign-in throttle (429) for up to a minute.
    func signIn(_ phone: String, password: String) async throws -> SignedIn {
        for _ in 0..<60 {
            let (status, answer) = try await send("POST", "/api/v1/auth/sign-in", token: nil,
                                                  body: ["phone": phone, "password": password])
            if status == 429 {
                try await Task.sleep(for: .seconds(1))
                continue
            }
            guard status == 200, let token = answer["token"] as? String else {
                throw BenchError("signing in \(phone) answered \(status); the demo world's accounts must exist "
                                 + "(medloop seed --demo; the loop patients 166…: --loop-patients N) and share --password")
            }
            return SignedIn(token: token, account: answer["account"] as? [String: Any] ?? [:])
        }
        throw BenchError("signing in \(phone) was throttled for a minute")
    }

    /// The JSON object of a request that must answer `expect`.
    func json(_ method: String, _ path: String, token: String?, body: [String: Any]? = nil,
              expect: UInt = 200) async throws -> [String: Any] {
        let (status, answer) = try await send(method, path, token: token, body: body)
        guard status == expect else {
            let text = (try? JSONSerialization.data(withJSONObject: answer)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw BenchError("\(method) \(path) answered \(status), not \(expect): \(text.prefix(400))")
        }
        return answer
    }

    /// Whether `path` answers 200 (true) or 404 (false); any other answer fails the run.
    func exists(_ path: String, token: String?) async throws -> Bool {
        let (status, _) = try await send("GET", path, token: token, body: nil)
        guard status == 200 || status == 404 else { throw BenchError("GET \(path) answered \(status), not 200 or 404") }
        return status == 200
    }

    private func send(_ method: String, _ path: String, token: String?, body: [String: Any]?) async throws -> (UInt, [String: Any]) {
        var request = HTTPClientRequest(url: server.url(path))
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer " + token) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            if method == "POST" { request.headers.add(name: "Idempotency-Key", value: UUID().uuidString) }
            request.body = .bytes(Array(try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any]
        return (response.status.code, object ?? [:])
    }
}
