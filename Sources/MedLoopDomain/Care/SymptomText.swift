import Foundation

/// A patient's description of symptoms, ready for keyword matching. A keyword is mentioned when it
/// occurs in the lower-cased text (a substring, so Chinese needs no word segmentation; an English
/// keyword must start a word) and at least one occurrence is not negated: a negator (没有, 没, 无,
/// 不, 否认) within the 3 characters before a Chinese keyword, or (no, not, without, ...) among the
/// 2 words before an English one, in the same clause.
struct SymptomText {
    /// The lower-cased text, apostrophes straightened.
    private let scalars: [Unicode.Scalar]
    /// The same text with phrases that hold a negator but negate nothing that follows ("不停",
    /// "无力", "不能") blanked out, so that "咳个不停，头疼" or "浑身无力发烧" still count.
    private let negationView: [Unicode.Scalar]

    static let chineseNegators = ["没有", "没", "无", "不", "否认"].map { Array($0.unicodeScalars) }
    static let englishNegators: Set<String> = ["no", "not", "without", "never", "denies", "denied", "don't", "doesn't", "didn't"]
    static let nonNegatingPhrases = ["不停", "不断", "不止", "不适", "不舒服", "不好", "不行", "不住", "不了", "不已", "不能",
                                     "无力", "无法", "没法"].map { Array($0.unicodeScalars) }
    /// Where a clause ends: a negator never reaches past these.
    static let clauseBreaks = Set("，。,.;；!！?？、：:()（）\n\r\t".unicodeScalars)
    /// How far back to look for the start of a clause.
    static let lookBehind = 40

    init(_ text: String) {
        let normalised = text.lowercased().replacingOccurrences(of: "\u{2019}", with: "'")
        scalars = Array(normalised.unicodeScalars)
        var view = scalars
        for phrase in Self.nonNegatingPhrases {
            for start in Self.occurrences(of: phrase, in: scalars) {
                for index in start..<(start + phrase.count) { view[index] = "_" }
            }
        }
        negationView = view
    }

    /// Whether any of `keywords` is mentioned.
    func mentionsAny(of keywords: [String]) -> Bool {
        keywords.contains { mentions($0) }
    }

    /// Whether `keyword` occurs at least once without a negator just before it.
    func mentions(_ keyword: String) -> Bool {
        let needle = Array(keyword.lowercased().unicodeScalars)
        let isEnglish = needle.allSatisfy(\.isASCII)
        for start in Self.occurrences(of: needle, in: scalars) {
            if isEnglish && start > 0 && Self.isEnglishLetter(scalars[start - 1]) { continue }
            if !isNegated(at: start, english: isEnglish) { return true }
        }
        return false
    }

    private func isNegated(at start: Int, english: Bool) -> Bool {
        var clauseStart = start
        while clauseStart > max(0, start - Self.lookBehind) && !Self.clauseBreaks.contains(negationView[clauseStart - 1]) {
            clauseStart -= 1
        }
        let before = negationView[clauseStart..<start]
        if english {
            var words = ""
            words.unicodeScalars.append(contentsOf: before)
            return words.split(whereSeparator: { $0.isWhitespace }).suffix(2).contains { Self.englishNegators.contains(String($0)) }
        }
        let window = Array(before.suffix(3))
        return Self.chineseNegators.contains { !Self.occurrences(of: $0, in: window).isEmpty }
    }

    /// The start of every occurrence of `needle` in `haystack`.
    static func occurrences(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar]) -> [Int] {
        guard let first = needle.first, needle.count <= haystack.count else { return [] }
        return (0...(haystack.count - needle.count)).filter { start in
            haystack[start] == first && haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }

    private static func isEnglishLetter(_ scalar: Unicode.Scalar) -> Bool {
        (0x61...0x7A).contains(scalar.value) || (0x41...0x5A).contains(scalar.value)
    }
}
