import Foundation

/// A bar or line chart rendered as a standalone SVG document by the server (as wide as the space
/// it is given, its height following from its view box, so it fits a phone): readable without
/// JavaScript, styled only with presentation attributes (the web app's CSP allows no inline
/// style), and accessible — `role="img"` with a `<title>` and a `<desc>`, and each bar or point
/// carrying its value in a `<title>` of its own.
public struct SVGChart: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable { case bar, line }

    public struct Point: Sendable, Hashable {
        public var label: String
        public var value: Double
        public init(label: String, value: Double) {
            self.label = label
            self.value = value
        }
    }

    public struct Series: Sendable, Hashable {
        public var name: String
        public var points: [Point]
        public init(name: String, points: [Point]) {
            self.name = name
            self.points = points
        }
    }

    public var kind: Kind
    public var title: String
    public var description: String
    public var xAxisLabel: String
    public var yAxisLabel: String
    public var series: [Series]
    public var width = 720
    public var height = 400

    public init(kind: Kind, title: String, description: String, xAxisLabel: String, yAxisLabel: String, series: [Series] = []) {
        self.kind = kind
        self.title = title
        self.description = description
        self.xAxisLabel = xAxisLabel
        self.yAxisLabel = yAxisLabel
        self.series = series
    }

    /// Colours of successive series (colour-blind safe, Okabe–Ito).
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]

    /// The chart as SVG markup; `id` prefixes the element ids, so several charts can sit in one page.
    public func svg(id: String = "chart") -> String {
        let safeId = id.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        let chartId = safeId.isEmpty ? "chart" : safeId
        let left = 72.0, right = 24.0, top = 48.0, bottom = 96.0
        let plotWidth = Double(width) - left - right
        let plotHeight = Double(height) - top - bottom
        let labels = categoryLabels()
        let maximum = Self.niceMaximum(series.flatMap { $0.points.map(\.value) }.max() ?? 0)
        let y = { (value: Double) in top + plotHeight - plotHeight * max(0, value) / maximum }
        let slot = plotWidth / Double(max(1, labels.count))
        let centre = { (index: Int) in left + slot * (Double(index) + 0.5) }

        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 \(width) \(height)" \
            role="img" aria-labelledby="\(chartId)-title \(chartId)-desc" font-family="sans-serif" font-size="12">
            <title id="\(chartId)-title">\(Self.escape(title))</title>
            <desc id="\(chartId)-desc">\(Self.escape(description))</desc>
            <rect x="0" y="0" width="\(width)" height="\(height)" fill="#ffffff"/>
            <text x="\(Self.number(Double(width) / 2))" y="24" text-anchor="middle" font-size="16" font-weight="bold">\(Self.escape(title))</text>

            """
        // Horizontal grid lines and the y ticks.
        for step in 0...4 {
            let value = maximum * Double(step) / 4
            let at = Self.number(y(value))
            out += "<line x1=\"\(Self.number(left))\" y1=\"\(at)\" x2=\"\(Self.number(left + plotWidth))\" y2=\"\(at)\" stroke=\"#dddddd\"/>\n"
            out += "<text x=\"\(Self.number(left - 6))\" y=\"\(at)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Self.number(value))</text>\n"
        }
        out += "<line x1=\"\(Self.number(left))\" y1=\"\(Self.number(top + plotHeight))\" x2=\"\(Self.number(left + plotWidth))\" "
            + "y2=\"\(Self.number(top + plotHeight))\" stroke=\"#333333\"/>\n"
        out += "<line x1=\"\(Self.number(left))\" y1=\"\(Self.number(top))\" x2=\"\(Self.number(left))\" y2=\"\(Self.number(top + plotHeight))\" stroke=\"#333333\"/>\n"

        switch kind {
        case .bar:
            let groups = max(1, series.count)
            let barWidth = slot * 0.7 / Double(groups)
            for (seriesIndex, one) in series.enumerated() {
                let colour = Self.palette[seriesIndex % Self.palette.count]
                for point in one.points {
                    guard let index = labels.firstIndex(of: point.label) else { continue }
                    let x = centre(index) - slot * 0.35 + barWidth * Double(seriesIndex)
                    let top = y(point.value)
                    out += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(top))\" width=\"\(Self.number(barWidth))\" "
                        + "height=\"\(Self.number(y(0) - top))\" fill=\"\(colour)\"><title>\(Self.escape(point.label)): "
                        + "\(Self.number(point.value))</title></rect>\n"
                }
            }
        case .line:
            for (seriesIndex, one) in series.enumerated() {
                let colour = Self.palette[seriesIndex % Self.palette.count]
                let placed = one.points.compactMap { point in labels.firstIndex(of: point.label).map { (point, centre($0)) } }
                let path = placed.map { "\(Self.number($0.1)),\(Self.number(y($0.0.value)))" }.joined(separator: " ")
                out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
                for (point, x) in placed {
                    out += "<circle cx=\"\(Self.number(x))\" cy=\"\(Self.number(y(point.value)))\" r=\"3\" fill=\"\(colour)\">"
                        + "<title>\(Self.escape(one.name)) \(Self.escape(point.label)): \(Self.number(point.value))</title></circle>\n"
                }
            }
        }

        // Category labels, turned when they would not fit side by side.
        let turn = labels.count > 8 || labels.contains { Double($0.count) * 7 > slot }
        for (index, label) in labels.enumerated() {
            let x = Self.number(centre(index)), labelY = Self.number(top + plotHeight + 16)
            if turn {
                out += "<text x=\"\(x)\" y=\"\(labelY)\" text-anchor=\"end\" transform=\"rotate(-40 \(x) \(labelY))\">\(Self.escape(label))</text>\n"
            } else {
                out += "<text x=\"\(x)\" y=\"\(labelY)\" text-anchor=\"middle\">\(Self.escape(label))</text>\n"
            }
        }
        // Axis titles.
        out += "<text x=\"\(Self.number(left + plotWidth / 2))\" y=\"\(height - 8)\" text-anchor=\"middle\" font-weight=\"bold\">"
            + "\(Self.escape(xAxisLabel))</text>\n"
        let middle = Self.number(top + plotHeight / 2)
        out += "<text x=\"16\" y=\"\(middle)\" text-anchor=\"middle\" font-weight=\"bold\" transform=\"rotate(-90 16 \(middle))\">"
            + "\(Self.escape(yAxisLabel))</text>\n"
        // A legend when there is more than one series.
        if series.count > 1 {
            for (index, one) in series.enumerated() {
                let x = Self.number(left + 8 + Double(index) * 130)
                out += "<rect x=\"\(x)\" y=\"32\" width=\"10\" height=\"10\" fill=\"\(Self.palette[index % Self.palette.count])\"/>"
                    + "<text x=\"\(Self.number(left + 22 + Double(index) * 130))\" y=\"41\">\(Self.escape(one.name))</text>\n"
            }
        }
        if labels.isEmpty {
            out += "<text x=\"\(Self.number(left + plotWidth / 2))\" y=\"\(Self.number(top + plotHeight / 2))\" text-anchor=\"middle\">–</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    /// Every category in the order it first appears across the series.
    private func categoryLabels() -> [String] {
        var seen = Set<String>()
        var labels: [String] = []
        for point in series.flatMap(\.points) where seen.insert(point.label).inserted {
            labels.append(point.label)
        }
        return labels
    }

    /// The smallest of 1, 2, 2.5 or 5 times a power of ten at or above `value` (1 for nothing),
    /// so that the axis ticks are round numbers.
    static func niceMaximum(_ value: Double) -> Double {
        guard value.isFinite, value > 0 else { return 1 }
        let power = pow(10, (log10(value)).rounded(.down))
        for step in [1.0, 2, 2.5, 5, 10] where step * power >= value { return step * power }
        return 10 * power
    }

    /// Text made safe for XML character data and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // Control characters other than tab and line breaks are not allowed in XML 1.0.
            case _ where scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r": continue
            case "\u{FFFE}", "\u{FFFF}": continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A coordinate or value with at most two decimals and no trailing zeros.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int64(rounded)) }
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}
