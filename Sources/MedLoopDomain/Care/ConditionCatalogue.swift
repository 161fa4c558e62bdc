/// A condition doctors treat and patients search for: its ICD-10 code, names in zh-CN and en,
/// the words patients also use for it, and the department that usually treats it.
public struct TreatedCondition: Sendable, Hashable {
    public let icd10: String
    public let nameZh: String
    public let nameEn: String
    public let synonyms: [String]
    public let department: String

    /// Every text a search may match this condition by, lower-cased.
    public var searchTerms: [String] {
        ([icd10, nameZh, nameEn] + synonyms).map { $0.lowercased() }
    }
}

/// The ICD-10 subset MedLoop knows by name: the chronic and common conditions of online follow-up
/// care (DOMAIN.md: the insurance modes' disease lists) and the leading specialties.
public enum ConditionCatalogue {
    public static let all: [TreatedCondition] = [
        TreatedCondition(icd10: "I10", nameZh: "原发性高血压", nameEn: "Essential hypertension", synonyms: ["高血压", "hypertension", "血压高"], department: "cardiology"),
        TreatedCondition(icd10: "I25.1", nameZh: "冠状动脉粥样硬化性心脏病", nameEn: "Coronary heart disease", synonyms: ["冠心病", "coronary artery disease", "CHD"], department: "cardiology"),
        TreatedCondition(icd10: "I48", nameZh: "心房颤动", nameEn: "Atrial fibrillation", synonyms: ["房颤", "AF"], department: "cardiology"),
        TreatedCondition(icd10: "I50.9", nameZh: "心力衰竭", nameEn: "Heart failure", synonyms: ["心衰"], department: "cardiology"),
        TreatedCondition(icd10: "E11.9", nameZh: "2型糖尿病", nameEn: "Type 2 diabetes mellitus", synonyms: ["糖尿病", "diabetes", "血糖高"], department: "endocrinology"),
        TreatedCondition(icd10: "E10.9", nameZh: "1型糖尿病", nameEn: "Type 1 diabetes mellitus", synonyms: ["糖尿病", "diabetes"], department: "endocrinology"),
        TreatedCondition(icd10: "E05.9", nameZh: "甲状腺功能亢进症", nameEn: "Hyperthyroidism", synonyms: ["甲亢"], department: "endocrinology"),
        TreatedCondition(icd10: "E03.9", nameZh: "甲状腺功能减退症", nameEn: "Hypothyroidism", synonyms: ["甲减"], department: "endocrinology"),
        TreatedCondition(icd10: "E78.5", nameZh: "高脂血症", nameEn: "Hyperlipidaemia", synonyms: ["血脂高", "高血脂"], department: "endocrinology"),
        TreatedCondition(icd10: "M10.9", nameZh: "痛风", nameEn: "Gout", synonyms: ["高尿酸"], department: "rheumatology"),
        TreatedCondition(icd10: "M81.9", nameZh: "骨质疏松症", nameEn: "Osteoporosis", synonyms: ["骨质疏松"], department: "orthopedics"),
        TreatedCondition(icd10: "J44.9", nameZh: "慢性阻塞性肺疾病", nameEn: "Chronic obstructive pulmonary disease", synonyms: ["慢阻肺", "COPD"], department: "respiratory"),
        TreatedCondition(icd10: "J45.9", nameZh: "支气管哮喘", nameEn: "Asthma", synonyms: ["哮喘", "bronchial asthma"], department: "respiratory"),
        TreatedCondition(icd10: "J18.9", nameZh: "肺炎", nameEn: "Pneumonia", synonyms: [], department: "respiratory"),
        TreatedCondition(icd10: "J06.9", nameZh: "急性上呼吸道感染", nameEn: "Upper respiratory infection", synonyms: ["感冒", "common cold"], department: "generalPractice"),
        TreatedCondition(icd10: "K29.7", nameZh: "慢性胃炎", nameEn: "Chronic gastritis", synonyms: ["胃炎", "gastritis"], department: "gastroenterology"),
        TreatedCondition(icd10: "K21.9", nameZh: "胃食管反流病", nameEn: "Gastro-oesophageal reflux disease", synonyms: ["反流", "GERD"], department: "gastroenterology"),
        TreatedCondition(icd10: "K74.6", nameZh: "肝硬化", nameEn: "Cirrhosis of liver", synonyms: ["cirrhosis"], department: "gastroenterology"),
        TreatedCondition(icd10: "B18.1", nameZh: "慢性乙型病毒性肝炎", nameEn: "Chronic hepatitis B", synonyms: ["乙肝", "hepatitis B"], department: "infectiousDiseases"),
        TreatedCondition(icd10: "N18.9", nameZh: "慢性肾脏病", nameEn: "Chronic kidney disease", synonyms: ["慢性肾病", "CKD"], department: "nephrology"),
        TreatedCondition(icd10: "G20", nameZh: "帕金森病", nameEn: "Parkinson's disease", synonyms: ["帕金森", "parkinson"], department: "neurology"),
        TreatedCondition(icd10: "G30.9", nameZh: "阿尔茨海默病", nameEn: "Alzheimer's disease", synonyms: ["老年痴呆", "alzheimer"], department: "neurology"),
        TreatedCondition(icd10: "G40.9", nameZh: "癫痫", nameEn: "Epilepsy", synonyms: [], department: "neurology"),
        TreatedCondition(icd10: "G43.9", nameZh: "偏头痛", nameEn: "Migraine", synonyms: ["头痛"], department: "neurology"),
        TreatedCondition(icd10: "I63.9", nameZh: "脑梗死", nameEn: "Cerebral infarction", synonyms: ["脑梗", "中风", "stroke"], department: "neurology"),
        TreatedCondition(icd10: "F32.9", nameZh: "抑郁发作", nameEn: "Depressive episode", synonyms: ["抑郁症", "depression"], department: "psychiatry"),
        TreatedCondition(icd10: "F41.1", nameZh: "广泛性焦虑障碍", nameEn: "Generalised anxiety disorder", synonyms: ["焦虑症", "anxiety"], department: "psychiatry"),
        TreatedCondition(icd10: "F51.0", nameZh: "失眠症", nameEn: "Insomnia", synonyms: ["失眠"], department: "psychiatry"),
        TreatedCondition(icd10: "M05.9", nameZh: "类风湿关节炎", nameEn: "Rheumatoid arthritis", synonyms: ["类风湿"], department: "rheumatology"),
        TreatedCondition(icd10: "M17.9", nameZh: "膝关节骨关节炎", nameEn: "Osteoarthritis of knee", synonyms: ["关节炎", "osteoarthritis"], department: "orthopedics"),
        TreatedCondition(icd10: "M54.5", nameZh: "腰痛", nameEn: "Low back pain", synonyms: ["腰椎间盘突出", "back pain"], department: "orthopedics"),
        TreatedCondition(icd10: "N40", nameZh: "前列腺增生", nameEn: "Benign prostatic hyperplasia", synonyms: ["前列腺"], department: "urology"),
        TreatedCondition(icd10: "N20.0", nameZh: "肾结石", nameEn: "Kidney stone", synonyms: ["结石"], department: "urology"),
        TreatedCondition(icd10: "K80.2", nameZh: "胆囊结石", nameEn: "Gallstones", synonyms: ["胆结石"], department: "generalSurgery"),
        TreatedCondition(icd10: "K40.9", nameZh: "腹股沟疝", nameEn: "Inguinal hernia", synonyms: ["疝气"], department: "generalSurgery"),
        TreatedCondition(icd10: "L20.9", nameZh: "特应性皮炎", nameEn: "Atopic dermatitis", synonyms: ["湿疹", "eczema"], department: "dermatology"),
        TreatedCondition(icd10: "L40.9", nameZh: "银屑病", nameEn: "Psoriasis", synonyms: ["牛皮癣"], department: "dermatology"),
        TreatedCondition(icd10: "L70.0", nameZh: "痤疮", nameEn: "Acne", synonyms: ["青春痘"], department: "dermatology"),
        TreatedCondition(icd10: "H40.9", nameZh: "青光眼", nameEn: "Glaucoma", synonyms: [], department: "ophthalmology"),
        TreatedCondition(icd10: "H52.1", nameZh: "近视", nameEn: "Myopia", synonyms: [], department: "ophthalmology"),
        TreatedCondition(icd10: "J30.4", nameZh: "过敏性鼻炎", nameEn: "Allergic rhinitis", synonyms: ["鼻炎"], department: "otolaryngology"),
        TreatedCondition(icd10: "K05.1", nameZh: "慢性牙龈炎", nameEn: "Chronic gingivitis", synonyms: ["牙龈炎"], department: "stomatology"),
        TreatedCondition(icd10: "N95.1", nameZh: "绝经期综合征", nameEn: "Menopausal syndrome", synonyms: ["更年期"], department: "gynecology"),
        TreatedCondition(icd10: "N97.9", nameZh: "女性不孕症", nameEn: "Female infertility", synonyms: ["不孕"], department: "gynecology"),
        TreatedCondition(icd10: "Z34.9", nameZh: "正常妊娠监督", nameEn: "Supervision of normal pregnancy", synonyms: ["孕期", "产检"], department: "obstetrics"),
        TreatedCondition(icd10: "J20.9", nameZh: "急性支气管炎", nameEn: "Acute bronchitis", synonyms: ["咳嗽", "支气管炎"], department: "pediatrics"),
        TreatedCondition(icd10: "A08.4", nameZh: "病毒性肠炎", nameEn: "Viral gastroenteritis", synonyms: ["腹泻", "拉肚子"], department: "pediatrics"),
        TreatedCondition(icd10: "F90.0", nameZh: "注意缺陷多动障碍", nameEn: "ADHD", synonyms: ["多动症"], department: "pediatrics"),
        TreatedCondition(icd10: "C34.9", nameZh: "肺恶性肿瘤", nameEn: "Lung cancer", synonyms: ["肺癌"], department: "oncology"),
        TreatedCondition(icd10: "C50.9", nameZh: "乳腺恶性肿瘤", nameEn: "Breast cancer", synonyms: ["乳腺癌"], department: "oncology"),
        TreatedCondition(icd10: "D64.9", nameZh: "贫血", nameEn: "Anaemia", synonyms: [], department: "hematology"),
    ]

    private static let byCode: [String: TreatedCondition] = Dictionary(all.map { ($0.icd10, $0) }, uniquingKeysWith: { a, _ in a })

    /// The catalogue entry of an ICD-10 code (exact, or the 3-character category of a sub-code).
    public static func condition(icd10 code: String) -> TreatedCondition? {
        let upper = code.uppercased()
        return byCode[upper] ?? byCode[String(upper.prefix(3))]
    }

    /// The conditions a free-text term names: by code, by name in either language, or by synonym.
    public static func conditions(matching term: String) -> [TreatedCondition] {
        let needle = term.lowercased()
        if let exact = condition(icd10: term), exact.icd10.lowercased() == needle || String(needle.prefix(3)) == exact.icd10.lowercased() {
            return [exact]
        }
        return all.filter { $0.searchTerms.contains(needle) }
    }

    /// The conditions whose code, names or synonyms contain `term` (case-insensitive), codes
    /// that begin with it first, at most `limit`: the diagnosis picker's search.
    public static func search(_ term: String, limit: Int = 20) -> [TreatedCondition] {
        let needle = term.trimmingCharacters(in: .whitespaces).lowercased()
        guard !needle.isEmpty else { return Array(all.prefix(limit)) }
        let byCode = all.filter { $0.icd10.lowercased().hasPrefix(needle) }
        let byName = all.filter { condition in
            !byCode.contains(condition) && condition.searchTerms.contains { $0.contains(needle) }
        }
        return Array((byCode + byName).prefix(limit))
    }

    /// The conditions a department usually treats.
    public static func conditions(of department: String) -> [TreatedCondition] {
        all.filter { $0.department == department }
    }
}
