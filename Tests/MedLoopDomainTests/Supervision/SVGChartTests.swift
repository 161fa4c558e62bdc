import Foundation
import PropertyBased
import Testing
@testable import MedLoopDomain

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Collects what an XML parser saw of an SVG document.
final class SVGReading: NSObject, XMLParserDelegate, @unchecked Sendable {
    var elements: [String] = []
    var rootAttributes: [String: String] = [:]
    var text = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if elements.isEmpty { rootAttributes = attributes }
        elements.append(name)
        if attributes["style"] != nil { elements.append("STYLE-ATTRIBUTE") }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    /// Parses `svg`; `nil` when it is not well-formed XML.
    static func read(_ svg: String) -> SVGReading? {
        let reading = SVGReading()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = reading
        return parser.parse() ? reading : nil
    }
}

@Suite("SVG charts: well-formed, labelled, accessible, escaped")
struct SVGChartTests {
    static func chart(_ kind: SVGChart.Kind, labels: [String], values: [Double]) -> SVGChart {
        SVGChart(kind: kind, title: "按服务类型的问诊量", description: "2026-11-01 至 2026-11-07", xAxisLabel: "服务类型", yAxisLabel: "问诊量",
                 series: [.init(name: "问诊量", points: zip(labels, values).map { .init(label: $0, value: $1) })])
    }

    @Test("a bar chart is an accessible image with its title, description, axis labels and one bar per value")
    func barChart() throws {
        let svg = Self.chart(.bar, labels: ["图文", "语音", "预约挂号"], values: [720, 170, 80]).svg(id: "kinds")
        let reading = try #require(SVGReading.read(svg))
        #expect(reading.elements.first == "svg")
        #expect(reading.rootAttributes["role"] == "img")
        #expect(reading.rootAttributes["aria-labelledby"] == "kinds-title kinds-desc")
        #expect(reading.elements.contains("title") && reading.elements.contains("desc"))
        #expect(!reading.elements.contains("STYLE-ATTRIBUTE") && !reading.elements.contains("script") && !reading.elements.contains("style"))
        for word in ["按服务类型的问诊量", "服务类型", "问诊量", "图文", "语音", "预约挂号", "720"] {
            #expect(reading.text.contains(word), "the chart shows \(word)")
        }
        // One background rectangle and three bars.
        #expect(reading.elements.filter { $0 == "rect" }.count == 4)
    }

    @Test("a line chart draws each series as a line with a marked point per value and a legend")
    func lineChart() throws {
        var chart = Self.chart(.line, labels: ["2026-11-01", "2026-11-02", "2026-11-03"], values: [65.1, 64.9, 66])
        chart.series.append(.init(name: "Voice", points: [.init(label: "2026-11-01", value: 8.32)]))
        let reading = try #require(SVGReading.read(chart.svg()))
        #expect(reading.elements.filter { $0 == "polyline" }.count == 2)
        #expect(reading.elements.filter { $0 == "circle" }.count == 4)
        #expect(reading.text.contains("Voice"))
    }

    @Test("an empty chart is still a well-formed image")
    func emptyChart() throws {
        #expect(SVGReading.read(Self.chart(.bar, labels: [], values: []).svg()) != nil)
    }

    @Test("text is escaped: a label with markup stays text")
    func escaping() throws {
        #expect(SVGChart.escape("<script>&\"'") == "&lt;script&gt;&amp;&quot;&apos;")
        let svg = Self.chart(.bar, labels: ["<script>alert(1)</script>", "a & b"], values: [1, 2]).svg()
        let reading = try #require(SVGReading.read(svg))
        #expect(!reading.elements.contains("script"))
        #expect(reading.text.contains("<script>alert(1)</script>") && reading.text.contains("a & b"))
    }

    @Test("the y axis ends on a round number at or above the largest value")
    func niceMaximum() {
        #expect(SVGChart.niceMaximum(0) == 1)
        #expect(SVGChart.niceMaximum(720) == 1000)
        #expect(SVGChart.niceMaximum(170) == 200)
        #expect(SVGChart.niceMaximum(21) == 25)
        #expect(SVGChart.niceMaximum(5) == 5)
    }

    @Test("any labels and values give well-formed XML with every label as text, bar or line")
    func alwaysWellFormed() async {
        let characters = Array("ab 高血压<>&\"'\u{1}\u{7}\n%;-/")
        let label = Gen.element(of: characters).compactMap { $0 }.array(of: 0...12).map { String($0) }
        await propertyCheck(input: label.array(of: 0...30), Gen.double(in: 0...1e7).array(of: 30), Gen.bool) { labels, values, isBar in
            let svg = Self.chart(isBar ? .bar : .line, labels: labels, values: values).svg(id: "p\"<>")
            guard let reading = SVGReading.read(svg) else { Issue.record("not well-formed: \(svg.prefix(300))"); return }
            #expect(reading.rootAttributes["role"] == "img")
            for text in labels where !text.isEmpty {
                let printable = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" }))
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(printable.isEmpty || reading.text.contains(printable), "\(printable) is shown")
            }
        }
    }
}
