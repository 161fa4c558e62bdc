/// A 6-digit administrative division code (GB/T 2260): province, city, county.
public struct RegionCode: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String

    /// Province-level prefixes in use: the 31 mainland provinces, Taiwan, Hong Kong and Macao.
    static let provinces: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
        "71", "81", "82",
    ]

    public init(_ text: String, field: String = "regionCode") throws(DomainError) {
        guard text.count == 6, text.allSatisfy(\.isASCIIDigit) else {
            throw .invalidField(field, code: "format", "A region code has 6 digits.")
        }
        guard RegionCode.isProvincePrefix(String(text.prefix(2))) else {
            throw .invalidField(field, code: "province", "The region code starts with an unknown province code.")
        }
        value = text
    }

    static func isProvincePrefix(_ prefix: String) -> Bool { provinces.contains(prefix) }

    /// Whether `text` is the first 2 to 6 ASCII digits of a region code (a province, a city or a
    /// county and everything in it): how list filters name a region.
    public static func isPrefix(_ text: String) -> Bool {
        (2...6).contains(text.count) && text.allSatisfy(\.isASCIIDigit)
    }

    /// Checks a region-prefix filter from input.
    public static func checkPrefix(_ text: String, field: String = "region") throws(DomainError) -> String {
        guard isPrefix(text) else { throw .invalidField(field, code: "format", "A region is 2 to 6 digits of a region code.") }
        return text
    }

    public var province: String { String(value.prefix(2)) + "0000" }

    /// The digits every region inside this one starts with: a province (`440000`) covers its
    /// cities and counties, a city (`440100`) its counties, a county only itself.
    public var coveredPrefix: String {
        if value.hasSuffix("0000") { return String(value.prefix(2)) }
        if value.hasSuffix("00") { return String(value.prefix(4)) }
        return value
    }

    /// Whether `other` lies inside this region (or is it): what a regulator of this region supervises.
    public func covers(_ other: RegionCode) -> Bool { other.value.hasPrefix(coveredPrefix) }
    /// The prefecture-level city this region belongs to.
    public var city: String { String(value.prefix(4)) + "00" }
    public var description: String { value }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a 6-digit region code"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
