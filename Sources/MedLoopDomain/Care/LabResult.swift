import Foundation

/// One measured value of a lab or exam report, with the reference range it is read against.
public struct LabValue: Sendable, Equatable, Codable {
    public var code: String
    public var name: String
    public var value: Double
    public var unit: String
    public var referenceLow: Double?
    public var referenceHigh: Double?

    public init(code: String, name: String, value: Double, unit: String, referenceLow: Double?, referenceHigh: Double?) {
        self.code = code
        self.name = name
        self.value = value
        self.unit = unit
        self.referenceLow = referenceLow
        self.referenceHigh = referenceHigh
    }

    /// Where the value falls against its reference range.
    public var flag: LabFlag {
        if let low = referenceLow, value < low { return .low }
        if let high = referenceHigh, value > high { return .high }
        return .normal
    }
}

public enum LabFlag: String, Codable, Sendable {
    case low, normal, high
}

/// A lab or exam report as a hospital sends it.
public struct LabReport: Sendable, Equatable {
    public var title: String
    public var takenOn: CalendarDate
    public var values: [LabValue]

    /// A title; 1 to 100 values, each named, finite, with a range whose low is not above its high.
    public init(title: String, takenOn: CalendarDate, values: [LabValue], today: CalendarDate) throws(DomainError) {
        var validator = FieldValidator()
        let trimmed = title.trimmingCharacters(in: .whitespacesAndNewlines)
        if !(1...100).contains(trimmed.count) { validator.add("title", code: "length", "A title has 1 to 100 characters.") }
        if takenOn > today { validator.add("takenOn", code: "in_future", "The sample date is in the future.") }
        if !(1...100).contains(values.count) { validator.add("values", code: "count", "A report has 1 to 100 values.") }
        for (index, item) in values.enumerated() {
            let field = "values[\(index)]"
            if item.code.isEmpty || item.name.isEmpty || item.code.count > 40 || item.name.count > 100 {
                validator.add(field, code: "name", "Each value has a code and a name.")
            }
            if !item.value.isFinite { validator.add(field, code: "not_finite", "A value is a finite number.") }
            if let low = item.referenceLow, let high = item.referenceHigh, low > high {
                validator.add(field, code: "range", "The reference range's low is above its high.")
            }
        }
        try validator.finish()
        self.title = trimmed
        self.takenOn = takenOn
        self.values = values
    }
}
