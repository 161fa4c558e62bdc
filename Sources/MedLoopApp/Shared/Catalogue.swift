import Foundation

/// Human-readable messages by stable code, in zh-CN and en, from the catalogues shipped as
/// resources. A code missing from a catalogue falls back to the message the code came with.
struct Catalogue: Sendable {
    private let messages: [Language: [String: String]]

    static let shared = Catalogue()

    init() {
        var messages: [Language: [String: String]] = [:]
        for language in [Language.chinese, .english] {
            if let url = Bundle.module.url(forResource: language.rawValue, withExtension: "json", subdirectory: "Catalogues")
                ?? Bundle.module.url(forResource: language.rawValue, withExtension: "json"),
               let data = try? Data(contentsOf: url),
               let table = try? JSONDecoder().decode([String: String].self, from: data) {
                messages[language] = table
            }
        }
        self.messages = messages
    }

    func message(for code: String, in language: Language, fallback: String) -> String {
        messages[language]?[code] ?? fallback
    }

    /// Every code the catalogue of `language` knows.
    func codes(in language: Language) -> Set<String> {
        Set(messages[language]?.keys ?? [:].keys)
    }
}
