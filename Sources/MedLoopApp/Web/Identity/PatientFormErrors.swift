import Foundation
import Hummingbird
import MedLoopDomain

/// A refusal as one form of the patient's own pages shows it: `WebKit.formErrors`, with each
/// field's words from the `me.fieldError` catalogue when it has them (`me.fieldError.icd10.format`,
/// then `me.fieldError.in_future`), and a refusal that names no field (`child_older_than_holder`,
/// `voucher_used`) shown beside the field it is about.
struct PatientFormErrors {
    let web: WebKit

    /// - Parameter fieldOf: the field each field-less refusal code is about; `"*"` for any code.
    func values(_ error: AppError, context: AppContext, fieldOf: [String: String] = [:]) -> [String: Any] {
        var result = web.formErrors(error, context: context)
        var fields = result["fields"] as? [String: String] ?? [:]
        var worded: Set<String> = []
        for issue in error.details where !worded.contains(issue.field) {
            worded.insert(issue.field)
            if let words = words("me.fieldError.\(issue.field).\(issue.code)", context) ?? words("me.fieldError.\(issue.code)", context) {
                fields[issue.field] = words
            }
        }
        if error.details.isEmpty, let field = fieldOf[error.code] ?? fieldOf["*"] {
            fields[field] = result["message"] as? String ?? error.message
        }
        result["fields"] = fields
        return result
    }

    private func words(_ path: String, _ context: AppContext) -> String? {
        let words = web.renderer.string(path, in: context.language)
        return words == path ? nil : words
    }
}

extension WebForm {
    /// The fields named, as a template echoes them back into a refused form: each value as typed,
    /// and `<name>Is.<value>` to mark the chosen option of a select or radio group.
    func echoed(_ names: [String]) -> [String: Any] {
        var values: [String: Any] = [:]
        for name in names {
            guard let value = self[name] else { continue }
            values[name] = value
            values[name + "Is"] = [value: true]
        }
        return values
    }
}
