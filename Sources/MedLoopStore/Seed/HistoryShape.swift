import Foundation
import MedLoopDomain

/// The shape of generated activity (DOMAIN.md, "The care market", usage shape): which department a
/// consultation goes to, which service it buys, at what hour and which doctor takes it. Pure
/// weights and draws; `HistoryGenerator` writes what they pick.
enum HistoryShape {
    /// Consultations per approved doctor per day, on average.
    static let consultationsPerDoctorDay = 1.0

    /// Demand by department: surgery, internal medicine, paediatrics and obstetrics lead.
    static let departmentDemand: [String: Int] = [
        "generalSurgery": 160, "internalMedicine": 150, "pediatrics": 140, "obstetrics": 120,
        "gynecology": 50, "cardiology": 45, "dermatology": 45, "orthopedics": 40, "respiratory": 40,
        "gastroenterology": 35, "endocrinology": 35, "psychiatry": 30, "traditionalChineseMedicine": 30,
        "otolaryngology": 25, "stomatology": 25, "ophthalmology": 25, "urology": 25, "neurology": 25,
        "oncology": 20, "generalPractice": 20, "nephrology": 15, "rheumatology": 10, "infectiousDiseases": 10,
        "geriatrics": 10, "hematology": 8, "neurosurgery": 8, "thoracicSurgery": 8, "rehabilitation": 8, "emergency": 8,
    ]

    /// Service demand: text/image far ahead, then voice, then appointments, video last.
    static let kindDemand: [ServiceKind: Int] = [.textPackage: 72, .voicePerMinute: 17, .appointment: 8, .videoPerMinute: 3]

    /// How much of a department's demand a doctor of each title draws (senior doctors are sought more).
    static let titleReach: [DoctorTitle: Int] = [.chief: 10, .associateChief: 8, .attending: 6, .resident: 3]

    /// Weights of each Asia/Shanghai hour 0...23: peaks at lunch (11–13) and in the evening (19–22).
    static let hoursOfMost: [Int] = [8, 4, 2, 1, 1, 2, 6, 15, 30, 40, 50, 95, 120, 85, 45, 45, 45, 50, 60, 90, 110, 110, 80, 25]
    /// Chief physicians run clinics and wards by day and consult more after hours.
    static let hoursOfChiefs: [Int] = [20, 10, 5, 2, 2, 2, 6, 12, 15, 15, 15, 60, 90, 55, 15, 15, 15, 25, 55, 100, 130, 140, 120, 60]

    /// The hour weights of a title: associate chiefs halfway between chiefs and the rest.
    static func hourWeights(_ title: DoctorTitle) -> [Int] {
        switch title {
        case .chief: return hoursOfChiefs
        case .associateChief: return zip(hoursOfMost, hoursOfChiefs).map { ($0 + $1) / 2 }
        case .attending, .resident: return hoursOfMost
        }
    }

    static let hours: [DoctorTitle: Weighted<Int>] = Dictionary(uniqueKeysWithValues: DoctorTitle.allCases.map { title in
        (title, Weighted(hourWeights(title).enumerated().map { ($0.offset, $0.element) }))
    })

    /// Volume of an ISO weekday (1 = Monday) relative to a weekday: weekends a little quieter.
    static func dayFactor(isoWeekday: Int) -> Double { isoWeekday == 6 ? 0.9 : isoWeekday == 7 ? 0.85 : 1.0 }

    /// A patient returns to a doctor they saw (DOMAIN.md's repeat follow-ups) this often.
    static let repeatChance = 0.18
    /// Consultations that end with a prescription, by service.
    static let prescriptionChance: [ServiceKind: Double] = [.textPackage: 0.35, .videoPerMinute: 0.3, .voicePerMinute: 0.15]
    /// Prescriptions the pharmacist rejects.
    static let rejectionChance = 0.05
    /// Patients with a linked insurance coverage (when some region has a policy).
    static let insuredChance = 0.6
    /// Consultations referred to in-person care.
    static let referralChance = 0.05

    /// The service a patient buys of a doctor's active offers, by `kindDemand`.
    static func pickKind(from offers: [ServiceKind], using random: inout SplitMix64) -> ServiceKind? {
        let weighted = offers.compactMap { kind in kindDemand[kind].map { (kind, $0) } }
        guard !weighted.isEmpty else { return offers.first }
        return Weighted(weighted).pick(using: &random)
    }

    /// Minutes a call lasts: 5 to 20.
    static func callMinutes(using random: inout SplitMix64) -> Int { random.int(in: 5...20) }

    /// Minutes from payment to the doctor accepting: 1 to 20.
    static func acceptMinutes(using random: inout SplitMix64) -> Int { random.int(in: 1...20) }

    /// Minutes a text consultation runs before the doctor completes it: 10 to 120.
    static func textMinutes(using random: inout SplitMix64) -> Int { random.int(in: 10...120) }

    /// Minutes from signature to review: log-normal, median about 8, nine in ten within about 25.
    static func reviewMinutes(using random: inout SplitMix64) -> Int {
        max(1, min(24 * 60, Int(exp(random.normal(mean: log(8.0), deviation: 0.9)).rounded())))
    }

    /// The fund's share of a covered consultation, in basis points, by scheme.
    static func fundRatioBasisPoints(_ scheme: InsuranceScheme) -> Int { scheme == .employee ? 7000 : 5000 }
}
