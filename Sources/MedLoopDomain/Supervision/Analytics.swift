import Foundation

/// The usage figures of the operator and the regulator (issue 20, part 7), named as in
/// `GET /api/v1/analytics/{figure}`.
public enum AnalyticsFigure: String, Sendable, Hashable, CaseIterable, Codable {
    case consultationsByKind = "consultations-by-kind"
    case consultationsByDepartment = "consultations-by-department"
    case consultationsByHour = "consultations-by-hour"
    case consultationsByWeekday = "consultations-by-weekday"
    case consultationsByTitle = "consultations-by-title"
    case prices
    case priceTrend = "price-trend"
    case topConditions = "top-conditions"
    case settlements
    case repeatVisits = "repeat-visits"
    case reviewTurnaround = "review-turnaround"
}

/// The language a chart is labelled in.
public enum ChartLanguage: String, Sendable, Hashable {
    case chinese = "zh-CN"
    case english = "en"
}

/// One cell of a figure's table.
public enum AnalyticsValue: Sendable, Hashable, Encodable {
    case text(String)
    case integer(Int64)
    case decimal(Double)

    /// The cell as CSV shows it: decimals with two places, text quoted when it must be (RFC 4180).
    public var csvField: String {
        switch self {
        case .integer(let value): return String(value)
        case .decimal(let value): return String(format: "%.2f", value)
        case .text(let value):
            guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
            return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        // Two decimals are all a rate or a mean in minutes needs.
        case .decimal(let value): try container.encode((value * 100).rounded() / 100)
        }
    }
}

/// A figure as rows of named columns: what the JSON items, the CSV file and the chart are made of.
public struct AnalyticsTable: Sendable, Hashable {
    /// camelCase names: the JSON keys and the CSV header.
    public var columns: [String]
    public var rows: [[AnalyticsValue]]

    public init(columns: [String], rows: [[AnalyticsValue]]) {
        self.columns = columns
        self.rows = rows
    }

    /// RFC 4180 CSV with a header row, lines ending in CRLF.
    public var csv: String {
        ([columns.map { AnalyticsValue.text($0).csvField }] + rows.map { $0.map(\.csvField) })
            .map { $0.joined(separator: ",") + "\r\n" }.joined()
    }
}

/// The aggregates the store reads for one figure, before they are shaped into a table and a chart.
public enum AnalyticsData: Sendable {
    /// Counts per key (service kind, department code, hour 0...23, ISO weekday 1...7, ICD-10 code).
    case counts([(key: String, count: Int)])
    /// Per doctor title: consultations and the sum of their Asia/Shanghai hours of day.
    case titles([(title: String, count: Int, hourTotal: Int64)])
    /// Per service kind: how often each price (fen) occurs.
    case prices([(kind: String, histogram: [(value: Int64, count: Int)])])
    /// Per day and service kind: orders and the sum of their prices.
    case trend([(day: CalendarDate, kind: String, count: Int, totalFen: Int64)])
    /// Per fund (region) and scheme.
    case settlements([(fund: String, scheme: String, count: Int, totalFen: Int64, fundFen: Int64, cashFen: Int64)])
    case repeatVisits(RepeatVisits)
    /// How many reviews took each whole number of minutes.
    case turnaround([(value: Int64, count: Int)])
}

/// A figure shaped for answering: its table, and its chart in one language.
public struct AnalyticsReport: Sendable {
    public var figure: AnalyticsFigure
    public var table: AnalyticsTable
    public var chart: SVGChart

    /// Shapes `data` for `figure` over `period`, the chart labelled in `language`. Counts come out
    /// in the figure's natural order: hours and weekdays in order, everything else most first.
    public init(_ figure: AnalyticsFigure, data: AnalyticsData, period: AnalyticsPeriod, language: ChartLanguage) {
        self.figure = figure
        let labels = AnalyticsLabels(language: language)
        let text = labels.figure(figure)
        var chart = SVGChart(kind: .bar, title: text.title,
                             description: text.title + labels.periodSuffix(period), xAxisLabel: text.x, yAxisLabel: text.y)
        switch data {
        case .counts(let counts):
            let ordered = Self.order(counts, for: figure)
            let keyColumn = switch figure {
            case .consultationsByDepartment: "department"
            case .consultationsByHour: "hour"
            case .consultationsByWeekday: "weekday"
            case .topConditions: "icd10"
            default: "kind"
            }
            let numeric = figure == .consultationsByHour || figure == .consultationsByWeekday
            table = AnalyticsTable(columns: [keyColumn, "count"], rows: ordered.map {
                [numeric ? .integer(Int64($0.key) ?? 0) : .text($0.key), .integer(Int64($0.count))]
            })
            if figure == .topConditions {
                table.columns.insert("name", at: 1)
                for index in table.rows.indices {
                    table.rows[index].insert(.text(labels.condition(ordered[index].key)), at: 1)
                }
            }
            chart.series = [.init(name: text.y, points: ordered.map { .init(label: labels.key($0.key, of: figure), value: Double($0.count)) })]
        case .titles(let rows):
            let ordered = DoctorTitle.allCases.compactMap { title in rows.first { $0.title == title.rawValue } }
            let mean = { (row: (title: String, count: Int, hourTotal: Int64)) in row.count == 0 ? 0 : Double(row.hourTotal) / Double(row.count) }
            table = AnalyticsTable(columns: ["title", "count", "meanHour"],
                                   rows: ordered.map { [.text($0.title), .integer(Int64($0.count)), .decimal(mean($0))] })
            chart.series = [.init(name: text.y, points: ordered.map { .init(label: labels.title($0.title), value: mean($0)) })]
        case .prices(let kinds):
            let summaries = ServiceKind.allCases.compactMap { kind in
                kinds.first { $0.kind == kind.rawValue }.flatMap { entry in
                    Distribution(histogram: entry.histogram).map { PriceSummary(kind: entry.kind, distribution: $0) }
                }
            }
            table = AnalyticsTable(columns: ["kind", "count", "meanFen", "minFen", "q1Fen", "medianFen", "q3Fen", "maxFen"], rows: summaries.map {
                [.text($0.kind), .integer(Int64($0.count)), .integer($0.meanFen), .integer($0.minFen), .integer($0.q1Fen),
                 .integer($0.medianFen), .integer($0.q3Fen), .integer($0.maxFen)]
            })
            chart.series = [.init(name: text.y, points: summaries.map { .init(label: labels.kind($0.kind), value: Double($0.meanFen) / 100) })]
        case .trend(let rows):
            let sorted = rows.sorted { ($0.day, $0.kind) < ($1.day, $1.kind) }
            table = AnalyticsTable(columns: ["day", "kind", "count", "meanFen"], rows: sorted.map {
                [.text($0.day.description), .text($0.kind), .integer(Int64($0.count)),
                 .integer($0.count == 0 ? 0 : Int64((Double($0.totalFen) / Double($0.count)).rounded()))]
            })
            chart.kind = .line
            chart.series = ServiceKind.allCases.compactMap { kind in
                let points = period.days.compactMap { day -> SVGChart.Point? in
                    guard let row = rows.first(where: { $0.day == day && $0.kind == kind.rawValue }), row.count > 0 else { return nil }
                    return .init(label: day.description, value: Double(row.totalFen) / Double(row.count) / 100)
                }
                return points.isEmpty ? nil : .init(name: labels.kind(kind.rawValue), points: points)
            }
        case .settlements(let rows):
            let sorted = rows.sorted { ($0.fund, $0.scheme) < ($1.fund, $1.scheme) }
            table = AnalyticsTable(columns: ["fund", "scheme", "count", "totalFen", "fundFen", "cashFen"], rows: sorted.map {
                [.text($0.fund), .text($0.scheme), .integer(Int64($0.count)), .integer($0.totalFen), .integer($0.fundFen), .integer($0.cashFen)]
            })
            chart.series = [.init(name: text.y, points: sorted.map {
                .init(label: "\($0.fund) \(labels.scheme($0.scheme))", value: Double($0.fundFen) / 100)
            })]
        case .repeatVisits(let visits):
            table = AnalyticsTable(columns: ["patients", "repeatPatients", "rate"],
                                   rows: [[.integer(Int64(visits.patients)), .integer(Int64(visits.repeatPatients)), .decimal(visits.rate)]])
            chart.series = [.init(name: text.y, points: [
                .init(label: labels.word("patients"), value: Double(visits.patients)),
                .init(label: labels.word("repeatPatients"), value: Double(visits.repeatPatients)),
            ])]
        case .turnaround(let histogram):
            let summary = ReviewTurnaround(minutes: histogram)
            table = AnalyticsTable(columns: ["reviewed", "meanMinutes", "medianMinutes", "p90Minutes"], rows: summary.map {
                [[.integer(Int64($0.reviewed)), .decimal($0.meanMinutes), .decimal($0.medianMinutes), .decimal($0.p90Minutes)]]
            } ?? [[.integer(0), .decimal(0), .decimal(0), .decimal(0)]])
            let bands = ReviewTurnaround.banded(histogram)
            chart.series = [.init(name: text.y, points: ReviewTurnaround.bands.enumerated().map { index, start in
                let label = index + 1 < ReviewTurnaround.bands.count ? "\(start)–\(ReviewTurnaround.bands[index + 1])" : "≥\(start)"
                return .init(label: label, value: Double(bands[index]))
            })]
        }
        self.chart = chart
    }

    /// Hours and weekdays in their order with the empty ones as 0; other counts most first (ties
    /// by key, so that the order is stable).
    static func order(_ counts: [(key: String, count: Int)], for figure: AnalyticsFigure) -> [(key: String, count: Int)] {
        let domain: [String]? = switch figure {
        case .consultationsByHour: (0...23).map(String.init)
        case .consultationsByWeekday: (1...7).map(String.init)
        default: nil
        }
        if let domain {
            return domain.map { key in (key: key, count: counts.filter { $0.key == key }.reduce(0) { $0 + $1.count }) }
        }
        return counts.sorted { $0.count != $1.count ? $0.count > $1.count : $0.key < $1.key }
    }
}

/// The words of the charts in both languages (the API's figures carry codes, not words).
struct AnalyticsLabels {
    let language: ChartLanguage
    var isChinese: Bool { language == .chinese }

    func figure(_ figure: AnalyticsFigure) -> (title: String, x: String, y: String) {
        let count = isChinese ? "问诊量" : "Consultations"
        switch figure {
        case .consultationsByKind: return isChinese ? ("按服务类型的问诊量", "服务类型", count) : ("Consultations by service kind", "Service kind", count)
        case .consultationsByDepartment: return isChinese ? ("按科室的问诊量", "科室", count) : ("Consultations by department", "Department", count)
        case .consultationsByHour: return isChinese ? ("按时段的问诊量", "时（北京时间）", count) : ("Consultations by hour of day", "Hour (Beijing time)", count)
        case .consultationsByWeekday: return isChinese ? ("按星期的问诊量", "星期", count) : ("Consultations by weekday", "Weekday", count)
        case .consultationsByTitle: return isChinese ? ("各职称医生的平均问诊时刻", "职称", "平均时刻（时）") : ("Mean consultation hour by doctor title", "Title", "Mean hour")
        case .prices: return isChinese ? ("各服务类型的平均价格", "服务类型", "平均价格（元）") : ("Mean price by service kind", "Service kind", "Mean price (yuan)")
        case .priceTrend: return isChinese ? ("价格走势", "日期", "平均价格（元）") : ("Price trend", "Day", "Mean price (yuan)")
        case .topConditions: return isChinese ? ("常见诊断", "诊断（ICD-10）", count) : ("Top conditions", "Diagnosis (ICD-10)", count)
        case .settlements: return isChinese ? ("按基金与险种的医保结算", "基金与险种", "基金支付（元）") : ("Settlements by fund and scheme", "Fund and scheme", "Fund paid (yuan)")
        case .repeatVisits: return isChinese ? ("复诊患者", "患者", "人数") : ("Repeat visits", "Patients", "People")
        case .reviewTurnaround: return isChinese ? ("处方审核用时", "用时（分钟）", "处方数") : ("Prescription review turnaround", "Minutes", "Prescriptions")
        }
    }

    func periodSuffix(_ period: AnalyticsPeriod) -> String {
        isChinese ? "，\(period.from) 至 \(period.to)" : ", \(period.from) to \(period.to)"
    }

    func key(_ key: String, of figure: AnalyticsFigure) -> String {
        switch figure {
        case .consultationsByKind: return kind(key)
        case .consultationsByDepartment: return Department.named(key).map { isChinese ? $0.nameZh : $0.nameEn } ?? key
        case .consultationsByWeekday:
            let names = isChinese ? ["一", "二", "三", "四", "五", "六", "日"] : ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            return Int(key).flatMap { (1...7).contains($0) ? names[$0 - 1] : nil } ?? key
        case .topConditions:
            let name = condition(key)
            return name.isEmpty ? key : "\(key) \(name)"
        default: return key
        }
    }

    func kind(_ kind: String) -> String {
        switch ServiceKind(rawValue: kind) {
        case .textPackage: return isChinese ? "图文" : "Text/image"
        case .voicePerMinute: return isChinese ? "语音" : "Voice"
        case .videoPerMinute: return isChinese ? "视频" : "Video"
        case .appointment: return isChinese ? "预约挂号" : "Appointment"
        case nil: return kind
        }
    }

    func title(_ title: String) -> String {
        switch DoctorTitle(rawValue: title) {
        case .chief: return isChinese ? "主任医师" : "Chief physician"
        case .associateChief: return isChinese ? "副主任医师" : "Associate chief"
        case .attending: return isChinese ? "主治医师" : "Attending"
        case .resident: return isChinese ? "住院医师" : "Resident"
        case nil: return title
        }
    }

    func scheme(_ scheme: String) -> String {
        switch InsuranceScheme(rawValue: scheme) {
        case .employee: return isChinese ? "职工" : "employee"
        case .resident: return isChinese ? "居民" : "resident"
        case nil: return scheme
        }
    }

    func condition(_ code: String) -> String {
        ConditionCatalogue.condition(icd10: code).map { isChinese ? $0.nameZh : $0.nameEn } ?? ""
    }

    func word(_ word: String) -> String {
        switch word {
        case "patients": return isChinese ? "患者" : "Patients"
        case "repeatPatients": return isChinese ? "复诊患者" : "Repeat patients"
        default: return word
        }
    }
}
