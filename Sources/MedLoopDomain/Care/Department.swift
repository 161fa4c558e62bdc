/// A clinical department, the unit patients search and triage by. Codes are stable lower camel
/// strings; names are shown in zh-CN and en.
public struct Department: Sendable, Hashable, Codable {
    public let code: String
    public let nameZh: String
    public let nameEn: String

    public init(code: String, nameZh: String, nameEn: String) {
        self.code = code
        self.nameZh = nameZh
        self.nameEn = nameEn
    }
}

extension Department {
    /// The departments of a general hospital's outpatient service, as internet hospitals list them.
    public static let all: [Department] = [
        Department(code: "internalMedicine", nameZh: "内科", nameEn: "Internal Medicine"),
        Department(code: "cardiology", nameZh: "心血管内科", nameEn: "Cardiology"),
        Department(code: "respiratory", nameZh: "呼吸内科", nameEn: "Respiratory Medicine"),
        Department(code: "gastroenterology", nameZh: "消化内科", nameEn: "Gastroenterology"),
        Department(code: "endocrinology", nameZh: "内分泌科", nameEn: "Endocrinology"),
        Department(code: "nephrology", nameZh: "肾内科", nameEn: "Nephrology"),
        Department(code: "neurology", nameZh: "神经内科", nameEn: "Neurology"),
        Department(code: "hematology", nameZh: "血液科", nameEn: "Hematology"),
        Department(code: "rheumatology", nameZh: "风湿免疫科", nameEn: "Rheumatology"),
        Department(code: "infectiousDiseases", nameZh: "感染科", nameEn: "Infectious Diseases"),
        Department(code: "geriatrics", nameZh: "老年医学科", nameEn: "Geriatrics"),
        Department(code: "generalSurgery", nameZh: "普外科", nameEn: "General Surgery"),
        Department(code: "orthopedics", nameZh: "骨科", nameEn: "Orthopedics"),
        Department(code: "urology", nameZh: "泌尿外科", nameEn: "Urology"),
        Department(code: "neurosurgery", nameZh: "神经外科", nameEn: "Neurosurgery"),
        Department(code: "thoracicSurgery", nameZh: "胸外科", nameEn: "Thoracic Surgery"),
        Department(code: "obstetrics", nameZh: "产科", nameEn: "Obstetrics"),
        Department(code: "gynecology", nameZh: "妇科", nameEn: "Gynecology"),
        Department(code: "pediatrics", nameZh: "儿科", nameEn: "Pediatrics"),
        Department(code: "dermatology", nameZh: "皮肤科", nameEn: "Dermatology"),
        Department(code: "ophthalmology", nameZh: "眼科", nameEn: "Ophthalmology"),
        Department(code: "otolaryngology", nameZh: "耳鼻咽喉科", nameEn: "Otolaryngology (ENT)"),
        Department(code: "stomatology", nameZh: "口腔科", nameEn: "Stomatology"),
        Department(code: "psychiatry", nameZh: "精神心理科", nameEn: "Psychiatry"),
        Department(code: "oncology", nameZh: "肿瘤科", nameEn: "Oncology"),
        Department(code: "traditionalChineseMedicine", nameZh: "中医科", nameEn: "Traditional Chinese Medicine"),
        Department(code: "rehabilitation", nameZh: "康复医学科", nameEn: "Rehabilitation"),
        Department(code: "generalPractice", nameZh: "全科医学科", nameEn: "General Practice"),
        Department(code: "emergency", nameZh: "急诊科", nameEn: "Emergency"),
    ]

    private static let byCode: [String: Department] = Dictionary(uniqueKeysWithValues: all.map { ($0.code, $0) })

    /// The department with this code, if MedLoop knows it.
    public static func named(_ code: String) -> Department? { byCode[code] }

    /// Checks a department code from input.
    public static func check(_ code: String, field: String = "department") throws(DomainError) -> Department {
        guard let department = byCode[code] else {
            // Never echoes the input back: a message is shown as it is, wherever a client puts it.
            throw .invalidField(field, code: "unknown", "This is not a known department code (GET /api/v1/departments lists them).")
        }
        return department
    }
}
