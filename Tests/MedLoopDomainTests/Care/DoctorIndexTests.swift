import MedLoopDomain
import PropertyBased
import Testing

/// A doctor's exact search terms and search text, as `DoctorIndex` writes them.
@Suite("Doctor search index")
struct DoctorIndexTests {
    @Test("every term of a doctor is in their search text, so a word's substring matches include its exact ones")
    func termsAreInTheText() async {
        let characters = Array("aZ 高血压儿科 E11.9-'·\t")
        let text = Gen.element(of: characters).compactMap { $0 }.array(of: 0...12).map { String($0) }
        let department = Gen.element(of: Department.all.map(\.code) + ["", "Unknown"]).compactMap { $0 }
        let condition = Gen.element(of: ConditionCatalogue.all.map(\.icd10) + ["Z99.9", "e11"]).compactMap { $0 }
        await propertyCheck(input: text, department, text.array(of: 0...3), condition.array(of: 0...4), text, text) {
            name, department, specialties, conditions, hospital, training in
            let terms = DoctorIndex.terms(name: name, department: department, specialties: specialties, conditions: conditions,
                                          hospitalName: hospital)
            let searchText = DoctorIndex.text(terms: terms, training: training)
            for term in terms {
                #expect(searchText.contains(term), "\(term) is missing from \(searchText)")
            }
        }
    }

    @Test("the terms of a doctor, written out")
    func termsWrittenOut() {
        let terms = DoctorIndex.terms(name: "王芳", department: "pediatrics", specialties: ["Asthma"], conditions: ["J45.9"],
                                      hospitalName: "衢州市人民医院")
        #expect(terms.isSuperset(of: ["王芳", "pediatrics", "儿科", "asthma", "j45.9", "衢州市人民医院"]))
        #expect(DoctorIndex.text(terms: ["b", "a"], training: "Peking") == "a b peking")
    }
}
