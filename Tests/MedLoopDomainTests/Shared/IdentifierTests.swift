import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

/// The 16 bytes of `id`, in order.
private func bytes(of id: UUID) -> [UInt8] {
    withUnsafeBytes(of: id.uuid) { Array($0) }
}

struct IdentifierTests {
    /// 2026-03-02T04:30:00Z, 1 772 425 800 000 ms = 0x019caccf6940.
    static let instant = Date(timeIntervalSince1970: 1_772_425_800)

    @Test("a v7 identifier carries version 7 and the RFC 9562 variant")
    func v7VersionAndVariant() {
        for id in [UUID.v7(at: Self.instant), UUID.v7(at: Date(timeIntervalSince1970: 1_780_000_000)), UUID.v7(at: Date(timeIntervalSince1970: 0))] {
            let b = bytes(of: id)
            #expect(b[6] >> 4 == 7)
            #expect(b[8] & 0xC0 == 0x80)
        }
    }

    @Test("a v7 identifier starts with the Unix milliseconds of its instant")
    func v7Timestamp() {
        let id = UUID.v7(at: Self.instant)
        #expect(id.text.hasPrefix("019caccf-6940-7"))
        let half = UUID.v7(at: Self.instant.addingTimeInterval(0.5))
        // 1 772 425 800 500 ms = 0x019caccf6b34.
        #expect(half.text.hasPrefix("019caccf-6b34-7"))
        // Instants before 1970 are clamped to zero.
        #expect(UUID.v7(at: Date(timeIntervalSince1970: -5)).text.hasPrefix("00000000-0000-7"))
    }

    @Test("the text form reads back as the same identifier, and agrees with Foundation's reading")
    func textRoundTrip() async {
        await propertyCheck(input: Gen.uint64(), Gen.uint64()) { high, low in
            let bytes = withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { Array($0) }
            let id = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                                 bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
            #expect(id.text == id.uuidString.lowercased())
            #expect(UUID(text: id.text) == id)
            #expect(UUID(text: id.uuidString) == id)
        }
    }

    @Test("text that is not a canonical identifier is not read as one", arguments: [
        "", "019caccf-6940-7000-8000-00000000000", "019caccf-6940-7000-8000-0000000000000", "019caccf6940-7000-8000-000000000000x",
        "019caccf-6940-7000-8000-00000000000g", "019caccf_6940_7000_8000_000000000000", "{019caccf-6940-7000-8000-000000000000}",
        "019caccf-6940-7000-8000-00000000000é",
    ])
    func textRefused(_ text: String) {
        #expect(UUID(text: text) == nil)
        #expect(UUID(uuidString: text) == nil)
    }

    @Test("the text form is the lower-case canonical form")
    func text() throws {
        let id = UUID.v7(at: Self.instant)
        #expect(id.text == id.uuidString.lowercased())
        #expect(id.text.count == 36)
        #expect(id.text == id.text.lowercased())
        let parsed = try #require(UUID(uuidString: id.text))
        #expect(parsed == id)
    }

    @Test("identifiers made at later instants sort after earlier ones by their text")
    func v7SortsByTime() {
        let seconds: [Double] = [0, 1, 1_000_000_000, 1_772_425_800, 1_772_425_800.5, 1_772_425_801, 4_102_444_800]
        // Several rounds, so that the random bits get many chances to disorder the list.
        for _ in 0..<20 {
            let texts = seconds.map { UUID.v7(at: Date(timeIntervalSince1970: $0)).text }
            #expect(texts == texts.sorted())
            #expect(Set(texts).count == seconds.count)
        }
    }

    @Test("identifiers made at one instant keep their creation order after thousands made at other instants in between")
    func orderSurvivesABurst() {
        // Eight rounds: a counter started afresh would come out of order half the time.
        for round in 0..<8 {
            let instant = Date(timeIntervalSince1970: 1_700_000_000 + Double(round))
            let first = UUID.v7(at: instant)
            for step in 0..<2_000 { _ = UUID.v7(at: Date(timeIntervalSince1970: 1_900_000_000 + Double(round * 2_000 + step) / 1000)) }
            let second = UUID.v7(at: instant)
            #expect(first.text < second.text, "round \(round)")
        }
    }

    @Test("ten thousand identifiers made at one instant sort in the order they were made")
    func orderAtOneInstant() {
        // A frozen test clock's instant is shared by a whole suite: with a 12-bit counter this
        // wrapped after 2,048 to 4,096 identifiers, and the later ones sorted first.
        let instant = Date(timeIntervalSince1970: 1_700_100_000)
        let texts = (0..<10_000).map { _ in UUID.v7(at: instant).text }
        #expect(texts == texts.sorted())
    }

    @Test("identifiers made at the same instant differ")
    func v7Distinct() {
        let ids = (0..<200).map { _ in UUID.v7(at: Self.instant) }
        #expect(Set(ids).count == 200)
    }

    @Test("a named identifier is the same on every call and every machine")
    func namedStable() {
        #expect(UUID.named("demo") == UUID.named("demo"))
        // First 16 bytes of SHA-256("medloop:demo") with the version and variant bits set.
        #expect(UUID.named("demo").text == "f87efc78-3856-8fa1-ad53-b9c316f92cd5")
        #expect(UUID.named("patient:zhang-san").text == "6c23c5c1-4751-8338-a054-b1cb3cc7eb05")
    }

    @Test("different names give different identifiers, each of version 8 with the RFC 9562 variant")
    func namedDistinct() {
        let names = ["demo", "Demo", "demo ", "", "patient:1", "patient:2", "patient:10", "institution:1", "张三"]
        let ids = names.map(UUID.named)
        #expect(Set(ids).count == names.count)
        for id in ids {
            let b = bytes(of: id)
            #expect(b[6] >> 4 == 8)
            #expect(b[8] & 0xC0 == 0x80)
        }
    }
}
