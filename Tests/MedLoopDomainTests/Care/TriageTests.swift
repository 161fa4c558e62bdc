import Foundation
import Testing
@testable import MedLoopDomain

/// The table shipped with MedLoop, loaded once for the whole file; a failure to load fails each
/// test that uses it instead of crashing the run.
private let shippedTable = Result { () throws(ShippedDataError) in try TriageRules.loadShipped() }

/// The shipped table.
private func shippedRules() throws -> TriageRules {
    try shippedTable.get()
}

/// The shipped table's assessment of `text`.
private func assess(_ text: String) throws -> TriageAssessment {
    try shippedRules().assess(text)
}

@Suite("Intelligent triage: symptoms to departments, red flags to the emergency department")
struct TriageTests {
    /// A description of symptoms and the department triage should put first.
    struct Complaint: Sendable, CustomTestStringConvertible {
        var text: String
        var department: String

        var testDescription: String { "\(text) → \(department)" }
    }

    /// A description of symptoms and the red flag it must raise.
    struct Alarm: Sendable, CustomTestStringConvertible {
        var text: String
        var redFlag: String

        var testDescription: String { "\(text) → \(redFlag)" }
    }

    static let complaints: [Complaint] = [
        Complaint(text: "最近老是拉肚子", department: "gastroenterology"),
        Complaint(text: "嗓子疼好几天了", department: "otolaryngology"),
        Complaint(text: "头晕，站起来就天旋地转", department: "neurology"),
        Complaint(text: "胸口痛", department: "cardiology"),
        Complaint(text: "皮肤痒，身上起了红疹", department: "dermatology"),
        Complaint(text: "牙疼得厉害", department: "stomatology"),
        Complaint(text: "小便的时候疼，尿频尿急", department: "urology"),
        Complaint(text: "月经不调，痛经", department: "gynecology"),
        Complaint(text: "腰疼好几天了", department: "orthopedics"),
        Complaint(text: "晚上睡不着，失眠很久了", department: "psychiatry"),
        Complaint(text: "I have a terrible headache", department: "neurology"),
        Complaint(text: "Sore throat and a hoarse voice", department: "otolaryngology"),
        Complaint(text: "itchy rash on my arms", department: "dermatology"),
        Complaint(text: "diarrhea since yesterday", department: "gastroenterology"),
        Complaint(text: "my knee pain gets worse on stairs", department: "orthopedics"),
        Complaint(text: "blurred vision in my left eye", department: "ophthalmology"),
        Complaint(text: "toothache and bleeding gums", department: "stomatology"),
        Complaint(text: "painful urination", department: "urology"),
        Complaint(text: "I feel anxious all the time", department: "psychiatry"),
        Complaint(text: "my baby has a cough", department: "pediatrics"),
    ]

    static let alarms: [Alarm] = [
        Alarm(text: "胸口痛，出了一身冷汗", redFlag: "chestPainWithSweating"),
        Alarm(text: "chest pain and sweating", redFlag: "chestPainWithSweating"),
        Alarm(text: "爷爷突然口角歪斜，说话不清", redFlag: "strokeSigns"),
        Alarm(text: "slurred speech and face drooping", redFlag: "strokeSigns"),
        Alarm(text: "今天早上吐血了", redFlag: "severeBleeding"),
        Alarm(text: "bleeding heavily from a cut", redFlag: "severeBleeding"),
        Alarm(text: "突然喘不上气", redFlag: "breathingDifficulty"),
        Alarm(text: "I can’t breathe", redFlag: "breathingDifficulty"),
        Alarm(text: "刚才突然晕倒了", redFlag: "lossOfConsciousness"),
        Alarm(text: "he fainted", redFlag: "lossOfConsciousness"),
        Alarm(text: "全身过敏，呼吸有点急", redFlag: "severeAllergicReaction"),
        Alarm(text: "anaphylaxis, my throat is swelling", redFlag: "severeAllergicReaction"),
        Alarm(text: "最近总想自杀", redFlag: "suicidalThoughts"),
        Alarm(text: "I feel suicidal", redFlag: "suicidalThoughts"),
        Alarm(text: "宝宝高烧不退", redFlag: "infantHighFever"),
        Alarm(text: "my baby has a high fever", redFlag: "infantHighFever"),
        Alarm(text: "孩子突然抽搐", redFlag: "convulsions"),
        Alarm(text: "he is having a seizure", redFlag: "convulsions"),
        Alarm(text: "怀孕8周，肚子疼得厉害", redFlag: "abdominalPainInPregnancy"),
        Alarm(text: "I'm pregnant and have abdominal pain", redFlag: "abdominalPainInPregnancy"),
    ]

    @Test("a common complaint, in Chinese or English, puts the department that usually sees it first",
          arguments: Self.complaints)
    func topDepartment(complaint: Complaint) throws {
        let assessment = try assess(complaint.text)
        #expect(assessment.departments.first?.department == complaint.department)
        #expect(assessment.departments.first?.symptoms.isEmpty == false)
        #expect(assessment.emergency == nil)
        #expect(!assessment.blocksOnlineBooking)
    }

    @Test("each red flag tells the patient to go to an emergency department now and blocks online booking",
          arguments: Self.alarms)
    func redFlag(alarm: Alarm) throws {
        let assessment = try assess(alarm.text)
        #expect(assessment.emergency?.id == alarm.redFlag)
        #expect(assessment.blocksOnlineBooking)
        #expect(assessment.emergency?.messageZh.contains("急诊") == true)
        #expect(assessment.emergency?.messageEn.contains("emergency department") == true)
        #expect(!assessment.departments.isEmpty)
    }

    @Test("every red flag of the shipped table has a sample that raises it")
    func everyRedFlagSampled() throws {
        #expect(Set(try shippedRules().redFlags.map(\.id)) == Set(Self.alarms.map(\.redFlag)))
    }

    @Test("chest pain without sweating is not the chest-pain red flag but still suggests cardiology",
          arguments: ["胸口痛，有点闷", "chest pain when climbing stairs", "胸痛，不出汗"])
    func chestPainAlone(text: String) throws {
        let assessment = try assess(text)
        #expect(assessment.emergency == nil)
        #expect(!assessment.blocksOnlineBooking)
        #expect(assessment.departments.first?.department == "cardiology")
        #expect(assessment.departments.first?.symptoms == ["chestPain"])
    }

    @Test("a negated symptom does not count: “没有发烧，只是咳嗽” is a cough without fever")
    func negation() throws {
        for text in ["没有发烧，只是咳嗽", "no fever, just a cough", "不发烧，咳嗽"] {
            let assessment = try assess(text)
            #expect(assessment.departments.allSatisfy { !$0.symptoms.contains("fever") }, "\(text)")
            #expect(assessment.departments.first?.department == "respiratory", "\(text)")
            #expect(assessment.departments.first?.symptoms == ["cough"], "\(text)")
        }
        let both = try assess("发烧，咳嗽")
        #expect(both.departments.contains { $0.symptoms.contains("fever") })
    }

    @Test("negated red-flag symptoms raise no red flag")
    func negatedRedFlag() throws {
        #expect(try assess("没有胸痛，也不出汗").emergency == nil)
        #expect(try assess("no chest pain, not sweating").emergency == nil)
    }

    @Test("a phrase that only contains a negator (不停, 无力, 不舒服) does not negate the symptom after it")
    func nonNegatingPhrases() throws {
        #expect(try assess("有点不舒服头疼").departments.first?.department == "neurology")
        #expect(try assess("浑身无力发烧").departments.contains { $0.symptoms.contains("fever") })
    }

    @Test("departments are ranked by score, then code, at most five, and each says why")
    func ranking() throws {
        let assessment = try assess("发烧咳嗽头痛拉肚子腰疼皮疹牙疼")
        let departments = assessment.departments
        #expect(departments.count == TriageRules.maximumSuggestions)
        for (better, worse) in zip(departments, departments.dropFirst()) {
            #expect(better.score > worse.score || (better.score == worse.score && better.department < worse.department))
        }
        #expect(departments.allSatisfy { !$0.reasonZh.isEmpty && !$0.reasonEn.isEmpty && !$0.symptoms.isEmpty })
        #expect(departments.first?.department == "generalPractice")
        #expect(departments.first?.score == 6)
    }

    @Test("scores add up the weights of every matched symptom that points to a department")
    func scoresAddUp() throws {
        let assessment = try assess("最近老是拉肚子，还有点恶心")
        let gastroenterology = try #require(assessment.departments.first)
        #expect(gastroenterology.department == "gastroenterology")
        #expect(gastroenterology.symptoms == ["diarrhea", "nauseaVomiting"])
        let rules = try shippedRules().symptoms.filter { gastroenterology.symptoms.contains($0.id) }
        let expected = rules.flatMap(\.departments).filter { $0.code == "gastroenterology" }.map(\.weight).reduce(0, +)
        #expect(gastroenterology.score == expected)
    }

    @Test("with no symptom recognised, general practice is suggested with the reason why",
          arguments: ["今天天气不错", "hello", "不发烧"])
    func fallback(text: String) throws {
        let assessment = try assess(text)
        #expect(assessment.departments.count == 1)
        #expect(assessment.departments.first?.department == "generalPractice")
        #expect(assessment.departments.first?.score == 0)
        #expect(assessment.departments.first?.symptoms.isEmpty == true)
        #expect(assessment.departments.first?.reasonEn.contains("no specific symptom recognised") == true)
        #expect(assessment.emergency == nil)
    }

    @Test("the shipped table has at least 40 symptoms, each with zh and en keywords and known departments")
    func shippedTableShape() throws {
        let rules = try shippedRules()
        #expect(rules.symptoms.count >= 40)
        #expect(Set(rules.symptoms.map(\.id)).count == rules.symptoms.count)
        for rule in rules.symptoms {
            #expect(!rule.keywordsZh.isEmpty && !rule.keywordsEn.isEmpty, "\(rule.id)")
            #expect(rule.keywords.allSatisfy { !$0.isEmpty && $0 == $0.lowercased() }, "\(rule.id)")
            #expect((1...3).contains(rule.departments.count), "\(rule.id)")
            for entry in rule.departments {
                #expect(Department.named(entry.code) != nil, "\(rule.id): \(entry.code)")
                #expect(entry.weight > 0 && !entry.reasonZh.isEmpty && !entry.reasonEn.isEmpty, "\(rule.id)")
            }
        }
        #expect(Department.named(rules.fallback.code) != nil)
    }

    @Test("every shipped red flag has keyword groups and a message in zh and en")
    func shippedRedFlags() throws {
        let flags = try shippedRules().redFlags
        #expect(Set(flags.map(\.id)).count == flags.count)
        for flag in flags {
            #expect(!flag.groups.isEmpty && flag.groups.allSatisfy { !$0.isEmpty }, "\(flag.id)")
            #expect(flag.groups.joined().allSatisfy { !$0.isEmpty && $0 == $0.lowercased() }, "\(flag.id)")
            #expect(!flag.messageZh.isEmpty && !flag.messageEn.isEmpty, "\(flag.id)")
        }
    }

    @Test("a blank description is refused on the field symptoms", arguments: ["", "   ", "\n\t"])
    func blank(text: String) throws {
        let rules = try shippedRules()
        #expect(fieldIssues { () throws(DomainError) in try rules.assess(text) } == ["symptoms/required"])
    }

    @Test("a description over 500 characters is refused on the field symptoms; 500 is accepted")
    func tooLong() throws {
        let rules = try shippedRules()
        let longest = String(repeating: "咳", count: TriageRules.maximumLength)
        #expect(fieldIssues { () throws(DomainError) in try rules.assess(longest) } == [])
        #expect(fieldIssues { () throws(DomainError) in try rules.assess(longest + "嗽") } == ["symptoms/length"])
    }

    @Test("a corrupt or incomplete triage document is refused with an error that names the file, not a crash",
          arguments: ["", "{", "[]", #"{"symptoms": [], "redFlags": []}"#, #"{"symptoms": "none", "redFlags": [], "fallback": {}}"#])
    func corruptDocument(text: String) {
        let error = #expect(throws: ShippedDataError.self) { try TriageRules.decode(Data(text.utf8)) }
        guard case .unreadable = error else {
            Issue.record("expected the document to be unreadable, got \(String(describing: error))"); return
        }
        #expect(error?.description.hasPrefix("triage-rules.json is not valid: ") == true)
    }

    @Test("the shipped table decodes back to itself from its own JSON")
    func shippedRoundTrip() throws {
        let rules = try shippedRules()
        #expect(try TriageRules.decode(JSONEncoder().encode(rules)) == rules)
    }

    @Test("a missing shipped table is described by its file name")
    func missingDescription() {
        #expect(ShippedDataError.missing(file: "triage-rules.json").description == "triage-rules.json is missing from the MedLoopDomain resources")
    }
}
