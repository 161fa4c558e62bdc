import Foundation
import Hummingbird
import MedLoopDomain

/// The doctor's prescription editor and the patient's prescriptions, with their verification.
///
/// A prescription's page serves both: its doctor overrides findings with a reason, signs, voids or
/// corrects it; its patient sees the items, whether the doctor's and the pharmacist's signatures
/// verify, their medicine orders of it, a refill, and goes on to choose a pharmacy. `/prescriptions`
/// is the patient's medication record, grouped by prescription.
struct PrescriptionPages: Sendable {
    let web: WebKit

    func register(_ group: RouterGroup<AppContext>) {
        PrescriptionEditorPages(web: web).register(group)
        group.get("prescriptions", use: record)
        group.post("prescriptions/:id/refill", use: refill)
        group.get("prescriptions/:id", use: show)
        group.post("prescriptions/:id/overrides", use: override)
        group.post("prescriptions/:id/sign", use: sign)
        group.post("prescriptions/:id/void", use: void)
    }

    // MARK: The patient's medication record

    @Sendable func record(_ request: Request, context: AppContext) async throws -> Response {
        try await recordPage(errors: nil, context: context)
    }

    private func recordPage(errors: (prescriptionId: String, shown: [String: Any])?, context: AppContext,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        let caller = try context.requireSignedIn(.patient)
        guard let patient = caller.patientId else { throw AppError.notFound("patient") }
        let record = try web.object(await web.api.get("patients/\(patient.text)/medications", context: context), context: context)
        let english = context.language == .english
        var groups: [[String: Any]] = []
        for entry in record["items"] as? [[String: Any]] ?? [] {
            var entry = entry
            entry["name"] = (english ? entry["genericNameEn"] : entry["genericNameZh"]) ?? ""
            let id = entry["prescriptionId"] as? String ?? ""
            if let group = groups.firstIndex(where: { $0["id"] as? String == id }) {
                groups[group]["medications"] = (groups[group]["medications"] as? [[String: Any]] ?? []) + [entry]
                if entry["isActive"] as? Bool == true { groups[group]["isActive"] = true }
                if entry["isRefillable"] as? Bool == true { groups[group]["isRefillable"] = true }
            } else {
                groups.append(["id": id, "startsOn": entry["startsOn"] ?? "", "endsOn": entry["endsOn"] ?? "",
                               "isActive": entry["isActive"] as? Bool == true, "isRefillable": entry["isRefillable"] as? Bool == true,
                               "medications": [entry], "idempotencyKey": WebKit.idempotencyKey(), "errors": false])
            }
        }
        if let errors, let index = groups.firstIndex(where: { ($0["id"] as? String)?.lowercased() == errors.prescriptionId.lowercased() }) {
            groups[index]["errors"] = errors.shown
        }
        return web.page("prescription-list", title: "prescribing.list.title", ["prescriptions": groups], context: context,
                        status: status)
    }

    /// A refill books a follow-up with the same doctor; the patient pays it on the order's page.
    @Sendable func refill(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.patient)
        let id = try context.parameters.require("id")
        let answer = await web.api.send(.post, "prescriptions/\(id)/refill", json: nil,
                                        idempotencyKey: context.browser.form["idempotencyKey"], context: context)
        switch answer {
        case .refused(let error):
            return try await recordPage(errors: (id, web.formErrors(error, context: context)), context: context,
                                        status: error.status)
        case .ok(_, let body):
            guard case .map(let order) = body, case .string(let orderId)? = order["id"] else { return web.redirect("/orders") }
            return web.redirect("/orders/\(orderId)")
        }
    }

    // MARK: One prescription

    @Sendable func show(_ request: Request, context: AppContext) async throws -> Response {
        try await prescriptionPage(context.parameters.require("id"), errors: nil, context: context)
    }

    /// `errors.at`: where the refusal is shown — `override-2` (that finding's form), `sign` or `void`.
    private func prescriptionPage(_ id: String, errors: [String: Any]?, context: AppContext,
                                  status: HTTPResponse.Status = .ok) async throws -> Response {
        let caller = try context.requireSignedIn(.doctor, .patient)
        let answer = try web.object(await web.api.get("prescriptions/\(id)", context: context), context: context)
        var prescription = web.prescribingValues(answer, context: context)
        let state = prescription["state"] as? String ?? ""
        var data: [String: Any] = ["isDoctor": caller.role == .doctor, "isPatient": caller.role == .patient]
        if let consultationId = prescription["consultationId"] as? String {
            if case .ok(_, let consultation) = await web.api.get("consultations/\(consultationId)", context: context),
               let doctorId = (web.values(consultation, context: context) as? [String: Any])?["doctorId"] as? String,
               case .ok(_, let doctor) = await web.api.get("doctors/\(doctorId)", context: context) {
                data["doctor"] = web.values(doctor, context: context)
            }
            if caller.role == .doctor,
               case .ok(_, let patient) = await web.api.get("consultations/\(consultationId)/patient", context: context) {
                data["patient"] = web.values(patient, context: context)
            }
        }
        if state != "draft", case .ok(_, let verification) = await web.api.get("prescriptions/\(id)/verification", context: context) {
            data["verification"] = verificationValues(verification, context: context)
        }
        if caller.role == .patient {
            data["orders"] = await medicineOrders(of: id, context: context)
            if let patient = caller.patientId,
               case .ok(_, let record) = await web.api.get("patients/\(patient.text)/medications", context: context),
               let entries = (web.values(record, context: context) as? [String: Any])?["items"] as? [[String: Any]],
               entries.contains(where: { ($0["prescriptionId"] as? String)?.lowercased() == id.lowercased()
                   && $0["isRefillable"] as? Bool == true }) {
                data["refill"] = ["idempotencyKey": WebKit.idempotencyKey()]
            }
        }
        let at = errors?["at"] as? [String: Bool] ?? [:]
        var placed = false
        prescription["findings"] = (prescription["findings"] as? [[String: Any]] ?? []).map { finding in
            var finding = finding
            let open = finding["blocksSigning"] as? Bool == true && (finding["overrideReason"] as? String ?? "").isEmpty
            finding["needsOverride"] = open && state == "draft" && caller.role == .doctor
            // `false`, not absent: the page's own errors (signing) are not this form's.
            finding["errors"] = false
            if let index = finding["index"] as? Int, at["override-\(index)"] == true, finding["needsOverride"] as? Bool == true {
                finding["errors"] = errors
                placed = true
            }
            return finding
        }
        // Which buttons the doctor sees; whether the move is allowed is the API's answer.
        prescription["mayCorrect"] = state == "draft" || state == "rejected"
        prescription["mayVoid"] = ["draft", "signed", "approved", "rejected"].contains(state)
        data["prescription"] = prescription
        // A refusal no override form shows (signing, voiding, a finding gone meanwhile) heads the page.
        if let errors, !placed { data["errors"] = errors }
        return web.page("prescription-show", title: "prescribing.show.title", data, context: context, status: status)
    }

    /// What `GET /prescriptions/{id}/verification` says: whether the signatures verify, and who signed when.
    private func verificationValues(_ verification: DocumentValue, context: AppContext) -> [String: Any] {
        var values = web.values(verification, context: context) as? [String: Any] ?? [:]
        values["signatures"] = (values["signatures"] as? [[String: Any]] ?? []).map { signature in
            var signature = signature
            signature["shortHash"] = String((signature["hash"] as? String ?? "").prefix(16))
            return signature
        }
        values["shortDocumentHash"] = String((values["documentHash"] as? String ?? "").prefix(16))
        return values
    }

    /// The patient's medicine orders of a prescription, as its trail names them (`reserved` steps).
    private func medicineOrders(of id: String, context: AppContext) async -> [[String: Any]] {
        guard case .ok(_, let trace) = await web.api.get("prescriptions/\(id)/trace", context: context),
              let entries = (web.values(trace, context: context) as? [String: Any])?["entries"] as? [[String: Any]] else { return [] }
        var orders: [[String: Any]] = []
        for entry in entries where entry["event"] as? String == "reserved" {
            guard let orderId = (entry["detail"] as? [String: Any])?["order"] as? String,
                  case .ok(_, let order) = await web.api.get("medicine-orders/\(orderId)", context: context),
                  let values = web.values(order, context: context) as? [String: Any] else { continue }
            orders.append(values)
        }
        return orders.reversed()
    }

    // MARK: The doctor's actions

    @Sendable func override(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let id = try context.parameters.require("id")
        let form = context.browser.form
        let body: DocumentValue = .map(["rule": .string(form["rule"] ?? ""), "drugIds": .list(form.all("drugIds").map { .string($0) }),
                                        "reason": .string(form["reason"] ?? "")])
        if case .refused(let error) = await web.api.send(.post, "prescriptions/\(id)/overrides", json: body, context: context) {
            var errors = web.formErrors(error, context: context)
            errors["at"] = ["override-\(form["index"] ?? "")": true]
            errors["reason"] = form["reason"] ?? ""
            return try await prescriptionPage(id, errors: errors, context: context, status: error.status)
        }
        return web.redirect("/prescriptions/\(id)#findings-title")
    }

    @Sendable func sign(_ request: Request, context: AppContext) async throws -> Response {
        try await act("sign", context: context)
    }

    @Sendable func void(_ request: Request, context: AppContext) async throws -> Response {
        try await act("void", context: context)
    }

    private func act(_ action: String, context: AppContext) async throws -> Response {
        _ = try context.requireSignedIn(.doctor)
        let id = try context.parameters.require("id")
        if case .refused(let error) = await web.api.send(.post, "prescriptions/\(id)/\(action)", json: nil, context: context) {
            var errors = web.formErrors(error, context: context)
            errors["at"] = [action: true]
            return try await prescriptionPage(id, errors: errors, context: context, status: error.status)
        }
        return web.redirect("/prescriptions/\(id)")
    }
}
