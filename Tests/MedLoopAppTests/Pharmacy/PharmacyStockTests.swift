import Foundation
import HTTPTypes
import HummingbirdTesting
import MedLoopDomain
import MedLoopStore
import MedLoopTestSupport
import NIOCore
import SQLKit
import Testing

/// One drug's stock row at a pharmacy, as the database holds it.
struct StockRowRead: Equatable, Sendable, CustomStringConvertible {
    var onHand: Int
    var reserved: Int
    var priceFen: Int64

    var description: String { "\(onHand) on hand, \(reserved) reserved, \(priceFen) fen" }
}

extension Harness {
    /// Posts a stock list as a pharmacy's system would: the CSV bytes themselves, as `text/csv`.
    func postStockList(_ body: ByteBuffer, token: String) async throws -> Reply {
        let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "text/csv; charset=utf-8"]
        let response = try await client.executeRequest(uri: "/api/v1/pharmacies/me/stock/import", method: .post,
                                                       headers: headers, body: body)
        return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    func postStockList(_ csv: String, token: String) async throws -> Reply {
        try await postStockList(ByteBuffer(string: csv), token: token)
    }

    /// The stock row of `drug` at `pharmacy` with its price, or nil when the pharmacy has none.
    func stockRow(_ pharmacy: UUID, _ drug: UUID) async throws -> StockRowRead? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT on_hand, reserved, price_fen FROM pharmacy_stock
                WHERE pharmacy_id = \(bind: pharmacy.text) AND drug_id = \(bind: drug.text)
                """).first().map { row in
                StockRowRead(onHand: try row.decode(column: "on_hand", as: Int.self),
                             reserved: try row.decode(column: "reserved", as: Int.self),
                             priceFen: try row.decode(column: "price_fen", as: Int64.self))
            }
        }
    }

    /// The drugs `pharmacy` holds, as the database has them.
    func stockedDrugs(_ pharmacy: UUID) async throws -> Set<UUID> {
        try await database.read { sql in
            Set(try await sql.raw("SELECT drug_id FROM pharmacy_stock WHERE pharmacy_id = \(bind: pharmacy.text)")
                .all().compactMap { UUID(uuidString: try $0.decode(column: "drug_id", as: String.self)) })
        }
    }

    /// Every row of the caller's stock list, read page by page at the largest limit.
    func wholeStockList(token: String) async throws -> [UUID: [String: Any]] {
        var rows: [UUID: [String: Any]] = [:]
        var cursor: String?
        for _ in 0..<20 {
            let query = cursor.map { "?limit=100&cursor=\($0)" } ?? "?limit=100"
            let page = try await send(.get, "/api/v1/pharmacies/me/stock\(query)", token: token)
            #expect(page.status == .ok, "\(page.text)")
            for item in page.items {
                guard let id = (item["drugId"] as? String).flatMap(UUID.init(uuidString:)) else { continue }
                rows[id] = item
            }
            cursor = page.json["nextCursor"] as? String
            if cursor == nil { break }
        }
        return rows
    }
}

/// A refusal of an import as `line productCode code` (`-` when the row named no product).
private func refusals(_ reply: Reply) -> [String] {
    (reply.json["refused"] as? [[String: Any]] ?? []).map { refusal in
        let line = refusal["line"] as? Int ?? 0
        let product = refusal["productCode"] as? String ?? "-"
        return "\(line) \(product) \(refusal["code"] as? String ?? "?")"
    }
}

/// The `field/code` of each detail of a 400.
private func details(_ reply: Reply) -> [String] {
    zip(reply.errorFields, reply.errorDetailCodes).map { "\($0)/\($1)" }
}

/// A bad body for setting one drug's stock, and the field (and detail code, when the rule fixes
/// one) it is refused on.
private struct BadStockBody {
    var what: String
    var body: [String: Any]
    var fields: [String]
    var code: String?
}

@Suite("Pharmacy stock: staff list it, set it, import it as CSV; nobody else sees or changes it")
struct PharmacyStockTests {
    static let hehua = DemoWorld.Institutions.pharmacies[0]      // stocks every drug that is not controlled
    static let xinqiao = DemoWorld.Institutions.pharmacies[1]    // skips product codes divisible by 3
    static let staffOfHehua = "13700000011"
    static let staffOfXinqiao = "13700000012"
    static let pharmacistOfHehua = "13700000003"
    static let courier = "13700000021"
    static let clarithromycin = Shelf.clarithromycin             // 8200071: at Hehua Road, not at Xinqiao
    static let levamlodipine = Drug.id(productCode: "8100003")
    static let nifedipine = Drug.id(productCode: "8100006")
    static let path = "/api/v1/pharmacies/me/stock"

    static func stockPath(_ drug: UUID) -> String { "\(path)/\(drug.text)" }

    @Test("a pharmacy's staff page through its whole stock by limit and cursor: each drug once, the last page's nextCursor null")
    func paging() async throws {
        try await withApp { app in
            let staff = try await app.signIn(Self.staffOfXinqiao)
            let stocked = try await app.stockedDrugs(Self.xinqiao)
            #expect(stocked.count > 200, "the demo pharmacy should need several pages")
            var seen: [UUID] = []
            var cursor: String?
            var pages = 0
            repeat {
                let query = cursor.map { "?limit=100&cursor=\($0)" } ?? "?limit=100"
                let page = try await app.send(.get, "\(Self.path)\(query)", token: staff)
                #expect(page.status == .ok)
                seen += page.items.compactMap { ($0["drugId"] as? String).flatMap(UUID.init(uuidString:)) }
                cursor = page.json["nextCursor"] as? String
                if cursor != nil {
                    #expect(page.items.count == 100)
                } else {
                    #expect(page.json["nextCursor"] is NSNull, "the last page says null, not nothing: \(page.text.suffix(40))")
                    #expect((1...100).contains(page.items.count))
                }
                pages += 1
            } while cursor != nil && pages < 20
            #expect(seen.count == stocked.count)
            #expect(Set(seen).count == seen.count, "a drug came twice")
            #expect(Set(seen) == stocked)
            #expect(pages == (stocked.count + 99) / 100)

            // Twenty by default; the next page takes up where the first left off.
            let first = try await app.send(.get, Self.path, token: staff)
            #expect(first.items.count == 20)
            let next = try #require(first.json["nextCursor"] as? String)
            let second = try await app.send(.get, "\(Self.path)?limit=7&cursor=\(next)", token: staff)
            let firstIds = first.items.compactMap { ($0["drugId"] as? String).flatMap(UUID.init(uuidString:)) }
            let secondIds = second.items.compactMap { ($0["drugId"] as? String).flatMap(UUID.init(uuidString:)) }
            #expect(firstIds + secondIds == Array(seen.prefix(27)))
            let item = try #require(first.items.first)
            #expect(item["productCode"] is String && item["genericNameZh"] is String)
            #expect(item["available"] as? Int == (item["onHand"] as? Int ?? 0) - (item["reserved"] as? Int ?? 0))

            for query in ["?limit=0", "?limit=101", "?limit=ten"] {
                let bad = try await app.send(.get, "\(Self.path)\(query)", token: staff)
                #expect(bad.status == .badRequest, "\(query)")
                #expect(bad.isStandardError)
                #expect(bad.errorFields == ["limit"])
            }
            let badCursor = try await app.send(.get, "\(Self.path)?cursor=!!!", token: staff)
            #expect(badCursor.status == .badRequest)
            #expect(badCursor.errorFields == ["cursor"])
        }
    }

    @Test("staff set a drug's count and price; the reply, the list and the database show them, and the change is audited")
    func setCountAndPrice() async throws {
        try await withApp { app in
            let staff = try await app.signIn(Self.staffOfHehua)
            let reply = try await app.send(.put, Self.stockPath(Shelf.amlodipine), token: staff, json: ["onHand": 42, "priceFen": 1650])
            #expect(reply.status == .ok, "\(reply.text)")
            #expect((reply.string("drugId")).flatMap(UUID.init(uuidString:)) == Shelf.amlodipine)
            #expect(reply.string("productCode") == "8100002")
            #expect(reply.json["onHand"] as? Int == 42)
            #expect(reply.json["reserved"] as? Int == 0)
            #expect(reply.json["available"] as? Int == 42)
            #expect(reply.json["priceFen"] as? Int == 1650)
            #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine) == StockRowRead(onHand: 42, reserved: 0, priceFen: 1650))
            let listed = try #require(try await app.wholeStockList(token: staff)[Shelf.amlodipine])
            #expect(listed["onHand"] as? Int == 42)
            #expect(listed["priceFen"] as? Int == 1650)
            #expect(try await app.auditCount(action: "pharmacy.stock.set", outcome: .success) == 1)

            // Zero on hand is a count like any other.
            let empty = try await app.send(.put, Self.stockPath(Shelf.amlodipine), token: staff, json: ["onHand": 0, "priceFen": 1650])
            #expect(empty.status == .ok)
            #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine) == StockRowRead(onHand: 0, reserved: 0, priceFen: 1650))

            // A pharmacist of the pharmacy keeps its stock too.
            let pharmacist = try await app.signIn(Self.pharmacistOfHehua)
            let byPharmacist = try await app.send(.put, Self.stockPath(Shelf.amlodipine), token: pharmacist,
                                                  json: ["onHand": 9, "priceFen": 1700])
            #expect(byPharmacist.status == .ok, "\(byPharmacist.text)")
            #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine) == StockRowRead(onHand: 9, reserved: 0, priceFen: 1700))
        }
    }

    @Test("a bad count, price or drug is a 400 on its field in the standard shape, and the row stays as it was")
    func badInput() async throws {
        try await withApp { app in
            let staff = try await app.signIn(Self.staffOfHehua)
            let before = try #require(try await app.stockRow(Self.hehua, Shelf.amlodipine))
            let price = Int(before.priceFen)
            let cases: [BadStockBody] = [
                BadStockBody(what: "a negative count", body: ["onHand": -1, "priceFen": price], fields: ["onHand"], code: "negative"),
                BadStockBody(what: "a price of zero", body: ["onHand": 5, "priceFen": 0], fields: ["priceFen"], code: "not_positive"),
                BadStockBody(what: "a negative price", body: ["onHand": 5, "priceFen": -100], fields: ["priceFen"], code: "not_positive"),
                BadStockBody(what: "both at once", body: ["onHand": -3, "priceFen": 0], fields: ["onHand", "priceFen"], code: nil),
                BadStockBody(what: "a count as text", body: ["onHand": "5", "priceFen": price], fields: ["onHand"], code: "wrong_type"),
                BadStockBody(what: "a fractional count", body: ["onHand": 2.5, "priceFen": price], fields: ["onHand"], code: nil),
                BadStockBody(what: "a fractional price", body: ["onHand": 5, "priceFen": 17.5], fields: ["priceFen"], code: nil),
                BadStockBody(what: "no price", body: ["onHand": 5], fields: ["priceFen"], code: "required"),
                BadStockBody(what: "a null count", body: ["onHand": NSNull(), "priceFen": price], fields: ["onHand"], code: "required"),
            ]
            for bad in cases {
                let reply = try await app.send(.put, Self.stockPath(Shelf.amlodipine), token: staff, json: bad.body)
                #expect(reply.status == .badRequest, "\(bad.what): \(reply.text)")
                #expect(reply.isStandardError, "\(bad.what)")
                #expect(reply.errorCode == "invalid_request", "\(bad.what)")
                #expect(reply.errorFields == bad.fields, "\(bad.what): \(reply.text)")
                if let code = bad.code { #expect(reply.errorDetailCodes == [code], "\(bad.what): \(reply.text)") }
                #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine) == before, "\(bad.what) changed the row")
            }

            let unknown = UUID.named("drug:not-in-the-catalogue")
            let reply = try await app.send(.put, Self.stockPath(unknown), token: staff, json: ["onHand": 5, "priceFen": 100])
            #expect(reply.status == .badRequest, "\(reply.text)")
            #expect(reply.isStandardError)
            #expect(details(reply) == ["drugId/unknown_drug"])
            #expect(try await app.stockRow(Self.hehua, unknown) == nil)
            #expect(try await app.auditCount(action: "pharmacy.stock.set", outcome: .success) == 0)
        }
    }

    @Test("on hand may not go below what is reserved for orders, by hand or by import; down to it is fine")
    func belowReserved() async throws {
        try await withApp { app in
            let (prescription, patient, _) = try await app.anApprovedPrescription()
            let before = try #require(try await app.stockRow(Self.hehua, Shelf.amlodipine))
            let reserved = try await app.send(.post, "/api/v1/prescriptions/\(prescription)/medicine-orders", token: patient, json: [
                "pharmacyId": Self.hehua.text, "mode": "pickup", "lat": 28.9650, "lon": 118.8720,
            ], headers: ConsultationRoutesTests.key())
            #expect(reserved.status == .created, "\(reserved.text)")
            let held = try #require(try await app.stockRow(Self.hehua, Shelf.amlodipine))
            #expect(held.reserved == before.reserved + 1)
            #expect(held.reserved >= 1)

            let staff = try await app.signIn(Self.staffOfHehua)
            let below = try await app.send(.put, Self.stockPath(Shelf.amlodipine), token: staff,
                                           json: ["onHand": held.reserved - 1, "priceFen": Int(held.priceFen)])
            #expect(below.status == .badRequest, "\(below.text)")
            #expect(below.isStandardError)
            #expect(details(below) == ["onHand/below_reserved"])
            #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine) == held)

            let imported = try await app.postStockList("productCode,onHand,priceFen\n8100002,\(held.reserved - 1),1500\n", token: staff)
            #expect(imported.status == .ok, "\(imported.text)")
            #expect(imported.json["applied"] as? Int == 0)
            #expect(refusals(imported) == ["2 8100002 below_reserved"])
            #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine) == held)

            let down = try await app.send(.put, Self.stockPath(Shelf.amlodipine), token: staff,
                                          json: ["onHand": held.reserved, "priceFen": 1500])
            #expect(down.status == .ok, "\(down.text)")
            #expect(down.json["available"] as? Int == 0)
            #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine)
                    == StockRowRead(onHand: held.reserved, reserved: held.reserved, priceFen: 1500))
        }
    }

    @Test("a patient, a courier or a doctor asking for a pharmacy's stock gets 403, each denial audited, nothing changed")
    func othersAreDenied() async throws {
        try await withApp { app in
            let before = try await app.stockRow(Self.hehua, Shelf.amlodipine)
            let phones = [Demo.patientPhone, Self.courier, Demo.doctorPhone]
            for phone in phones {
                let token = try await app.signIn(phone)
                let list = try await app.send(.get, Self.path, token: token)
                #expect(list.status == .forbidden, "\(phone): \(list.text)")
                #expect(list.isStandardError)
                #expect(list.errorCode == "forbidden")
                let set = try await app.send(.put, Self.stockPath(Shelf.amlodipine), token: token, json: ["onHand": 1, "priceFen": 1])
                #expect(set.status == .forbidden, "\(phone): \(set.text)")
                #expect(set.isStandardError)
                let imported = try await app.postStockList("productCode,onHand,priceFen\n8100002,1,1\n", token: token)
                #expect(imported.status == .forbidden, "\(phone): \(imported.text)")
                #expect(imported.isStandardError)
            }
            #expect(try await app.auditCount(action: "pharmacy.stock.read", outcome: .denied) == phones.count)
            #expect(try await app.auditCount(action: "pharmacy.stock.set", outcome: .denied) == phones.count)
            #expect(try await app.auditCount(action: "pharmacy.stock.import", outcome: .denied) == phones.count)
            #expect(try await app.auditCount(action: "pharmacy.stock.set", outcome: .success) == 0)
            #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine) == before)

            let anonymous = try await app.send(.get, Self.path)
            #expect(anonymous.status == .unauthorized)
            let anonymousSet = try await app.send(.put, Self.stockPath(Shelf.amlodipine), json: ["onHand": 1, "priceFen": 1])
            #expect(anonymousSet.status == .unauthorized)
            #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine) == before)
        }
    }

    @Test("a stock list applies its good rows and reports each refused row with its line and code; refused rows change nothing")
    func importList() async throws {
        try await withApp { app in
            let staff = try await app.signIn(Self.staffOfHehua)
            let drugs = [Shelf.amlodipine, Self.levamlodipine, Self.nifedipine, Shelf.metformin, Shelf.simvastatin]
            var before: [UUID: StockRowRead] = [:]
            for drug in drugs { before[drug] = try await app.stockRow(Self.hehua, drug) }
            let csv = """
                productCode,onHand,priceFen\r
                8100002,30,1700\r
                8999999,5,100\r
                8100003,-2,2800\r
                8100006,lots,600\r
                8100064,9,0\r
                "8100118","11","990"\r

                """
            let reply = try await app.postStockList(csv, token: staff)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["applied"] as? Int == 2)
            let expected: [String] = ["3 8999999 unknown_product", "4 8100003 negative", "5 - on_hand", "6 8100064 not_positive"]
            #expect(refusals(reply) == expected)

            let amlodipine = try #require(before[Shelf.amlodipine])
            let simvastatin = try #require(before[Shelf.simvastatin])
            #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine)
                    == StockRowRead(onHand: 30, reserved: amlodipine.reserved, priceFen: 1700))
            #expect(try await app.stockRow(Self.hehua, Shelf.simvastatin)
                    == StockRowRead(onHand: 11, reserved: simvastatin.reserved, priceFen: 990))
            for drug in [Self.levamlodipine, Self.nifedipine, Shelf.metformin] {
                #expect(try await app.stockRow(Self.hehua, drug) == before[drug], "a refused row changed \(drug)")
            }
            let listed = try await app.wholeStockList(token: staff)
            #expect(listed[Shelf.amlodipine]?["onHand"] as? Int == 30)
            #expect(listed[Shelf.amlodipine]?["priceFen"] as? Int == 1700)
            #expect(listed[Shelf.simvastatin]?["onHand"] as? Int == 11)
            #expect(listed[Shelf.simvastatin]?["priceFen"] as? Int == 990)
            #expect(try await app.auditCount(action: "pharmacy.stock.set", outcome: .success) == 2)
        }
    }

    @Test("a stock list without its columns, with an open quote, of 5001 rows or not UTF-8 is a 400 on file and applies nothing")
    func importRefusedWhole() async throws {
        try await withApp { app in
            let staff = try await app.signIn(Self.staffOfHehua)
            let before = try await app.stockRow(Self.hehua, Shelf.amlodipine)
            let tooMany = (["productCode,onHand,priceFen"] + Array(repeating: "8100002,1,1700", count: 5001)).joined(separator: "\n")
            let texts: [(String, String, String)] = [
                ("no priceFen column", "productCode,onHand\n8100002,1\n", "file/header"),
                ("an empty body", "", "file/header"),
                ("an open quote", "productCode,onHand,priceFen\n8100002,3,1700\n8100064,\"4,100\n", "file/unclosed_quote"),
                ("5001 rows", tooMany, "file/too_many_rows"),
            ]
            for (what, text, issue) in texts {
                let reply = try await app.postStockList(text, token: staff)
                #expect(reply.status == .badRequest, "\(what): \(reply.text)")
                #expect(reply.isStandardError, "\(what)")
                #expect(details(reply) == [issue], "\(what): \(reply.text)")
            }
            let latin1 = ByteBuffer(bytes: Array("productCode,onHand,priceFen\n8100002,1,1700,".utf8) + [0xC4, 0xE3, 0xBA, 0xC3, 0x0A])
            let notUTF8 = try await app.postStockList(latin1, token: staff)
            #expect(notUTF8.status == .badRequest, "\(notUTF8.text)")
            #expect(details(notUTF8) == ["file/encoding"])
            #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine) == before)
            #expect(try await app.auditCount(action: "pharmacy.stock.set", outcome: .success) == 0)
        }
    }

    @Test("one pharmacy's staff never see or change another pharmacy's stock, by hand or by import")
    func pharmaciesAreSeparate() async throws {
        try await withApp { app in
            let ofHehua = try await app.signIn(Self.staffOfHehua)
            let ofXinqiao = try await app.signIn(Self.staffOfXinqiao)
            let seenByXinqiao = try await app.wholeStockList(token: ofXinqiao)
            let xinqiaoDrugs = try await app.stockedDrugs(Self.xinqiao)
            let hehuaDrugs = try await app.stockedDrugs(Self.hehua)
            #expect(Set(seenByXinqiao.keys) == xinqiaoDrugs)
            #expect(seenByXinqiao[Self.clarithromycin] == nil)
            let seenByHehua = try await app.wholeStockList(token: ofHehua)
            #expect(Set(seenByHehua.keys) == hehuaDrugs)
            #expect(seenByHehua[Self.clarithromycin] != nil)

            let hehuaAmlodipine = try #require(try await app.stockRow(Self.hehua, Shelf.amlodipine))
            let hehuaClarithromycin = try #require(try await app.stockRow(Self.hehua, Self.clarithromycin))
            let set = try await app.send(.put, Self.stockPath(Shelf.amlodipine), token: ofXinqiao, json: ["onHand": 3, "priceFen": 1500])
            #expect(set.status == .ok, "\(set.text)")
            #expect(try await app.stockRow(Self.xinqiao, Shelf.amlodipine)?.onHand == 3)
            #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine) == hehuaAmlodipine)

            let imported = try await app.postStockList("productCode,onHand,priceFen\n8100002,4,1400\n8200071,6,2900\n", token: ofXinqiao)
            #expect(imported.json["applied"] as? Int == 2, "\(imported.text)")
            #expect(try await app.stockRow(Self.xinqiao, Self.clarithromycin) == StockRowRead(onHand: 6, reserved: 0, priceFen: 2900))
            #expect(try await app.stockRow(Self.hehua, Self.clarithromycin) == hehuaClarithromycin)
            #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine) == hehuaAmlodipine)

            let hehuaNow = try await app.wholeStockList(token: ofHehua)
            #expect(hehuaNow[Shelf.amlodipine]?["onHand"] as? Int == hehuaAmlodipine.onHand)
            #expect(hehuaNow[Shelf.amlodipine]?["priceFen"] as? Int == Int(hehuaAmlodipine.priceFen))
            #expect(hehuaNow[Self.clarithromycin]?["onHand"] as? Int == hehuaClarithromycin.onHand)
            #expect(Set(hehuaNow.keys) == Set(seenByHehua.keys))
            // Xinqiao now holds clarithromycin, and its staff see it.
            #expect(try await app.wholeStockList(token: ofXinqiao)[Self.clarithromycin]?["onHand"] as? Int == 6)
        }
    }

    @Test("a count too large for the database is refused on onHand or kept exactly, never a server error")
    func hugeCount() async throws {
        try await withApp { app in
            let staff = try await app.signIn(Self.staffOfHehua)
            let before = try await app.stockRow(Self.hehua, Shelf.amlodipine)
            let huge = 3_000_000_000
            let reply = try await app.send(.put, Self.stockPath(Shelf.amlodipine), token: staff, json: ["onHand": huge, "priceFen": 1700])
            if reply.status == .ok {
                #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine)?.onHand == huge)
            } else {
                #expect(reply.status == .badRequest, "\(reply.status): \(reply.text)")
                #expect(reply.errorFields == ["onHand"], "\(reply.text)")
                #expect(try await app.stockRow(Self.hehua, Shelf.amlodipine) == before)
            }
            let imported = try await app.postStockList("productCode,onHand,priceFen\n8100064,\(huge),1000\n8100118,5,990\n", token: staff)
            #expect(imported.status == .ok, "\(imported.status): \(imported.text)")
            #expect(try await app.stockRow(Self.hehua, Shelf.simvastatin)?.onHand == 5, "a good row was lost with the huge one")
        }
    }
}

@Suite("A pharmacy's profile, set by its staff")
struct PharmacyProfileTests {
    @Test("staff set where their pharmacy is and how it hands medicine over; bad hours, modes and radius are refused")
    func setProfile() async throws {
        try await withApp { app in
            let staff = try await app.signIn("13700000013")
            let before = try await app.send(.get, "/api/v1/pharmacies/me/profile", token: staff)
            #expect(before.status == .ok)
            #expect(before.json["modes"] as? [String] == ["b2c", "pickup"])
            let set = try await app.send(.put, "/api/v1/pharmacies/me/profile", token: staff, json: [
                "latitude": 28.94, "longitude": 118.93, "opensAt": 480, "closesAt": 1260, "modes": ["o2o", "pickup"],
                "deliveryRadiusKm": 4,
            ])
            #expect(set.status == .ok)
            #expect(set.json["modes"] as? [String] == ["o2o", "pickup"])
            #expect(set.json["insuranceDesignated"] as? Bool == false)
            let bad: [([String: Any], String)] = [
                (["latitude": 28.94, "longitude": 118.93, "opensAt": 1200, "closesAt": 480, "modes": ["pickup"], "deliveryRadiusKm": 0], "closesAt"),
                (["latitude": 28.94, "longitude": 118.93, "opensAt": 480, "closesAt": 1260, "modes": [], "deliveryRadiusKm": 0], "modes"),
                (["latitude": 28.94, "longitude": 118.93, "opensAt": 480, "closesAt": 1260, "modes": ["o2o"], "deliveryRadiusKm": 0],
                 "deliveryRadiusKm"),
                (["latitude": 95, "longitude": 118.93, "opensAt": 480, "closesAt": 1260, "modes": ["pickup"], "deliveryRadiusKm": 0], "lat"),
            ]
            for (body, field) in bad {
                let reply = try await app.send(.put, "/api/v1/pharmacies/me/profile", token: staff, json: body)
                #expect(reply.status == .badRequest)
                let details = (reply.json["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []
                #expect(details.contains { $0["field"] as? String == field }, "\(reply.text)")
            }
            #expect(try await app.send(.get, "/api/v1/pharmacies/me/profile", token: staff).json["modes"] as? [String] == ["o2o", "pickup"])
            let pharmacist = try await app.signIn("13700000001")   // of the internet hospital, not a pharmacy
            #expect(try await app.send(.put, "/api/v1/pharmacies/me/profile", token: pharmacist, json: [
                "latitude": 28.94, "longitude": 118.93, "opensAt": 480, "closesAt": 1260, "modes": ["pickup"], "deliveryRadiusKm": 0,
            ]).status == .forbidden)
        }
    }
}
