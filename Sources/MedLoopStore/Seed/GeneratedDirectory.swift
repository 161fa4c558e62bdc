import Foundation
import MedLoopDomain

/// A hospital or platform generated doctors work at.
struct Workplace: Sendable {
    var id: UUID
    var name: String
    var cityCode: String
    /// The level of a physical hospital; `nil` for a platform internet hospital.
    var level: HospitalLevel?
    /// The internet hospital its doctors consult under: the city's (tied to its tertiary
    /// hospital) for a physical hospital, the platform itself for a platform.
    var site: UUID
}

/// The generated institutions: in each city a tertiary, a secondary and a primary hospital and
/// the tertiary hospital's internet hospital; three nationwide platform internet hospitals.
struct GeneratedDirectory: Sendable {
    /// In registration order (a physical hospital before the internet hospital tied to it).
    var institutions: [(id: UUID, draft: InstitutionDraft)] = []
    /// Per city: tertiary, secondary, primary.
    var hospitals: [[Workplace]] = []
    var platforms: [Workplace] = []
    private var cityChoice = Weighted<Int>([])
    private let platformChoice = Weighted<Int>([(0, 45), (1, 35), (2, 20)])
    private let levelChoice = Weighted<Int>([(0, 55), (1, 30), (2, 15)])

    /// The known cities (`CityCatalogue`) weighted roughly by size: the municipalities and
    /// provincial capitals, and the policy cities of DOMAIN.md (Quzhou, Yichang, Wenzhou, ...).
    static let cityWeights: [String: Int] = [
        "110100": 10, "120100": 6, "310100": 10, "500100": 8, "130100": 4, "140100": 3, "150100": 2, "210100": 4,
        "210200": 3, "220100": 3, "230100": 4, "320100": 5, "320200": 3, "320500": 5, "330100": 6, "330200": 3,
        "330300": 3, "330800": 1, "340100": 4, "350100": 3, "350200": 2, "360100": 3, "370100": 4, "370200": 4,
        "410100": 5, "420100": 7, "420500": 1, "430100": 4, "440100": 8, "440300": 7, "440600": 3, "450100": 3,
        "460100": 1, "510100": 7, "520100": 3, "530100": 3, "540100": 1, "610100": 5, "620100": 2, "630100": 1,
        "640100": 1, "650100": 2,
    ]

    /// Nationwide platforms, registered where the company sits (Wuhan admitted the first one,
    /// DOMAIN.md mode 3).
    static let platformNames: [(name: String, code: String)] = [
        ("仁和互联网医院", "330100"), ("京康互联网医院", "110100"), ("楚天云医互联网医院", "420100"),
    ]

    init(seed: UInt64) throws {
        var cityWeights: [(Int, Int)] = []
        for (index, city) in CityCatalogue.all.enumerated() {
            let region = try RegionCode(city.code)
            let id = { (what: String) in UUID.named("gen:\(seed):\(city.code):\(what)") }
            let names: [(HospitalLevel, String)] = [
                (.tertiary, "\(city.nameZh)第一人民医院"), (.secondary, "\(city.nameZh)第二人民医院"),
                (.primary, "\(city.nameZh)人民路社区卫生服务中心"),
            ]
            let internet = id("internet")
            var workplaces: [Workplace] = []
            for (level, name) in names {
                let hospital = id(level.rawValue)
                let draft = InstitutionDraft(kind: .physicalHospital, name: name, regionCode: region, level: level,
                                             insuranceDesignated: true, internetHospitalLicensed: level == .tertiary)
                institutions.append((id: hospital, draft: draft))
                workplaces.append(Workplace(id: hospital, name: name, cityCode: region.city, level: level, site: internet))
            }
            let internetDraft = InstitutionDraft(kind: .internetHospital, name: "\(city.nameZh)第一人民医院互联网医院",
                                                 regionCode: region, physicalHospitalId: workplaces[0].id,
                                                 insuranceDesignated: true, internetHospitalLicensed: true)
            institutions.append((id: internet, draft: internetDraft))
            hospitals.append(workplaces)
            cityWeights.append((index, Self.cityWeights[city.code] ?? 1))
        }
        cityChoice = Weighted(cityWeights)
        for (index, platform) in Self.platformNames.enumerated() {
            let region = try RegionCode(platform.code)
            let id = UUID.named("gen:\(seed):platform:\(index)")
            let draft = InstitutionDraft(kind: .platformInternetHospital, name: platform.name, regionCode: region,
                                         insuranceDesignated: true, internetHospitalLicensed: true)
            institutions.append((id: id, draft: draft))
            platforms.append(Workplace(id: id, name: platform.name, cityCode: region.city, level: nil, site: id))
        }
    }

    /// Where a doctor works: about one in five on a platform, the rest at a city's hospital —
    /// bigger cities and tertiary hospitals more often.
    func pickWorkplace(using random: inout SplitMix64) -> Workplace {
        if random.chance(0.18) { return platforms[platformChoice.pick(using: &random)] }
        let city = cityChoice.pick(using: &random)
        let level = levelChoice.pick(using: &random)
        return hospitals[city][level]
    }
}
