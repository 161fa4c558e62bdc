import Foundation

/// Where an online service is given: one of the internet hospitals or platforms the doctor
/// practises at (DOMAIN.md: multi-site practice). The consultation's bill, and the review of its
/// prescriptions, belong to that institution.
public enum PracticeSite {
    /// The site of an online booking: the one the patient names, or the doctor's only one.
    ///
    /// - Throws: 400 on `siteId` when the named site is not the doctor's (`not_a_practice_site`) or
    ///   the doctor has several and none is named (`required`); 422 `no_practice_site` when the
    ///   doctor practises online nowhere.
    public static func choose(_ requested: UUID?, from sites: [UUID]) throws(DomainError) -> UUID {
        if let requested {
            guard sites.contains(requested) else {
                throw .invalidField("siteId", code: "not_a_practice_site", "The doctor does not practise at this internet hospital.")
            }
            return requested
        }
        switch sites.count {
        case 0: throw .refused(code: "no_practice_site", message: "The doctor practises at no internet hospital.")
        case 1: return sites[0]
        default: throw .invalidField("siteId", code: "required", "The doctor practises at several internet hospitals: name one.")
        }
    }
}
