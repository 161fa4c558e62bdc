import Foundation
import Hummingbird
import MedLoopDomain

/// The doctor's prescription editor for a consultation: search the catalogue, add item rows, see
/// the clinical checks of the rows, save the draft (then override, sign or void it on the
/// prescription's page). Without scripts every button posts the whole form back and the page is
/// rendered again with the rows, the search results and the findings; `prescribe.js` does the same
/// posts in place and refreshes the findings as the doctor types.
struct PrescriptionEditorPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        group.get("consultations/:id/prescribe", use: editor)
        group.post("consultations/:id/prescribe", use: edit)
        group.post("consultations/:id/prescription-checks", use: checks)
        group.get("consultations/:id/prescriptions", use: ofConsultation)
    }

    /// A new prescription, or (`?from=`) a correction of one of the consultation's prescriptions.
    @Sendable func editor(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let id = try context.parameters.require("id")
        var form = PrescriptionEditorForm()
        if let from = request.uri.queryParameters["from"] {
            let prescription = try web.object(await web.api.get("prescriptions/\(from)", context: context), context: context)
            form = PrescriptionEditorForm(correcting: prescription)
        }
        return try await editorPage(id, form: form, isNew: form.replaces.isEmpty, context: context)
    }

    /// Every button of the editor: `add` (a drug id), `remove` (a row), `action=search`, `check`, `save`.
    @Sendable func edit(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let id = try context.parameters.require("id")
        let posted = context.browser.form
        var form = PrescriptionEditorForm(posted)
        var focus: String?
        if let drugId = posted["add"] {
            let drug = try web.object(await web.api.get("drugs/\(drugId)", context: context), context: context)
            form.add(drug)
            focus = "item-\(form.rows.count - 1)-dose"
        } else if let row = posted["remove"].flatMap(Int.init) {
            form.remove(at: row)
            focus = "items-title"
        }
        guard posted["action"] == "save" else {
            return try await editorPage(id, form: form, focus: focus, context: context)
        }
        let answer: WebAPI.Answer
        do {
            answer = await web.api.send(.post, "consultations/\(id)/prescriptions", json: try form.draftBody(), context: context)
        } catch {
            answer = .refused(AppError.from(error))
        }
        switch answer {
        case .refused(let error):
            return try await editorPage(id, form: form, errors: web.formErrors(error, context: context), context: context,
                                        status: error.status)
        case .ok(_, let created):
            guard case .map(let prescription) = created, case .string(let prescriptionId)? = prescription["id"] else {
                return web.redirect("/consultations/\(id)/prescriptions")
            }
            return web.redirect("/prescriptions/\(prescriptionId)")
        }
    }

    /// The findings of the posted rows as an HTML fragment, for `prescribe.js`.
    @Sendable func checks(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let id = try context.parameters.require("id")
        let consultation = try web.object(await web.api.get("consultations/\(id)", context: context), context: context)
        let findings = await findings(of: PrescriptionEditorForm(context.browser.form), patientId: consultation["patientId"] as? String,
                                      context: context)
        return web.page("prescribe-findings", title: "prescribing.editor.findings", ["findings": findings], context: context)
    }

    /// The consultation's prescriptions with their states: for its doctor all of them, for its
    /// patient those in effect.
    @Sendable func ofConsultation(_ request: Request, context: AppContext) async throws -> Response {
        let caller = try context.requireSignedIn(.doctor, .patient)
        let id = try context.parameters.require("id")
        let consultation = try web.object(await web.api.get("consultations/\(id)", context: context), context: context)
        let list = try web.object(await web.api.get("consultations/\(id)/prescriptions", context: context), context: context)
        let prescriptions = (list["items"] as? [[String: Any]] ?? []).map { web.prescribingValues($0, context: context) }
        return web.page("prescription-consultation", title: "prescribing.consultation.title",
                        ["consultation": consultation, "prescriptions": prescriptions, "isDoctor": caller.role == .doctor],
                        context: context)
    }

    // MARK: The page

    private func editorPage(_ id: String, form: PrescriptionEditorForm, isNew: Bool = false, focus: String? = nil,
                            errors: [String: Any]? = nil, context: AppContext,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        var form = form
        let consultation = try web.object(await web.api.get("consultations/\(id)", context: context), context: context)
        var data: [String: Any] = ["consultation": consultation]
        var patient: [String: Any]?
        if case .ok(_, let found) = await web.api.get("consultations/\(id)/patient", context: context) {
            patient = web.values(found, context: context) as? [String: Any]
            data["patient"] = patient
        }
        if isNew, form.diagnosis.isEmpty {
            // The diagnosis recorded in the consultation, else the condition of the prior visit it follows up.
            form.diagnosis = consultation["diagnosis"] as? String
                ?? (patient?["priorVisit"] as? [String: Any])?["icd10"] as? String ?? ""
        }
        if case .ok(_, let existing) = await web.api.get("consultations/\(id)/prescriptions", context: context),
           let list = (web.values(existing, context: context) as? [String: Any])?["items"] as? [[String: Any]] {
            data["drafts"] = list.filter { ($0["stateIs"] as? [String: Bool])?["draft"] == true && $0["id"] as? String != form.replaces }
        }
        data["conditions"] = await conditionChoices(context: context)
        let fields = errors?["fields"] as? [String: String] ?? [:]
        var rows: [[String: Any]] = []
        for (index, row) in form.rows.enumerated() {
            rows.append(await rowValues(row, index: index, fields: fields, context: context))
        }
        data["search"] = await searchValues(form.query, context: context)
        data["rows"] = rows
        var formValues: [String: Any] = [
            "diagnosis": form.diagnosis, "longReason": form.longReason, "notes": form.notes,
            "validDays": (1...PrescriptionRules.longestValidity).map { days in ["value": days, "selected": String(days) == form.validDays] },
        ]
        if !form.replaces.isEmpty { formValues["replaces"] = form.replaces }
        data["form"] = formValues
        data["findings"] = await findings(of: form, patientId: consultation["patientId"] as? String, context: context)
        if let errors {
            var shown = errors
            // Field names with dots and brackets are not template paths: each goes where its field is.
            shown["fields"] = ["diagnosis": fields["diagnosis"], "validDays": fields["validDays"], "notes": fields["notes"],
                               "longReason": fields["longPrescription.reason"], "items": fields["items"]].compactMapValues { $0 }
            data["errors"] = shown
        }
        if let focus { data["focus"] = focus }
        return web.page("prescribe-editor", title: "prescribing.editor.title", data, context: context, status: status)
    }

    /// The catalogue's drugs matching `query` (none asked for when it is blank), or why the search was refused.
    private func searchValues(_ query: String, context: AppContext) async -> [String: Any] {
        var search: [String: Any] = ["query": query]
        guard !query.isEmpty else { return search }
        switch await web.api.get("drugs", query: [("q", query), ("limit", "10")], context: context) {
        case .ok(_, let found):
            let results = ((web.values(found, context: context) as? [String: Any])?["items"] as? [[String: Any]] ?? [])
                .map { drugValues($0, context: context) }
            search["results"] = results
            search["none"] = results.isEmpty
        case .refused(let error):
            let shown = web.formErrors(error, context: context)
            search["error"] = (shown["fields"] as? [String: String])?["q"] ?? shown["message"]
        }
        return search
    }

    /// The ICD-10 picker's choices: the conditions MedLoop knows by name (`GET /conditions`), as
    /// the consultation's page offers them when the doctor records the diagnosis.
    private func conditionChoices(context: AppContext) async -> [[String: Any]] {
        guard case .ok(_, let found) = await web.api.get("conditions", query: [("q", "")], context: context) else { return [] }
        let english = context.language == .english
        return ((web.values(found, context: context) as? [String: Any])?["items"] as? [[String: Any]] ?? []).map { condition in
            var condition = condition
            condition["name"] = (english ? condition["nameEn"] : condition["nameZh"]) ?? ""
            return condition
        }
    }

    /// One item row as the template shows it, with its drug and the errors of its fields.
    private func rowValues(_ row: PrescriptionEditorForm.Row, index: Int, fields: [String: String],
                           context: AppContext) async -> [String: Any] {
        var values: [String: Any] = ["index": index, "number": index + 1, "drugId": row.drugId, "dose": row.dose,
                                     "doseUnit": row.doseUnit, "timesPerDay": row.timesPerDay, "days": row.days,
                                     "quantity": row.quantity]
        if case .ok(_, let found) = await web.api.get("drugs/\(row.drugId)", context: context),
           let drug = web.values(found, context: context) as? [String: Any] {
            values["drug"] = drugValues(drug, context: context)
        }
        values["doseUnitText"] = web.renderer.string("enum.\(row.doseUnit)", in: context.language)
        values["routes"] = AdministrationRoute.allCases.map { route in
            ["value": route.rawValue, "text": web.renderer.string("enum.\(route.rawValue)", in: context.language),
             "selected": route.rawValue == row.route]
        }
        var rowErrors: [String: String] = [:]
        for name in ["drugId", "dose", "doseUnit", "timesPerDay", "days", "quantity", "route"] {
            if let message = fields["items[\(index)].\(name)"] { rowErrors[name] = message }
        }
        values["fieldErrors"] = rowErrors
        return values
    }

    /// The clinical checks of the rows (against the consultation's patient): the findings in the
    /// page's language, or why the API could not check them yet.
    func findings(of form: PrescriptionEditorForm, patientId: String?, context: AppContext) async -> [String: Any] {
        guard !form.rows.isEmpty else { return ["empty": true] }
        var body: [String: DocumentValue] = ["items": .list(form.checkItems)]
        if let patientId { body["patientId"] = .string(patientId) }
        switch await web.api.send(.post, "prescription-checks", json: .map(body), context: context) {
        case .ok(_, let answer):
            let found = ((web.values(answer, context: context) as? [String: Any])?["findings"] as? [[String: Any]] ?? [])
                .map { localisedFinding($0, context: context) }
            return ["checked": true, "items": found, "clear": found.isEmpty]
        case .refused(let error):
            let shown = web.formErrors(error, context: context)
            let problems = (shown["fields"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { field, message in
                fieldLabel(field, context: context) + ": " + message
            }
            return ["problems": problems.isEmpty ? [shown["message"] ?? ""] : problems]
        }
    }

    /// `items[1].dose` as the doctor reads it: "Item 2 · Dose".
    private func fieldLabel(_ field: String, context: AppContext) -> String {
        let words = { (key: String) -> String in
            let path = "prescribing.editor.\(key)"
            let found = web.renderer.string(path, in: context.language)
            return found == path ? key : found
        }
        guard field.hasPrefix("items["), let close = field.firstIndex(of: "]"),
              let index = Int(field[field.index(field.startIndex, offsetBy: 6)..<close]) else {
            return words(field == "items" ? "items" : field)
        }
        let name = field[field.index(after: close)...].drop { $0 == "." }
        let item = words("item").replacingOccurrences(of: "{n}", with: String(index + 1))
        return item + (name.isEmpty ? "" : " · " + words(String(name)))
    }

    // MARK: Values in the page's language

    private func drugValues(_ drug: [String: Any], context: AppContext) -> [String: Any] {
        var drug = drug
        let english = context.language == .english
        drug["name"] = (english ? drug["genericNameEn"] : drug["genericNameZh"]) ?? ""
        drug["brand"] = english ? drug["brandEn"] : drug["brandZh"]
        return drug
    }

    private func localisedFinding(_ finding: [String: Any], context: AppContext) -> [String: Any] {
        var finding = finding
        finding["message"] = (context.language == .english ? finding["messageEn"] : finding["messageZh"]) ?? ""
        return finding
    }
}
