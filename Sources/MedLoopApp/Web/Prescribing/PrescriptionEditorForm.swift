import Foundation
import MedLoopDomain

/// The prescription editor's form as the doctor left it: the item rows (one value of each field
/// per row, in order), the drug search and the prescription's other fields. Without scripts the
/// editor is this form posted back and rendered again, so the rows travel with every post.
struct PrescriptionEditorForm {
    struct Row {
        var drugId: String
        var dose = ""
        var doseUnit = ""
        var timesPerDay = ""
        var route = ""
        var days = ""
        /// Blank: the API computes the packages from dose, frequency and days.
        var quantity = ""
    }

    var rows: [Row] = []
    var query = ""
    var diagnosis = ""
    var validDays = "1"
    var longReason = ""
    var notes = ""
    /// The prescription this one corrects (voided when this draft is saved).
    var replaces = ""

    init() {}

    /// The form a page posted.
    init(_ form: WebForm) {
        func value(_ name: String, at index: Int) -> String {
            let values = form.all(name)
            return index < values.count ? values[index].trimmingCharacters(in: .whitespacesAndNewlines) : ""
        }
        rows = form.all("drugId").indices.compactMap { index in
            let drugId = value("drugId", at: index)
            guard !drugId.isEmpty else { return nil }
            return Row(drugId: drugId, dose: value("dose", at: index), doseUnit: value("doseUnit", at: index),
                       timesPerDay: value("timesPerDay", at: index), route: value("route", at: index),
                       days: value("days", at: index), quantity: value("quantity", at: index))
        }
        query = form["q"] ?? ""
        diagnosis = form["diagnosis"] ?? ""
        validDays = form["validDays"] ?? "1"
        longReason = form["longReason"] ?? ""
        notes = form["notes"] ?? ""
        replaces = form["replaces"] ?? ""
    }

    /// The items and fields of a prescription as the API showed it, to correct it.
    init(correcting prescription: [String: Any]) {
        rows = (prescription["items"] as? [[String: Any]] ?? []).map { item in
            Row(drugId: Self.text(item["drugId"]), dose: Self.text(item["dose"]), doseUnit: Self.text(item["doseUnit"]),
                timesPerDay: Self.text(item["timesPerDay"]), route: Self.text(item["route"]), days: Self.text(item["days"]))
        }
        diagnosis = Self.text(prescription["diagnosis"])
        validDays = Self.text(prescription["validDays"])
        longReason = Self.text(prescription["longPrescriptionReason"])
        notes = Self.text(prescription["notes"])
        replaces = Self.text(prescription["id"])
    }

    /// A drug added from the search, in its catalogue unit and route, the regimen left to the doctor.
    mutating func add(_ drug: [String: Any]) {
        rows.append(Row(drugId: Self.text(drug["id"]), doseUnit: Self.text(drug["doseUnit"]), route: Self.text(drug["route"])))
    }

    mutating func remove(at index: Int) {
        if rows.indices.contains(index) { rows.remove(at: index) }
    }

    /// The rows as the clinical checks take them: what the doctor has typed so far, a value left
    /// out until it reads as a number.
    var checkItems: [DocumentValue] {
        rows.map { row in
            var item: [String: DocumentValue] = ["drugId": .string(row.drugId)]
            if let dose = Double(row.dose) { item["dose"] = .number(dose) }
            if !row.doseUnit.isEmpty { item["doseUnit"] = .string(row.doseUnit) }
            if let times = Int(row.timesPerDay) { item["timesPerDay"] = .integer(Int64(times)) }
            if let days = Int(row.days) { item["days"] = .integer(Int64(days)) }
            return .map(item)
        }
    }

    /// The body of `POST /consultations/{id}/prescriptions`.
    ///
    /// - Throws: `DomainError.invalid` naming each field that is blank or not a number
    ///   (`items[1].days`); every rule on the values is the API's.
    func draftBody() throws(DomainError) -> DocumentValue {
        var validator = FieldValidator()
        var items: [DocumentValue] = []
        for (index, row) in rows.enumerated() {
            let field = "items[\(index)]"
            var item: [String: DocumentValue] = ["drugId": .string(row.drugId), "doseUnit": .string(row.doseUnit)]
            if let dose = Self.number(row.dose, field: "\(field).dose", &validator) { item["dose"] = .number(dose) }
            if let times = Self.whole(row.timesPerDay, field: "\(field).timesPerDay", &validator) { item["timesPerDay"] = .integer(times) }
            if let days = Self.whole(row.days, field: "\(field).days", &validator) { item["days"] = .integer(days) }
            if !row.route.isEmpty { item["route"] = .string(row.route) }
            if !row.quantity.isEmpty, let quantity = Self.whole(row.quantity, field: "\(field).quantity", &validator) {
                item["quantity"] = .integer(quantity)
            }
            items.append(.map(item))
        }
        var body: [String: DocumentValue] = ["items": .list(items)]
        if let days = Self.whole(validDays, field: "validDays", &validator) { body["validDays"] = .integer(days) }
        if !diagnosis.isEmpty { body["diagnosis"] = .string(diagnosis.uppercased()) }
        if !longReason.isEmpty { body["longPrescription"] = .map(["reason": .string(longReason)]) }
        if !notes.isEmpty { body["notes"] = .string(notes) }
        if !replaces.isEmpty { body["replaces"] = .string(replaces) }
        try validator.finish()
        return .map(body)
    }

    private static func number(_ text: String, field: String, _ validator: inout FieldValidator) -> Double? {
        if text.isEmpty { validator.add(field, code: "required", "Fill this in."); return nil }
        guard let value = Double(text), value.isFinite else { validator.add(field, code: "format", "This is not a number."); return nil }
        return value
    }

    private static func whole(_ text: String, field: String, _ validator: inout FieldValidator) -> Int64? {
        if text.isEmpty { validator.add(field, code: "required", "Fill this in."); return nil }
        guard let value = Int64(text) else { validator.add(field, code: "format", "This is not a whole number."); return nil }
        return value
    }

    /// A template value as the text of a form field.
    static func text(_ value: Any?) -> String {
        switch value {
        case let text as String: return text
        case let number as Int64: return String(number)
        case let number as Int: return String(number)
        case let number as Double: return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        default: return ""
        }
    }
}
