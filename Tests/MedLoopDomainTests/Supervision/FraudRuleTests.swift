import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// Fixtures of the fraud rules: ids by name, instants by hours after a fixed start.
private enum F {
    static let start = Date(timeIntervalSince1970: 1_790_000_000)
    static func at(hours: Double) -> Date { start.addingTimeInterval(hours * 3600) }
    static func id(_ name: String) -> UUID { UUID.named("fraud-test:\(name)") }
    static let quzhou = try! RegionCode("330802")
    static let hangzhou = try! RegionCode("330106")
    static let quzhouCounty = try! RegionCode("330803")
    static let on = RuleSwitch(enabled: true, severity: .high)
    static let off = RuleSwitch(enabled: false, severity: .high)

    static func visit(_ name: String, in region: RegionCode, hours: Double, person: String = "person") -> SettlementVisit {
        SettlementVisit(settlementId: id(name), insuredPersonId: id(person), patientId: id("patient-\(person)"),
                        institutionRegion: region, at: at(hours: hours))
    }

    static func fill(_ prescription: String, doctor: String = "doctor-1", drug: String = "drug", patient: String = "patient",
                     days: Int = 7, hours: Double) -> SupplyFill {
        SupplyFill(prescriptionId: id(prescription), patientId: id(patient), doctorId: id(doctor), drugId: id(drug),
                   signedAt: at(hours: hours), days: days, quantity: 1)
    }
}

struct SettlementInTwoCitiesTests {
    let rule = SettlementInTwoCitiesRule(F.on, windowHours: 6)

    @Test("settlements of one insured person in Quzhou and Hangzhou 2 hours apart raise one alert naming both cities")
    func twoCitiesFire() throws {
        let draft = try #require(rule.evaluate(F.visit("b", in: F.hangzhou, hours: 2), earlier: [F.visit("a", in: F.quzhou, hours: 0)]))
        #expect(draft.rule == "settlementInTwoCities")
        #expect(draft.severity == .high)
        #expect(draft.evidence["firstCity"] == "330800")
        #expect(draft.evidence["secondCity"] == "330100")
        #expect(draft.evidence["hoursApart"] == "2")
        #expect(draft.region == F.hangzhou)
        #expect(draft.entities.contains(AlertEntity(type: "insured_person", id: F.id("person"))))
        #expect(draft.caseKey.hasPrefix("settlementInTwoCities:\(F.id("person").text):"))
    }

    struct Silent: Sendable, CustomTestStringConvertible {
        var name: String
        var earlier: [SettlementVisit]
        var testDescription: String { name }
    }

    @Test("stays silent", arguments: [
        Silent(name: "two districts of one city (330802, 330803) an hour apart", earlier: [F.visit("a", in: F.quzhouCounty, hours: 1)]),
        Silent(name: "another city 7 hours before, outside the 6-hour window", earlier: [F.visit("a", in: F.hangzhou, hours: -5)]),
        Silent(name: "another insured person in another city", earlier: [F.visit("a", in: F.hangzhou, hours: 1, person: "other")]),
        Silent(name: "no earlier settlement", earlier: []),
    ])
    func silent(_ example: Silent) {
        #expect(rule.evaluate(F.visit("b", in: F.quzhou, hours: 2), earlier: example.earlier) == nil)
    }

    @Test("a disabled rule raises nothing on a crafted case")
    func disabled() {
        let off = SettlementInTwoCitiesRule(F.off, windowHours: 6)
        #expect(off.evaluate(F.visit("b", in: F.hangzhou, hours: 2), earlier: [F.visit("a", in: F.quzhou, hours: 0)]) == nil)
    }
}

struct EarlyRefillTests {
    let rule = EarlyRefillRule(F.on, minimumUsedPercent: 70)

    struct Case: Sendable, CustomTestStringConvertible {
        var previousDays: Int
        var hoursLater: Double
        var fires: Bool
        var usedPercent: String?
        var testDescription: String { "a \(previousDays)-day supply refilled \(hoursLater) hours later fires: \(fires)" }
    }

    @Test("a refill before 70 % of the previous supply is used fires; at or after 70 % it does not", arguments: [
        Case(previousDays: 30, hoursLater: 10 * 24, fires: true, usedPercent: "33.33"),
        Case(previousDays: 30, hoursLater: 20 * 24, fires: true, usedPercent: "66.67"),
        Case(previousDays: 30, hoursLater: 21 * 24, fires: false),
        Case(previousDays: 30, hoursLater: 28 * 24, fires: false),
        Case(previousDays: 7, hoursLater: 24, fires: true, usedPercent: "14.29"),
        Case(previousDays: 7, hoursLater: 5 * 24, fires: false),
    ])
    func table(_ example: Case) {
        let drafts = rule.evaluate([F.fill("new", hours: example.hoursLater)],
                                   earlier: [F.fill("old", days: example.previousDays, hours: 0)], region: F.quzhou)
        #expect(drafts.count == (example.fires ? 1 : 0))
        if let usedPercent = example.usedPercent {
            #expect(drafts.first?.evidence["usedPercent"] == usedPercent)
            #expect(drafts.first?.evidence["previousSupplyDays"] == String(example.previousDays))
        }
    }

    @Test("only the latest earlier fill of the same drug and patient counts")
    func latestFillOfSameDrug() {
        let earlier = [F.fill("long-ago", days: 30, hours: -40 * 24), F.fill("other-drug", drug: "other", days: 30, hours: 0),
                       F.fill("other-patient", patient: "someone", days: 30, hours: 0)]
        #expect(rule.evaluate([F.fill("new", days: 30, hours: 24)], earlier: earlier, region: F.quzhou).isEmpty)
        let recent = earlier + [F.fill("recent", days: 30, hours: -24)]
        let drafts = rule.evaluate([F.fill("new", days: 30, hours: 24)], earlier: recent, region: F.quzhou)
        #expect(drafts.map(\.caseKey) == ["earlyRefill:\(F.id("new").text):\(F.id("drug").text)"])
        #expect(drafts.first?.entities.contains(AlertEntity(type: "prescription", id: F.id("recent"))) == true)
    }
}

struct SameDrugSeveralDoctorsTests {
    let rule = SameDrugSeveralDoctorsRule(F.on, windowDays: 30, minimumDoctors: 3)

    @Test("the same drug from three doctors within 30 days fires once per patient and drug")
    func threeDoctors() throws {
        let earlier = [F.fill("a", doctor: "d1", hours: 0), F.fill("b", doctor: "d2", hours: 10 * 24)]
        let drafts = rule.evaluate([F.fill("c", doctor: "d3", hours: 20 * 24)], earlier: earlier, region: F.quzhou)
        let draft = try #require(drafts.first)
        #expect(drafts.count == 1)
        #expect(draft.evidence["doctors"] == "3")
        #expect(draft.evidence["prescriptions"] == "3")
        #expect(draft.caseKey == "sameDrugSeveralDoctors:\(F.id("patient").text):\(F.id("drug").text)")
    }

    @Test("two doctors, a third doctor 31 days before, or three doctors of different drugs stay silent", arguments: [
        [F.fill("a", doctor: "d1", hours: 0), F.fill("b", doctor: "d1", hours: 24)],
        [F.fill("a", doctor: "d1", hours: -11 * 24), F.fill("b", doctor: "d2", hours: 10 * 24)],
        [F.fill("a", doctor: "d1", drug: "x", hours: 0), F.fill("b", doctor: "d2", drug: "y", hours: 24)],
    ])
    func silent(_ earlier: [SupplyFill]) {
        #expect(rule.evaluate([F.fill("c", doctor: "d3", hours: 20 * 24)], earlier: earlier, region: F.quzhou).isEmpty)
    }
}

struct SplitPrescriptionTests {
    let rule = SplitPrescriptionRule(F.on, windowHours: 72, limitDays: 7, minimumPieces: 2)

    @Test("one doctor writing 7 and 7 days of a drug for one patient a day apart fires: 14 days over the 7-day limit")
    func splitFires() throws {
        let draft = try #require(rule.evaluate([F.fill("b", days: 7, hours: 24)], earlier: [F.fill("a", days: 7, hours: 0)],
                                               region: F.quzhou).first)
        #expect(draft.evidence["totalDays"] == "14")
        #expect(draft.evidence["prescriptions"] == "2")
        #expect(draft.caseKey.hasSuffix(":\(F.id("a").text)"))
    }

    struct Silent: Sendable, CustomTestStringConvertible {
        var name: String
        var current: SupplyFill
        var earlier: [SupplyFill]
        var testDescription: String { name }
    }

    @Test("stays silent", arguments: [
        Silent(name: "3 and 4 days: within the limit together", current: F.fill("b", days: 4, hours: 24), earlier: [F.fill("a", days: 3, hours: 0)]),
        Silent(name: "a second 7-day supply 4 days later, outside 72 hours", current: F.fill("b", days: 7, hours: 96), earlier: [F.fill("a", days: 7, hours: 0)]),
        Silent(name: "two doctors", current: F.fill("b", doctor: "d2", days: 7, hours: 24), earlier: [F.fill("a", days: 7, hours: 0)]),
        Silent(name: "a long prescription of 30 days is not a split", current: F.fill("b", days: 30, hours: 24), earlier: [F.fill("a", days: 7, hours: 0)]),
        Silent(name: "one prescription", current: F.fill("b", days: 7, hours: 24), earlier: []),
    ])
    func silent(_ example: Silent) {
        #expect(rule.evaluate([example.current], earlier: example.earlier, region: F.quzhou).isEmpty)
    }
}

struct DoctorVolumeAbovePeersTests {
    let rule = DoctorVolumeAbovePeersRule(F.on, zScoreThreshold: 3.5, minimumPeers: 4, minimumCount: 20)

    func volume(_ own: Int, peers: [Int]) -> DailyVolume {
        var counts = [F.id("doctor"): own]
        for (index, count) in peers.enumerated() { counts[F.id("peer-\(index)")] = count }
        return DailyVolume(doctorId: F.id("doctor"), department: "cardiology", day: "2026-09-21", measure: .consultations, counts: counts)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var own: Int
        var peers: [Int]
        var fires: Bool
        var testDescription: String { "\(own) against \(peers): fires \(fires)" }
    }

    // Peers 8, 10, 10, 12, 14: median 10, MAD 2, so z = 0.6745 × (x − 10) / 2; 3.5 is passed above 20.38.
    @Test("a day far above the department's median fires; a busy but ordinary one does not", arguments: [
        Case(own: 60, peers: [8, 10, 10, 12, 14], fires: true),
        Case(own: 21, peers: [8, 10, 10, 12, 14], fires: true),
        Case(own: 20, peers: [8, 10, 10, 12, 14], fires: false),
        Case(own: 14, peers: [8, 10, 10, 12, 14], fires: false),
        Case(own: 60, peers: [8, 10, 10], fires: false),
        Case(own: 19, peers: [0, 0, 0, 0, 0], fires: false),
        Case(own: 20, peers: [0, 0, 0, 0, 1], fires: true),
        Case(own: 50, peers: [40, 45, 50, 55, 60], fires: false),
    ])
    func table(_ example: Case) {
        let draft = rule.evaluate(volume(example.own, peers: example.peers), region: F.quzhou, at: F.start)
        #expect((draft != nil) == example.fires)
        if let draft {
            #expect(draft.evidence["count"] == String(example.own))
            #expect(draft.caseKey == "doctorVolumeAbovePeers:\(F.id("doctor").text):consultations:2026-09-21")
        }
    }

    @Test("peers are worth gathering only for a day's count of 20 or more, and never when the rule is off",
          arguments: [(0, true, false), (19, true, false), (20, true, true), (500, true, true), (500, false, false)])
    func mayFlag(count: Int, enabled: Bool, may: Bool) {
        let rule = DoctorVolumeAbovePeersRule(enabled ? F.on : RuleSwitch(enabled: false, severity: .medium),
                                              zScoreThreshold: 3.5, minimumPeers: 4, minimumCount: 20)
        #expect(rule.mayFlag(count: count) == may)
    }

    @Test("a count that may not flag never fires, whatever the peers did")
    func mayFlagBoundsEvaluate() async {
        await propertyCheck(input: Gen.int(in: 0...60), Gen.int(in: 0...60).array(of: 0...12)) { own, peers in
            if !self.rule.mayFlag(count: own) {
                #expect(self.rule.evaluate(self.volume(own, peers: peers), region: F.quzhou, at: F.start) == nil)
            }
        }
    }

    @Test("peers with none count the same whether listed with 0 or counted as quiet")
    func quietPeersAreZeros() async {
        await propertyCheck(input: Gen.int(in: 0...80), Gen.int(in: 1...60).array(of: 0...8), Gen.int(in: 0...40)) { own, busy, quiet in
            let listed = self.volume(own, peers: busy + Array(repeating: 0, count: quiet))
            var counted = self.volume(own, peers: busy)
            counted.quietPeers = quiet
            #expect(self.rule.evaluate(listed, region: F.quzhou, at: F.start) == self.rule.evaluate(counted, region: F.quzhou, at: F.start))
        }
    }

    @Test("twenty-one against five peers, four of them quiet and one at 2, fires with the quiet ones counted as 0")
    func quietPeersTable() throws {
        var volume = volume(21, peers: [2])
        volume.quietPeers = 4
        let draft = try #require(rule.evaluate(volume, region: F.quzhou, at: F.start))
        #expect(draft.evidence["peers"] == "5")
        #expect(draft.evidence["peerMedian"] == "0")
        #expect(rule.evaluate(self.volume(21, peers: [2]), region: F.quzhou, at: F.start) == nil, "one peer is below the minimum of 4")
    }

    @Test("the evidence writes out the peers' median, deviation and the score")
    func evidence() throws {
        let draft = try #require(rule.evaluate(volume(60, peers: [8, 10, 10, 12, 14]), region: F.quzhou, at: F.start))
        #expect(draft.evidence["peerMedian"] == "10")
        #expect(draft.evidence["peerMedianAbsoluteDeviation"] == "2")
        #expect(draft.evidence["zScore"] == "16.86")
        #expect(draft.evidence["peers"] == "5")
    }

    @Test("a doctor at the department's median never fires, whatever the counts")
    func medianNeverFires() async {
        await propertyCheck(input: Gen.int(in: 0...500).array(of: 4...30)) { peers in
            // With an even count the doctor joins at the upper middle, so the median is theirs.
            let own = peers.sorted()[peers.count / 2]
            let peerSet = peers.count % 2 == 1 ? peers : peers + [own]
            let loose = DoctorVolumeAbovePeersRule(F.on, zScoreThreshold: 0.0001, minimumPeers: 1, minimumCount: 0)
            #expect(RobustZScore.score(of: Double(own), among: peerSet.map(Double.init)) == 0)
            #expect(loose.evaluate(volume(own, peers: peerSet), region: F.quzhou, at: F.start) == nil)
        }
    }
}

struct RobustZScoreTests {
    @Test("the robust z-score is the same when every count, the doctor's and the peers', moves by the same amount")
    func shiftInvariant() async {
        await propertyCheck(input: Gen.int(in: 0...1000).array(of: 1...40), Gen.int(in: 0...1000), Gen.int(in: -1000...1000)) { peers, own, shift in
            let before = RobustZScore.score(of: Double(own), among: peers.map(Double.init))
            let after = RobustZScore.score(of: Double(own + shift), among: peers.map { Double($0 + shift) })
            #expect(before == after)
        }
    }

    @Test("the robust z-score is the same when every count is multiplied by the same positive factor")
    func scaleInvariant() async {
        await propertyCheck(input: Gen.int(in: 0...1000).array(of: 1...40), Gen.int(in: 0...1000), Gen.int(in: 1...20)) { peers, own, factor in
            let before = RobustZScore.score(of: Double(own), among: peers.map(Double.init))
            let after = RobustZScore.score(of: Double(own * factor), among: peers.map { Double($0 * factor) })
            #expect(before == after || abs(before - after) < 1e-9 * max(1, abs(before)))
        }
    }

    @Test("more consultations never lower the score: it grows with the doctor's count")
    func monotone() async {
        await propertyCheck(input: Gen.int(in: 0...1000).array(of: 1...40), Gen.int(in: 0...1000), Gen.int(in: 0...100)) { peers, own, more in
            let peerValues = peers.map(Double.init)
            #expect(RobustZScore.score(of: Double(own + more), among: peerValues) >= RobustZScore.score(of: Double(own), among: peerValues))
        }
    }

    @Test("median and deviation worked by hand", arguments: [
        ([1.0, 2, 3, 4, 100], 3.0, 1.0),
        ([10.0, 10, 10, 10], 10.0, 0.0),
        ([1.0, 2, 3, 4], 2.5, 1.0),
    ])
    func byHand(_ values: [Double], median: Double, mad: Double) {
        #expect(RobustZScore.median(values) == median)
        #expect(RobustZScore.medianAbsoluteDeviation(values) == mad)
    }
}

struct OverridesAbovePeersTests {
    let rule = OverridesAbovePeersRule(F.on, windowDays: 30, zScoreThreshold: 3.5, minimumPeers: 4, minimumPrescriptions: 10,
                                       minimumFindingSeverity: .high)

    func rates(own: OverrideCount, peers: [OverrideCount]) -> OverrideRates {
        var counts = [F.id("doctor"): own]
        for (index, count) in peers.enumerated() { counts[F.id("peer-\(index)")] = count }
        return OverrideRates(doctorId: F.id("doctor"), department: "cardiology", counts: counts)
    }

    static let usualPeers = [OverrideCount(prescriptions: 40, overridden: 1), OverrideCount(prescriptions: 20, overridden: 1),
                             OverrideCount(prescriptions: 50, overridden: 3), OverrideCount(prescriptions: 30, overridden: 0),
                             OverrideCount(prescriptions: 25, overridden: 1)]

    @Test("overriding serious findings on 12 of 20 prescriptions where peers override on 0 % to 6 % fires")
    func fires() throws {
        let draft = try #require(rule.evaluate(rates(own: OverrideCount(prescriptions: 20, overridden: 12), peers: Self.usualPeers),
                                               region: F.quzhou, at: F.start))
        #expect(draft.evidence["overriddenPercent"] == "60")
        #expect(draft.evidence["peerMedianPercent"] == "4")
        #expect(draft.caseKey == "overridesAbovePeers:\(F.id("doctor").text)")
    }

    @Test("a usual share, too few prescriptions, or too few peers stay silent", arguments: [
        (OverrideCount(prescriptions: 20, overridden: 1), usualPeers),
        (OverrideCount(prescriptions: 9, overridden: 9), usualPeers),
        (OverrideCount(prescriptions: 20, overridden: 12), Array(usualPeers.prefix(3))),
        (OverrideCount(prescriptions: 20, overridden: 12), usualPeers.map { OverrideCount(prescriptions: 5, overridden: $0.overridden) }),
    ])
    func silent(_ own: OverrideCount, peers: [OverrideCount]) {
        #expect(rule.evaluate(rates(own: own, peers: peers), region: F.quzhou, at: F.start) == nil)
    }

    @Test("only an override of a finding of high severity or worse counts")
    func seriousOnly() {
        let drug = F.id("drug")
        let high = Finding(severity: .high, rule: .dose, drugIds: [drug], messageZh: "", messageEn: "")
        let moderate = Finding(severity: .moderate, rule: .longSupply, drugIds: [drug], messageZh: "", messageEn: "")
        #expect(rule.isOverridden(findings: [high], overrides: [FindingOverride(high.key, reason: "r")]))
        #expect(!rule.isOverridden(findings: [moderate], overrides: [FindingOverride(moderate.key, reason: "r")]))
        #expect(!rule.isOverridden(findings: [high], overrides: []))
    }
}

struct TraceabilityCodeReusedTests {
    let rule = TraceabilityCodeReusedRule(F.on)

    @Test("a code scanned again raises one alert per code, keyed by the code, naming both orders")
    func fires() throws {
        let code = ReusedCode(code: "81234567890123456789", orderId: F.id("second"), pharmacyId: F.id("pharmacy-2"),
                              firstOrderId: F.id("first"), firstPharmacyId: F.id("pharmacy-1"))
        let draft = try #require(rule.evaluate([code], region: F.quzhou, at: F.start).first)
        #expect(draft.caseKey == "traceabilityCodeReused:81234567890123456789")
        #expect(draft.evidence["samePharmacy"] == "no")
        #expect(draft.entities.contains(AlertEntity(type: "medicine_order", id: F.id("first"))))
    }

    @Test("no code reused, or the rule disabled, raises nothing")
    func silent() {
        #expect(rule.evaluate([], region: F.quzhou, at: F.start).isEmpty)
        let code = ReusedCode(code: "8", orderId: F.id("o"), pharmacyId: F.id("p"), firstOrderId: nil, firstPharmacyId: nil)
        #expect(TraceabilityCodeReusedRule(F.off).evaluate([code], region: F.quzhou, at: F.start).isEmpty)
    }
}

struct DispensingAboveReceiptsTests {
    let rule = DispensingAboveReceiptsRule(F.on, windowDays: 30, maximumRatio: 1.5, minimumDispensed: 50)

    @Test("dispensing above 1.5 times the packages received, from 50 packages on, fires", arguments: [
        (dispensed: 80, received: 40, fires: true),
        (dispensed: 60, received: 40, fires: false),
        (dispensed: 61, received: 40, fires: true),
        (dispensed: 50, received: 0, fires: true),
        (dispensed: 49, received: 0, fires: false),
        (dispensed: 120, received: 100, fires: false),
    ])
    func table(dispensed: Int, received: Int, fires: Bool) {
        let balance = DispensingBalance(pharmacyId: F.id("pharmacy"), drugId: F.id("drug"), dispensed: dispensed, received: received)
        let drafts = rule.evaluate([balance], region: F.quzhou, at: F.start)
        #expect(drafts.count == (fires ? 1 : 0))
        if fires {
            #expect(drafts.first?.evidence["dispensed"] == String(dispensed))
            #expect(drafts.first?.caseKey == "dispensingAboveReceipts:\(F.id("pharmacy").text):\(F.id("drug").text)")
        }
    }
}

struct SettlementsJustUnderThresholdTests {
    let rule = SettlementsJustUnderThresholdRule(F.on, thresholdFen: 100_000, bandPercent: 5, runLength: 3)

    func run(_ totals: [Int64]) -> SettlementRun {
        SettlementRun(institutionId: F.id("hospital"), day: "2026-09-21",
                      newestFirst: totals.enumerated().map { SettledAmount(settlementId: F.id("s\($0.offset)"), totalFen: $0.element) })
    }

    @Test("the band just under 1000 yuan is 950 to 999.99 yuan")
    func band() {
        #expect(rule.bandFloorFen == 95_000)
        #expect(rule.isJustUnder(95_000) && rule.isJustUnder(99_999))
        #expect(!rule.isJustUnder(94_999) && !rule.isJustUnder(100_000))
    }

    @Test("three latest settlements of a day all just under the threshold fire; otherwise silent", arguments: [
        ([99_800, 99_500, 98_000], true),
        ([99_800, 99_500, 98_000, 12_000], true),
        ([99_800, 12_000, 99_500, 98_000], false),
        ([99_800, 99_500], false),
        ([100_000, 99_500, 98_000], false),
        ([99_800, 99_500, 94_000], false),
    ] as [([Int64], Bool)])
    func table(_ totals: [Int64], fires: Bool) {
        let draft = rule.evaluate(run(totals), region: F.quzhou, at: F.start)
        #expect((draft != nil) == fires)
        if let draft {
            #expect(draft.evidence["totalsFen"] == "99800, 99500, 98000")
            #expect(draft.caseKey == "settlementsJustUnderThreshold:\(F.id("hospital").text):2026-09-21")
        }
    }
}

struct FraudAlertPrivacyTests {
    @Test("no evidence of any rule holds a name, a phone number or a national ID: only figures, codes and ids")
    func noPersonalIdentifiers() {
        let rules = FraudRuleSet.shipped
        var drafts: [AlertDraft] = []
        drafts += [rules.settlementInTwoCities.evaluate(F.visit("b", in: F.hangzhou, hours: 2), earlier: [F.visit("a", in: F.quzhou, hours: 0)])].compactMap { $0 }
        drafts += rules.earlyRefill.evaluate([F.fill("b", hours: 24)], earlier: [F.fill("a", days: 30, hours: 0)], region: F.quzhou)
        drafts += rules.splitPrescription.evaluate([F.fill("b", hours: 24)], earlier: [F.fill("a", hours: 0)], region: F.quzhou)
        #expect(drafts.count == 3)
        for draft in drafts {
            for value in draft.evidence.values {
                #expect(value.range(of: #"1[3-9]\d{9}"#, options: .regularExpression) == nil)
                #expect(value.range(of: #"\d{17}[\dX]"#, options: .regularExpression) == nil)
                #expect(value.unicodeScalars.allSatisfy { $0.isASCII })
            }
        }
    }
}
