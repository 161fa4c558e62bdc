import PropertyBased
import Testing
@testable import MedLoopDomain

@Suite("The diagnosis picker's condition search")
struct ConditionSearchTests {
    @Test("a code, a Chinese name, an English word or a synonym finds the condition", arguments: [
        ("I10", "I10"), ("i10", "I10"), ("高血压", "I10"), ("hypertension", "I10"), ("冠心病", "I25.1"),
        ("E11", "E11.9"), ("diabetes", "E11.9"), ("哮喘", "J45.9"), ("asthma", "J45.9"),
    ])
    func finds(term: String, code: String) {
        #expect(ConditionCatalogue.search(term).map(\.icd10).contains(code))
    }

    @Test("codes that begin with the term come before names that contain it")
    func codesFirst() {
        let found = ConditionCatalogue.search("I")
        let firstName = found.firstIndex { !$0.icd10.hasPrefix("I") } ?? found.count
        #expect(found.prefix(firstName).allSatisfy { $0.icd10.hasPrefix("I") })
        #expect(found.first?.icd10.hasPrefix("I") == true)
    }

    @Test("a term nothing contains finds nothing, and a blank term lists the catalogue's first conditions")
    func edges() {
        #expect(ConditionCatalogue.search("zzzz-no-such").isEmpty)
        #expect(ConditionCatalogue.search("  ").map(\.icd10) == ConditionCatalogue.all.prefix(20).map(\.icd10))
    }

    @Test("a search never returns more than its limit, nor the same condition twice")
    func bounded() async {
        let character = Gen<Character?>.element(of: Array("I1EJ9高血压 abcdi.")).map { $0! }
        await propertyCheck(input: Gen.int(in: 0...40), character.string(of: 0...3)) { limit, term in
            let found = ConditionCatalogue.search(term, limit: limit)
            #expect(found.count <= limit)
            #expect(Set(found.map(\.icd10)).count == found.count)
        }
    }
}
