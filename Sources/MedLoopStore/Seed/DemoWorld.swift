import Foundation
import MedLoopDomain
import SQLKit

/// The demo world (API.md, demo world): one city — Quzhou, a city-platform insurance region
/// (DOMAIN.md mode 2) — with 3 hospitals, an internet hospital, a third-party platform, 3
/// pharmacies, an insurer, a regulator, and the same accounts on every machine, all with the
/// password `medloop-demo`.
public enum DemoWorld {
    public static let password = "medloop-demo"
    public static let city = "330800"
    static let district = "330802"

    /// One demo sign-in, as printed for the person trying MedLoop.
    public struct Credential: Sendable {
        public var role: Role
        public var phone: String
        public var name: String
    }

    public struct Institutions {
        public static let tertiaryHospital = UUID.named("institution:tertiary")
        public static let secondaryHospital = UUID.named("institution:secondary")
        public static let primaryHospital = UUID.named("institution:primary")
        public static let internetHospital = UUID.named("institution:internet")
        public static let platform = UUID.named("institution:platform")
        public static let pharmacies = (1...3).map { UUID.named("institution:pharmacy-\($0)") }
        public static let insurer = UUID.named("institution:insurer")
        public static let regulator = UUID.named("institution:regulator")
        /// The Guangdong-like single-hospital region (DOMAIN.md mode 1): a hospital, its internet
        /// hospital, and the city's insurer.
        public static let guangzhouHospital = UUID.named("institution:guangzhou-hospital")
        public static let guangzhouInternetHospital = UUID.named("institution:guangzhou-internet")
        public static let guangzhouInsurer = UUID.named("institution:guangzhou-insurer")
        /// The Wuhan-like third-party-platform region (DOMAIN.md mode 3).
        public static let wuhanPlatform = UUID.named("institution:wuhan-platform")
        public static let wuhanPharmacy = UUID.named("institution:wuhan-pharmacy")
        public static let wuhanInsurer = UUID.named("institution:wuhan-insurer")
    }

    static var institutions: [(UUID, InstitutionDraft)] {
        let city = try! RegionCode(Self.city)
        let district = try! RegionCode(Self.district)
        typealias I = Institutions
        return [
            (I.tertiaryHospital, InstitutionDraft(kind: .physicalHospital, name: "衢州市人民医院", regionCode: district,
                                                  level: .tertiary, insuranceDesignated: true)),
            (I.secondaryHospital, InstitutionDraft(kind: .physicalHospital, name: "衢州市柯城区人民医院", regionCode: district,
                                                   level: .secondary, insuranceDesignated: true)),
            (I.primaryHospital, InstitutionDraft(kind: .physicalHospital, name: "柯城区府山街道社区卫生服务中心",
                                                 regionCode: district, level: .primary, insuranceDesignated: true)),
            (I.internetHospital, InstitutionDraft(kind: .internetHospital, name: "衢州市人民医院互联网医院", regionCode: district,
                                                  physicalHospitalId: I.tertiaryHospital, insuranceDesignated: true,
                                                  internetHospitalLicensed: true)),
            (I.platform, InstitutionDraft(kind: .platformInternetHospital, name: "康联互联网医院", regionCode: city,
                                          insuranceDesignated: true, internetHospitalLicensed: true)),
            (I.pharmacies[0], InstitutionDraft(kind: .pharmacy, name: "衢州百姓大药房（荷花店）", regionCode: district,
                                               insuranceDesignated: true)),
            (I.pharmacies[1], InstitutionDraft(kind: .pharmacy, name: "衢州康宁药店（新桥店）", regionCode: district,
                                               insuranceDesignated: true)),
            (I.pharmacies[2], InstitutionDraft(kind: .pharmacy, name: "衢州天一堂大药房", regionCode: try! RegionCode("330803"),
                                               insuranceDesignated: false)),
            (I.insurer, InstitutionDraft(kind: .insurer, name: "衢州市医疗保障局", regionCode: city)),
            (I.regulator, InstitutionDraft(kind: .regulator, name: "衢州市卫生健康委员会", regionCode: city)),
            (I.guangzhouHospital, InstitutionDraft(kind: .physicalHospital, name: "广州市民医院", regionCode: try! RegionCode("440104"),
                                                   level: .tertiary, insuranceDesignated: true)),
            (I.guangzhouInternetHospital, InstitutionDraft(kind: .internetHospital, name: "广州市民医院互联网医院",
                                                           regionCode: try! RegionCode("440104"), physicalHospitalId: I.guangzhouHospital,
                                                           insuranceDesignated: true, internetHospitalLicensed: true)),
            (I.guangzhouInsurer, InstitutionDraft(kind: .insurer, name: "广州市医疗保障局", regionCode: try! RegionCode("440100"))),
            (I.wuhanPlatform, InstitutionDraft(kind: .platformInternetHospital, name: "江城互联网医院", regionCode: try! RegionCode("420106"),
                                               insuranceDesignated: true, internetHospitalLicensed: true)),
            (I.wuhanPharmacy, InstitutionDraft(kind: .pharmacy, name: "武汉江城大药房", regionCode: try! RegionCode("420106"),
                                               insuranceDesignated: true)),
            (I.wuhanInsurer, InstitutionDraft(kind: .insurer, name: "武汉市医疗保障局", regionCode: try! RegionCode("420100"))),
        ]
    }

    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林郑")
    static let givenNames = ["建国", "秀英", "志强", "丽娟", "海燕", "伟", "静", "敏", "军", "磊", "洋", "艳", "勇", "娜", "杰"]

    /// A deterministic Chinese name for the `index`-th person of a kind.
    static func name(_ index: Int, salt: Int) -> String {
        String(surnames[(index * 7 + salt) % surnames.count]) + givenNames[(index * 5 + salt * 3) % givenNames.count]
    }

    /// The staff accounts: role, phone, display name, institution.
    static var staff: [(Role, String, String, UUID?)] {
        typealias I = Institutions
        var accounts: [(Role, String, String, UUID?)] = [
            (.operator, "13000000001", "平台运营", nil),
            (.regulator, "13500000001", "卫健委监管员", I.regulator),
            (.insurer, "13600000001", "医保局审核员", I.insurer),
            (.insurer, "13600000002", "广州医保审核员", I.guangzhouInsurer),
            (.insurer, "13600000003", "武汉医保审核员", I.wuhanInsurer),
            (.pharmacist, "13700000001", name(1, salt: 2) + "药师", I.internetHospital),
            (.pharmacist, "13700000002", name(2, salt: 2) + "药师", I.platform),
            (.pharmacist, "13700000003", name(3, salt: 2) + "药师", I.pharmacies[0]),
        ]
        for index in 0..<3 {
            accounts.append((.pharmacyStaff, "137000000\(11 + index)", name(index, salt: 4) + "（药店）", I.pharmacies[index]))
        }
        for index in 0..<2 {
            accounts.append((.courier, "137000000\(21 + index)", name(index, salt: 6) + "（配送）", I.pharmacies[index]))
        }
        for index in 1...30 {
            let site: UUID = switch index {
            case 1...12: I.tertiaryHospital
            case 13...20: I.secondaryHospital
            case 21...24: I.primaryHospital
            default: I.platform
            }
            accounts.append((.doctor, String(format: "139%08d", index), name(index, salt: 1), site))
        }
        return accounts
    }

    /// Demo patients: phone, name, national ID, conditions, allergies.
    static var patients: [(phone: String, name: String, nationalId: String, conditions: [(String, String)],
                           allergies: [String])] {
        let conditions: [[(String, String)]] = [
            [("I10", "原发性高血压")], [("E11.9", "2型糖尿病")], [("I10", "原发性高血压"), ("E11.9", "2型糖尿病")],
            [("J44.9", "慢性阻塞性肺疾病")], [("J45.9", "支气管哮喘")], [("G20", "帕金森病")], [("N18.9", "慢性肾脏病")],
            [("I25.1", "冠状动脉粥样硬化性心脏病")], [], [("G30.9", "阿尔茨海默病")],
        ]
        let allergies: [[String]] = [["青霉素"], [], ["磺胺类"], [], ["阿司匹林"], [], [], ["头孢类"], [], []]
        return (1...10).map { index in
            let birth = CalendarDate(year: 1950 + index * 4, month: index, day: 10 + index)!
            return (String(format: "138%08d", index), name(index, salt: 3),
                    NationalID.make(region: district, birth: birth, sequence: 100 + index),
                    conditions[index - 1], allergies[index - 1])
        }
    }

    static let doctorDepartments = ["cardiology", "endocrinology", "respiratory", "pediatrics", "neurology",
                                    "gastroenterology", "generalSurgery", "orthopedics", "obstetrics", "gynecology",
                                    "dermatology", "psychiatry", "nephrology", "generalPractice", "traditionalChineseMedicine"]

    /// The directory entry of demo doctor `index` (1...30): departments in turn, every title, menus
    /// around the average prices of DOMAIN.md, one free service (doctor 7), one doctor still
    /// pending qualification (29) and one with too little practice to be booked (30).
    static func doctor(_ index: Int, year: Int) -> (DoctorDraft, DoctorPlacement) {
        typealias I = Institutions
        let department = doctorDepartments[(index - 1) % doctorDepartments.count]
        let conditions = ConditionCatalogue.conditions(of: department).prefix(4)
        let title = DoctorTitle.allCases[(index - 1) % DoctorTitle.allCases.count]
        let draft = DoctorDraft(
            name: staff.first { $0.1 == String(format: "139%08d", index) }!.2, title: title, department: department,
            specialties: conditions.prefix(2).map(\.nameZh), training: "浙江大学医学院 临床医学",
            practiceSince: index == 30 ? year - 1 : year - 3 - index % 20, licenceNumber: String(format: "1103308%08d", index),
            bio: "\(title.nameZh)，擅长\(conditions.first?.nameZh ?? "常见病")的诊治与随访。",
            conditions: conditions.map(\.icd10))
        let hospital: UUID
        let appointmentFen: Int64?
        switch index {
        case 1...12: (hospital, appointmentFen) = (I.tertiaryHospital, 5000)
        case 13...20: (hospital, appointmentFen) = (I.secondaryHospital, 3000)
        case 21...24: (hospital, appointmentFen) = (I.primaryHospital, 2000)
        default: (hospital, appointmentFen) = (I.platform, nil)
        }
        var services = [
            ServiceOffer(kind: .textPackage, priceFen: index == 7 ? 0 : index == 16 ? 2000 : 4000 + Int64(index % 10) * 500),
            ServiceOffer(kind: .voicePerMinute, priceFen: 500 + Int64(index % 8) * 100),
            ServiceOffer(kind: .videoPerMinute, priceFen: 1200 + Int64(index % 8) * 150, isPaused: index % 5 == 0),
        ]
        if let appointmentFen { services.append(ServiceOffer(kind: .appointment, priceFen: appointmentFen)) }
        let placement = DoctorPlacement(
            accountId: UUID.named("account:" + String(format: "139%08d", index)), hospitalId: hospital,
            // Doctor 16 also practises at the Guangzhou internet hospital (multi-site practice).
            practiceSites: hospital == I.platform ? [I.platform]
                : index == 16 ? [I.internetHospital, I.guangzhouInternetHospital] : [I.internetHospital],
            services: services,
            qualification: index == 29 ? .pending : .approved)
        return (draft, placement)
    }

    /// The national ID number of the demo patient with `phone`.
    public static func nationalId(ofPatient phone: String) -> String? {
        patients.first { $0.phone == phone }?.nationalId
    }

    /// Every demo sign-in, staff first.
    public static var credentials: [Credential] {
        staff.map { Credential(role: $0.0, phone: $0.1, name: $0.2) }
            + patients.map { Credential(role: .patient, phone: $0.phone, name: $0.name) }
    }

    /// Creates the demo world unless it is there already; returns whether it created it.
    /// `passwordHash` is the hash of `password` (hashing belongs to the app).
    @discardableResult
    public static func seed(database: Database, cipher: FieldCipher, passwordHash: String, now: Date) async throws -> Bool {
        let audit = AuditStore(database: database)
        let doctorStore = DoctorStore(database: database, audit: audit)
        let accounts = AccountStore(database: database, cipher: cipher, audit: audit)
        let institutionStore = InstitutionStore(database: database, audit: audit, doctors: doctorStore)
        let patientStore = PatientStore(database: database, cipher: cipher, audit: audit)
        let created = try await database.unitOfWork { tx -> Bool in
            let operatorId = UUID.named("account:13000000001")
            if try await tx.sql.raw("SELECT id FROM accounts WHERE id = \(bind: operatorId.text)").first() != nil {
                return false
            }
            for (id, draft) in institutions {
                _ = try await institutionStore.register(draft, id: id, at: now, in: tx)
            }
            try await seedPharmacies(at: now, in: tx)
            for (role, phone, name, institution) in staff {
                let draft = StaffAccountDraft(role: role, phone: try PhoneNumber(phone), passwordHash: passwordHash,
                                              displayName: name, institutionId: institution)
                _ = try await accounts.createStaff(draft, id: UUID.named("account:\(phone)"), at: now, in: tx)
            }
            let year = CalendarDate.shanghai(now).year
            for index in 1...30 {
                let (draft, placement) = doctor(index, year: year)
                try await doctorStore.register(draft, placement: placement, id: UUID.named("doctor:\(index)"), at: now, in: tx)
            }
            let today = CalendarDate.shanghai(now)
            for patient in patients {
                let signUp = PatientSignUp(phone: try PhoneNumber(patient.phone), passwordHash: passwordHash,
                                           realName: patient.name, nationalId: try NationalID(patient.nationalId, today: today))
                _ = try await accounts.insertPatientAccount(signUp, accountId: UUID.named("account:\(patient.phone)"),
                                                            patientId: UUID.named("patient:\(patient.phone)"), at: now, in: tx)
            }
            try await seedInsurance(database: database, cipher: cipher, at: now, in: tx)
            try await audit.append(
                AuditRecord(action: "seed.demo", resourceType: "database"),
                context: AuditContext(actorAccountId: nil, actorRole: nil, clientAddress: nil, requestId: nil, at: now), in: tx)
            return true
        }
        guard created else { return false }
        // Health data and family go through the store's audited changes, as a patient's own would.
        let today = CalendarDate.shanghai(now)
        for patient in patients {
            let id = UUID.named("patient:\(patient.phone)")
            let context = AuditContext(actorAccountId: UUID.named("account:\(patient.phone)"), actorRole: .patient,
                                       clientAddress: nil, requestId: nil, at: now)
            for (code, name) in patient.conditions {
                _ = try await patientStore.addCondition(ConditionDraft(icd10: try ICD10Code(code), name: name, diagnosedOn: nil),
                                                        to: id, context: context)
            }
            for substance in patient.allergies {
                _ = try await patientStore.addAllergy(AllergyDraft(substance: substance, reaction: "皮疹", severity: .moderate),
                                                      to: id, context: context)
            }
        }
        // Two parents with young children: a guardian acts for a child under 6 and one of 10.
        for (parent, childAge) in [(1, 4), (2, 10)] {
            let phone = String(format: "138%08d", parent)
            let birth = CalendarDate(year: today.year - childAge, month: 3, day: 15)!
            let child = FamilyMemberDraft(realName: name(parent, salt: 3).prefix(1) + "小" + (parent == 1 ? "宝" : "雨"),
                                          nationalId: try NationalID(NationalID.make(region: district, birth: birth, sequence: 200 + parent),
                                                                     today: today),
                                          relationship: .child)
            let context = AuditContext(actorAccountId: UUID.named("account:\(phone)"), actorRole: .patient,
                                       clientAddress: nil, requestId: nil, at: now)
            _ = try await patientStore.addFamilyMember(child, holder: UUID.named("patient:\(phone)"), context: context)
        }
        return true
    }
}
