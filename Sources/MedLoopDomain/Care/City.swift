import Foundation

/// A prefecture-level city as patients name it when they search: `杭州`, `杭州市` or `Hangzhou`.
public struct City: Sendable, Equatable {
    /// The GB/T 2260 code of the city (`330100`); a doctor's `city_code`.
    public let code: String
    /// The full name (`杭州市`).
    public let nameZh: String
    /// The name in pinyin (`Hangzhou`).
    public let nameEn: String

    /// The name without the trailing `市` (`杭州`), as most people type it.
    public var shortNameZh: String {
        nameZh.hasSuffix("市") && nameZh.count > 2 ? String(nameZh.dropLast()) : nameZh
    }

    /// Every name the city is found by, lower-cased.
    public var searchNames: Set<String> {
        [nameZh, shortNameZh, nameEn.lowercased(), nameEn.lowercased().replacingOccurrences(of: "'", with: "")]
    }
}

/// The cities MedLoop knows by name: the municipalities, the provincial capitals and the cities of
/// DOMAIN.md's insurance modes (Quzhou, Hangzhou, Wenzhou, Nanjing, Yichang, Wuhan, Tianjin, ...).
/// A city missing here is still found by its code (`city=`) and its hospitals' names.
public enum CityCatalogue {
    public static let all: [City] = [
        ("110100", "北京市", "Beijing"), ("120100", "天津市", "Tianjin"), ("310100", "上海市", "Shanghai"),
        ("500100", "重庆市", "Chongqing"), ("130100", "石家庄市", "Shijiazhuang"), ("140100", "太原市", "Taiyuan"),
        ("150100", "呼和浩特市", "Hohhot"), ("210100", "沈阳市", "Shenyang"), ("210200", "大连市", "Dalian"),
        ("220100", "长春市", "Changchun"), ("230100", "哈尔滨市", "Harbin"), ("320100", "南京市", "Nanjing"),
        ("320200", "无锡市", "Wuxi"), ("320500", "苏州市", "Suzhou"), ("330100", "杭州市", "Hangzhou"),
        ("330200", "宁波市", "Ningbo"), ("330300", "温州市", "Wenzhou"), ("330800", "衢州市", "Quzhou"),
        ("340100", "合肥市", "Hefei"), ("350100", "福州市", "Fuzhou"), ("350200", "厦门市", "Xiamen"),
        ("360100", "南昌市", "Nanchang"), ("370100", "济南市", "Jinan"), ("370200", "青岛市", "Qingdao"),
        ("410100", "郑州市", "Zhengzhou"), ("420100", "武汉市", "Wuhan"), ("420500", "宜昌市", "Yichang"),
        ("430100", "长沙市", "Changsha"), ("440100", "广州市", "Guangzhou"), ("440300", "深圳市", "Shenzhen"),
        ("440600", "佛山市", "Foshan"), ("450100", "南宁市", "Nanning"), ("460100", "海口市", "Haikou"),
        ("510100", "成都市", "Chengdu"), ("520100", "贵阳市", "Guiyang"), ("530100", "昆明市", "Kunming"),
        ("540100", "拉萨市", "Lhasa"), ("610100", "西安市", "Xi'an"), ("620100", "兰州市", "Lanzhou"),
        ("630100", "西宁市", "Xining"), ("640100", "银川市", "Yinchuan"), ("650100", "乌鲁木齐市", "Urumqi"),
    ].map { City(code: $0.0, nameZh: $0.1, nameEn: $0.2) }

    private static let byCode = Dictionary(uniqueKeysWithValues: all.map { ($0.code, $0) })
    private static let byName: [String: City] = {
        var names: [String: City] = [:]
        for city in all {
            for name in city.searchNames { names[name] = city }
        }
        return names
    }()

    /// The city of a 6-digit city code (`330100`).
    public static func city(code: String) -> City? { byCode[code] }

    /// The city a name stands for (`杭州`, `杭州市`, `hangzhou`, `Xi'an`), ignoring case.
    public static func city(named name: String) -> City? {
        byName[name.trimmingCharacters(in: .whitespaces).lowercased()]
    }
}
