import Foundation
import HTTPTypes
import HummingbirdTesting
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import NIOCore
import SQLKit
import Testing

/// The smallest PNG MedLoop recognises: the signature and a little more.
private let aPNG: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52]

extension Harness {
    /// Uploads `bytes` as a certificate image of the account behind `token`.
    func uploadCertificate(_ token: String, bytes: [UInt8] = aPNG) async throws -> Reply {
        let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "image/png"]
        let response = try await client.executeRequest(uri: "/api/v1/credential-files", method: .post, headers: headers,
                                                       body: ByteBuffer(bytes: bytes))
        return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    /// A credential of the account behind `token`, as `kind`, with one uploaded certificate; returns its id.
    func aSubmittedCredential(_ token: String, kind: CredentialHolderKind = .doctor, expiresOn: CalendarDate? = nil,
                              extra: [String: Any] = [:]) async throws -> String {
        let file = try #require(try await uploadCertificate(token).string("id"))
        var body: [String: Any] = [
            "holderKind": kind.rawValue, "licenceNumber": kind == .doctor ? "110330800000001" : "浙AA5700123",
            "certificateFiles": [file], "yearsOfPractice": 12,
            "licenceExpiresOn": (expiresOn ?? CalendarDate.shanghai(clock.now()).adding(days: 3 * 365)).description,
        ]
        if kind == .doctor {
            body["practiceSites"] = [["institutionId": DemoWorld.Institutions.internetHospital.text, "consentReference": "衢人医〔2026〕12号"]]
        }
        body.merge(extra) { $1 }
        let submitted = try await send(.post, "/api/v1/credentials", token: token, json: body)
        #expect(submitted.status == .created, "\(submitted.text)")
        return try #require(submitted.string("id"))
    }

    /// A regulator's decision on credential `id`.
    func decide(_ id: String, _ decision: String, token: String, reason: String? = "证书与注册信息核对一致") async throws -> Reply {
        try await send(.post, "/api/v1/supervision/credentials/\(id)/\(decision)", token: token,
                       json: reason.map { ["reason": $0] } ?? [:] as [String: String])
    }

    /// A credential's state as stored.
    func credentialState(_ id: String) async throws -> String? {
        try await database.read { sql in
            try await sql.raw("SELECT state FROM credentials WHERE id = \(bind: id.lowercased())").first()?.decode(column: "state", as: String.self)
        }
    }

    /// A doctor's qualification as stored.
    func qualification(of doctor: UUID) async throws -> String? {
        try await database.read { sql in
            try await sql.raw("SELECT qualification FROM doctors WHERE id = \(bind: doctor.text)").first()?.decode(column: "qualification", as: String.self)
        }
    }

    /// A regulator of Guangzhou (440100), made by the operator; returns their token.
    func aGuangzhouRegulator() async throws -> String {
        try await aRegulator(of: "440100", institution: "广州市卫生健康委员会", phone: "13500000008")
    }

    /// A regulator of `region` at a new regulator institution, made by the operator; returns their token.
    func aRegulator(of region: String, institution name: String, phone: String) async throws -> String {
        let operatorToken = try await signIn(Demo.operatorPhone)
        let institution = try await send(.post, "/api/v1/institutions", token: operatorToken, json: [
            "kind": "regulator", "name": name, "regionCode": region,
        ])
        let account = try await send(.post, "/api/v1/accounts", token: operatorToken, json: [
            "role": "regulator", "phone": phone, "password": DemoWorld.password, "displayName": "\(name)审核员",
            "institutionId": try #require(institution.string("id"), "\(institution.text)"),
        ])
        #expect(account.status == .created, "\(account.text)")
        return try await signIn(phone)
    }
}

@Suite("Qualification review: credentials submitted, decided by the region's regulator, and suspension at once")
struct QualificationTests {
    static let cardiologist = UUID.named("doctor:1")
    static let searchPath = "/api/v1/doctors?q=%E9%AB%98%E8%A1%80%E5%8E%8B&limit=100"
    static let hehua = DemoWorld.Institutions.pharmacies[0]

    static func listed(_ reply: Reply) -> Bool {
        reply.items.contains { ($0["id"] as? String)?.lowercased() == cardiologist.text }
    }

    @Test("a doctor submits a credential with a certificate image; the region's regulator sees it, reads the image and approves with a reason")
    func submitAndApprove() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Demo.doctorPhone)
            let id = try await app.aSubmittedCredential(doctor)
            let mine = try await app.send(.get, "/api/v1/credentials/mine", token: doctor)
            #expect(mine.items.map { ($0["id"] as? String)?.lowercased() } == [id.lowercased()])
            #expect(mine.items.first?["state"] as? String == "submitted")
            // The holder sees how many images they sent, not the regulator's address for them.
            let ownFiles = mine.items.first?["files"] as? [[String: Any]] ?? []
            #expect(ownFiles.count == 1 && ownFiles.allSatisfy { $0["url"] as? String == nil })
            // One under review at a time.
            let again = try await app.send(.post, "/api/v1/credentials", token: doctor, json: [
                "holderKind": "doctor", "licenceNumber": "110330800000001",
                "certificateFiles": [try #require(try await app.uploadCertificate(doctor).string("id"))],
                "yearsOfPractice": 12, "licenceExpiresOn": "2030-01-01",
            ] as [String: Any])
            #expect(again.status == .conflict)
            #expect(again.errorCode == "credential_pending")

            let regulator = try await app.signIn(Demo.regulatorPhone)
            let queue = try await app.send(.get, "/api/v1/supervision/credentials?state=submitted", token: regulator)
            #expect(queue.status == .ok)
            #expect(queue.items.map { ($0["id"] as? String)?.lowercased() } == [id.lowercased()])
            let shown = try await app.send(.get, "/api/v1/supervision/credentials/\(id)", token: regulator)
            #expect(shown.string("holderKind") == "doctor")
            #expect(shown.string("holderRegion") == "330802")
            let files = shown.json["files"] as? [[String: Any]] ?? []
            #expect(files.count == 1)
            let image = try await app.client.executeRequest(uri: try #require(files.first?["url"] as? String), method: .get,
                                                            headers: [.authorization: "Bearer \(regulator)"], body: nil)
            #expect(image.status == .ok)
            #expect(Array(buffer: image.body) == aPNG)
            #expect(image.headers[.contentType] == "image/png")

            let approved = try await app.decide(id, "approve", token: regulator)
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(approved.string("state") == "approved")
            #expect(approved.string("reason") == "证书与注册信息核对一致")
            #expect((approved.json["decisions"] as? [[String: Any]])?.map { $0["decision"] as? String } == ["approve"])
            #expect(try await app.send(.get, "/api/v1/supervision/credentials?state=submitted", token: regulator).items.isEmpty)
            let inbox = try await app.send(.get, "/api/v1/notifications", token: doctor)
            #expect(inbox.items.contains { $0["kind"] as? String == "credentialDecided" })
        }
    }

    @Test("a regulator of another region cannot set a doctor's standing in the directory; the refusal is audited and the doctor stays approved")
    func directoryStandingOutsideRegion() async throws {
        try await withApp { app in
            let guangzhou = try await app.aGuangzhouRegulator()
            let doctor = UUID.named("doctor:1")
            let refused = try await app.send(.put, "/api/v1/doctors/\(doctor.text)/qualification", token: guangzhou,
                                             json: ["status": "suspended"])
            #expect(refused.status == .forbidden && refused.isStandardError)
            #expect(try await app.auditCount(action: "doctor.qualification", outcome: .denied) == 1)
            #expect(try await app.send(.get, "/api/v1/doctors/\(doctor.text)").status == .ok)
        }
    }

    @Test("skipping a state is a 409 and a decision without a reason a 400; neither changes the credential")
    func illegalDecisions() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Demo.doctorPhone)
            let id = try await app.aSubmittedCredential(doctor)
            let regulator = try await app.signIn(Demo.regulatorPhone)
            for decision in ["suspend", "reinstate"] {
                let skipped = try await app.decide(id, decision, token: regulator)
                #expect(skipped.status == .conflict, "\(decision)")
                #expect(skipped.errorCode == "credential_state")
                #expect(skipped.isStandardError)
            }
            for reason in [nil, "", "   "] as [String?] {
                let bare = try await app.decide(id, "approve", token: regulator, reason: reason)
                #expect(bare.status == .badRequest)
                #expect(bare.errorFields == ["reason"])
            }
            #expect(try await app.credentialState(id) == "submitted")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM credential_decisions") == 0)
            #expect(try await app.decide(id, "reject", token: regulator, reason: "证书照片模糊，请重新上传").string("state") == "rejected")
            let late = try await app.decide(id, "approve", token: regulator)
            #expect(late.status == .conflict)
            #expect(try await app.credentialState(id) == "rejected")
        }
    }

    @Test("of four submissions racing for one holder exactly one is kept; the others are 409 credential_pending and attach no file")
    func racingSubmissions() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Demo.doctorPhone)
            var files: [String] = []
            for _ in 0..<4 { files.append(try #require(try await app.uploadCertificate(doctor).string("id"))) }
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for file in files {
                    group.addTask {
                        try await app.send(.post, "/api/v1/credentials", token: doctor, json: [
                            "holderKind": "doctor", "licenceNumber": "110330800000001", "certificateFiles": [file],
                            "yearsOfPractice": 12, "licenceExpiresOn": "2030-01-01",
                        ] as [String: Any])
                    }
                }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            #expect(replies.map(\.status.code).sorted() == [201, 409, 409, 409])
            #expect(replies.filter { $0.status == .conflict }.allSatisfy { $0.errorCode == "credential_pending" })
            #expect(try await app.count("SELECT COUNT(*) AS n FROM credentials") == 1)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM credential_files WHERE credential_id IS NULL") == 3)
        }
    }

    @Test("of two decisions racing on one credential exactly one wins; the other is a 409 and is not recorded")
    func racingDecisions() async throws {
        try await withApp { app in
            let id = try await app.aSubmittedCredential(try await app.signIn(Demo.doctorPhone))
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for decision in ["approve", "reject", "approve", "reject"] {
                    group.addTask { try await app.decide(id, decision, token: regulator).status.code }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == [200, 409, 409, 409])
            #expect(try await app.count("SELECT COUNT(*) AS n FROM credential_decisions") == 1)
        }
    }

    @Test("bad submissions are 400s naming each field, files must be images of one's own, and nothing is written")
    func badSubmissions() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Demo.doctorPhone)
            let notAnImage = try await app.uploadCertificate(doctor, bytes: Array("%PDF-1.7 certificate".utf8))
            #expect(notAnImage.status == .badRequest)
            #expect(notAnImage.errorFields == ["file"])
            let tooLarge = try await app.uploadCertificate(doctor, bytes: aPNG + [UInt8](repeating: 0, count: 5 << 20))
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.isStandardError)

            let wrong = try await app.send(.post, "/api/v1/credentials", token: doctor, json: [
                "holderKind": "doctor", "licenceNumber": "12AB", "certificateFiles": [] as [String], "yearsOfPractice": -2,
                "licenceExpiresOn": "2020-01-01",
                "practiceSites": [["institutionId": DemoWorld.Institutions.internetHospital.text]],
            ] as [String: Any])
            #expect(wrong.status == .badRequest)
            #expect(Set(wrong.errorFields) == ["licenceNumber", "certificateFiles", "practiceSites[0].consentReference",
                                               "yearsOfPractice", "licenceExpiresOn"])
            // Another holder's file, and a file that does not exist.
            let pharmacist = try await app.signIn(Demo.pharmacistPhone)
            let theirs = try #require(try await app.uploadCertificate(pharmacist).string("id"))
            for files in [[theirs], [UUID().uuidString]] {
                let borrowed = try await app.send(.post, "/api/v1/credentials", token: doctor, json: [
                    "holderKind": "doctor", "licenceNumber": "110330800000001", "certificateFiles": files, "yearsOfPractice": 3,
                    "licenceExpiresOn": "2030-01-01",
                ] as [String: Any])
                #expect(borrowed.status == .badRequest)
                #expect(borrowed.errorFields == ["certificateFiles"])
            }
            let unknownSite = try await app.send(.post, "/api/v1/credentials", token: doctor, json: [
                "holderKind": "doctor", "licenceNumber": "110330800000001",
                "certificateFiles": [try #require(try await app.uploadCertificate(doctor).string("id"))], "yearsOfPractice": 3,
                "licenceExpiresOn": "2030-01-01", "practiceSites": [["institutionId": UUID().uuidString, "consentReference": "x"]],
            ] as [String: Any])
            #expect(unknownSite.errorFields == ["practiceSites[0].institutionId"])
            let posing = try await app.send(.post, "/api/v1/credentials", token: pharmacist, json: [
                "holderKind": "doctor", "licenceNumber": "110330800000001", "certificateFiles": [theirs], "yearsOfPractice": 3,
                "licenceExpiresOn": "2030-01-01",
            ] as [String: Any])
            #expect(posing.errorFields == ["holderKind"])
            let unknownKind = try await app.send(.post, "/api/v1/credentials", token: doctor, json: [
                "holderKind": "nurse", "licenceNumber": "110330800000001", "certificateFiles": [theirs], "yearsOfPractice": 3,
                "licenceExpiresOn": "2030-01-01",
            ] as [String: Any])
            #expect(unknownKind.status == .badRequest)
            let patient = try await app.signIn(Demo.patientPhone)
            #expect(try await app.uploadCertificate(patient).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/supervision/credentials", token: patient).status == .forbidden)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM credentials") == 0)
        }
    }

    @Test("a regulator of another region neither reads nor decides this region's credentials (403, audited), nor its own or its institution's")
    func reviewerRule() async throws {
        try await withApp { app in
            let doctor = try await app.signIn(Demo.doctorPhone)
            let id = try await app.aSubmittedCredential(doctor)
            let guangzhou = try await app.aGuangzhouRegulator()
            let read = try await app.send(.get, "/api/v1/supervision/credentials/\(id)", token: guangzhou)
            #expect(read.status == .forbidden)
            #expect(read.isStandardError)
            #expect(try await app.auditCount(action: "credential.read", outcome: .denied) == 1)
            let approve = try await app.decide(id, "approve", token: guangzhou)
            #expect(approve.status == .forbidden)
            #expect(try await app.auditCount(action: "credential.approve", outcome: .denied) == 1)
            #expect(try await app.send(.get, "/api/v1/supervision/credentials", token: guangzhou).items.isEmpty)
            #expect(try await app.credentialState(id) == "submitted")

            // Rows no submission can make, to prove the rule holds where roles would not stop it.
            let regulator = try await app.signIn(Demo.regulatorPhone)
            for (column, value, code) in [("holder_institution_id", DemoWorld.Institutions.regulator.text, "own_institution"),
                                          ("holder_account_id", Demo.accountId(Demo.regulatorPhone).text, "own_credentials")] {
                try await app.database.unitOfWork { tx in
                    try await tx.sql.raw("UPDATE credentials SET \(ident: column) = \(bind: value) WHERE id = \(bind: id.lowercased())").run()
                }
                let own = try await app.decide(id, "approve", token: regulator)
                #expect(own.status == .forbidden)
                #expect(own.errorCode == code)
                #expect(try await app.credentialState(id) == "submitted")
            }
            #expect(try await app.auditCount(action: "credential.approve", outcome: .denied) == 3)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM credential_decisions") == 0)
        }
    }

    @Test("a suspended doctor vanishes from search on a second server, cannot accept or prescribe, and their open consultation is refunded")
    func suspendedDoctor() async throws {
        try await withApp(live: true) { app in
            let doctor = try await app.signIn(Demo.doctorPhone)
            let regulator = try await app.signIn(Demo.regulatorPhone)
            let credential = try await app.aSubmittedCredential(doctor)
            #expect(try await app.decide(credential, "approve", token: regulator).status == .ok)

            let patient = try await app.signIn(Demo.patientPhone)
            let walletBefore = try #require(try await app.send(.get, "/api/v1/wallet", token: patient).json["balanceFen"] as? Int)
            let (consultation, _, _) = try await app.anAcceptedConsultation()
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
                "diagnosis": "I10", "items": [anItem(Shelf.amlodipine, dose: 5)],
            ])
            let prescription = try #require(draft.string("id"))
            let order = try #require(try await app.send(.get, "/api/v1/consultations/\(consultation)", token: patient).string("orderId"))
            #expect(try await app.send(.get, "/api/v1/orders/\(order)", token: patient).string("state") == "inService")

            try await app.withSecondServer { second in
                let search = { @Sendable () async throws -> Reply in
                    let response = try await second.executeRequest(uri: Self.searchPath, method: .get, headers: [:], body: nil)
                    return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
                }
                // The second server has the search page in memory before the suspension.
                #expect(Self.listed(try await search()))
                let suspended = try await app.decide(credential, "suspend", token: regulator, reason: "违规开具处方，暂停执业待查")
                #expect(suspended.status == .ok, "\(suspended.text)")
                #expect(suspended.string("state") == "suspended")
                #expect(!Self.listed(try await app.send(.get, Self.searchPath)))
                #expect(try await DirectoryCacheTests.eventually { !Self.listed(try await search()) })
            }
            #expect(try await app.qualification(of: Self.cardiologist) == "suspended")
            #expect(try await app.send(.get, "/api/v1/doctors/\(Self.cardiologist.text)").status == .notFound)

            // Handed back and refunded: consultation, order, wallet, inbox.
            #expect(try await app.send(.get, "/api/v1/consultations/\(consultation)", token: patient).string("state") == "refunded")
            #expect(try await app.send(.get, "/api/v1/orders/\(order)", token: patient).string("state") == "refunded")
            let walletAfter = try await app.send(.get, "/api/v1/wallet", token: patient).json["balanceFen"] as? Int
            #expect(walletAfter == walletBefore + 20_000)   // the top-up stays, the fee came back
            let inbox = try await app.send(.get, "/api/v1/notifications", token: patient)
            #expect(inbox.items.contains { $0["kind"] as? String == "consultationHandedBack" })
            #expect(try await ConsistencyCheck(database: app.database).problems().isEmpty)

            // Neither accepts nor prescribes.
            let accept = try await app.send(.post, "/api/v1/consultations/\(consultation)/accept", token: doctor)
            #expect(accept.status == .forbidden)
            #expect(accept.errorCode == "doctor_not_qualified")
            let sign = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/sign", token: doctor)
            #expect(sign.status == .forbidden)
            #expect(sign.errorCode == "prescriber_not_qualified")

            // Reinstated, the doctor is found again.
            #expect(try await app.decide(credential, "reinstate", token: regulator, reason: "调查结束，恢复执业").string("state") == "approved")
            #expect(Self.listed(try await app.send(.get, Self.searchPath)))
        }
    }

    @Test("a suspended pharmacy is absent from the options and refuses a reservation, with its stock untouched; reinstated, it is back")
    func suspendedPharmacy() async throws {
        try await withApp { app in
            let staff = try await app.signIn(MedicineOrderTests.staffOfHehua)
            let credential = try await app.aSubmittedCredential(staff, kind: .pharmacy)
            let regulator = try await app.signIn(Demo.regulatorPhone)
            #expect(try await app.decide(credential, "approve", token: regulator).status == .ok)
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            let optionsPath = "/api/v1/prescriptions/\(prescription)/pharmacy-options?lat=28.9650&lon=118.8720"
            let offered = { @Sendable () async throws -> Bool in
                try await app.send(.get, optionsPath, token: patient).items.contains {
                    ($0["pharmacyId"] as? String)?.lowercased() == Self.hehua.text
                }
            }
            #expect(try await offered())
            #expect(try await app.decide(credential, "suspend", token: regulator, reason: "飞行检查发现冷链记录缺失").status == .ok)
            #expect(try await !offered())
            let before = try await app.stock(Self.hehua, Shelf.amlodipine)
            let reserve = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.hehua.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            #expect(reserve.status == .conflict)
            #expect(reserve.errorCode == "pharmacy_suspended")
            #expect(try await app.stock(Self.hehua, Shelf.amlodipine) == before)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM medicine_orders") == 0)
            #expect(try await app.decide(credential, "reinstate", token: regulator, reason: "整改完成").status == .ok)
            #expect(try await offered())
        }
    }

    @Test("a suspended pharmacist reviews no prescription, and the prescription waits unchanged")
    func suspendedPharmacist() async throws {
        try await withApp { app in
            let pharmacist = try await app.signIn(PrescriptionFlowTests.reviewer)
            let credential = try await app.aSubmittedCredential(pharmacist, kind: .pharmacist)
            let regulator = try await app.signIn(Demo.regulatorPhone)
            #expect(try await app.decide(credential, "approve", token: regulator).status == .ok)
            #expect(try await app.decide(credential, "suspend", token: regulator, reason: "审方记录造假").status == .ok)
            let (consultation, _, doctor) = try await app.anAcceptedConsultation()
            let draft = try await app.send(.post, "/api/v1/consultations/\(consultation)/prescriptions", token: doctor, json: [
                "diagnosis": "I10", "items": [anItem(Shelf.amlodipine, dose: 5)],
            ])
            let id = try #require(draft.string("id"))
            #expect(try await app.send(.post, "/api/v1/prescriptions/\(id)/sign", token: doctor).status == .ok)
            let review = try await app.send(.post, "/api/v1/prescriptions/\(id)/review", token: pharmacist, json: ["decision": "approve"])
            #expect(review.status == .forbidden)
            #expect(review.errorCode == "pharmacist_suspended")
            #expect(try await app.send(.get, "/api/v1/prescriptions/\(id)", token: doctor).string("state") == "signed")
        }
    }

    @Test("the expiry job reminds the holder and the region's regulator 30 days before, and suspends on the day, each once even when run twice")
    func licenceExpiry() async throws {
        try await withApp { app in
            try await app.holdJobLease("licence-expiry")
            let doctor = try await app.signIn(Demo.doctorPhone)
            let expiresOn = CalendarDate.shanghai(app.clock.now()).adding(days: 40)
            let credential = try await app.aSubmittedCredential(doctor, expiresOn: expiresOn)
            let regulator = try await app.signIn(Demo.regulatorPhone)
            #expect(try await app.decide(credential, "approve", token: regulator).status == .ok)
            let credentials = app.services.stores.credentials
            let run = { @Sendable () async throws -> LicenceExpiryRun in
                try await credentials.runLicenceExpiry(context: AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil,
                                                                             requestId: "test", at: app.clock.now()))
            }
            let reminders = "SELECT COUNT(*) AS n FROM notifications WHERE kind = 'licenceExpiring'"
            #expect(try await run() == LicenceExpiryRun(reminded: 0, suspended: 0))
            app.clock.advance(by: 9 * 86_400)       // 31 days before
            #expect(try await run() == LicenceExpiryRun(reminded: 0, suspended: 0))
            app.clock.advance(by: 86_400)           // 30 days before
            #expect(try await run() == LicenceExpiryRun(reminded: 1, suspended: 0))
            #expect(try await run() == LicenceExpiryRun(reminded: 0, suspended: 0))
            #expect(try await app.count(SQLQueryString(stringLiteral: reminders)) == 2)
            for (phone, role) in [(Demo.doctorPhone, "holder"), (Demo.regulatorPhone, "regulator")] {
                let inbox = try await app.send(.get, "/api/v1/notifications", token: try await app.signIn(phone))
                #expect(inbox.items.filter { $0["kind"] as? String == "licenceExpiring" }.count == 1, "\(role)")
            }
            app.clock.advance(by: 29 * 86_400)      // the day before
            #expect(try await run() == LicenceExpiryRun(reminded: 0, suspended: 0))
            #expect(try await app.qualification(of: Self.cardiologist) == "approved")
            app.clock.advance(by: 86_400)           // the day
            #expect(try await run() == LicenceExpiryRun(reminded: 0, suspended: 1))
            #expect(try await run() == LicenceExpiryRun(reminded: 0, suspended: 0))
            #expect(try await app.qualification(of: Self.cardiologist) == "suspended")
            #expect(try await app.count(SQLQueryString(stringLiteral: reminders)) == 2)
            let shown = try await app.send(.get, "/api/v1/supervision/credentials/\(credential)", token: try await app.signIn(Demo.regulatorPhone))
            let last = (shown.json["decisions"] as? [[String: Any]])?.last
            #expect(last?["decision"] as? String == "suspend")
            #expect((last?["reason"] as? String)?.contains(expiresOn.description) == true)
            #expect(last?["decidedBy"] == nil)
        }
    }
}
