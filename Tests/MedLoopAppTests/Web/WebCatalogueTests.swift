import Foundation
import Testing
@testable import MedLoopApp
import MedLoopDomain

/// Every string of the web app comes from its zh-CN and en catalogues: none is missing in either.
@Suite("Web catalogues")
struct WebCatalogueTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/MedLoopApp")

    /// The dotted paths of every string in the `web*.<language>.json` catalogues.
    static func paths(_ language: String) throws -> Set<String> {
        let folder = sources.appendingPathComponent("Resources/Web")
        var paths = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path)
        where name.hasPrefix("web") && name.hasSuffix(".\(language).json") {
            let value = try DocumentValue.json(try Data(contentsOf: folder.appendingPathComponent(name)))
            collect(value, prefix: "", into: &paths)
        }
        return paths
    }

    private static func collect(_ value: DocumentValue, prefix: String, into paths: inout Set<String>) {
        guard case .map(let entries) = value else { paths.insert(prefix); return }
        for (key, entry) in entries { collect(entry, prefix: prefix.isEmpty ? key : "\(prefix).\(key)", into: &paths) }
    }

    /// Every `{{t.…}}` a template names, and every catalogue path a page handler names.
    static func referenced() throws -> Set<String> {
        var used = Set<String>()
        let patterns = [#"\{\{[#^/]?t\.([A-Za-z0-9_.]+)\}\}"#, #"(?:title|label): "([a-z][A-Za-z]*\.[A-Za-z.]+)""#]
        let folders = ["Resources/Web", "Web", "Web/Care", "Web/Prescribing", "Web/Pharmacy", "Web/Insurance", "Web/Identity", "Web/Supervision"]
        for folder in folders {
            let url = sources.appendingPathComponent(folder)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            where name.hasSuffix(".mustache") || name.hasSuffix(".swift") {
                let text = try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
                for pattern in patterns {
                    let regex = try NSRegularExpression(pattern: pattern)
                    for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                        if let range = Range(match.range(at: 1), in: text) { used.insert(String(text[range])) }
                    }
                }
            }
        }
        return used
    }

    @Test("the zh-CN and en catalogues have the same strings")
    func samePaths() throws {
        let chinese = try Self.paths("zh-CN")
        let english = try Self.paths("en")
        #expect(chinese.subtracting(english).sorted() == [])
        #expect(english.subtracting(chinese).sorted() == [])
        #expect(chinese.count > 100)
    }

    @Test("every string a page names is in both catalogues")
    func noneMissing() throws {
        let used = try Self.referenced()
        #expect(used.count > 100)
        for language in ["zh-CN", "en"] {
            let known = try Self.paths(language)
            #expect(used.subtracting(known).sorted() == [], "missing in \(language)")
        }
    }

    @Test("every role's navigation is in both catalogues")
    func navigation() throws {
        for language in ["zh-CN", "en"] {
            let known = try Self.paths(language)
            for role in Role.allCases {
                #expect(known.contains("role.\(role.rawValue)"))
                for item in WebNavigation.items(for: role) { #expect(known.contains(item.label), "\(item.label) in \(language)") }
            }
        }
    }
}
