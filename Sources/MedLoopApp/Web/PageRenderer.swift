import Foundation
import Hummingbird
import MedLoopDomain
import Mustache

/// Renders the web app's pages: the mustache templates and the zh-CN and en string catalogues
/// shipped as resources of MedLoopApp, loaded once at start-up (a template that does not parse
/// stops the server). Every page is rendered inside `layout`, which gives it the navigation of
/// the caller's role, the language switch and the CSRF token of its forms.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    /// The strings of each language, as nested tables (`{{t.search.title}}`).
    let strings: [Language: [String: any Sendable]]

    init() throws {
        var library = MustacheLibrary()
        for path in Bundle.module.paths(forResourcesOfType: "mustache", inDirectory: nil) {
            let url = URL(fileURLWithPath: path)
            let text = try String(contentsOf: url, encoding: .utf8)
            try library.register(text, named: url.deletingPathExtension().lastPathComponent)
        }
        self.library = library
        var strings: [Language: [String: any Sendable]] = [:]
        let files = Bundle.module.paths(forResourcesOfType: "json", inDirectory: nil).map { URL(fileURLWithPath: $0) }
        for language in [Language.chinese, .english] {
            // One catalogue per area (`web.en.json`, `web-pharmacy.en.json`, ...), merged.
            let suffix = ".\(language.rawValue).json"
            let catalogues = files.filter { $0.lastPathComponent.hasPrefix("web") && $0.lastPathComponent.hasSuffix(suffix) }
            guard !catalogues.isEmpty else { throw WebResourceError.missing("web\(suffix)") }
            var table: [String: any Sendable] = [:]
            for url in catalogues.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
                guard case .map(let entries) = try DocumentValue.json(try Data(contentsOf: url)) else {
                    throw WebResourceError.missing(url.lastPathComponent)
                }
                table = Self.merged(table, entries.mapValues(Self.plain))
            }
            strings[language] = table
        }
        self.strings = strings
    }

    /// The string at a dotted path (`nav.search`), or the path itself when the catalogue lacks it.
    func string(_ path: String, in language: Language) -> String {
        var node: (any Sendable)? = strings[language]
        for key in path.split(separator: ".") {
            node = (node as? [String: any Sendable])?[String(key)]
        }
        return node as? String ?? path
    }

    /// An HTML response: `template` inside the layout, with `data` and the page frame.
    func page(_ template: String, title: String, data: [String: Any], context: AppContext, csrf: String,
              status: HTTPResponse.Status = .ok) -> Response {
        var values = data
        values["t"] = strings[context.language] ?? [:]
        values["frame"] = frame(title: title, context: context, csrf: csrf)
        let html = library.render(values, withTemplate: template) ?? ""
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        headers[.contentLanguage] = context.language.rawValue
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    private func frame(title: String, context: AppContext, csrf: String) -> [String: Any] {
        let language = context.language
        var frame: [String: Any] = [
            "title": string(title, in: language),
            "lang": language.rawValue,
            "csrf": csrf,
            "path": context.browser.path,
            "back": context.browser.pathWithQuery.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/",
            "switchTo": language == .chinese ? Language.english.rawValue : Language.chinese.rawValue,
            "switchLabel": string("frame.otherLanguage", in: language),
        ]
        if let caller = context.caller {
            frame["me"] = ["role": caller.role.rawValue, "roleText": string("role.\(caller.role.rawValue)", in: language)]
            let items = WebNavigation.items(for: caller.role)
            let path = context.browser.path
            // The most specific item holding the page is current (`/supervision/alerts/…` is the
            // alerts, not the dashboard at `/supervision`).
            let current = items.filter { path == $0.href || path.hasPrefix($0.href + "/") }.max { $0.href.count < $1.href.count }
            frame["nav"] = items.map { item in
                ["href": item.href, "label": string(item.label, in: language), "current": item.href == current?.href]
            }
        }
        return frame
    }

    /// A JSON value of the API as a template sees it: objects and lists as they are, and beside
    /// each `…Fen` amount its text in yuan (`priceYuan`: "65.10"), beside each instant its China
    /// Standard Time (`createdAtText`), beside each enumeration value its words in the page's
    /// language (`stateText`) and a flag to test it by (`stateIs.paid`).
    func values(_ value: DocumentValue, in language: Language) -> Any? {
        switch value {
        case .null: return nil
        case .bool(let flag): return flag
        case .integer(let number): return number
        case .number(let number): return number
        case .string(let text): return text
        case .list(let items): return items.compactMap { values($0, in: language) }
        case .map(let entries):
            var object: [String: Any] = [:]
            for (key, entry) in entries {
                guard let plain = values(entry, in: language) else { continue }
                object[key] = plain
                switch entry {
                case .integer(let fen) where key.hasSuffix("Fen"):
                    object[String(key.dropLast(3)) + "Yuan"] = Yuan.text(fen)
                case .string(let text):
                    if key == "at" || key.hasSuffix("At") || key.hasSuffix("Time"), let instant = Timestamp.parse(text) {
                        object[key + "Text"] = ChinaTime.text(instant)
                    } else if key == "department", let department = Department.named(text) {
                        object[key + "Text"] = language == .english ? department.nameEn : department.nameZh
                    } else if text.count <= 40, !text.contains(" ") {
                        object[key + "Is"] = [text: true]
                        let words = string("enum.\(text)", in: language)
                        if words != "enum.\(text)" { object[key + "Text"] = words }
                    }
                default: break
                }
            }
            return object
        }
    }

    /// `extra`'s strings added to `base`, tables merged key by key.
    private static func merged(_ base: [String: any Sendable], _ extra: [String: any Sendable]) -> [String: any Sendable] {
        var result = base
        for (key, value) in extra {
            if let table = value as? [String: any Sendable], let existing = result[key] as? [String: any Sendable] {
                result[key] = merged(existing, table)
            } else {
                result[key] = value
            }
        }
        return result
    }

    private static func plain(_ value: DocumentValue) -> any Sendable {
        switch value {
        case .map(let entries): return entries.mapValues(plain)
        case .string(let text): return text
        default: return ""
        }
    }
}

enum WebResourceError: Error, CustomStringConvertible {
    case missing(String)
    var description: String {
        switch self { case .missing(let name): "the web app's resource \(name) is missing or not a JSON object" }
    }
}

/// Times on pages: China Standard Time, minutes (`2026-12-02 14:30`).
enum ChinaTime {
    static func text(_ instant: Date) -> String {
        let shifted = instant.addingTimeInterval(8 * 3600)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: shifted)
        func two(_ number: Int?) -> String { String(format: "%02d", number ?? 0) }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute))"
    }
}
