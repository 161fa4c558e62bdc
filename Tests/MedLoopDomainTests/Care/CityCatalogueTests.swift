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

    @Test("a city named in the text is a filter, not a term; with a city parameter the narrower wins")
    func cityInText() {
        let search = DoctorSearch(text: "高血压 杭州")
        #expect(search.terms == ["高血压"])
        #expect(search.textCity?.code == "330100")
        #expect(search.cityPrefix == "3301")
        #expect(DoctorSearch(text: "杭州", city: "33").cityPrefix == "3301")
        #expect(DoctorSearch(city: "hangzhou").cityPrefix == "3301")
        #expect(DoctorSearch(text: "杭州", city: "310100").citiesContradict)
        #expect(!DoctorSearch(text: "杭州", city: "330000").citiesContradict)
        #expect(DoctorSearch(text: "高血压").textCity == nil)
    }

    @Test("every known city has a distinct code and distinct names")
    func distinct() {
        #expect(Set(CityCatalogue.all.map(\.code)).count == CityCatalogue.all.count)
        let names = CityCatalogue.all.flatMap { Array($0.searchNames) }
        #expect(Set(names).count == names.count)
    }
}
