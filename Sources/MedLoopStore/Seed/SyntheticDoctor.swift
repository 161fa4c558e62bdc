import Foundation
import MedLoopDomain

/// One generated doctor: everything `DoctorStore.register` stores for a doctor, plus the counters
/// a doctor with some history has. Pure values, made from a seed and the doctor's number alone, so
/// that the same seed gives the same directory on every machine and in every batch layout.
struct SyntheticDoctor: Sendable {
    var id: UUID
    var name: String
    var title: DoctorTitle
    var department: Department
    var conditions: [TreatedCondition]
    var specialties: [String]
    var training: String
    var practiceSince: Int
    var licenceNumber: String
    var bio: String
    var qualification: QualificationStatus
    var workplace: Workplace
    var practiceSites: [UUID]
    var services: [ServiceOffer]
    var patientsServed: Int64
    var consultations: Int64
    var replies: Int64
    var replySecondsTotal: Int64
    var ratingTotal: Int64
    var ratingCount: Int64

    /// A 15-digit practising licence number, unique per doctor number (demo doctors start with 1).
    static func licenceNumber(_ number: Int) -> String {
        let digits = String(number)
        return "2" + String(repeating: "0", count: max(0, 14 - digits.count)) + digits
    }

    /// Generated doctor `number` of `seed`, working in `directory`, in `year`.
    static func make(number: Int, seed: UInt64, year: Int, directory: GeneratedDirectory) -> SyntheticDoctor {
        var random = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: number) &* 0xD1B5_4A32_D192_ED03))
        let department = Department.named(departments.pick(using: &random)) ?? Department.all[0]
        let title = titles.pick(using: &random)
        let qualification = qualifications.pick(using: &random)

        let workplace = directory.pickWorkplace(using: &random)
        var sites = [workplace.site]
        // Multi-site practice: some hospital doctors also consult on a nationwide platform.
        if workplace.level != nil, random.chance(0.2) {
            let platform = random.int(in: 0...(directory.platforms.count - 1))
            sites.append(directory.platforms[platform].id)
        }

        let pool = conditionPool(of: department.code)
        let wanted = min(random.int(in: 2...5), pool.count)
        let conditions = random.sample(pool, count: wanted)
        let specialtyCount = random.int(in: 1...2)
        let specialties = conditions.prefix(specialtyCount).map(\.nameZh)

        let since = practiceSince(title: title, year: year, using: &random)
        let schooling = training(title: title, department: department.code, using: &random)
        let fullName = name(using: &random)
        let menu = services(at: workplace, using: &random)
        let summary = "\(title.nameZh)，从事\(department.nameZh)临床工作\(max(1, year - since))年，擅长"
            + (specialties.isEmpty ? "常见病" : specialties.joined(separator: "、")) + "的诊治与随访。"

        var doctor = SyntheticDoctor(
            id: DirectoryGenerator.doctorId(seed: seed, number: number), name: fullName, title: title, department: department,
            conditions: conditions, specialties: specialties, training: schooling, practiceSince: since,
            licenceNumber: licenceNumber(number), bio: summary, qualification: qualification, workplace: workplace,
            practiceSites: sites, services: menu, patientsServed: 0, consultations: 0, replies: 0,
            replySecondsTotal: 0, ratingTotal: 0, ratingCount: 0)
        // A doctor still waiting for qualification has not consulted online yet.
        if qualification != .pending { doctor.addHistory(using: &random) }
        return doctor
    }

    /// Patients served (0...20,000, most doctors few, chief physicians more), consultations,
    /// reply times and ratings (3.5–5 stars, skewed high).
    private mutating func addHistory(using random: inout SplitMix64) {
        let reach: Double = switch title {
        case .chief: 1.0
        case .associateChief: 0.8
        case .attending: 0.55
        case .resident: 0.3
        }
        let u = random.unit()
        patientsServed = Int64((u * u * u * 20_000 * reach).rounded())
        consultations = patientsServed + Int64((Double(patientsServed) * 0.8 * random.unit()).rounded())
        replies = consultations
        replySecondsTotal = replies * Int64(random.int(in: 60...1800))
        ratingCount = min(2000, Int64((Double(patientsServed) * (0.02 + 0.15 * random.unit())).rounded()))
        let v = random.unit()
        let stars = 5.0 - 1.5 * v * v
        ratingTotal = Int64((Double(ratingCount) * stars).rounded())
    }

    var rankScore: Int64 {
        DoctorIndex.rankScore(ratingTotal: ratingTotal, ratingCount: ratingCount, patientsServed: patientsServed)
    }
}

// MARK: - Distributions

extension SyntheticDoctor {
    /// Department shares of online doctors: internal medicine, surgery, paediatrics and obstetrics
    /// lead (DOMAIN.md, usage shape).
    static let departments = Weighted<String>([
        ("internalMedicine", 60), ("cardiology", 80), ("respiratory", 60), ("gastroenterology", 50),
        ("endocrinology", 70), ("nephrology", 30), ("neurology", 40), ("hematology", 15), ("rheumatology", 15),
        ("infectiousDiseases", 15), ("geriatrics", 15), ("generalSurgery", 70), ("orthopedics", 60), ("urology", 30),
        ("neurosurgery", 20), ("thoracicSurgery", 15), ("obstetrics", 50), ("gynecology", 60), ("pediatrics", 90),
        ("dermatology", 40), ("ophthalmology", 25), ("otolaryngology", 25), ("stomatology", 25), ("psychiatry", 30),
        ("oncology", 30), ("traditionalChineseMedicine", 40), ("rehabilitation", 15), ("generalPractice", 30),
        ("emergency", 15),
    ])

    static let titles = Weighted<DoctorTitle>([(.chief, 15), (.associateChief, 25), (.attending, 40), (.resident, 20)])

    static let qualifications = Weighted<QualificationStatus>([(.approved, 95), (.pending, 3), (.suspended, 2)])

    /// Where a department the catalogue lists no conditions for finds its doctors' conditions.
    static let relatedDepartments: [String: [String]] = [
        "internalMedicine": ["cardiology", "endocrinology", "respiratory", "gastroenterology"],
        "geriatrics": ["cardiology", "neurology", "endocrinology"],
        "traditionalChineseMedicine": ["gastroenterology", "psychiatry", "rheumatology"],
        "rehabilitation": ["orthopedics", "neurology"],
        "neurosurgery": ["neurology"],
        "thoracicSurgery": ["oncology", "respiratory"],
        "emergency": ["generalPractice", "respiratory", "cardiology"],
    ]

    /// The conditions a doctor of `department` may treat: the department's own, else those of
    /// related departments, else the whole catalogue.
    static func conditionPool(of department: String) -> [TreatedCondition] {
        let own = ConditionCatalogue.conditions(of: department)
        if !own.isEmpty { return own }
        let related = (relatedDepartments[department] ?? []).flatMap { ConditionCatalogue.conditions(of: $0) }
        return related.isEmpty ? ConditionCatalogue.all : related
    }

    /// The year independent practice began: senior titles began earlier. Always in 1980...year-1.
    static func practiceSince(title: DoctorTitle, year: Int, using random: inout SplitMix64) -> Int {
        let yearsAgo: ClosedRange<Int> = switch title {
        case .chief: 18...35
        case .associateChief: 10...25
        case .attending: 5...15
        case .resident: 1...6
        }
        let latest = max(1980, year - 1)
        let upper = min(latest, max(1980, year - yearsAgo.lowerBound))
        let lower = min(upper, max(1980, year - yearsAgo.upperBound))
        return random.int(in: lower...upper)
    }

    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
    static let givenCharacters = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文斌宇浩凯健俊峰晨琳雪梅婷倩颖慧佳欣怡晓东海波宁志国庆春燕荣瑶蕾薇鑫阳立新永德")

    /// A Chinese name: a surname (common ones more often) and one or two given characters.
    static func name(using random: inout SplitMix64) -> String {
        let skewed = random.unit()
        let surname = surnames[min(surnames.count - 1, Int(Double(surnames.count) * skewed * skewed))]
        var name = String(surname)
        for _ in 0..<(random.chance(0.35) ? 1 : 2) {
            name.append(givenCharacters[random.int(in: 0...(givenCharacters.count - 1))])
        }
        return name
    }

    static let medicalSchools = [
        "北京协和医学院", "北京大学医学部", "首都医科大学", "复旦大学上海医学院", "上海交通大学医学院", "中山大学中山医学院",
        "四川大学华西临床医学院", "浙江大学医学院", "华中科技大学同济医学院", "中南大学湘雅医学院", "南京医科大学", "中国医科大学",
        "天津医科大学", "山东大学齐鲁医学院", "西安交通大学医学部", "温州医科大学", "重庆医科大学", "哈尔滨医科大学",
    ]

    /// School, field and degree, as a profile shows them.
    static func training(title: DoctorTitle, department: String, using random: inout SplitMix64) -> String {
        let field = switch department {
        case "traditionalChineseMedicine": "中医学"
        case "stomatology": "口腔医学"
        default: "临床医学"
        }
        let doctorate: Double = switch title {
        case .chief: 0.6
        case .associateChief: 0.4
        case .attending: 0.2
        case .resident: 0.1
        }
        let roll = random.unit()
        let degree = roll < doctorate ? "博士" : roll < doctorate + 0.5 ? "硕士" : "学士"
        return "\(medicalSchools[random.int(in: 0...(medicalSchools.count - 1))]) \(field) \(degree)"
    }

    /// The menu around the averages of DOMAIN.md: a text package near 65.10 yuan (26.03–89.67,
    /// about 1% free), voice near 8.32 yuan a minute (4.08–11.92), video near 17.56 (up to 22.07,
    /// a tenth of them paused), and at a physical hospital an appointment at its registration fee.
    static func services(at workplace: Workplace, using random: inout SplitMix64) -> [ServiceOffer] {
        let free = random.chance(0.01)
        let text = clamp(roundTo(random.normal(mean: 6510, deviation: 1500), 100), 2603...8967)
        var offers = [ServiceOffer(kind: .textPackage, priceFen: free ? 0 : text, dailyCap: random.int(in: 3...30) * 10)]
        if random.chance(0.85) {
            let voice = clamp(roundTo(random.normal(mean: 832, deviation: 180), 10), 408...1192)
            offers.append(ServiceOffer(kind: .voicePerMinute, priceFen: voice, dailyCap: random.int(in: 2...12) * 5))
        }
        if random.chance(0.55) {
            let video = clamp(roundTo(random.normal(mean: 1756, deviation: 220), 10), 900...2207)
            offers.append(ServiceOffer(kind: .videoPerMinute, priceFen: video, isPaused: random.chance(0.1),
                                       dailyCap: random.int(in: 1...8) * 5))
        }
        // Registration fees: Beijing 2020, 20 yuan primary, 50 yuan tertiary (DOMAIN.md).
        if let level = workplace.level {
            let fee: Int64 = switch level {
            case .tertiary: 5000
            case .secondary: 3000
            case .primary: 2000
            }
            offers.append(ServiceOffer(kind: .appointment, priceFen: fee, dailyCap: random.int(in: 2...10) * 5))
        }
        return offers
    }

    private static func roundTo(_ value: Double, _ step: Int64) -> Int64 {
        Int64((value / Double(step)).rounded()) * step
    }

    private static func clamp(_ value: Int64, _ bounds: ClosedRange<Int64>) -> Int64 {
        min(max(value, bounds.lowerBound), bounds.upperBound)
    }
}

// MARK: - Randomness

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast generator whose output depends only on its
/// seed, so generated data is the same on every platform and Swift version. Not for secrets.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<1.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in `range` (the modulo bias is far below anything a directory shows).
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    /// Normally distributed (Box–Muller).
    mutating func normal(mean: Double, deviation: Double) -> Double {
        let u1 = max(unit(), 1e-12)
        let u2 = unit()
        return mean + deviation * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// `count` distinct elements of `items` in random order (a partial Fisher–Yates shuffle).
    mutating func sample<T>(_ items: [T], count: Int) -> [T] {
        var pool = items
        let wanted = min(count, pool.count)
        for index in 0..<wanted {
            pool.swapAt(index, int(in: index...(pool.count - 1)))
        }
        return Array(pool.prefix(wanted))
    }
}

/// A choice with integer weights.
struct Weighted<Value: Sendable>: Sendable {
    private let values: [Value]
    private let cumulative: [Int]

    init(_ entries: [(Value, Int)]) {
        values = entries.map { $0.0 }
        var total = 0
        cumulative = entries.map { entry in
            total += entry.1
            return total
        }
    }

    func pick(using random: inout SplitMix64) -> Value {
        let target = random.int(in: 0...(cumulative[cumulative.count - 1] - 1))
        var index = 0
        while cumulative[index] <= target { index += 1 }
        return values[index]
    }
}
