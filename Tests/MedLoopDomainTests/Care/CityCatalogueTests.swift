import Foundation
import MedLoopDomain
import Testing

@Suite("Cities by name")
struct CityCatalogueTests {
    @Test("a city is named in Chinese with or without 市, or in pinyin in any case", arguments: [
        ("杭州", "330100"), ("杭州市", "330100"), ("hangzhou", "330100"), ("HANGZHOU", "330100"), (" 衢州 ", "330800"),
        ("Xi'an", "610100"), ("xian", "610100"), ("乌鲁木齐", "650100"),
    ])
    func named(name: String, code: String) {
        #expect(CityCatalogue.city(named: name)?.code == code)
    }

    @Test("a name that is no known city is nothing", arguments: ["火星", "杭", "", "330100"])
    func unknown(name: String) {
        #expect(CityCatalogue.city(named: name) == nil)
    }

    @Test("a doctor's search terms hold the names of the city they work in; an unknown city adds none")
    func indexTerms() {
        let terms = DoctorIndex.terms(name: "张三", department: "cardiology", specialties: [], conditions: [],
                                      hospitalName: "杭州市第一人民医院", cityCode: "330100")
        #expect(terms.isSuperset(of: ["杭州", "杭州市", "hangzhou"]))
        let elsewhere = DoctorIndex.terms(name: "张三", department: "cardiology", specialties: [], conditions: [],
                                          hospitalName: "某医院", cityCode: "999900")
        #expect(elsewhere.isDisjoint(with: ["杭州", "杭州市", "hangzhou"]))
    }

    @Test("every known city has a distinct code and distinct names")
    func distinct() {
        #expect(Set(CityCatalogue.all.map(\.code)).count == CityCatalogue.all.count)
        let names = CityCatalogue.all.flatMap { Array($0.searchNames) }
        #expect(Set(names).count == names.count)
    }
}
