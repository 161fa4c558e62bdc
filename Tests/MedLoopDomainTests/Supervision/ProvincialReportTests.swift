import Crypto
import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

@Suite("Provincial report: one canonical record a line, the file's hash signed with the platform key")
struct ProvincialReportTests {
    static let day = CalendarDate(year: 2026, month: 3, day: 2)!
    static let region = try! RegionCode("330800")
    static let noon = Date(timeIntervalSince1970: 1_772_424_000)  // 2026-03-02T04:00:00Z, 12:00 in Shanghai

    static func aReport() -> ProvincialReport {
        let id = UUID(uuidString: "019c9a00-0000-7000-8000-000000000001")!
        return ProvincialReport(region: region, day: day, records: [
            .consultation(.init(id: id, institutionId: id, doctorId: id, patientId: id, service: "textPackage", state: "completed",
                                queuedAt: noon, acceptedAt: noon, completedAt: nil, diagnosis: "J45.9")),
            .prescription(.init(id: id, consultationId: id, institutionId: id, doctorAccountId: id, patientId: id, diagnosis: "J45.9",
                                state: "dispensed", signedAt: noon, documentHash: "ab", reviewerAccountId: id, reviewedAt: noon,
                                items: [.init(drugId: id, quantity: 1)])),
            .dispense(.init(orderId: id, prescriptionId: id, pharmacyId: id, mode: "o2o", totalFen: 3550, dispensedAt: noon,
                            codes: ["81001710000000000001"])),
            .settlement(.init(id: id, kind: "settlement", institutionId: id, orderId: nil, medicineOrderId: id, region: "330800",
                              scheme: "employee", totalFen: 3550, fundFen: 2100, personalAccountFen: 1450, cashFen: 0, createdAt: noon)),
        ])
    }

    @Test("the file is a header and one canonical JSON record a line, counted by type, with no field of a person but ids")
    func shape() throws {
        let report = Self.aReport()
        let lines = report.ndjson().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 6)
        #expect(lines.last == "")
        #expect(lines[0] == #"{"counts":{"consultation":1,"dispense":1,"prescription":1,"settlement":1},"day":"2026-03-02","format":"medloop-provincial-report/1","region":"330800","type":"header"}"#)
        #expect(lines[3] == #"{"codes":["81001710000000000001"],"dispensedAt":"2026-03-02T12:00:00+08:00","mode":"o2o","orderId":"019C9A00-0000-7000-8000-000000000001","pharmacyId":"019C9A00-0000-7000-8000-000000000001","prescriptionId":"019C9A00-0000-7000-8000-000000000001","totalFen":3550,"type":"dispense"}"#)
        let types = try lines.dropFirst().dropLast().map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for key in object.keys { #expect(!["name", "phone", "nationalId", "address"].contains(key)) }
            return object["type"] as? String
        }
        #expect(types == ["consultation", "prescription", "dispense", "settlement"])
        #expect(report.ndjson() == Self.aReport().ndjson())
        #expect(report.baseName == "report-330800-2026-03-02")
    }

    @Test("an Asia/Shanghai day runs from 16:00 UTC the day before to 16:00 UTC")
    func window() {
        let (start, end) = ProvincialReport.window(of: Self.day)
        #expect(start.timeIntervalSince1970 == 1_772_380_800)  // 2026-03-01T16:00:00Z
        #expect(end.timeIntervalSince1970 == 1_772_467_200)    // 2026-03-02T16:00:00Z
        #expect(Timestamp.format(start) == "2026-03-02T00:00:00+08:00")
    }

    @Test("a signed file verifies under the platform key, and not with another key registered or after any edit")
    func signing() throws {
        let key = P256.Signing.PrivateKey()
        let file = Data(Self.aReport().ndjson().utf8)
        let signature = try ReportSigning.sign(file, name: "report-330800-2026-03-02.ndjson", key: key, at: Self.noon)
        #expect(signature.sha256 == Hashing.sha256Hex(file))
        #expect(ReportSigning.problems(file, signature: signature, trustedKey: key.publicKey.pemRepresentation).isEmpty)
        #expect(ReportSigning.problems(file, signature: signature,
                                       trustedKey: P256.Signing.PrivateKey().publicKey.pemRepresentation)
                == ["the key is not the platform's registered key"])
        var edited = file
        edited[edited.count - 2] = UInt8(ascii: "]")
        #expect(ReportSigning.problems(edited, signature: signature)
                == ["the file does not match its hash", "the signature does not match the file"])
        var swapped = signature
        swapped.publicKey = P256.Signing.PrivateKey().publicKey.pemRepresentation
        #expect(ReportSigning.problems(file, signature: swapped) == ["the signature does not match the file"])
    }

    @Test("changing any one byte of a signed file makes it fail verification")
    func anyByteEdited() async throws {
        let key = P256.Signing.PrivateKey()
        let file = Data(Self.aReport().ndjson().utf8)
        let signature = try ReportSigning.sign(file, name: "r.ndjson", key: key, at: Self.noon)
        await propertyCheck(input: Gen.int(in: 0...(file.count - 1)), Gen.int(in: 1...255)) { position, delta in
            var edited = file
            edited[position] = edited[position] &+ UInt8(delta)
            #expect(!ReportSigning.problems(edited, signature: signature).isEmpty)
        }
    }
}
